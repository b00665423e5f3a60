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

func TestNudgeSetRefusesBadInputPrivatelyAndChangesNothing(t *testing.T) {
	r := newRig(t, utc("2026-11-24T08:00:00Z"))
	for _, text := range []string{"nudge set 09:00 Mars/Olympus_Mons", "nudge set 25:00", "nudge set 09:00 Local", "nudge"} {
		resp := r.as("ada", "general", text)
		if resp.Outcome == bot.OutcomeOK || !resp.Ephemeral || resp.Tone != bot.ToneError {
			t.Errorf("%q: (%s) %q", text, resp.Outcome, resp.Text)
		}
	}
	mustContain(t, r.ok("ada", "general", "nudge status"), "This channel has no daily lesson")
	if s, _ := r.store.Settings(context.Background(), community); s.Zone != "" {
		t.Errorf("a refused nudge set the community zone to %q", s.Zone)
	}
	// A request from nowhere in particular (no channel) cannot hold a channel's lesson.
	resp := r.bot.Handle(context.Background(), bot.Request{Community: community,
		UserID: "eve", Admin: true, Text: "nudge set 09:00"})
	if resp.Outcome != bot.EINVALID || !strings.Contains(resp.Text, "in the channel") {
		t.Errorf("nudge without a channel: (%s) %q", resp.Outcome, resp.Text)
	}
}

func TestNudgeZoneDefaultsToTheCommunitysAndAFirstOneBecomesIt(t *testing.T) {
	r := newRig(t, utc("2026-11-24T08:00:00Z"))
	mustContain(t, r.ok("ada", "general", "nudge set 09:00 europe/berlin"),
		"every day at 09:00 (Europe/Berlin)", "Day 1 · Internet basics", "Wed 25 Nov 09:00", // it is 09:00 there now
		"Europe/Berlin is now also this community's time zone")
	if s, _ := r.store.Settings(context.Background(), community); s.Zone != "Europe/Berlin" {
		t.Errorf("community zone %q, want the first nudge's", s.Zone)
	}
	// Learners who set no zone now count their days in it.
	mustContain(t, r.ok("newbie", "general", "timezone"), "Europe/Berlin")

	mustContain(t, r.ok("bo", "random", "nudge set 10:00"), "10:00 (Europe/Berlin)")
	resp := r.ok("cy", "tokyo", "nudge set 08:00 Asia/Tokyo")
	if strings.Contains(resp.Text, "community's time zone") {
		t.Errorf("a community with a zone must keep it: %q", resp.Text)
	}
	if s, _ := r.store.Settings(context.Background(), community); s.Zone != "Europe/Berlin" {
		t.Errorf("community zone changed to %q", s.Zone)
	}
	mustContain(t, r.ok("dee", "tokyo", "nudge status"), "08:00 Asia/Tokyo", "Day 1 · Internet basics", "Wed 25 Nov 08:00")
}

func TestNudgeOffStopsThePostsAndSetResumesWhereItLeftOff(t *testing.T) {
	r := newRig(t, utc("2026-11-24T08:00:00Z"))
	r.ok("ada", "general", "nudge set 09:00 UTC")
	r.tickUntil(utc("2026-11-24T10:00:00Z"))
	mustContain(t, r.ok("ada", "general", "nudge off"), "Daily lesson off", "Day 2 · Caching")
	mustContain(t, r.ok("bo", "general", "nudge off"), "nothing changed")
	r.tickUntil(utc("2026-11-26T10:00:00Z"))
	if n := len(r.poster.All()); n != 1 {
		t.Fatalf("%d posts after nudge off, want only the one before", n)
	}
	mustContain(t, r.ok("cy", "general", "nudge status"), "Paused", "Turned off", "Day 2 · Caching")

	mustContain(t, r.ok("ada", "general", "nudge set 09:00"), "Next post: Day 2 · Caching")
	r.tickUntil(utc("2026-11-27T10:00:00Z"))
	if got := titles(r.poster.To("general")); len(got) != 2 || got[1] != "📅 Day 2 · Caching" {
		t.Errorf("after resuming: %v", got)
	}
}

