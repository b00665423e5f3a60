package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// weekOfStudy sets a 09:00 UTC daily lesson in #general on Monday 2026-11-23 and has a week
// of study happen before the next Monday: ada checks in every day (a 7-day streak on
// Sunday), bob marks two lessons done and answers question 3 of Internet basics wrong in
// #general, as carol does; dan answers a question of Caching wrong in #general once, and
// another one wrong in a DM, which counts for no channel.
func weekOfStudy(t *testing.T) *rig {
	t.Helper()
	r := newRig(t, utc("2026-11-23T08:00:00Z"))
	r.ok("ada", "general", "nudge set 09:00 UTC")
	for day := range 7 {
		at := utc("2026-11-23T12:00:00Z").Add(time.Duration(day) * 24 * time.Hour)
		r.runTo(r.clock.Now(), at)
		r.ok("ada", "general", "checkin")
		switch day {
		case 1:
			r.ok("bob", "general", "done internet-basics")
			r.ok("bob", "general", "done caching")
			r.ok("bob", "general", "answer internet-basics-3/0 b")
			r.ok("dan", "general", "answer caching-2/0 c")
			r.ok("dan", "dm-dan", "answer api-security-1/0 c")
			r.ok("dan", "dm-dan", "answer api-security-1/0 b") // same day: only the first counts
		case 2:
			r.ok("carol", "general", "answer internet-basics-3/0 d")
			r.ok("carol", "general", "answer internet-basics-3/0 c")
		}
	}
	return r
}

func TestWeeklyRecapComesOnMondayAtTheLessonTimeOnce(t *testing.T) {
	r := weekOfStudy(t)
	r.runTo(r.clock.Now(), utc("2026-11-30T08:59:00Z"))
	if got := recaps(r.poster.To("general")); len(got) != 0 {
		t.Fatalf("a recap before Monday 09:00: %v", titles(got))
	}
	r.runTo(r.clock.Now(), utc("2026-11-30T09:00:00Z"))
	got := recaps(r.poster.To("general"))
	if len(got) != 1 {
		t.Fatalf("recaps on Monday 09:00: %v", titles(r.poster.To("general")))
	}
	rec := got[0]
	if rec.Kind != "post" {
		t.Errorf("the recap went out as a %s, want a channel post", rec.Kind)
	}
	if rec.At != utc("2026-11-30T09:00:00Z") || rec.Resp.Ephemeral || rec.Resp.Markdown {
		t.Errorf("recap at %s, ephemeral %v, markdown %v: want 09:00, public, plain text", rec.At, rec.Resp.Ephemeral, rec.Resp.Markdown)
	}
	mustContain(t, rec.Resp, "Weekly recap · Mon 23 Nov to Sun 29 Nov",
		"4 learners studied last week, on 10 days in all, and marked 2 lessons done.",
		"1. ada — 7 days",
		"Milestones reached", "ada (7 days)",
		"Where this channel is: The whole path is behind this channel", // 7 posts of a 6-lesson roadmap
		"Missed most often (2 wrong answers)", "Question 3 about Internet basics?", "Answer: Right", "Because.")
	if strings.Contains(everything(rec.Resp), "api-security") || strings.Contains(everything(rec.Resp), "Question 1 about API security") {
		t.Error("a wrong answer in a DM counted for the channel")
	}
	if strings.Contains(everything(rec.Resp), "2. ") {
		t.Error("a lapsed streak in the top streaks")
	}
	// The rest of the week passes: no second recap, and the lessons go on daily.
	r.runTo(r.clock.Now(), utc("2026-12-06T23:00:00Z"))
	if got := recaps(r.poster.To("general")); len(got) != 1 {
		t.Errorf("recaps in the week: %v", times(got))
	}
	if got := daily(r.poster.To("general")); len(got) != 14 {
		t.Errorf("daily posts in two weeks: %d, want 14", len(got))
	}
}

