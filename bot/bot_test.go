package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// harness is the core over an in-memory store and a clock the test moves.
type harness struct {
	t     *testing.T
	bot   *bot.Bot
	clock *bot.ManualClock
	store *bottest.Store
}

// start is a Tuesday noon in UTC.
var start = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, bot.TestRoadmap(t), func(int) int { return 0 })
}

// newHarnessWith runs the core on roadmap, with intn deciding questions and their orders.
func newHarnessWith(t *testing.T, roadmap *bot.Roadmap, intn func(int) int) *harness {
	t.Helper()
	store := bottest.NewStore()
	clock := bot.NewManualClock(start)
	// newHarness's Intn 0: questions in roadmap order, choices as written.
	b, err := bot.New(bot.Config{Roadmap: roadmap, Store: store, Clock: clock,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Intn: intn})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, bot: b, clock: clock, store: store}
}

func (h *harness) request(user, text string) bot.Request {
	return bot.Request{Community: bot.Community{Platform: bot.PlatformConsole, ID: "study"}, Channel: "general",
		UserID: user, UserName: user, Admin: true, CommunityAdmin: true, Text: text} // as the console: admin of it all
}

func (h *harness) say(user, text string) bot.Response {
	h.t.Helper()
	return h.bot.Handle(context.Background(), h.request(user, text))
}

// sayOK fails the test unless the command succeeded.
func (h *harness) sayOK(user, text string) bot.Response {
	h.t.Helper()
	r := h.say(user, text)
	if r.Outcome != bot.OutcomeOK {
		h.t.Fatalf("%s: %q failed (%s): %s", user, text, r.Outcome, r.Text)
	}
	return r
}

// wait moves past every cooldown without changing the local day in UTC.
func (h *harness) wait() { h.clock.Advance(time.Minute) }

func (h *harness) record(user string) string {
	h.t.Helper()
	l, err := h.store.Learner(context.Background(), bot.Community{Platform: bot.PlatformConsole, ID: "study"}, user)
	if err != nil {
		h.t.Fatal(err)
	}
	data, _ := json.Marshal(l)
	return string(data)
}

func everything(r bot.Response) string {
	var b strings.Builder
	b.WriteString(r.Title + "\n" + r.Text + "\n" + r.Footer + "\n")
	for _, f := range r.Fields {
		b.WriteString(f.Name + ": " + f.Value + "\n")
	}
	for _, btn := range r.Buttons {
		b.WriteString("[" + btn.Label + "=" + btn.Command + "]\n")
	}
	return b.String()
}

func mustContain(t *testing.T, r bot.Response, parts ...string) {
	t.Helper()
	all := everything(r)
	for _, p := range parts {
		if !strings.Contains(all, p) {
			t.Errorf("answer does not mention %q:\n%s", p, all)
		}
	}
}

func TestNextWalksTheRoadmapInOrder(t *testing.T) {
	h := newHarness(t)
	r := h.sayOK("ana", "/roadmap next")
	mustContain(t, r, "Internet basics", "lesson 1 of 1 · Internet basics · ~10 min", "A lesson about Internet basics",
		"**Exercise**", "[Mark done=done internet-basics]", "[Quiz me=quiz internet-basics]")
	if len(r.Links) < 2 || !r.Ephemeral {
		t.Errorf("next: %d links, ephemeral %v; want resources, private", len(r.Links), r.Ephemeral)
	}
	mustContain(t, h.sayOK("ana", "done"), "Internet basics is done", "Up next: Caching (caching)")
	mustContain(t, h.sayOK("ana", "next"), "lesson 1 of 1 · Caching")
	mustContain(t, h.sayOK("ana", "skip"), "Skipped Caching")
	h.wait()
	mustContain(t, h.sayOK("ana", "start testing"), "now learning Testing")
	mustContain(t, h.sayOK("ana", "topics"), "✅  1. Internet basics (internet-basics) — 1/1",
		"⏭️  2. Caching (caching) — 0/1", "📖  6. Testing (testing) — 0/1", "2/6 lessons · 33 %")
	r = h.sayOK("ana", "progress")
	mustContain(t, r, "✅ Internet basics 1/1", "⏭️ Caching 0/1 (+1 skipped)", "📖 Testing 0/1", "Minutes studied: 10 of 60",
		"Next: API security (api-security)")
	h.wait()
	mustContain(t, h.sayOK("ana", "reset caching"), "Caching is back to todo")
	mustContain(t, h.sayOK("ana", "next"), "lesson 1 of 1 · Caching")
}