func TestNudgeStatusIsForAdminsAndSaysWhatComesNext(t *testing.T) {
	r := newRig(t, utc("2026-11-24T08:00:00Z"))
	r.ok("ada", "general", "nudge set 09:00 UTC")
	r.tickUntil(utc("2026-11-24T10:00:00Z"))
	resp := r.bot.Handle(context.Background(), bot.Request{Community: community, Channel: "general",
		UserID: "learner", Text: "nudge status"})
	if resp.Outcome != bot.EFORBIDDEN || !resp.Ephemeral || !strings.Contains(resp.Text, "Only community admins") {
		t.Errorf("non-admin status: (%s) %q, want the admin refusal", resp.Outcome, resp.Text)
	}
	for _, f := range resp.Fields {
		if strings.Contains(f.Value, "Caching") {
			t.Errorf("the refusal shows the schedule: %+v", resp.Fields)
		}
	}
	mustContain(t, r.ok("admin", "general", "nudge status"), "09:00 UTC", "Day 2 · Caching", "Wed 25 Nov 09:00", "in 23h 00m",
		"2026-11-24 (Day 1 so far)")
}

func TestMovingTheTimeAfterTodaysLessonWaitsForTomorrow(t *testing.T) {
	r := newRig(t, utc("2026-11-24T08:00:00Z"))
	r.ok("ada", "general", "nudge set 09:00 UTC")
	r.tickUntil(utc("2026-11-24T09:30:00Z"))
	mustContain(t, r.ok("ada", "general", "nudge set 10:00"), "Next post: Day 2 · Caching", "Wed 25 Nov 10:00")
	r.ok("ada", "general", "nudge off")
	r.ok("ada", "general", "nudge set 11:00")
	r.tickUntil(utc("2026-11-25T12:00:00Z"))
	if got := times(r.poster.To("general")); !slices.Equal(got, []string{"2026-11-24T09:00:00Z", "2026-11-25T11:00:00Z"}) {
		t.Errorf("posts at %v, want today's 09:00 and then tomorrow's 11:00 only", got)
	}
}

// failFirst fails the first attempt for every target with a rate limit.
func failFirst(_ string, n int) error {
	if n == 1 {
		return &bot.PostError{RetryAfter: 10 * time.Minute, Err: errors.New("429 rate limited")}
	}
	return nil
}

// holdingRetries is a rig whose first attempt at every target fails with a rate limit that
// asks for ten minutes: the post then waits in the store for its retry.
func holdingRetries(t *testing.T, start time.Time) *rig {
	t.Helper()
	r := newRig(t, start)
	r.poster.Fail = failFirst
	return r
}

func TestNudgeCommandsWhileTheLessonWaitsForItsRetry(t *testing.T) {
	tests := []struct {
		name    string
		command string
		reply   []string
		posts   []string // what the channel gets by the next day's 10:01
	}{
		{"set counts the lesson on its way", "nudge set 10:00",
			[]string{"Day 1 · Internet basics is on its way now", "next post: Day 2 · Caching, Wed 25 Nov 10:00"},
			[]string{"2026-11-24T09:10:00Z 📅 Day 1 · Internet basics", "2026-11-25T10:00:00Z 📅 Day 2 · Caching"}},
		{"off stops the retry", "nudge off",
			[]string{"Daily lesson off", "Day 1 · Internet basics was on its way out: it is stopped"},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := holdingRetries(t, utc("2026-11-24T08:00:00Z"))
			r.ok("ada", "general", "nudge set 09:00 UTC")
			r.runTo(utc("2026-11-24T08:59:00Z"), utc("2026-11-24T09:00:00Z")) // the first attempt fails
			mustContain(t, r.ok("ada", "general", tt.command), tt.reply...)
			r.tickUntil(utc("2026-11-25T10:01:00Z"))
			if got := stamped(r.poster.To("general")); !slices.Equal(got, tt.posts) {
				t.Errorf("posts %v, want %v", got, tt.posts)
			}
		})
	}
}

func TestALessonStoppedByNudgeOffIsTheOneThatComesWhenTurnedBackOn(t *testing.T) {
	r := holdingRetries(t, utc("2026-11-24T08:00:00Z"))
	r.ok("ada", "general", "nudge set 09:00 UTC")
	r.runTo(utc("2026-11-24T08:59:00Z"), utc("2026-11-24T09:00:00Z"))
	r.ok("ada", "general", "nudge off")
	r.tickUntil(utc("2026-11-24T10:00:00Z")) // past the retry's time
	mustContain(t, r.ok("ada", "general", "nudge status"), "Paused", "not yet", "Day 1 · Internet basics")
	mustContain(t, r.ok("ada", "general", "nudge set 09:00"), "First post: Day 1 · Internet basics, Wed 25 Nov 09:00")
	r.tickUntil(utc("2026-11-25T09:01:00Z"))
	if got := titles(r.poster.To("general")); !slices.Equal(got, []string{"📅 Day 1 · Internet basics"}) {
		t.Errorf("posts %v, want the stopped lesson the next day", got)
	}
}