func TestWeeklyRecapIsNotSentTwiceAcrossARestart(t *testing.T) {
	r := weekOfStudy(t)
	r.runTo(r.clock.Now(), utc("2026-11-30T09:00:00Z"))
	r.restart()
	r.startAt(utc("2026-11-30T09:30:00Z"))
	r.runTo(r.clock.Now(), utc("2026-11-30T14:00:00Z"))
	if got := recaps(r.poster.To("general")); len(got) != 1 {
		t.Errorf("recaps after a restart on Monday: %v", times(got))
	}
}

func TestWeeklyRecapKilledMidDeliveryGoesOutOnceAfterTheRestart(t *testing.T) {
	r := weekOfStudy(t)
	r.runTo(r.clock.Now(), utc("2026-11-30T08:59:00Z"))
	// The process dies while the recap is on its way: the platform never got it, and the
	// record keeps the post in flight.
	ctx, cancel := context.WithCancel(context.Background())
	r.poster.Hook = func(target string) { cancel() }
	r.clock.Set(utc("2026-11-30T09:00:00Z"))
	_ = r.sched.RunDue(ctx, utc("2026-11-30T08:59:00Z"), utc("2026-11-30T09:00:00Z"))
	r.poster.Hook = nil
	before := len(recaps(r.poster.To("general")))
	r.restart()
	r.startAt(utc("2026-11-30T10:00:00Z"))
	r.runTo(r.clock.Now(), utc("2026-12-01T12:00:00Z"))
	if got := recaps(r.poster.To("general")); len(got) != 1 || before > 1 {
		t.Errorf("recaps: %v (before the restart %d), want exactly one", times(got), before)
	}
}

func TestMissedWeeklyRecapCatchesUpWithinSixHours(t *testing.T) {
	t.Run("5h30 late: sent on start", func(t *testing.T) {
		r := weekOfStudy(t)
		r.startAt(utc("2026-11-30T14:30:00Z")) // down since Sunday noon
		got := recaps(r.poster.To("general"))
		if len(got) != 1 || got[0].At != utc("2026-11-30T14:30:00Z") {
			t.Fatalf("recaps: %v, want one at start", times(got))
		}
		mustContain(t, got[0].Resp, "Mon 23 Nov to Sun 29 Nov", "4 learners studied")
	})
	t.Run("6h30 late: skipped, the next Monday's comes", func(t *testing.T) {
		r := weekOfStudy(t)
		r.startAt(utc("2026-11-30T15:30:00Z"))
		if got := recaps(r.poster.To("general")); len(got) != 0 {
			t.Fatalf("a recap 6h30 late went out: %v", times(got))
		}
		r.runTo(r.clock.Now(), utc("2026-12-07T08:00:00Z"))
		r.tickUntil(utc("2026-12-07T12:00:00Z"))
		got := recaps(r.poster.To("general"))
		if len(got) != 1 || got[0].At != utc("2026-12-07T09:00:00Z") {
			t.Fatalf("recaps: %v, want one on Monday 7 Dec 09:00", times(got))
		}
		mustContain(t, got[0].Resp, "Mon 30 Nov to Sun 6 Dec", "Nobody studied last week")
	})
}

