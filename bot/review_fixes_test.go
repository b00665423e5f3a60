package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/cron"
	"github.com/studybot/studybot/bot"
)

func TestAMondayReminderCountsTheWeekOfARecordAnEarlierReleaseWrote(t *testing.T) {
	r := newRig(t, utc("2026-11-30T12:00:00Z")) // a Monday
	r.ok("bo", "general", "remind 19:00")
	sunday := bot.DayOf(utc("2026-11-29T12:00:00Z"), time.UTC)
	// The history as the release before Streak.Days kept it: the six days up to Sunday.
	err := r.store.UpdateLearner(context.Background(), community, "bo", func(l *bot.Learner) error {
		l.Streak = bot.Streak{Current: 6, Longest: 6, Last: sunday, First: sunday - 5, Studied: 0b111111}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r.tickUntil(utc("2026-11-30T19:01:00Z"))
	got := r.poster.To("bo")
	if len(got) != 1 {
		t.Fatalf("messages to bo: %v", titles(got))
	}
	mustContain(t, got[0].Resp, "You studied on 6 days of 7", "Streak: 6 days")
}

// forgetFirst is a delivery during which the learner confirms forget: the reminder was taken
// for delivery before they did.
type forgetFirst struct {
	bot.Deliverer
	forget func()
}

func (d forgetFirst) Deliver(ctx context.Context, posts []*bot.Post) {
	d.forget()
	d.Deliverer.Deliver(ctx, posts)
}

func TestAReminderInFlightWhenTheLearnerIsForgottenIsNotSent(t *testing.T) {
	r := newRig(t, utc("2026-11-24T12:00:00Z"))
	r.ok("bo", "general", "remind 19:00")
	forgotten := false
	delivery := forgetFirst{
		Deliverer: cron.NewDelivery(cron.DeliveryOptions{Clock: r.clock, Posters: map[string]bot.Poster{bot.PlatformConsole: r.poster}}),
		forget: func() {
			mustContain(t, r.ok("bo", "general", "forget confirm bo"), "everything studybot kept about you")
			forgotten = true
		},
	}
	sched, err := bot.NewScheduler(bot.SchedulerConfig{Bot: r.bot, Store: r.store, Deliverer: delivery})
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Set(utc("2026-11-24T19:00:00Z"))
	if err := sched.RunDue(context.Background(), utc("2026-11-24T18:59:00Z"), utc("2026-11-24T19:00:00Z")); err != nil {
		t.Fatal(err)
	}
	if !forgotten {
		t.Fatal("no reminder was taken at 19:00")
	}
	if n := r.poster.Tries("bo"); n != 0 {
		t.Errorf("%d messages to bo after they were forgotten: %v", n, titles(r.poster.To("bo")))
	}
	if l, err := r.store.Learner(context.Background(), community, "bo"); err != nil || l.UserID != "" {
		t.Errorf("bo's record after forget and the reminder's run: %+v, %v", l, err)
	}
}
