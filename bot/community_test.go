package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

func TestLeavingStopsEveryPostAndComingBackResumesOnlyWhatLeavingStopped(t *testing.T) {
	start := utc("2026-11-25T08:00:00Z") // a Wednesday
	r := newRig(t, start)
	ctx := context.Background()
	r.ok("admin", "a", "/roadmap nudge set 09:00")
	r.ok("admin", "b", "/roadmap nudge set 09:00")
	r.ok("admin", "b", "/roadmap nudge off") // an admin's choice: it stays off
	r.ok("u1", "a", "/roadmap remind 20:00")
	r.ok("u1", "a", "/roadmap checkin")

	if err := r.bot.CommunityLeft(ctx, community); err != nil {
		t.Fatal(err)
	}
	r.tickUntil(start.Add(7 * 24 * time.Hour)) // a week, Monday's recap included
	if sent := r.poster.All(); len(sent) != 0 {
		t.Fatalf("after the bot left, %d messages went out: %v", len(sent), sent)
	}

	back, err := r.bot.CommunityBack(ctx, community)
	if err != nil || !back {
		t.Fatalf("coming back: %v, %v; want back", back, err)
	}
	if again, err := r.bot.CommunityBack(ctx, community); err != nil || again {
		t.Errorf("coming back twice: %v, %v; the second time is no news", again, err)
	}
	if got := logLine(r.logs, "community back", "schedules_resumed=3"); got == "" {
		t.Errorf("no log of the return with the lesson, its recap and the reminder resumed:\n%s", r.logs)
	}
	if next := r.next(bot.NudgeKey(bot.Channel{Community: community, ID: "b"})); !next.IsZero() {
		t.Errorf("the daily lesson an admin turned off is due again at %v", next)
	}
	if next := r.next(bot.RecapKey(bot.Channel{Community: community, ID: "a"})); next.Weekday() != time.Monday {
		t.Errorf("the weekly recap resumes on %v, want a Monday", next)
	}
	r.tickUntil(start.Add(8 * 24 * time.Hour))
	sent := r.poster.All()
	if lessons := daily(r.poster.To("a")); len(lessons) != 1 || !strings.Contains(lessons[0].Resp.Title, "Day 1") {
		t.Errorf("the day after coming back #a got %v, want Day 1 alone: the week missed is not sent", lessons)
	}
	if rec := recaps(sent); len(rec) != 0 {
		t.Errorf("a recap went out on a Wednesday after coming back: %v", rec)
	}
	if got := r.poster.To("u1"); len(got) != 1 {
		t.Errorf("the day after coming back u1 got %v, want their reminder", got)
	}
	if l, _ := r.store.Learner(ctx, community, "u1"); l.Streak.Longest != 1 {
		t.Errorf("u1's streak after coming back: %+v", l.Streak)
	}
}

func TestPurgeDeletesACommunityOnlyOnceItOutlivedTheRetention(t *testing.T) {
	left := utc("2026-11-25T08:00:00Z")
	r := newRig(t, left)
	ctx := context.Background()
	other := bot.Community{Platform: bot.PlatformConsole, ID: "other"}
	r.ok("u1", "a", "/roadmap checkin")
	r.bot.Handle(ctx, bot.Request{Community: other, UserID: "u1", UserName: "u1", Text: "/roadmap checkin"})
	if err := r.bot.CommunityLeft(ctx, community); err != nil {
		t.Fatal(err)
	}
	// Leaving again later does not move the start of the retention.
	r.clock.Advance(10 * 24 * time.Hour)
	if err := r.bot.CommunityLeft(ctx, community); err != nil {
		t.Fatal(err)
	}
	if n, err := r.bot.PurgeLeft(ctx, left.Add(-time.Second)); err != nil || n != 0 {
		t.Fatalf("purging what left before it did: %d deleted, %v", n, err)
	}
	if l, _ := r.store.Learner(ctx, community, "u1"); l.UserID == "" {
		t.Fatal("the community's data went before its retention ended")
	}
	if n, err := r.bot.PurgeLeft(ctx, left); err != nil || n != 1 {
		t.Fatalf("purging what left at the first leave: %d deleted, %v; want 1", n, err)
	}
	if l, _ := r.store.Learner(ctx, community, "u1"); l.UserID != "" {
		t.Errorf("u1 is still kept after the purge: %+v", l)
	}
	if l, _ := r.store.Learner(ctx, other, "u1"); l.Streak.Longest != 1 {
		t.Errorf("another community lost its learner: %+v", l)
	}
	if logLine(r.logs, "community data deleted", "platform=console", "community=study") == "" {
		t.Errorf("the deletion was not logged:\n%s", r.logs)
	}
	if n, err := r.bot.PurgeLeft(ctx, r.clock.Now()); err != nil || n != 0 {
		t.Errorf("a second purge deleted %d (%v)", n, err)
	}
}

func TestLifecycleNeedsAStoreThatKeepsIt(t *testing.T) {
	b, err := bot.New(bot.Config{Roadmap: bot.TestRoadmap(t), Store: storeOnly{bottest.NewStore()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.CommunityLeft(context.Background(), community); err == nil {
		t.Error("leaving over a store that cannot record it reported success")
	}
}

// storeOnly hides every port of the in-memory store but bot.Store.
type storeOnly struct{ bot.Store }
