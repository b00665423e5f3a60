package bolt_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt/bolttest"
	"github.com/studybot/studybot/bot"
)

func (unlimited) Forget(context.Context, ...string) error { return nil }

// TestForgetLeavesNothingOfTheLearnerInTheFile: after /roadmap forget, no key or value of the
// file names the learner in that community; another learner there, and the same learner in
// another community, keep everything.
func TestForgetLeavesNothingOfTheLearnerInTheFile(t *testing.T) {
	clock := bot.NewManualClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	core, db := bolttest.Core(t, bot.Config{Clock: clock, Cooldowns: unlimited{}})
	const gone, stays = "480151623420", "271828182845"
	here := bot.Community{Platform: bot.PlatformDiscord, ID: "100"}
	there := bot.Community{Platform: bot.PlatformDiscord, ID: "200"}
	run := func(c bot.Community, user, text string) bot.Response {
		t.Helper()
		resp := core.Handle(context.Background(), bot.Request{Community: c, Channel: "c1", UserID: user, UserName: "name-" + user,
			Admin: true, CommunityAdmin: true, Text: text})
		if resp.Outcome != bot.OutcomeOK {
			t.Fatalf("%s in %s: %q: %s", user, c.Key(), text, resp.Text)
		}
		return resp
	}
	studyAll := func(c bot.Community, user string) {
		run(c, user, "timezone Europe/Berlin")
		run(c, user, "done caching")
		quiz := run(c, user, "quiz caching")
		for _, b := range quiz.Buttons {
			if strings.HasPrefix(b.Command, "answer ") {
				run(c, user, b.Command)
				break
			}
		}
		run(c, user, "note caching headers first")
		run(c, user, "remind 20:00")
	}
	studyAll(here, gone)
	run(here, gone, "nudge set 09:00")
	studyAll(there, gone)
	studyAll(here, stays)
	// A reminder taken for delivery and put back moves its due entry: the forget must find
	// it where it is now.
	clock.Set(time.Date(2026, 12, 1, 19, 30, 0, 0, time.UTC))
	if _, err := db.TakeDue(context.Background(), clock.Now(), 100, func(_ bot.ScheduleKey, s *bot.Schedule) error {
		s.Next = s.Next.Add(24 * time.Hour)
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	ask := run(here, gone, "forget")
	run(here, gone, ask.Buttons[0].Command)

	for _, m := range bolttest.Holding(t, db, gone) {
		if !strings.Contains(m, there.Key()) {
			t.Errorf("after forget, the file still names the learner in %s", m)
		}
	}
	if n := len(bolttest.Holding(t, db, gone)); n < 4 {
		t.Errorf("the learner's data in %s: %d mentions, want their record, index entry, note, reminder and its due entry", there.Key(), n)
	}
	if board := run(here, stays, "leaderboard"); strings.Contains(board.Text, "name-"+gone) || !strings.Contains(board.Text, "name-"+stays) {
		t.Errorf("leaderboard of %s after forget:\n%s", here.Key(), board.Text)
	}
	if board := run(there, gone, "leaderboard"); !strings.Contains(board.Text, "name-"+gone) {
		t.Errorf("leaderboard of %s lost the learner who was forgotten elsewhere:\n%s", there.Key(), board.Text)
	}
	for _, who := range []struct {
		c    bot.Community
		user string
	}{{here, stays}, {there, gone}} {
		doc, err := core.Export(context.Background(), who.c, who.user, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(doc.Progress) != 1 || len(doc.Notes) != 1 || doc.Reminder == nil || doc.Streak.Current != 1 || len(doc.ReviewCards) != 1 ||
			doc.TimeZone != "Europe/Berlin" {
			t.Errorf("%s in %s after another was forgotten: %+v", who.user, who.c.Key(), doc)
		}
	}
	if nudge, err := db.Schedule(context.Background(), bot.NudgeKey(bot.Channel{Community: here, ID: "c1"})); err != nil || !nudge.Active() {
		t.Errorf("the daily post the learner set up: %+v, %v; want it running", nudge, err)
	}
}