func TestStartingATopicPutsThePreviousOneBack(t *testing.T) {
	h := newHarness(t)
	h.sayOK("ana", "start caching")
	h.sayOK("ana", "start testing")
	mustContain(t, h.sayOK("ana", "topics"), "▫️  2. Caching (caching)", "📖  6. Testing (testing)")
}

func TestABareDoneOrSkipActsOnTheTopicBeingLearned(t *testing.T) {
	h := newHarness(t)
	r := h.sayOK("ana", "start testing")
	mustContain(t, r, "now learning Testing", "[Mark done=done testing]")
	if strings.Contains(everything(r), "Up next") {
		t.Errorf("starting a topic points elsewhere:\n%s", everything(r))
	}
	mustContain(t, h.sayOK("ana", "done"), "Testing is done")
	mustContain(t, h.sayOK("ana", "next"), "lesson 1 of 1 · Internet basics") // next is still the first one left
	h.sayOK("ana", "start caching")
	mustContain(t, h.sayOK("ana", "skip"), "Skipped Caching")
	mustContain(t, h.sayOK("ana", "done"), "Internet basics is done") // nothing learning: the first one left
}

func TestRepeatingAStateChangeSaysNothingChanged(t *testing.T) {
	h := newHarness(t)
	h.sayOK("ana", "done caching")
	before := h.record("ana")
	mustContain(t, h.sayOK("ana", "done caching"), "already done; nothing changed")
	if after := h.record("ana"); strings.Split(after, `"updated"`)[0] != strings.Split(before, `"updated"`)[0] {
		t.Errorf("record changed:\n%s\n%s", before, after)
	}
}

func TestFinishingTheRoadmap(t *testing.T) {
	h := newHarness(t)
	for range 5 {
		h.sayOK("ana", "skip")
	}
	mustContain(t, h.sayOK("ana", "done"), "Testing is done", "the roadmap is complete")
	mustContain(t, h.sayOK("ana", "next"), "You finished the roadmap!")
	if again := everything(h.sayOK("ana", "done testing")); strings.Contains(again, "complete") {
		t.Errorf("a repeated done celebrates again:\n%s", again)
	}
	r := h.say("ana", "done")
	if r.Outcome != bot.EINVALID || !strings.Contains(r.Text, "no current lesson") {
		t.Errorf("done with nothing left: %s %q", r.Outcome, r.Text)
	}
}

func TestCheckinCountsOncePerDayAndGrowsDaily(t *testing.T) {
	h := newHarness(t)
	r := h.sayOK("ana", "checkin")
	mustContain(t, r, "ana checked in: a 1-day streak")
	if r.Ephemeral {
		t.Error("a counted check-in is shared with the channel")
	}
	h.wait()
	r = h.sayOK("ana", "checkin")
	mustContain(t, r, "already counted")
	if !r.Ephemeral {
		t.Error("'already counted' is private")
	}
	h.clock.Advance(24 * time.Hour)
	mustContain(t, h.sayOK("ana", "checkin"), "a 2-day streak")
	mustContain(t, h.sayOK("ana", "streak"), "Current: 2 days (today counted ✅)", "Longest: 2 days")
	h.clock.Advance(24 * time.Hour)
	mustContain(t, h.sayOK("ana", "streak"), "Current: 2 days (today pending", "in 11h 59m (midnight UTC)")
	h.clock.Advance(24 * time.Hour)
	mustContain(t, h.sayOK("ana", "streak"), "Current: 0 days (your 2-day streak lapsed", "Previous: 2 days")
	mustContain(t, h.sayOK("ana", "checkin"), "2-day streak had lapsed", "a 1-day streak")
}

func TestSevenDaysCelebrateAndAFreezeCoversAGap(t *testing.T) {
	h := newHarness(t)
	var r bot.Response
	for range 7 {
		r = h.sayOK("ana", "checkin")
		h.clock.Advance(24 * time.Hour)
	}
	mustContain(t, r, "7-day streak! Milestone reached.", "earned a streak freeze")
	if r.Tone != bot.ToneCelebrate {
		t.Errorf("milestone tone = %v", r.Tone)
	}
	h.clock.Advance(24 * time.Hour) // day 8 missed
	mustContain(t, h.sayOK("ana", "streak"), "Freezes held: 1 of 2: studying today spends it on the missed day", "today pending")
	mustContain(t, h.sayOK("ana", "checkin"), "1 freeze covered the missed 1 day", "an 8-day streak")
	mustContain(t, h.sayOK("ana", "streak"), "▫️▫️▫️▫️▫️🟩🟩\n🟩🟩🟩🟩🟩🧊🟩")
}

