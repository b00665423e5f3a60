package bolt_test

import (
	"context"
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
)

// recapCommunity fills a bbolt file with n learners of one community, each a record as a
// few months of use leave it (20 lessons done, 60 review cards, a streak with its history),
// written through UpdateLearner as the core writes them, and returns a core over it.
func recapCommunity(b *testing.B, n int, store func(*bolt.DB) bot.Store) (*bot.Bot, bot.Channel) {
	b.Helper()
	roadmap, err := data.Default()
	if err != nil {
		b.Fatal(err)
	}
	db := open(b, filepath.Join(b.TempDir(), "recap.db"))
	b.Cleanup(func() { db.Close() })
	c := bot.Community{Platform: bot.PlatformDiscord, ID: "111"}
	monday := bot.DayOf(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), time.UTC)
	var ids []string
	var slugs []string
	for _, x := range roadmap.Lessons() {
		slugs = append(slugs, x.Slug)
		for _, q := range x.Questions {
			ids = append(ids, q.ID)
		}
	}
	var wg sync.WaitGroup
	work := make(chan int)
	errs := make(chan error, 1)
	for range 32 {
		wg.Go(func() {
			for i := range work {
				err := db.UpdateLearner(context.Background(), c, fmt.Sprint("user-", i), func(l *bot.Learner) error {
					l.Version, l.UserID, l.Name = bot.SchemaVersion, fmt.Sprint("user-", i), fmt.Sprint("Learner ", i)
					l.Lessons = bot.Progress{}
					for _, s := range slugs[:20] {
						l.Lessons[s] = bot.StateDone
					}
					for k, id := range ids[:60] {
						l.Cards.Grade(id, bot.RatingGood, monday-bot.Day(k%30), 0)
					}
					l.Streak = bot.Streak{Current: i % 50, Longest: i % 80, Last: monday - 1 - bot.Day(i%3), First: monday - 90,
						Days: strings.Repeat("3", i%50) + strings.Repeat(".", 5)}
					return nil
				})
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	core, err := bot.New(bot.Config{Roadmap: roadmap, Store: store(db), Schedules: db,
		Clock: bot.NewManualClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	return core, bot.Channel{Community: c, ID: "general"}
}

func benchmarkRecap(b *testing.B, store func(*bolt.DB) bot.Store) {
	core, ch := recapCommunity(b, 10_000, store)
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	monday := bot.DayOf(at, time.UTC)
	r, err := core.Recap(context.Background(), ch, monday, at)
	if err != nil {
		b.Fatal(err)
	}
	if !strings.Contains(r.Text, "10000 learners studied") && !strings.Contains(r.Text, "learners studied") {
		b.Fatalf("recap: %s", r.Text)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := core.Recap(context.Background(), ch, monday, at); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecap10000Learners builds a weekly recap for a community of 10,000 learners, as
// the scheduler does on Monday: one pass over the pulse index, the top streaks from the
// streak index.
func BenchmarkRecap10000Learners(b *testing.B) {
	benchmarkRecap(b, func(db *bolt.DB) bot.Store { return db })
}

// BenchmarkRecap10000LearnersWithoutIndex is the same recap decoding every learner's record
// instead (a store without pulses): what the index saves.
func BenchmarkRecap10000LearnersWithoutIndex(b *testing.B) {
	benchmarkRecap(b, func(db *bolt.DB) bot.Store { return struct{ bot.Store }{db} })
}
