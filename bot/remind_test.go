package bot_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

func TestRemindersComeOnlyOnDaysNotYetStudiedAndAtMostOnceADay(t *testing.T) {
	r := newRig(t, utc("2026-11-24T12:00:00Z")) // 13:00 in Berlin
	r.ok("ana", "general", "timezone Europe/Berlin")
	r.ok("ana", "general", "checkin")
	mustContain(t, r.ok("ana", "general", "remind 19:00"), "19:00 (Europe/Berlin)")

	r.tickUntil(utc("2026-11-25T20:00:00Z")) // studied on the 24th: nothing that evening
	r.ok("ana", "general", "checkin")        // 21:00 on the 25th, after the reminder
	r.tickUntil(utc("2026-11-26T10:00:00Z"))
	r.ok("ana", "general", "checkin") // the 26th, before 19:00: no reminder that day
	r.tickUntil(utc("2026-11-27T18:30:00Z"))
	// Moving the time later on a day already reminded waits for tomorrow.
	r.ok("ana", "general", "remind 20:00")
	r.tickUntil(utc("2026-11-28T19:01:00Z"))

	dms := r.poster.To("ana")
	want := []string{"2026-11-25T18:00:00Z", "2026-11-27T18:00:00Z", "2026-11-28T19:00:00Z"}
	if got := times(dms); !slices.Equal(got, want) {
		t.Fatalf("reminders at %v, want %v", got, want)
	}
	for _, dm := range dms {
		if dm.Kind != "dm" {
			t.Errorf("reminder sent as %s, want a direct message", dm.Kind)
		}
	}
	mustContain(t, dms[0].Resp, "1-day streak", "5h 00m left", "Europe/Berlin", "[Check in=checkin]")
	mustContain(t, dms[1].Resp, "3-day streak", "5h 00m left")
	mustContain(t, dms[2].Resp, "3-day streak lapsed", "4h 00m left")
}

func TestARemindTurnedOffAndOnAgainTheSameDayWaitsForTomorrow(t *testing.T) {
	r := newRig(t, utc("2026-11-24T12:00:00Z"))
	r.ok("bo", "general", "remind 19:00")
	r.tickUntil(utc("2026-11-24T19:30:00Z"))
	mustContain(t, r.ok("bo", "general", "remind off"), "Reminder off")
	mustContain(t, r.ok("bo", "general", "remind 20:00"), "First possible: Wed 25 Nov 20:00")
	r.tickUntil(utc("2026-11-25T20:01:00Z"))
	want := []string{"2026-11-24T19:00:00Z", "2026-11-25T20:00:00Z"}
	if got := times(r.poster.To("bo")); !slices.Equal(got, want) {
		t.Fatalf("reminders at %v, want %v: one a day, even turned off and on again", got, want)
	}
}

func TestAReminderFollowsTheLearnersTimeZoneAndStopsWhenTurnedOff(t *testing.T) {
	r := newRig(t, utc("2026-11-24T12:00:00Z"))
	mustContain(t, r.ok("bo", "general", "remind"), "You have no reminder")
	mustContain(t, r.ok("bo", "general", "remind 19:00"), "19:00 (UTC)")
	mustContain(t, r.ok("bo", "general", "timezone America/New_York"), "Your 19:00 reminder follows it")
	mustContain(t, r.ok("bo", "general", "remind"), "19:00 (America/New_York)")
	r.tickUntil(utc("2026-11-25T01:00:00Z"))
	dms := r.poster.To("bo")
	if got := times(dms); !slices.Equal(got, []string{"2026-11-25T00:00:00Z"}) {
		t.Fatalf("reminders at %v, want 19:00 New York time", got)
	}
	mustContain(t, dms[0].Resp, "5h 00m left", "America/New_York")

	mustContain(t, r.ok("bo", "general", "remind off"), "Reminder off")
	mustContain(t, r.ok("bo", "general", "remind off"), "nothing changed")
	r.tickUntil(utc("2026-11-27T01:00:00Z"))
	if n := len(r.poster.To("bo")); n != 1 {
		t.Errorf("%d reminders after turning them off, want none more", n)
	}
	mustContain(t, r.ok("bo", "general", "remind"), "You have no reminder")
}

