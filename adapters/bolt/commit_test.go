package bolt

import (
	"path/filepath"
	"runtime"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
)

// waitForQueued returns once n writes wait for the next group.
func waitForQueued(db *DB, n int) {
	for {
		db.group.mu.Lock()
		queued := len(db.group.queue)
		db.group.mu.Unlock()
		if queued >= n {
			return
		}
		runtime.Gosched()
	}
}

// commitEach starts one commit per element of ids, each noting the ID of the transaction it
// ran in, and returns a channel that receives their errors.
func commitEach(db *DB, ids []int) <-chan error {
	errs := make(chan error, len(ids))
	for i := range ids {
		go func() {
			errs <- db.commit(func(tx *bbolt.Tx) error { ids[i] = tx.ID(); return nil })
		}()
	}
	return errs
}

// Writes that arrive while a group is being applied join its transaction, up to
// MaxBatchSize writes in all and while it has been open for less than MaxBatchDelay; the
// rest wait for the next one.
func TestWritesArrivingDuringAGroupJoinIt(t *testing.T) {
	for _, tc := range []struct {
		name       string
		maxBatch   int
		maxDelay   time.Duration
		arriving   int
		sameCommit int // how many of the arriving writes share the first write's transaction
	}{
		{"all join", 1000, time.Minute, 3, 3},
		{"up to MaxBatchSize", 2, time.Minute, 3, 1},
		{"none once MaxBatchDelay has passed", 1000, 0, 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := Open(filepath.Join(t.TempDir(), "studybot.db"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			db.db.MaxBatchSize, db.db.MaxBatchDelay = tc.maxBatch, tc.maxDelay
			ids := make([]int, tc.arriving)
			var errs <-chan error
			var first int
			err = db.commit(func(tx *bbolt.Tx) error {
				first = tx.ID()
				errs = commitEach(db, ids)
				waitForQueued(db, tc.arriving)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for range tc.arriving {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			joined := 0
			for _, id := range ids {
				if id == first {
					joined++
				} else if id < first {
					t.Errorf("a write ran in transaction %d, before the group's %d", id, first)
				}
			}
			if joined != tc.sameCommit {
				t.Errorf("%d of %d arriving writes joined the running group (transactions %v, group's %d), want %d",
					joined, tc.arriving, ids, first, tc.sameCommit)
			}
		})
	}
}

// With a single processor (a one-CPU container), the writers of a burst can only queue when
// the committing goroutine lets them run: a burst must still share a few transactions rather
// than commit one by one.
func TestWritesShareTransactionsOnOneProcessor(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	db, err := Open(filepath.Join(t.TempDir(), "studybot.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const writers = 200
	ids := make([]int, writers)
	errs := commitEach(db, ids)
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	transactions := map[int]bool{}
	for _, id := range ids {
		transactions[id] = true
	}
	if len(transactions) > writers/20 {
		t.Errorf("%d writes made at once took %d transactions, want at most %d", writers, len(transactions), writers/20)
	}
}
