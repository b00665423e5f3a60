package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

// The rules of issue 17 ("Hardening: rules that could be bent"), each as a learner meets it.

func TestHoppingZonesNeverEarnsADay(t *testing.T) {
	type step struct {
		advance time.Duration // before the command
		text    string
		want    string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"east across the date line in the same minute", []step{
			{0, "checkin", "ana checked in: a 1-day streak"},
			{0, "timezone Pacific/Kiritimati", "Your day now follows Pacific/Kiritimati"}, // Wednesday 02:00 there
			{0, "checkin", "Today is already counted: your streak is 1 day. Your zone shows a new date already"},
			{0, "checkin", "check in again from Wed 25 Nov 14:00"}, // midnight UTC, where Tuesday was counted
			{0, "streak", "Current: 1 day (today counted ✅)"},
			{0, "streak", "in 12h 00m (14:00 Pacific/Kiritimati, when the day you last counted ends in the zone you counted it in)"},
		}},
		{"east, then the day counted ends where it was counted", []step{
			{0, "checkin", "a 1-day streak"},
			{0, "timezone Pacific/Kiritimati", "Pacific/Kiritimati"},
			{12*time.Hour - time.Minute, "checkin", "already counted"},
			{time.Minute, "checkin", "ana checked in: a 2-day streak"}, // Wednesday 14:00 in Kiritimati
			// Wednesday was counted in Kiritimati: back in UTC it is Wednesday until it ends there.
			{0, "timezone UTC", "Your day now follows UTC"},
			{0, "checkin", "already counted: your streak is 2 days"},
			{24 * time.Hour, "checkin", "a 3-day streak"},
		}},
		{"west and back east", []step{
			{0, "timezone Pacific/Kiritimati", "Pacific/Kiritimati"},
			{0, "checkin", "a 1-day streak"}, // Wednesday there
			{0, "timezone Pacific/Pago_Pago", "Pacific/Pago_Pago"},
			{0, "checkin", "already counted"}, // Tuesday 01:00 there: counted already
			{0, "timezone Pacific/Kiritimati", "Pacific/Kiritimati"},
			{0, "checkin", "already counted"},
			{22 * time.Hour, "checkin", "a 2-day streak"}, // Thursday in Kiritimati, Wednesday over
		}},
		{"a traveller keeps a daily streak", []step{
			{0, "checkin", "a 1-day streak"},
			{24 * time.Hour, "timezone Asia/Tokyo", "Asia/Tokyo"},
			{0, "checkin", "a 2-day streak"},
			{24 * time.Hour, "timezone America/Los_Angeles", "America/Los_Angeles"},
			{0, "checkin", "a 3-day streak"}, // Thursday 04:00 in Los Angeles, Thursday over in Tokyo
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			before := ""
			for _, s := range tt.steps {
				h.clock.Advance(s.advance)
				mustContain(t, h.sayOK("ana", s.text), s.want)
				if strings.HasPrefix(s.text, "timezone") && before != "" {
					after := h.record("ana")
					if streakJSON(after) != streakJSON(before) {
						t.Errorf("%s rewrote the streak:\n%s\n%s", s.text, streakJSON(before), streakJSON(after))
					}
				}
				before = h.record("ana")
			}
		})
	}
}

// streakJSON is the stored streak of a learner record.
func streakJSON(record string) string {
	_, after, _ := strings.Cut(record, `"streak":`)
	streak, _, _ := strings.Cut(after, "}")
	return streak
}

func TestStreakShowsTheFreezesHeldAndWhatStudyingTodaySpends(t *testing.T) {
	tests := []struct {
		name string
		days int           // consecutive days checked in
		gap  time.Duration // from the last check-in to the streak command
		want string
	}{
		{"none held", 3, 24 * time.Hour, "Freezes held: 0 of 2\n"},
		{"one held, nothing missed", 7, 24 * time.Hour, "Freezes held: 1 of 2\n"},
		{"one held, one day missed", 7, 48 * time.Hour, "Freezes held: 1 of 2: studying today spends it on the missed day\n"},
		{"two held, nothing missed", 14, 24 * time.Hour, "Freezes held: 2 of 2\n"},
		{"two held, one day missed", 14, 48 * time.Hour, "Freezes held: 2 of 2: studying today spends 1 on the missed day and keeps 1\n"},
		{"two held, two days missed", 14, 72 * time.Hour, "Freezes held: 2 of 2: studying today spends both on the 2 missed days\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.sayOK("ana", "checkin")
			for range tt.days - 1 {
				h.clock.Advance(24 * time.Hour)
				h.sayOK("ana", "checkin")
			}
			h.clock.Advance(tt.gap)
			mustContain(t, h.sayOK("ana", "streak"), tt.want, "today pending")
		})
	}
	t.Run("what was said is what a check-in spends", func(t *testing.T) {
		h := newHarness(t)
		for range 14 {
			h.sayOK("ana", "checkin")
			h.clock.Advance(24 * time.Hour)
		}
		h.clock.Advance(48 * time.Hour)
		mustContain(t, h.sayOK("ana", "checkin"), "2 freezes covered the missed 2 days", "a 15-day streak")
		mustContain(t, h.sayOK("ana", "streak"), "Freezes held: 0 of 2\n", "Current: 15 days (today counted ✅)")
	})
}

