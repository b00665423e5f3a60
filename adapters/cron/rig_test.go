package cron_test

import (
	"testing"

	"github.com/studybot/studybot/adapters/bolt/bolttest"

	"github.com/studybot/studybot/adapters/cron"
	"github.com/studybot/studybot/bot"
)

// rig is one studybot's scheduling: the real core, scheduler and delivery over a real bbolt
// file, ticked by the cron service on a clock the test moves.
type rig struct {
	roadmap *bot.Roadmap
	bot     *bot.Bot
	clock   *bot.ManualClock
	svc     *cron.Service
}

// newRig posts Discord through poster; configure adjusts the delivery (claimer, logger, ...).
func newRig(t *testing.T, poster bot.Poster, configure func(*cron.DeliveryOptions)) *rig {
	t.Helper()
	clock := bot.NewManualClock(t0)
	b, _ := bolttest.Core(t, bot.Config{Clock: clock})
	opts := cron.DeliveryOptions{Clock: clock, Logger: discard, Posters: map[string]bot.Poster{bot.PlatformDiscord: poster}}
	if configure != nil {
		configure(&opts)
	}
	sched, err := bot.NewScheduler(bot.SchedulerConfig{Bot: b, Deliverer: cron.NewDelivery(opts), Logger: opts.Logger})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := cron.New(sched, cron.Options{Clock: clock, Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{roadmap: b.Roadmap(), bot: b, clock: clock, svc: svc}
}
