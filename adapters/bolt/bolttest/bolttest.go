// Package bolttest builds what every adapter's tests drive: the real core over a real bbolt
// file in the test's temporary directory, teaching a short fixed roadmap unless told otherwise.
package bolttest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/data"
	bbolt "go.etcd.io/bbolt"
)

// ShortRoadmap is the version 1 roadmap kept as a test fixture: 17 topics of one short
// lesson each, whose lesson and question IDs match their topics ("caching", "caching-2").
// Adapter tests use it so that they test the machinery, not today's wording of the content.
func ShortRoadmap(t testing.TB) *bot.Roadmap {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	roadmap, err := data.Load(filepath.Join(filepath.Dir(here), "..", "..", "..", "data", "testdata", "v1-roadmap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return roadmap
}

// Core returns a core configured as cfg says, filling in what cfg leaves out: the short
// roadmap, choices shown as written, a fresh store (closed when the test ends) and a logger
// that discards.
func Core(t testing.TB, cfg bot.Config) (*bot.Bot, *bolt.DB) {
	t.Helper()
	if cfg.Roadmap == nil {
		cfg.Roadmap = ShortRoadmap(t)
	}
	if cfg.Intn == nil {
		cfg.Intn = func(int) int { return 0 }
	}
	store, err := bolt.Open(filepath.Join(t.TempDir(), "studybot.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg.Store = store
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	core, err := bot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return core, store
}

// Fill writes n learners ("learner-000", ...) who check in and want a reminder at 20:00 into
// community c of the bbolt file at path, in one transaction, so no stale copy of their
// records is left in freed pages for DamageLeafOf to find. It returns their IDs.
func Fill(t testing.TB, path string, c bot.Community, n int) []string {
	t.Helper()
	store, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ids := make([]string, n)
	learners := make([]bot.Learner, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("learner-%03d", i)
		learners[i] = bot.Learner{Version: bot.SchemaVersion, UserID: ids[i], Name: "Learner " + ids[i]}
	}
	if err := store.PutLearners(c, learners); err != nil {
		t.Fatal(err)
	}
	return ids
}

// PageSize is the page size of the files these tests make (bbolt's default, the OS's).
var PageSize = os.Getpagesize()

// DamagePage overwrites page n of the file at path with random bytes, as
// `dd if=/dev/urandom of=path bs=4096 seek=n count=1 conv=notrunc` does. The bytes are
// seeded, so a failure reproduces.
func DamagePage(t testing.TB, path string, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	junk := make([]byte, PageSize)
	rng := rand.NewChaCha8([32]byte{byte(n)})
	rng.Read(junk)
	if _, err := f.WriteAt(junk, int64(n*PageSize)); err != nil {
		t.Fatal(err)
	}
}

// LeafOf is the number of the leaf page of the file at path that holds the record of the
// learner whose user ID is needle, so a test can damage the page one learner's record lives
// on and no other community's. The pulses bucket holds the same key on another page: a
// record is told apart by the byte that follows its key, the first of the value, which for a
// learner record is its format marker.
func LeafOf(t testing.TB, path, needle string) int {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const leafFlag = 0x02     // bbolt's page header: id (8 bytes), flags (2), count (2), overflow (4)
	const recordMarker = 0x01 // a learner record's first byte (adapters/bolt/record.go)
	record := append([]byte(needle), recordMarker)
	for n := 2; (n+1)*PageSize <= len(raw); n++ {
		page := raw[n*PageSize : (n+1)*PageSize]
		if binary.NativeEndian.Uint16(page[8:]) == leafFlag && bytes.Contains(page, record) {
			return n
		}
	}
	t.Fatalf("no leaf page of %s holds the record of %q", path, needle)
	return 0
}

// Written is what the store writes for one learner: the record, the pulse (the recap's
// index) and the streak index entry (streak inverted, then user ID; none without a streak).
type Written struct{ Record, Pulse, StreakKey []byte }

// Wrote is what the store writes for l, for a benchmark's bare writes to write the same.
func Wrote(t testing.TB, l bot.Learner) Written {
	t.Helper()
	store, err := bolt.Open(filepath.Join(t.TempDir(), "record.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	c := bot.Community{Platform: bot.PlatformConsole, ID: "record"}
	if err := store.PutLearners(c, []bot.Learner{l}); err != nil {
		t.Fatal(err)
	}
	var w Written
	err = store.Bolt().View(func(tx *bbolt.Tx) error {
		bucket := func(name string) *bbolt.Bucket { return bolt.ExistingCommunityBucket(tx, c, []byte(name)) }
		w.Record = bytes.Clone(bucket("learners").Get([]byte(l.UserID)))
		w.Pulse = bytes.Clone(bucket("pulses").Get([]byte(l.UserID)))
		if k, _ := bucket("streaks").Cursor().First(); k != nil {
			w.StreakKey = bytes.Clone(k)
		}
		return nil
	})
	if err != nil || w.Record == nil || w.Pulse == nil {
		t.Fatalf("the store wrote %+v for %s: %v", w, l.UserID, err)
	}
	return w
}

// BareUpdates times n bbolt Updates, one after another, each writing w's record under a
// user ID of its own into a fresh file in the test's temporary directory, in the store's
// buckets (with all, its pulse and streak entry too, as the store's transaction does): what
// bbolt and the disk alone make a lone write wait, for a benchmark to hold a store's write
// latency against.
func BareUpdates(t testing.TB, n int, w Written, all bool) []time.Duration {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "bare.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	took := make([]time.Duration, n)
	for i := range took {
		user := fmt.Appendf(nil, "5%017d", i)
		began := time.Now()
		err := db.Update(func(tx *bbolt.Tx) error {
			communities, err := tx.CreateBucketIfNotExists([]byte("communities"))
			if err != nil {
				return err
			}
			community, err := communities.CreateBucketIfNotExists([]byte("discord/bench"))
			if err != nil {
				return err
			}
			put := func(bucket string, key, value []byte) error {
				b, err := community.CreateBucketIfNotExists([]byte(bucket))
				if err != nil {
					return err
				}
				return b.Put(key, value)
			}
			if err := put("learners", user, w.Record); err != nil || !all {
				return err
			}
			if err := put("pulses", user, w.Pulse); err != nil || len(w.StreakKey) < 4 {
				return err
			}
			return put("streaks", append(bytes.Clone(w.StreakKey[:4]), user...), nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		took[i] = time.Since(began)
	}
	return took
}

// Holding lists every place in the file where needle appears: a bucket's name, a key or a
// value, in any bucket, nested ones included, as "bucket/bucket/key". Tests of forgetting
// and purging use it to prove that nothing of someone is left.
func Holding(t testing.TB, db *bolt.DB, needle string) []string {
	t.Helper()
	n := []byte(needle)
	var found []string
	var walk func(path string, b *bbolt.Bucket) error
	walk = func(path string, b *bbolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			where := path + "/" + string(k)
			if bytes.Contains(k, n) || bytes.Contains(v, n) {
				found = append(found, where)
			}
			if v == nil {
				return walk(where, b.Bucket(k))
			}
			return nil
		})
	}
	err := db.Bolt().View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			if bytes.Contains(name, n) {
				found = append(found, string(name))
			}
			return walk(string(name), b)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