func TestQuizAnswersCountAsStudyRightOrWrong(t *testing.T) {
	h := newHarness(t)
	q := h.sayOK("ana", "quiz caching")
	mustContain(t, q, "Question 1 about Caching?", "a) Right", "[a=answer caching-1/0 a]", "[c=answer caching-1/0 c]")
	mustContain(t, h.sayOK("ana", "quiz caching"), "Question 2 about Caching?")
	mustContain(t, h.sayOK("ana", "answer caching-1/0 b"), "Not quite: you chose b, the answer is a) Right", "Because.", "Streak: 1 day.")
	h.clock.Advance(24 * time.Hour)
	mustContain(t, h.sayOK("ana", "answer caching-2 a"), "✅ Right: a) Right", "Streak: 2 days.")
	mustContain(t, h.sayOK("ana", "progress"), "Quiz: 1 right of 2 answered")
	r := h.say("ana", "answer caching-9 a")
	if r.Outcome != bot.ENOTFOUND || !strings.Contains(r.Text, "no question") {
		t.Errorf("unknown question: %s %q", r.Outcome, r.Text)
	}
	r = h.say("ana", "answer caching-1 e")
	if r.Outcome != bot.EINVALID || !strings.Contains(r.Text, "choices a to d") {
		t.Errorf("choice out of range: %s %q", r.Outcome, r.Text)
	}
}