func TestLeaderboardTiesShareARank(t *testing.T) {
	h := newHarness(t)
	as := func(user, name string) bot.Request {
		req := h.request(user, "checkin")
		req.UserName = name
		return req
	}
	checkin := func(reqs ...bot.Request) {
		for _, req := range reqs {
			if r := h.bot.Handle(context.Background(), req); r.Outcome != bot.OutcomeOK {
				t.Fatalf("%s: %s", req.UserID, r.Text)
			}
		}
	}
	bo, al, amy, zed, cy := as("u1", "bo"), as("u2", "al"), as("u3", "Amy"), as("u4", "zed"), as("u5", "cy")
	// Learners without a display name, whose IDs sort differently as text and as numbers.
	nine, ten := as("9", ""), as("10", "")
	for range 5 {
		checkin(bo) // days 0 to 4: a 5-day streak that lapses on days 5 to 7
		h.clock.Advance(24 * time.Hour)
	}
	h.clock.Advance(2 * 24 * time.Hour) // day 7
	checkin(zed)
	h.clock.Advance(24 * time.Hour) // day 8
	checkin(bo, al, amy, zed, nine, ten)
	h.clock.Advance(24 * time.Hour) // day 9
	checkin(bo, al, amy, zed, cy, nine, ten)
	r := h.sayOK("dee", "leaderboard")
	want := strings.Join([]string{
		"🥇 zed — 3 days (longest 3)",
		"🥈 bo — 2 days (longest 5)", // equal streaks: the longer best streak first
		"🥈 al — 2 days (longest 2)", // then by name, whatever its case
		"🥈 Amy — 2 days (longest 2)",
		"🥈 learner 9 — 2 days (longest 2)", // no name: after the named, by ID as a number
		"🥈 learner 10 — 2 days (longest 2)",
		"7. cy — 1 day (longest 1)", // six learners are ahead
	}, "\n")
	if r.Text != want {
		t.Errorf("leaderboard:\n%s\nwant:\n%s", r.Text, want)
	}
}

func TestLeaderboardSaysWhenEveryStreakHasLapsed(t *testing.T) {
	h := newHarness(t)
	mustContain(t, h.sayOK("dee", "leaderboard"), "Nobody has a streak going yet")
	h.sayOK("ana", "checkin")
	h.sayOK("ben", "checkin")
	h.clock.Advance(24 * time.Hour)
	mustContain(t, h.sayOK("dee", "leaderboard"), "🥇 ana — 1 day", "🥇 ben — 1 day") // pending, not lapsed
	h.clock.Advance(24 * time.Hour)
	r := h.sayOK("dee", "leaderboard")
	mustContain(t, r, "Every streak here has lapsed (2 learners had one). Check in to start a new one")
	if strings.Contains(r.Text, "Nobody") {
		t.Errorf("lapsed streaks reported as none ever: %q", r.Text)
	}
}

func TestDoneOnALessonAlreadyDoneSaysOnlyThat(t *testing.T) {
	h := newHarness(t)
	for range 5 {
		h.sayOK("ana", "skip")
	}
	mustContain(t, h.sayOK("ana", "done testing"), "the roadmap is complete", "Counted as study today.")
	h.clock.Advance(24 * time.Hour) // a new day: a repeated done does not count as study either
	onlyThat := func(text, title string) {
		t.Helper()
		r := h.sayOK("ana", text)
		if want := title + " was already done; nothing changed."; r.Text != want || r.Title != "" || r.Tone == bot.ToneCelebrate {
			t.Errorf("%q again: title %q, tone %v, text %q; want only %q", text, r.Title, r.Tone, r.Text, want)
		}
	}
	onlyThat("done testing", "Testing") // the last lesson: no second celebration
	mustContain(t, h.sayOK("ana", "streak"), "today pending")
	h.sayOK("ana", "done internet-basics") // skipped before: now done
	onlyThat("done internet-basics", "Internet basics")
}

