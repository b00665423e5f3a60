package cron_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt/bolttest"
	"github.com/studybot/studybot/adapters/cron"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// BenchmarkRunDue10000ChannelsSameMinute: 10,000 channels whose daily lesson falls due in
// the same minute, over a real bbolt file, posting to a platform that answers instantly (and
// records each post). Each iteration is one day's 10:00 Berlin tick (a real zone, as
// communities set them: UTC would skip loading tzdata). posts/s is the scheduler's own
// throughput: taking the due schedules from the index, marking them in bbolt, claiming,
// building each lesson, handing it to the platform and settling its record.
func BenchmarkRunDue10000ChannelsSameMinute(b *testing.B) {
	const channels = 10_000
	quiet := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	day0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	clock := bot.NewManualClock(day0.Add(-time.Hour))
	core, store := bolttest.Core(b, bot.Config{Clock: clock, Logger: quiet})
	poster := &bottest.Poster{}
	sched, err := bot.NewScheduler(bot.SchedulerConfig{Bot: core, Logger: quiet, Deliverer: cron.NewDelivery(cron.DeliveryOptions{
		Clock: clock, Logger: quiet, Posters: map[string]bot.Poster{bot.PlatformDiscord: poster}})})
	if err != nil {
		b.Fatal(err)
	}
	// Concurrent writers share bbolt batches, so setting up 10,000 schedules takes seconds.
	var wg sync.WaitGroup
	work := make(chan int)
	for range 500 {
		wg.Go(func() {
			for i := range work {
				key := bot.NudgeKey(bot.Channel{Community: bot.Community{Platform: bot.PlatformDiscord, ID: "guild"}, ID: fmt.Sprintf("channel-%05d", i)})
				err := store.UpdateSchedule(context.Background(), key, func(s *bot.Schedule) error {
					s.Version, s.Kind = bot.SchemaVersion, bot.KindNudge
					s.At, s.Zone, s.Next = bot.TimeOfDay{Hour: 10}, "Europe/Berlin", day0
					return nil
				})
				if err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := range channels {
		work <- i
	}
	close(work)
	wg.Wait()

	day := func() {
		due, _, err := store.FirstDue(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		clock.Set(due)
		if err := sched.RunDue(context.Background(), due.Add(-time.Minute), due); err != nil {
			b.Fatal(err)
		}
	}
	// The first day also gives each channel, set up as before recaps existed, its weekly
	// recap record: a one-off write per channel that every later day is spared.
	day()
	b.ResetTimer()
	for range b.N {
		day()
	}
	b.StopTimer()
	if got, want := len(poster.All()), channels*(b.N+1); got != want {
		b.Fatalf("%d posts, want %d", got, want)
	}
	b.ReportMetric(float64(channels*b.N)/b.Elapsed().Seconds(), "posts/s")
}