func TestBadInputGetsAPrivateSpecificAnswerAndChangesNothing(t *testing.T) {
	tests := []struct {
		text, code, mention string
	}{
		{"/roadmap dance", bot.EINVALID, "Unknown command"},
		{"/roadmap topic kubernetess", bot.OutcomeOK, `No topic is called "kubernetess"; showing the closest, Containers`}, // a close misspelling resolves, and says so
		{"/roadmap topic astrology", bot.ENOTFOUND, "No topic matches"},
		{"/roadmap done api", bot.ENOTFOUND, "Did you mean api-security, apis?"},
		{"/roadmap timezone Mars/Base", bot.EINVALID, "Unknown time zone \"Mars/Base\""},
		{"/roadmap timezone Local", bot.EINVALID, "Unknown time zone"},
		{"/roadmap " + strings.Repeat("x", 10000), bot.EINVALID, "too long"},
		{"", bot.EINVALID, "Tell me what to do"},
		{"\x00\xff\xfe junk", bot.EINVALID, "could not read"},
		{"/roadmap answer nope-1 a", bot.ENOTFOUND, "no question"},
	}
	h := newHarness(t)
	h.sayOK("ana", "start caching")
	before := h.record("ana")
	for _, tt := range tests {
		t.Run(tt.mention, func(t *testing.T) {
			h.wait()
			r := h.say("ana", tt.text)
			if r.Outcome != tt.code || !strings.Contains(r.Text+r.Title, tt.mention) {
				t.Errorf("answer (%s) %q, want (%s) mentioning %q", r.Outcome, r.Text, tt.code, tt.mention)
			}
			if !r.Ephemeral {
				t.Error("answer is public")
			}
			if after := h.record("ana"); after != before {
				t.Errorf("record changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestCommunitiesAndLearnersAreIsolated(t *testing.T) {
	h := newHarness(t)
	h.sayOK("ana", "done internet-basics")
	mustContain(t, h.sayOK("ben", "next"), "lesson 1 of 1 · Internet basics")
	other := h.request("ana", "next")
	other.Community.ID = "another-group"
	mustContain(t, h.bot.Handle(context.Background(), other), "lesson 1 of 1 · Internet basics")
	slack := h.request("ana", "next")
	slack.Community.Platform = bot.PlatformSlack
	mustContain(t, h.bot.Handle(context.Background(), slack), "lesson 1 of 1 · Internet basics")
}

func TestLeaderboardRanksCurrentStreaks(t *testing.T) {
	h := newHarness(t)
	h.sayOK("ana", "checkin")
	h.sayOK("ben", "checkin")
	h.clock.Advance(24 * time.Hour)
	h.sayOK("ana", "checkin")
	h.sayOK("cy", "checkin")
	r := h.sayOK("dee", "leaderboard")
	mustContain(t, r, "🥇 ana — 2 days", "🥈 ben — 1 day", "🥈 cy — 1 day (longest 1)", "3 learners with a streak going")
	if r.Ephemeral {
		t.Error("the leaderboard is shared with the channel")
	}
	h.clock.Advance(48 * time.Hour) // everyone lapses
	mustContain(t, h.sayOK("dee", "leaderboard"), "Every streak here has lapsed")
}

func TestTimeZoneDecidesTheDayAndNeverRewritesThePast(t *testing.T) {
	h := newHarness(t)
	h.clock.Set(time.Date(2026, 11, 24, 23, 0, 0, 0, time.UTC))
	h.sayOK("ana", "checkin") // Tuesday in UTC
	mustContain(t, h.sayOK("ana", "timezone asia/tokyo"), "Asia/Tokyo", "Days already counted stay as they were")
	h.wait()
	// Already Wednesday in Tokyo, but Tuesday, counted in UTC, has not ended there yet.
	mustContain(t, h.sayOK("ana", "checkin"), "already counted")
	h.clock.Advance(time.Hour)
	mustContain(t, h.sayOK("ana", "checkin"), "a 2-day streak")

	h.sayOK("ben", "checkin") // Tuesday 23:01 UTC
	h.clock.Advance(2 * time.Hour)
	mustContain(t, h.sayOK("ben", "timezone America/Los_Angeles"), "America/Los_Angeles")
	mustContain(t, h.sayOK("ben", "checkin"), "already counted") // still Tuesday in LA
	mustContain(t, h.sayOK("ben", "timezone"), "America/Los_Angeles (your setting")
}

func TestPlatformProfileZoneIsTheDefault(t *testing.T) {
	h := newHarness(t)
	h.clock.Set(time.Date(2026, 11, 24, 23, 30, 0, 0, time.UTC))
	req := h.request("ana", "checkin")
	req.ProfileZone = "Europe/Berlin" // already Wednesday there
	h.bot.Handle(context.Background(), req)
	req.Text = "streak"
	mustContain(t, h.bot.Handle(context.Background(), req), "midnight Europe/Berlin")
}

func TestTheLastProfileZoneKeepsTheDayWhenNoProfileIsAtHand(t *testing.T) {
	h := newHarness(t)
	la := time.FixedZone("PST", -8*3600)
	h.clock.Set(time.Date(2026, 11, 23, 20, 0, 0, 0, la)) // Monday evening in Los Angeles
	req := h.request("ana", "checkin")
	req.ProfileZone = "America/Los_Angeles"
	if r := h.bot.Handle(context.Background(), req); r.Outcome != bot.OutcomeOK {
		t.Fatal(r.Text)
	}
	// Tuesday 20:00 in LA is Wednesday in UTC: Tuesday is still pending, so the streak stands
	// even where no profile comes with the request (the leaderboard) or the lookup failed.
	h.clock.Set(time.Date(2026, 11, 24, 20, 0, 0, 0, la))
	mustContain(t, h.sayOK("ben", "leaderboard"), "ana — 1 day")
	mustContain(t, h.sayOK("ana", "checkin"), "ana checked in: a 2-day streak")
}

func TestMistypedArgumentsDoNotSpendTheCooldown(t *testing.T) {
	h := newHarness(t)
	typos := []string{"topic astrology", "done astrology", "answer nope-1 a", "answer caching-1 e", "answer caching-1/24 a",
		"timezone Mars/Base", "quiz astrology"}
	for range 10 { // more than any command's burst
		for _, typo := range typos {
			if r := h.say("ana", typo); r.Outcome == bot.OutcomeOK || r.Outcome == bot.ECOOLDOWN {
				t.Fatalf("%q: (%s) %s", typo, r.Outcome, r.Text)
			}
		}
	}
	// Every command's whole burst is still there (each class's budget: waiting between them).
	for text, burst := range map[string]int{"topic caching": 5, "done caching": 10, "answer caching-1 a": 10,
		"timezone UTC": 10, "quiz caching": 6} {
		h.wait()
		for i := range burst {
			if r := h.say("ana", text); r.Outcome != bot.OutcomeOK {
				t.Errorf("%q %d of %d after the typos: (%s) %s", text, i+1, burst, r.Outcome, r.Text)
			}
		}
	}
}

func TestCooldownRefusesABurstAndSaysHowLongToWait(t *testing.T) {
	h := newHarness(t)
	for i := range 5 {
		if r := h.say("ana", "next"); r.Outcome != bot.OutcomeOK {
			t.Fatalf("use %d refused: %s", i+1, r.Text)
		}
	}
	r := h.say("ana", "next")
	if r.Outcome != bot.ECOOLDOWN || r.Text != "Easy there! Try /roadmap next again in 2 seconds." || !r.Ephemeral {
		t.Errorf("6th next: (%s) %q", r.Outcome, r.Text)
	}
	if r := h.say("ana", "topics"); r.Outcome != bot.ECOOLDOWN {
		t.Errorf("another read command has a budget of its own: %s", r.Text)
	}
	if r := h.say("ana", "checkin"); r.Outcome != bot.OutcomeOK {
		t.Errorf("a change shares the reads' cooldown: %s", r.Text)
	}
	if r := h.say("ben", "next"); r.Outcome != bot.OutcomeOK {
		t.Errorf("another learner shares the cooldown: %s", r.Text)
	}
	h.clock.Advance(2 * time.Second)
	if r := h.say("ana", "next"); r.Outcome != bot.OutcomeOK {
		t.Errorf("after waiting as told: %s", r.Text)
	}
}

func TestNonAdminsCannotChangeTheNudge(t *testing.T) {
	h := newHarness(t)
	req := h.request("ana", "nudge set 09:00")
	req.Admin, req.CommunityAdmin = false, false
	req.Community.Platform = bot.PlatformDiscord
	r := h.bot.Handle(context.Background(), req)
	if r.Outcome != bot.EFORBIDDEN || !strings.Contains(r.Text, "Manage Server") || !r.Ephemeral {
		t.Errorf("non-admin nudge: (%s) %q", r.Outcome, r.Text)
	}
}

func TestHelpListsEveryCommandAndTheStreakRule(t *testing.T) {
	h := newHarness(t)
	r := h.sayOK("ana", "help")
	for _, v := range bot.Verbs {
		mustContain(t, r, "/roadmap "+v.Usage())
	}
	mustContain(t, r, "Every 7th day in a row earns a freeze",
		"A new day counts only once the day you last counted has ended in the zone you counted it in",
		"a community admin (Discord: Manage Server; Slack: workspace admin) sets it by naming the zone")
}

func TestUserNameCannotFakeAnotherCommunity(t *testing.T) {
	h := newHarness(t)
	for _, community := range []string{"", "a/b", strings.Repeat("x", 101)} {
		req := h.request("ana", "checkin")
		req.Community.ID = community
		if r := h.bot.Handle(context.Background(), req); r.Outcome != bot.EINTERNAL {
			t.Errorf("community %q: outcome %s", community, r.Outcome)
		}
	}
}

func ExampleBot_Handle() {
	b, _ := bot.New(bot.Config{Roadmap: bot.TestRoadmap(&testing.T{}), Store: bottest.NewStore(), Clock: bot.NewManualClock(start)})
	r := b.Handle(context.Background(), bot.Request{Community: bot.Community{Platform: "console", ID: "demo"}, UserID: "ana", Text: "/roadmap next"})
	fmt.Println(r.Title)
	fmt.Println(strings.SplitN(r.Text, "\n", 2)[0])
	// Output:
	// Internet basics
	// *lesson 1 of 1 · Internet basics · ~10 min*
}

func TestZoneDatabaseFilesAreNotTimeZones(t *testing.T) {
	for _, name := range []string{"Factory", "posixrules", "right/UTC", "posix/Europe/Berlin", "Local", "../../etc/passwd"} {
		if _, err := bot.LoadZone(name); err == nil {
			t.Errorf("LoadZone(%q) accepted", name)
		}
	}
	for typed, want := range map[string]string{"UTC": "UTC", "utc": "UTC", "Etc/UTC": "Etc/UTC",
		"europe/berlin": "Europe/Berlin", "America/Argentina/Buenos_Aires": "America/Argentina/Buenos_Aires",
		"us/pacific": "US/Pacific", "gmt": "GMT", "etc/gmt+5": "Etc/GMT+5", "AMERICA/PORT-AU-PRINCE": "America/Port-au-Prince"} {
		loc, err := bot.LoadZone(typed)
		if err != nil || loc.String() != want {
			t.Errorf("LoadZone(%q) = %v, %v; want %s", typed, loc, err, want)
		}
	}
}
