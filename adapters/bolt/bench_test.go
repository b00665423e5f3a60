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
	core, _, _ := benchCore(b)
	core.Handle(ctx, request("ana", "done internet-basics"))
	req := request("ana", "/roadmap next")
	b.ReportAllocs()
	for b.Loop() {
		if r := core.Handle(ctx, req); r.Outcome != bot.OutcomeOK {
			b.Fatal(r.Text)
		}
	}
}

// BenchmarkCheckin is `/roadmap checkin` through the core: one durable write transaction
// each (the day is already counted after the first, but the record is still rewritten).
func BenchmarkCheckin(b *testing.B) {
	core, _, _ := benchCore(b)
	req := request("ana", "/roadmap checkin")
	b.ReportAllocs()
	for b.Loop() {
		if r := core.Handle(ctx, req); r.Outcome != bot.OutcomeOK {
			b.Fatal(r.Text)
		}
	}
}

// BenchmarkConcurrentCheckins has 1,000 learners check in at once, through the core and,
// in the same run, as a bare bbolt Batch loop writing the same bytes: the ratio is the
// core's overhead over the storage engine's own limit.
func BenchmarkConcurrentCheckins(b *testing.B) {
	const learners = 1000
	b.Run("core", func(b *testing.B) {
		core, _, clock := benchCore(b)
		b.ResetTimer()
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
	b.Run("bare-batch", func(b *testing.B) {
		db, err := bbolt.Open(filepath.Join(b.TempDir(), "bare.db"), 0o600, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		// The same bytes the core writes for a learner after one check-in.
		record, _ := json.Marshal(bot.Learner{Version: bot.SchemaVersion, UserID: "learner-0", Name: "learner-0",
			Streak: bot.Streak{Current: 1, Longest: 1, Last: 20416, Studied: []bot.Day{20416}}, Updated: time.Now().UTC()})
		b.ResetTimer()
		for b.Loop() {
			var wg sync.WaitGroup
			for i := range learners {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := db.Batch(func(tx *bbolt.Tx) error {
						bk, err := tx.CreateBucketIfNotExists([]byte("learners"))
						if err != nil {
							return err
						}
						return bk.Put([]byte(fmt.Sprint("learner-", i)), record)
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