func TestAReminderFollowsAZoneThatMovesAfterItWasSet(t *testing.T) {
	// profile is a command carrying the learner's platform profile zone, as Slack's do.
	profile := func(text, zone string) func(r *rig) {
		return func(r *rig) {
			resp := r.bot.Handle(context.Background(), bot.Request{Community: community,
				Channel: "general", UserID: "ana", ProfileZone: zone, Text: text})
			if resp.Outcome != bot.OutcomeOK {
				r.t.Fatalf("%s: (%s) %s", text, resp.Outcome, resp.Text)
			}
		}
	}
	tests := []struct {
		name string
		move func(r *rig) // what moves the learner's day after `remind 19:00` in UTC at 12:00 UTC
		zone string       // the zone the reminder follows from then on
		want []string     // when the reminders of the next two days come
	}{
		{"the community adopts a zone with its first nudge", func(r *rig) {
			r.ok("admin", "general", "nudge set 09:00 Europe/Berlin")
		}, "Europe/Berlin", []string{"2026-11-24T18:00:00Z", "2026-11-25T18:00:00Z"}},
		{"the learner's platform profile moves west", profile("start caching", "America/New_York"),
			"America/New_York", []string{"2026-11-25T00:00:00Z", "2026-11-26T00:00:00Z"}},
		// 19:00 in Berlin comes an hour before 19:00 UTC, and in Kolkata (17:30 there now)
		// the same day: both must come that day at their local 19:00.
		{"the learner's platform profile moves east", profile("start caching", "Europe/Berlin"),
			"Europe/Berlin", []string{"2026-11-24T18:00:00Z", "2026-11-25T18:00:00Z"}},
		{"the learner's platform profile moves far east", profile("start caching", "Asia/Kolkata"),
			"Asia/Kolkata", []string{"2026-11-24T13:30:00Z", "2026-11-25T13:30:00Z"}},
		{"the profile's new zone comes with /roadmap remind", profile("remind", "Asia/Kolkata"),
			"Asia/Kolkata", []string{"2026-11-24T13:30:00Z", "2026-11-25T13:30:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, utc("2026-11-24T12:00:00Z"))
			mustContain(t, r.ok("ana", "general", "remind 19:00"), "19:00 (UTC)")
			tt.move(r)
			mustContain(t, r.ok("ana", "general", "remind"), "19:00 ("+tt.zone+")")
			r.tickUntil(utc("2026-11-26T12:00:00Z"))
			dms := r.poster.To("ana")
			if got := times(dms); !slices.Equal(got, tt.want) {
				t.Fatalf("reminders at %v, want %v (19:00 %s)", got, tt.want, tt.zone)
			}
			for _, dm := range dms {
				mustContain(t, dm.Resp, "5h 00m left before midnight ("+tt.zone+")")
			}
		})
	}
}

func TestAReminderMissedWhileDownIsSentOnlyTheSameDay(t *testing.T) {
	tests := []struct {
		name string
		up   string
		want []string
	}{
		{"back the same evening", "2026-11-24T21:00:00Z", []string{"2026-11-24T21:00:00Z"}},
		{"back after midnight", "2026-11-25T00:30:00Z", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, utc("2026-11-24T12:00:00Z"))
			r.ok("cy", "general", "remind 19:00")
			r.startAt(utc(tt.up))
			dms := r.poster.To("cy")
			if got := times(dms); !slices.Equal(got, tt.want) {
				t.Fatalf("reminders at %v, want %v", got, tt.want)
			}
			if len(dms) == 1 && !strings.Contains(dms[0].Resp.Text, "3h 00m left") {
				t.Errorf("a late reminder must count the time left from now: %q", dms[0].Resp.Text)
			}
		})
	}
}

func TestRemindRefusesABadTimeAndChangesNothing(t *testing.T) {
	r := newRig(t, utc("2026-11-24T12:00:00Z"))
	resp := r.as("dee", "general", "remind 7pm")
	if resp.Outcome == "ok" || !resp.Ephemeral || !strings.Contains(resp.Text, "HH:MM") {
		t.Errorf("bad time: (%s) %q", resp.Outcome, resp.Text)
	}
	r.tickUntil(r.clock.Now().Add(48 * time.Hour))
	if n := len(r.poster.All()); n != 0 {
		t.Errorf("%d messages after a refused remind", n)
	}
}

// failingReminders is a schedule store whose reminder writes fail while *fail is set, as on
// a full disk.
type failingReminders struct {
	bot.ScheduleStore
	fail *bool
}

func (s failingReminders) UpdateSchedule(ctx context.Context, key bot.ScheduleKey, fn func(*bot.Schedule) error) error {
	if *s.fail && key.Kind == bot.KindRemind {
		return errors.New("disk full")
	}
	return s.ScheduleStore.UpdateSchedule(ctx, key, fn)
}

func TestATimezoneChangeWhoseReminderCannotMoveSaysSo(t *testing.T) {
	fail := false
	r := newRig(t, utc("2026-11-24T12:00:00Z"), func(o *rigOptions) {
		o.schedules = failingReminders{o.schedules, &fail}
	})
	r.ok("bo", "general", "remind 19:00")
	fail = true
	resp := r.as("bo", "general", "timezone America/New_York")
	// The zone did change, so the answer must not say that nothing changed.
	if strings.Contains(resp.Text, "nothing was changed") || !strings.Contains(resp.Text, "America/New_York") ||
		!strings.Contains(resp.Text, "/roadmap remind HH:MM") {
		t.Errorf("want the new zone and how to move the reminder: (%s) %q", resp.Outcome, resp.Text)
	}
	mustContain(t, r.ok("bo", "general", "timezone"), "America/New_York")
}

func TestRemindOffStopsAReminderWaitingForItsRetry(t *testing.T) {
	r := holdingRetries(t, utc("2026-11-24T12:00:00Z"))
	r.ok("bo", "general", "remind 19:00")
	r.runTo(utc("2026-11-24T18:59:00Z"), utc("2026-11-24T19:00:00Z"))
	mustContain(t, r.ok("bo", "general", "remind off"), "Reminder off")
	r.tickUntil(utc("2026-11-26T20:00:00Z"))
	if n := r.poster.Tries("bo"); n != 1 {
		t.Errorf("%d attempts, want only the one before remind off", n)
	}
	mustContain(t, r.ok("bo", "general", "remind"), "You have no reminder")
}