func TestReadCommandsShareOneCooldownBudget(t *testing.T) {
	h := newHarness(t)
	for _, text := range []string{"next", "topics", "topic caching", "progress", "streak"} {
		h.sayOK("ana", text)
	}
	for _, text := range []string{"lesson caching", "leaderboard", "help", "next"} {
		if r := h.say("ana", text); r.Outcome != bot.ECOOLDOWN || r.Text != "Easy there! Try /roadmap "+strings.Fields(text)[0]+" again in 2 seconds." {
			t.Errorf("%q after five other reads: (%s) %q", text, r.Outcome, r.Text)
		}
	}
	// Other classes and other learners have their own budgets.
	for _, text := range []string{"checkin", "quiz caching"} {
		h.sayOK("ana", text)
	}
	h.sayOK("ben", "next")
	h.clock.Advance(2 * time.Second)
	h.sayOK("ana", "lesson caching")
}

func TestAnotherQuestionPressesAreNotRefusedInNormalStudy(t *testing.T) {
	h := newHarness(t)
	// Reading a question and pressing an answer takes a few seconds; "Another question" comes
	// right after the answer.
	q := h.sayOK("ana", "quiz caching")
	for i := range 30 {
		h.clock.Advance(5 * time.Second)
		answer := ""
		for _, b := range q.Buttons {
			if strings.HasPrefix(b.Command, "answer ") {
				answer = b.Command
				break
			}
		}
		a := h.sayOK("ana", answer)
		another := ""
		for _, b := range a.Buttons {
			if b.Label == "Another question" {
				another = b.Command
			}
		}
		if r := h.say("ana", another); r.Outcome != bot.OutcomeOK {
			t.Fatalf("question %d, %q: (%s) %s", i+2, another, r.Outcome, r.Text)
		} else {
			q = r
		}
	}
	// Six quick presses in a row pass too; a script hammering it is slowed down.
	h.clock.Advance(time.Minute)
	for i := range 6 {
		if r := h.say("ana", "quiz caching"); r.Outcome != bot.OutcomeOK {
			t.Fatalf("quick press %d: (%s) %s", i+1, r.Outcome, r.Text)
		}
	}
	if r := h.say("ana", "quiz caching"); r.Text != "Easy there! Try /roadmap quiz again in 5 seconds." {
		t.Errorf("7th quick press: (%s) %q", r.Outcome, r.Text)
	}
}

func TestNudgeStatusSpendsTheReadBudget(t *testing.T) {
	r := newRig(t, utc("2026-11-24T08:00:00Z"))
	for i := range 5 {
		if resp := r.as("ada", "general", "nudge status"); resp.Outcome != bot.OutcomeOK {
			t.Fatalf("nudge status %d: (%s) %s", i+1, resp.Outcome, resp.Text)
		}
	}
	if resp := r.as("ada", "general", "next"); resp.Outcome != bot.ECOOLDOWN {
		t.Errorf("a read after five nudge status: (%s) %s", resp.Outcome, resp.Text)
	}
	if resp := r.as("ada", "general", "nudge status"); resp.Text != "Easy there! Try /roadmap nudge status again in 2 seconds." {
		t.Errorf("a 6th nudge status: (%s) %q", resp.Outcome, resp.Text)
	}
	// Changing the nudge is its own, smaller budget, untouched by the reads.
	for i := range 3 {
		if resp := r.as("ada", "general", "nudge set 09:00 UTC"); resp.Outcome != bot.OutcomeOK {
			t.Fatalf("nudge set %d: (%s) %s", i+1, resp.Outcome, resp.Text)
		}
	}
	if resp := r.as("ada", "general", "nudge off"); resp.Text != "Easy there! Try /roadmap nudge off again in 20 seconds." {
		t.Errorf("a 4th nudge change within a minute: (%s) %q", resp.Outcome, resp.Text)
	}
}