func TestWeeklyRecapOffAndOn(t *testing.T) {
	r := weekOfStudy(t)
	off := r.ok("ada", "general", "nudge recap off")
	mustContain(t, off, "Weekly recap off", "daily lesson goes on")
	mustContain(t, r.ok("ada", "general", "nudge status"), "Weekly recap", "off")
	r.runTo(r.clock.Now(), utc("2026-11-30T12:00:00Z"))
	if got := recaps(r.poster.To("general")); len(got) != 0 {
		t.Fatalf("recap sent while off: %v", times(got))
	}
	if len(daily(r.poster.To("general"))) != 8 {
		t.Errorf("daily posts: %v", titles(r.poster.To("general")))
	}
	// nudge off and set again do not turn on a recap an admin turned off.
	r.ok("ada", "general", "nudge off")
	r.ok("ada", "general", "nudge set 10:00 UTC")
	mustContain(t, r.ok("ada", "general", "nudge status"), "off. An admin can turn it on")
	mustContain(t, r.ok("ada", "general", "nudge recap on"), "Weekly recap on", "Mondays at 10:00 (UTC)", "Mon 7 Dec 10:00")
	r.runTo(r.clock.Now(), utc("2026-12-07T09:00:00Z"))
	r.tickUntil(utc("2026-12-07T12:00:00Z"))
	got := recaps(r.poster.To("general"))
	if len(got) != 1 || got[0].At != utc("2026-12-07T10:00:00Z") {
		t.Fatalf("recaps: %v, want one at the new time on Monday 7 Dec", times(got))
	}
	// Without a daily lesson there is no recap.
	r.ok("ada", "general", "nudge off")
	mustContain(t, r.ok("ada", "general", "nudge status"), "Weekly recap")
	r.runTo(r.clock.Now(), utc("2026-12-15T12:00:00Z"))
	if got := recaps(r.poster.To("general")); len(got) != 1 {
		t.Errorf("recaps after nudge off: %v", times(got))
	}
	if resp := r.as("ada", "general", "nudge recap maybe"); resp.Outcome == bot.OutcomeOK {
		t.Errorf("nudge recap maybe: %s", resp.Text)
	}
}

func TestWeeklyRecapFollowsTheLocalWallClockAcrossDST(t *testing.T) {
	tests := []struct{ name, from, want string }{
		{"Berlin, the week of spring forward", "2026-03-25T12:00:00Z", "2026-03-30T07:00:00Z"},
		{"Berlin, the week of fall back", "2026-10-21T12:00:00Z", "2026-10-26T08:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, utc(tt.from))
			r.ok("ada", "general", "nudge set 09:00 Europe/Berlin")
			r.tickUntil(utc(tt.want).Add(7*24*time.Hour + time.Hour))
			got := recaps(r.poster.To("general"))
			want := []string{utc(tt.want).Format(time.RFC3339), utc(tt.want).Add(7 * 24 * time.Hour).Format(time.RFC3339)}
			if !slices.Equal(times(got), want) {
				t.Errorf("recaps at %v, want %v (09:00 Berlin on Mondays)", times(got), want)
			}
		})
	}
}

func TestMondayReminderCarriesTheLearnersWeek(t *testing.T) {
	r := newRig(t, utc("2026-11-23T08:00:00Z"))
	r.ok("bob", "dm-bob", "remind 20:00")
	r.runTo(r.clock.Now(), utc("2026-11-24T12:00:00Z"))
	r.ok("bob", "dm-bob", "done internet-basics")
	r.ok("bob", "dm-bob", "answer internet-basics-1/0 a")
	r.runTo(r.clock.Now(), utc("2026-11-25T12:00:00Z"))
	r.ok("bob", "dm-bob", "checkin")
	r.tickUntil(utc("2026-11-30T21:00:00Z"))
	dms := r.poster.To("bob")
	var monday []bottest.Sent
	for _, d := range dms {
		if d.At.Weekday() == time.Monday && d.At.After(utc("2026-11-24T00:00:00Z")) {
			monday = append(monday, d)
		}
	}
	if len(monday) != 1 || monday[0].At != utc("2026-11-30T20:00:00Z") {
		t.Fatalf("Monday messages: %v (all: %v)", times(monday), times(dms))
	}
	mustContain(t, monday[0].Resp, "Your last week", "You studied on 2 days of 7, marked 1 lesson done, answered 1 quiz or review question.",
		"Next up: Caching", "🔁 1 review due: /roadmap review", "[Review=review]", "a quiz or review answer")
	// Next Monday, having studied already that day: the week comes all the same, once.
	r.tickUntil(utc("2026-12-07T08:00:00Z"))
	r.ok("bob", "dm-bob", "checkin")
	r.tickUntil(utc("2026-12-08T08:00:00Z"))
	var week []bottest.Sent
	for _, d := range r.poster.To("bob") {
		if d.At.After(utc("2026-12-07T00:00:00Z")) {
			week = append(week, d)
		}
	}
	if len(week) != 1 {
		t.Fatalf("messages on and after Monday 7 Dec: %v", titles(week))
	}
	mustContain(t, week[0].Resp, "Your week in review", "streak is safe", "You did not study last week.")
	if strings.Contains(everything(week[0].Resp), "Check in") {
		t.Error("a learner who studied today was asked to check in")
	}
}

