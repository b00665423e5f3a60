package bot_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

// instantPoster accepts every post at once, so the benchmark measures the scheduler itself.
type instantPoster struct{ n atomic.Int64 }

func (p *instantPoster) Post(context.Context, bot.Channel, bot.Response) error {
	p.n.Add(1)
	return nil
}

func (p *instantPoster) DirectMessage(context.Context, bot.Community, string, bot.Response) error {
	p.n.Add(1)
	return nil
}

// BenchmarkRunDue10000ChannelsSameMinute: 10,000 channels whose daily lesson falls due in
// the same minute, over a real bbolt file, posting to a platform that answers instantly.
// Each iteration is one day's 10:00 Berlin tick (a real zone, as communities set them:
// UTC would skip loading tzdata). posts/s is the scheduler's own throughput: taking
// the due schedules from the index, marking them in bbolt, claiming, building each lesson
// and handing it to the worker pool.
func BenchmarkRunDue10000ChannelsSameMinute(b *testing.B) {
	const channels = 10_000
	poster := &instantPoster{}
	quiet := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	day0 := utc("2026-11-24T09:00:00Z")
	r := newRig(b, day0.Add(-time.Hour), func(c *bot.SchedulerConfig) {
		c.Posters = map[string]bot.Poster{bot.PlatformConsole: poster}
		c.Logger = quiet
	})
	// Concurrent writers share bbolt batches, so setting up 10,000 schedules takes seconds.
	var wg sync.WaitGroup
	work := make(chan int)
	for range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				key := bot.NudgeKey(bot.Channel{Community: community, ID: fmt.Sprintf("channel-%05d", i)})
				err := r.store.UpdateSchedule(context.Background(), key, func(s *bot.Schedule) error {
					s.At, s.Zone, s.Next = bot.TimeOfDay{Hour: 10}, "Europe/Berlin", day0
					return nil
				})
				if err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for i := range channels {
		work <- i
	}
	close(work)
	wg.Wait()

	b.ResetTimer()
	for range b.N {
		due, _, err := r.store.FirstDue(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		r.clock.Set(due)
		if err := r.sched.RunDue(context.Background(), due.Add(-time.Minute), due); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if got, want := poster.n.Load(), int64(channels*b.N); got != want {
		b.Fatalf("%d posts, want %d", got, want)
	}
	b.ReportMetric(float64(channels*b.N)/b.Elapsed().Seconds(), "posts/s")
}