func TestInvisibleFormatCharactersInNamesAreIgnored(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"topic 3\u200b", "API security"},                   // zero-width space after the number topics shows
		{"topic ca\u200bching", "Caching"},                  // zero-width space inside a name
		{"topic \u202ecaching\u202c", "Caching"},            // a right-to-left override around it
		{"topic cach\u00ading", "Caching"},                  // a soft hyphen
		{"lesson \ufeffinternet-basics", "Internet basics"}, // a byte order mark pasted in front
		{"quiz test\u2060ing", "about Testing"},             // a word joiner
		{"\u200bnext", "Internet basics"},                   // before the command word
	}
	h := newHarness(t)
	for _, tt := range tests {
		h.wait()
		r := h.say("ana", tt.text)
		all := everything(r)
		if r.Outcome != bot.OutcomeOK || !strings.Contains(all, tt.want) {
			t.Errorf("%+q: (%s), want %q:\n%s", tt.text, r.Outcome, tt.want, all)
		}
		if strings.Contains(all, "No topic is called") || strings.Contains(all, "No lesson is called") {
			t.Errorf("%+q: an exact name treated as a misspelling:\n%s", tt.text, all)
		}
	}
	r := h.say("ana", "topic \u200b\u200d")
	if r.Outcome != bot.EINVALID || !strings.HasPrefix(r.Text, "Which topic?") {
		t.Errorf("a name of invisible characters only: (%s) %q", r.Outcome, r.Text)
	}
}

func TestAChannelAdminsNudgeNeverSetsTheCommunityZone(t *testing.T) {
	r := newRig(t, utc("2026-11-24T12:00:00Z"))
	channelAdmin := func(text string) bot.Response {
		t.Helper()
		resp := r.bot.Handle(context.Background(), bot.Request{Community: community,
			Channel: "voice-42", UserID: "mod", UserName: "mod", Admin: true, Text: text})
		if resp.Outcome != bot.OutcomeOK {
			t.Fatalf("%q: (%s) %s", text, resp.Outcome, resp.Text)
		}
		return resp
	}
	mustContain(t, r.ok("ana", "general", "remind 19:00"), "19:00 (UTC)")
	resp := channelAdmin("nudge set 09:00 Asia/Tokyo")
	mustContain(t, resp, "every day at 09:00 (Asia/Tokyo)",
		"The community's time zone stays UTC: only a community admin sets it, with /roadmap nudge set HH:MM <zone>.")
	if strings.Contains(resp.Text, "now also this community's time zone") {
		t.Errorf("a channel admin's nudge adopted its zone: %q", resp.Text)
	}
	if s, _ := r.store.Settings(context.Background(), community); s.Zone != "" {
		t.Errorf("community zone %q after a channel admin's nudge, want none", s.Zone)
	}
	mustContain(t, r.ok("ana", "general", "remind"), "19:00 (UTC)") // the learner's reminder did not move
	mustContain(t, channelAdmin("nudge status"), "09:00 Asia/Tokyo")

	// A community admin's nudge without a zone sets the channel's post only, too.
	mustContain(t, r.ok("boss", "general", "nudge set 10:00"), "every day at 10:00 (UTC)")
	if s, _ := r.store.Settings(context.Background(), community); s.Zone != "" {
		t.Errorf("community zone %q after a nudge that named none, want none", s.Zone)
	}
	// Naming the zone is the explicit act: it becomes the community's, reminders follow it.
	mustContain(t, r.ok("boss", "general", "nudge set 10:00 Europe/Berlin"), "Europe/Berlin is now also this community's time zone")
	mustContain(t, r.ok("ana", "general", "remind"), "19:00 (Europe/Berlin)")
}

func TestNoReminderForADayAZoneHopCannotCount(t *testing.T) {
	r := newRig(t, utc("2026-11-24T12:00:00Z"))
	r.ok("ana", "general", "checkin")                     // Tuesday, counted in UTC
	r.ok("ana", "general", "timezone Pacific/Kiritimati") // Wednesday 02:00 there
	mustContain(t, r.ok("ana", "general", "remind 09:00"), "09:00 (Pacific/Kiritimati)")
	// 09:00 Wednesday in Kiritimati is 19:00 Tuesday UTC: a check-in then would be "already
	// counted", so no reminder says otherwise. Thursday's comes.
	r.tickUntil(utc("2026-11-25T20:00:00Z"))
	if got := times(r.poster.To("ana")); len(got) != 1 || got[0] != "2026-11-25T19:00:00Z" {
		t.Errorf("reminders at %v, want only Thursday 09:00 in Kiritimati (2026-11-25T19:00:00Z)", got)
	}
}
