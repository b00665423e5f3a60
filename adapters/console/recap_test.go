package console_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt/bolttest"
	"github.com/studybot/studybot/adapters/console"
	"github.com/studybot/studybot/adapters/cron"
	"github.com/studybot/studybot/bot"
)

// A console session with a daily lesson and a reminder :advances through a week of study
// into Monday: the channel gets its weekly recap at the lesson's time and the learner
// their week with the reminder, each once; :advance 168h brings the next week's.
func TestWeeklyRecapAndSummaryShowInTheConsole(t *testing.T) {
	clock := bot.NewManualClock(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)) // a Tuesday
	core, db := bolttest.Core(t, bot.Config{Clock: clock, Cooldowns: bot.NewLocalCooldowns(clock)})
	out := &bytes.Buffer{}
	con, err := console.New(core, clock, out, console.Options{User: "ana", Community: "study"})
	if err != nil {
		t.Fatal(err)
	}
	sched, err := bot.NewScheduler(bot.SchedulerConfig{Bot: core, Store: db.Only(bot.PlatformConsole),
		Deliverer: cron.NewDelivery(cron.DeliveryOptions{Clock: clock, Posters: map[string]bot.Poster{bot.PlatformConsole: con}})})
	if err != nil {
		t.Fatal(err)
	}
	con.OnAdvance = func(ctx context.Context, from, to time.Time) {
		if err := sched.RunDue(ctx, from, to); err != nil {
			t.Error(err)
		}
	}
	s := &session{t: t, con: con, out: out}
	s.expect("/roadmap nudge set 09:00 UTC", "Daily lesson on")
	s.expect("/roadmap nudge status", "Weekly recap", "Mondays at 09:00 (UTC)", "Mon 30 Nov 09:00")
	s.expect("/roadmap remind 20:00", "I will message you privately at 20:00")
	s.expect("/roadmap done internet-basics", "Internet basics is done")
	s.expect(":user ben")
	s.expect("/roadmap checkin", "ben checked in")
	s.expect(":user ana")
	for range 5 { // Wednesday to Sunday
		s.type_(":advance 24h")
		s.type_("/roadmap checkin")
	}
	// Sunday 10:00 to Monday 21:00: the recap at 09:00, ana's week at 20:00.
	got := s.expect(":advance 35h", "Weekly recap · Mon 23 Nov to Sun 29 Nov",
		"2 learners studied last week, on 7 days in all, and marked 1 lesson done.",
		"1. ana — 6 days", "direct message to ana", "Your last week", "You studied on 6 days of 7, marked 1 lesson done.")
	if n := strings.Count(got, "📊 Weekly recap"); n != 1 {
		t.Errorf("%d recaps on Monday:\n%s", n, got)
	}
	if n := strings.Count(got, "Your last week"); n != 1 {
		t.Errorf("%d weekly summaries on Monday:\n%s", n, got)
	}
	got = s.expect(":advance 168h", "Weekly recap · Mon 30 Nov to Sun 6 Dec", "Nobody studied last week", "You did not study last week.")
	if n := strings.Count(got, "📊 Weekly recap"); n != 1 {
		t.Errorf("%d recaps in a week:\n%s", n, got)
	}
	s.expect("/roadmap nudge recap off", "Weekly recap off")
	if got := s.type_(":advance 168h"); strings.Contains(got, "📊 Weekly recap") {
		t.Errorf("a recap after nudge recap off:\n%s", got)
	}
}
