package bolt_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
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
	return bot.Request{Community: bot.Community{Platform: bot.PlatformDiscord, ID: "111"}, UserID: user, UserName: user, Text: text}
}

// BenchmarkNext is `/roadmap next` through the core: a read transaction and rendering.
func BenchmarkNext(b *testing.B) {
	benchCommand(b, "/roadmap next", "done internet-basics", "done programming-languages")
}

// BenchmarkNextSynthetic100Lessons is `/roadmap next` for a learner halfway through a
// roadmap of 10 topics × 10 lessons, each of lesson length (a body of about 600 words and a
// code block, four questions): the record holds 50 lesson states and the core walks them.
func BenchmarkNextSynthetic100Lessons(b *testing.B) {
	body := strings.Repeat("A sentence of a lesson body that explains one idea. ", 60) +
		"\n\n```sh\n" + strings.Repeat("curl -i http://localhost:8000/books\n", 10) + "```"
	var topics []bot.Topic
	for i := range 10 {
		t := bot.Topic{Slug: fmt.Sprintf("topic-%d", i), Title: fmt.Sprintf("Topic %d", i), Overview: "Why it matters."}
		for j := range 10 {
			l := bot.Lesson{Slug: fmt.Sprintf("lesson-%d-%d", i, j), Title: fmt.Sprintf("Lesson %d.%d", i, j), Minutes: 25,
				Body: body, Exercise: "Do it. Done when it works.", KeyPoints: []string{"One.", "Two.", "Three."},
				Resources: []bot.Resource{{Title: "Docs", URL: "https://example.org/a", Section: "All"}, {Title: "More", URL: "https://example.org/b"}}}
			for k := range 4 {
				l.Questions = append(l.Questions, bot.Question{Text: fmt.Sprintf("Question %d?", k), Choices: []string{"A", "B", "C", "D"}, Explain: "Because."})
			}
			t.Lessons = append(t.Lessons, l)
		}
		topics = append(topics, t)
	}
	roadmap, err := bot.NewRoadmap("Synthetic", topics)
	if err != nil {
		b.Fatal(err)
	}
	db := open(b, filepath.Join(b.TempDir(), "bench.db"))
	b.Cleanup(func() { db.Close() })
	core, err := bot.New(bot.Config{Roadmap: roadmap, Store: db, Cooldowns: unlimited{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 5 {
		core.Handle(ctx, request("ana", fmt.Sprintf("done topic-%d", i)))
	}
	req := request("ana", "/roadmap next")
	b.ReportAllocs()
	for b.Loop() {
		if r := core.Handle(ctx, req); r.Outcome != bot.OutcomeOK || !strings.Contains(r.Title, "Lesson 5.0") {
			b.Fatal(r.Title, r.Text)
		}
	}
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