func TestReminderCountsSeededReviewsOfAnUnmigratedRecord(t *testing.T) {
	r := newRig(t, utc("2026-11-23T08:00:00Z"))
	r.ok("old", "dm-old", "remind 20:00")
	// A record as a release before review cards wrote it: history, no cards.
	err := r.store.UpdateLearner(context.Background(), community, "old", func(l *bot.Learner) error {
		l.Version, l.Cards = 2, bot.Cards{}
		l.Questions.Set("caching-1", bot.QuestionRecord{Shown: 1, Right: 1, Answered: bot.DayOf(utc("2026-11-10T12:00:00Z"), time.UTC), LastGood: true})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r.runTo(r.clock.Now(), utc("2026-11-24T21:00:00Z"))
	got := r.poster.To("old")
	if len(got) == 0 {
		t.Fatal("no reminder")
	}
	mustContain(t, got[len(got)-1].Resp, "1 review due")
}

func TestChannelReviewAfterThePathAsksItsWeakestSpotFirst(t *testing.T) {
	r := newRig(t, utc("2026-11-24T08:00:00Z"))
	r.ok("ada", "general", "nudge set 09:00 UTC")
	r.runTo(r.clock.Now(), utc("2026-11-24T12:00:00Z"))
	// Two learners get question 3 of Internet basics wrong in the channel, one gets a
	// question of the last lesson wrong (too recent to come back yet), and one answers
	// question 2 of Caching wrong elsewhere.
	r.ok("bob", "general", "answer internet-basics-3/0 b")
	r.ok("carol", "general", "answer internet-basics-3/0 b")
	r.ok("dan", "general", "answer testing-2/0 b")
	r.ok("dan", "elsewhere", "answer caching-2/0 b")
	r.runTo(r.clock.Now(), utc("2026-12-03T12:00:00Z"))
	got := titles(daily(r.poster.To("general")))
	want := []string{
		"📅 Day 7 · Review: Internet basics", // rotation: the weak spot's lesson is 6 posts old
		"📅 Day 8 · Review: Internet basics", // 7 posts old now: the weak spot
		"📅 Day 9 · Review: API security",    // rotation goes on
		"📅 Day 10 · Review: APIs",
	}
	if len(got) < 10 || !slices.Equal(got[6:10], want) {
		t.Fatalf("posts:\n%s\nwant from Day 7:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	posts := daily(r.poster.To("general"))
	mustContain(t, posts[7].Resp, "Question 3 about Internet basics?", "answered wrong here more than any other")
	if strings.Contains(everything(posts[6].Resp), "answered wrong here") {
		t.Error("the rotation's question was presented as a weak spot")
	}
}

func TestPulseTextRoundTrips(t *testing.T) {
	for _, p := range []bot.Pulse{
		{},
		{V: 1, Name: "Ada Lovelace | the first", Streak: 7, Last: 20781, Days: "3.*0", Done: 20, Week: 20780, Lessons: 2,
			PrevLessons: 1, Milestone: 7, MilestoneOn: 20781},
		{V: 1, Name: "", Days: ""},
	} {
		b, err := p.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var got bot.Pulse
		if err := got.UnmarshalText(b); err != nil || got != p {
			t.Errorf("%q read back as %+v, %v; want %+v", b, got, err, p)
		}
	}
	var p bot.Pulse
	if err := p.UnmarshalText([]byte("1 2 3")); err == nil {
		t.Error("a short pulse was read")
	}
}
