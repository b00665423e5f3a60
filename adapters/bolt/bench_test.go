package bolt_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/data"
	bbolt "go.etcd.io/bbolt"
)

// benchCore is the real core over a real bbolt file in a temp dir, with cooldowns that
// never refuse (a benchmark hammers one learner far past any human rate).
func benchCore(b *testing.B) (*bot.Bot, *bolt.DB, *bot.ManualClock) {
	b.Helper()
	roadmap, err := data.Default()
	if err != nil {
		b.Fatal(err)
	}
	db := open(b, filepath.Join(b.TempDir(), "bench.db"))
	b.Cleanup(func() { db.Close() })
	clock := bot.NewManualClock(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	core, err := bot.New(bot.Config{Roadmap: roadmap, Store: db, Clock: clock, Cooldowns: unlimited{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	return core, db, clock
}

type unlimited struct{}

func (unlimited) Allow(context.Context, string, bot.Limit) (time.Duration, error) { return 0, nil }

func request(user, text string) bot.Request {
	return bot.Request{Platform: bot.PlatformDiscord, Community: "111", UserID: user, UserName: user, Text: text}
}

// BenchmarkNext is `/roadmap next` through the core: a read transaction and rendering.
func BenchmarkNext(b *testing.B) {
	benchCommand(b, "/roadmap next", "done internet-basics")
}

// BenchmarkCheckin is `/roadmap checkin` through the core: one durable write transaction
// each (the day is already counted after the first, but the record is still rewritten).
func BenchmarkCheckin(b *testing.B) {
	benchCommand(b, "/roadmap checkin")
}

// benchCommand times one learner's command through the core, after the setup commands.
func benchCommand(b *testing.B, text string, setup ...string) {
	core, _, _ := benchCore(b)
	for _, s := range setup {
		core.Handle(ctx, request("ana", s))
	}
	req := request("ana", text)
	b.ReportAllocs()
	for b.Loop() {
		if r := core.Handle(ctx, req); r.Outcome != bot.OutcomeOK {
			b.Fatal(r.Text)
		}
	}
}

// BenchmarkConcurrentCheckins has 1,000 learners check in at once, through the core and,
// in the same run, as a bare bbolt Batch loop writing the very bytes the core left on disk:
// the ratio is the core's overhead over the storage engine's own limit.
func BenchmarkConcurrentCheckins(b *testing.B) {
	const learners = 1000
	core, db, clock := benchCore(b)
	b.Run("core", func(b *testing.B) {
		for b.Loop() {
			clock.Advance(24 * time.Hour) // a new day: every check-in counts
			var wg sync.WaitGroup
			for i := range learners {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if r := core.Handle(ctx, request(fmt.Sprint("learner-", i), "/roadmap checkin")); r.Outcome != bot.OutcomeOK {
						b.Error(r.Text)
					}
				}()
			}
			wg.Wait()
		}
		b.ReportMetric(float64(learners*b.N)/b.Elapsed().Seconds(), "checkins/s")
	})
	records := map[string][]byte{}
	db.Learners(ctx, bot.Community{Platform: bot.PlatformDiscord, ID: "111"}, func(l bot.Learner) error {
		records[l.UserID], _ = json.Marshal(l) // the store writes json.Marshal of the record
		return nil
	})
	if len(records) != learners {
		b.Fatalf("core left %d records, want %d", len(records), learners)
	}
	b.Run("bare-batch", func(b *testing.B) {
		bare, err := bbolt.Open(filepath.Join(b.TempDir(), "bare.db"), 0o600, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer bare.Close()
		bare.MaxBatchDelay = db.Bolt().MaxBatchDelay
		for b.Loop() {
			var wg sync.WaitGroup
			for user, record := range records {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := bare.Batch(func(tx *bbolt.Tx) error {
						bk, err := tx.CreateBucketIfNotExists([]byte("learners"))
						if err != nil {
							return err
						}
						return bk.Put([]byte(user), record)
					})
					if err != nil {
						b.Error(err)
					}
				}()
			}
			wg.Wait()
		}
		b.ReportMetric(float64(learners*b.N)/b.Elapsed().Seconds(), "checkins/s")
	})
}
