package bolt

import (
	"errors"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"
)

// groupCommit is how learner and settings writes reach the disk. A write that finds no
// commit running commits at once: a lone learner never waits for company (bbolt's Batch
// would hold it for MaxBatchDelay first). Writes that arrive while a commit runs queue, and
// the next commit takes every one of them in a single transaction, so under load the fsync
// is shared as Batch shares it, and the number of writes per transaction follows the load
// by itself.
//
// A group also takes the writes that arrive while it is being applied. Whenever it has
// applied all it holds, it takes what queued meanwhile, and when nothing has, gives the
// processor up once (runtime.Gosched) so that writers already on their way can queue; it
// commits when that brings nothing more, when joining would take it past MaxBatchSize
// writes, or once it has been open for MaxBatchDelay. On an idle machine the yield returns
// at once, so a lone write still commits as soon as it is applied
// (BenchmarkInteractionLatency in adapters/discord); on a busy one it waits one scheduling
// round, holding bbolt's write lock. Under load a burst of check-ins becomes one or two
// commits instead of five to ten: each commit rewrites every page its writes touched and
// syncs twice, and a burst's learners are spread over all the pages
// (BenchmarkConcurrentCheckins). With one processor (GOMAXPROCS=1), where nothing else runs
// while the committing goroutine applies its group and waits for the disk, the yield is
// what lets a burst share commits at all: without it, 1,000 check-ins at once took one
// commit each, 0.4 s instead of 20 ms. Gathering writes before opening the transaction was
// measured and dropped: it saves the same commits but applies nothing while the writers
// arrive.
//
// Like Batch, a group does not let one write fail the others: when a write's function
// returns an error (or panics) the transaction is rolled back, that write runs again alone
// in its caller's goroutine (where guard sees a panic) and the rest of the group is
// committed without it. So a function may run more than once, as bot.Store allows. No
// write is acknowledged before the transaction holding it is on disk.
//
// Every function of a group runs in the goroutine that commits it, one after the other.
// Two ways of taking work out of the committing goroutine were measured and dropped
// (BenchmarkConcurrentCheckins): running each caller's decoding and encoding in its own
// goroutine while the transaction is open (2–3 times slower with JSON records: the hand-offs
// cost more than the second core gives back), and making each change before the transaction
// from a copy of the record kept in memory, checked against the disk inside it (no faster
// on two cores, and 10–25 % more CPU per check-in: the machine is bound by CPU, not by the
// committing goroutine).
type groupCommit struct {
	mu      sync.Mutex
	running bool     // a group is being committed; new writes queue
	queue   []*write // what the next group takes
}

// write is one caller's function waiting for its group. done receives the outcome:
// errLead hands the caller the next group to commit (in group), errSolo asks it to run its
// function alone.
type write struct {
	fn    func(*bbolt.Tx) error
	done  chan error
	group []*write
}

// writes recycles write values and their channels, two allocations fewer per write: under
// load, garbage collection is a good part of what a write costs. A write goes back once its
// caller has had the one value its channel carries, so a recycled channel is empty.
var writes = sync.Pool{New: func() any { return &write{done: make(chan error, 1)} }}

var (
	errLead = errors.New("bolt: lead the next group commit")
	errSolo = errors.New("bolt: run this write alone")
)

// commit runs fn in a write transaction shared with whatever writes queued beside it, and
// returns once that transaction is on disk, with fn's own error or the commit's.
func (s *DB) commit(fn func(*bbolt.Tx) error) error {
	w := writes.Get().(*write)
	w.fn = fn
	defer func() { w.fn = nil; writes.Put(w) }()
	g := &s.group
	g.mu.Lock()
	if g.running {
		g.queue = append(g.queue, w)
		g.mu.Unlock()
		if err := <-w.done; err != errLead {
			return s.settle(fn, err)
		}
	} else {
		g.running = true
		g.mu.Unlock()
		w.group = []*write{w}
	}
	s.commitGroup(w.group)
	w.group = nil
	// Hand the queue to the first write in it: the commit just made is on disk, so nothing
	// waits behind this caller, whatever it does next.
	g.mu.Lock()
	next := g.queue
	g.queue = nil
	g.running = len(next) > 0
	g.mu.Unlock()
	if len(next) > 0 {
		next[0].group = next
		next[0].done <- errLead
	}
	return s.settle(fn, <-w.done)
}

// settle turns what a group said about a write into the caller's answer.
func (s *DB) settle(fn func(*bbolt.Tx) error, err error) error {
	if err == errSolo {
		return s.update(fn)
	}
	return err
}

// commitGroup commits the group's writes in one transaction and tells each of them how it
// went, as bbolt's Batch does: a write whose function fails is taken out and told to run
// alone, and the rest are tried again together.
func (s *DB) commitGroup(group []*write) {
	began := time.Now()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			// bbolt itself panicked (a damaged page met while committing): each write runs
			// alone, under guard, which reports the damage to its caller.
			for _, w := range group {
				w.done <- errSolo
			}
		}
	}()
	for len(group) > 0 {
		failed := -1
		err := s.db.Update(func(tx *bbolt.Tx) error {
			for i := 0; i < len(group) || s.gather(&group, began); i++ {
				if err := callSafely(group[i].fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			w := group[failed]
			group = slices.Delete(group, failed, failed+1)
			w.done <- errSolo
			continue
		}
		for _, w := range group {
			w.done <- err
		}
		return
	}
}

// callSafely runs fn, turning a panic into an error: the write is then run alone, where the
// panic happens again in its caller's goroutine.
func callSafely(fn func(*bbolt.Tx) error, tx *bbolt.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errSolo
		}
	}()
	return fn(tx)
}

// gather adds to the group what queued since it last looked, giving the processor up once
// when nothing has, and says whether it added any; a group older than MaxBatchDelay takes
// no more. See groupCommit.
func (s *DB) gather(group *[]*write, began time.Time) bool {
	if time.Since(began) >= s.db.MaxBatchDelay {
		return false
	}
	n := len(*group)
	if *group = s.group.join(*group, s.db.MaxBatchSize); len(*group) == n {
		runtime.Gosched()
		*group = s.group.join(*group, s.db.MaxBatchSize)
	}
	return len(*group) > n
}

// join appends the queued writes to group, up to limit writes in all (bbolt's MaxBatchSize;
// no limit when it is not positive).
func (g *groupCommit) join(group []*write, limit int) []*write {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := len(g.queue)
	if limit > 0 {
		n = max(0, min(n, limit-len(group)))
	}
	group = append(group, g.queue[:n]...)
	clear(g.queue[:n])
	g.queue = g.queue[n:]
	return group
}
