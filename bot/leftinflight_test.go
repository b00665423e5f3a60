package bot_test

import (
	"context"
	"errors"
	"testing"

	"github.com/studybot/studybot/bot"
)

// A post in flight when the bot is removed fails as Discord then answers (403 Missing
// Access). That failure must not replace "removed" as the reason the schedule is off, or
// coming back would leave the channel's lesson and recap off for good.
func TestAPostFailingAfterTheBotLeftStillResumesWhenItComesBack(t *testing.T) {
	start := utc("2026-11-25T08:00:00Z") // a Wednesday
	r := newRig(t, start)
	ctx := context.Background()
	r.ok("admin", "a", "/roadmap nudge set 09:00 UTC")
	r.tickUntil(utc("2026-11-30T08:59:00Z")) // up to Monday, the recap's day

	r.poster.Fail = func(string, int) error {
		if err := r.bot.CommunityLeft(ctx, community); err != nil {
			t.Error(err)
		}
		return &bot.PostError{Permanent: true, Err: errors.New("403 Forbidden: Missing Access")}
	}
	r.tickUntil(utc("2026-11-30T09:01:00Z"))
	if n := r.poster.Tries("a"); n != 2+5 {
		t.Fatalf("#a was tried %d times, want 5 lessons and Monday's lesson and recap", n)
	}
	r.poster.Fail = nil

	back, err := r.bot.CommunityBack(ctx, community)
	if err != nil || !back {
		t.Fatalf("coming back: %v, %v; want back", back, err)
	}
	ch := bot.Channel{Community: community, ID: "a"}
	for _, key := range []bot.ScheduleKey{bot.NudgeKey(ch), bot.RecapKey(ch)} {
		sch, err := r.store.Schedule(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if !sch.Active() {
			t.Errorf("%v is still off after coming back: %q", key.Kind, sch.Disabled)
		}
	}
	if logLine(r.logs, "community back", "schedules_resumed=2") == "" {
		t.Errorf("the return did not resume the lesson and its recap:\n%s", r.logs)
	}
}
