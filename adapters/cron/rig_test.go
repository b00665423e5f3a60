package cron_test

import (
	"testing"

	"github.com/studybot/studybot/adapters/bolt/bolttest"

	"github.com/studybot/studybot/adapters/cron"
	"github.com/studybot/studybot/bot"
)

// rig is one studybot's scheduling: the real core and scheduler over a real bbolt file,
// ticked by the cron service on a clock the test moves.
type rig struct {
	roadmap *bot.Roadmap
	bot     *bot.Bot
	clock   *bot.ManualClock
	svc     *cron.Service
}

// newRig posts Discord through poster; configure adjusts the scheduler (claimer, logger, ...).
func newRig(t *testing.T, poster bot.Poster, configure func(*bot.SchedulerConfig)) *rig {
	t.Helper()
	clock := bot.NewManualClock(t0)
	b, store := bolttest.Core(t, bot.Config{Clock: clock})
	cfg := bot.SchedulerConfig{Bot: b, Store: store, Logger: discard, Posters: map[string]bot.Poster{bot.PlatformDiscord: poster}}
	if configure != nil {
		configure(&cfg)
	}
	sched, err := bot.NewScheduler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := cron.New(sched, cron.Options{Clock: clock, Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{roadmap: b.Roadmap(), bot: b, clock: clock, svc: svc}
}
