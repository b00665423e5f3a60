package cron_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// TestAPausedProcessCatchesUpLikeARestart: a host suspended (or a clock stepped forward) for
// two days hands the ticker one long window. It must not replay every lesson and reminder of
// those days in a burst: like after downtime, a post missed within six hours goes out once,
// older ones and reminders for days that are over are skipped.
func TestAPausedProcessCatchesUpLikeARestart(t *testing.T) {
	ctx := context.Background()
	posts := &bottest.Poster{}
	r := newRig(t, posts, nil) // the clock starts at 08:00 UTC
	b, clock, svc, roadmap := r.bot, r.clock, r.svc, r.roadmap
	for _, text := range []string{"nudge set 09:00 UTC", "timezone UTC", "remind 19:00"} {
		resp := b.Handle(ctx, bot.Request{Community: bot.Community{Platform: bot.PlatformDiscord, ID: "guild"}, Channel: "c1",
			UserID: "ana", Admin: true, Text: text})
		if resp.Outcome != bot.OutcomeOK {
			t.Fatalf("%s: %s", text, resp.Text)
		}
	}
	// log is every lesson post (#channel) and reminder (@user), in order.
	log := func() []string {
		var out []string
		for _, s := range posts.All() {
			to := "#"
			if s.Kind == "dm" {
				to = "@"
			}
			out = append(out, to+s.Target+" "+s.Resp.Title)
		}
		return out
	}
	clock.Advance(time.Minute)
	svc.Tick(ctx)
	// Paused from 08:01 on the 24th until 10:01 on the 26th: two lessons and two reminders
	// fell due unseen, and the 26th's lesson is an hour late.
	clock.Advance(50 * time.Hour)
	svc.Tick(ctx)
	want := []string{"#c1 📅 Day 1 · " + roadmap.Topics[0].Title}
	if got := log(); !slices.Equal(got, want) {
		t.Fatalf("after the pause: %q, want only today's late lesson %q", got, want)
	}
	// Ticking on as usual, tomorrow's lesson is the next one and today's reminder comes.
	for end := clock.Now().Add(23 * time.Hour); clock.Now().Before(end); {
		clock.Advance(time.Minute)
		svc.Tick(ctx)
	}
	want = append(want, "@ana ⏰ Time to study", "#c1 📅 Day 2 · "+roadmap.Topics[1].Title)
	if got := log(); !slices.Equal(got, want) {
		t.Errorf("a day later: %q, want %q", got, want)
	}
}
