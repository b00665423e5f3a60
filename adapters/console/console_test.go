package console_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt/bolttest"
	"github.com/studybot/studybot/bot/bottest"

	"github.com/studybot/studybot/adapters/console"
	"github.com/studybot/studybot/bot"
)

// session runs a console over the real core, a real bbolt file and the embedded roadmap.
type session struct {
	t   *testing.T
	con *console.Console
	out *bytes.Buffer
}

func newSession(t *testing.T) *session {
	t.Helper()
	clock := bot.NewManualClock(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))
	core, _ := bolttest.Core(t, bot.Config{Clock: clock, Cooldowns: bot.NewLocalCooldowns(clock)})
	out := &bytes.Buffer{}
	con, err := console.New(core, clock, out, console.Options{User: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	return &session{t: t, con: con, out: out}
}

// type_ sends one line and returns what the console printed for it.
func (s *session) type_(line string) string {
	s.t.Helper()
	s.out.Reset()
	if quit := s.con.Line(context.Background(), line); quit {
		s.t.Fatalf("%q quit the console", line)
	}
	return s.out.String()
}

func (s *session) expect(line string, parts ...string) string {
	s.t.Helper()
	got := s.type_(line)
	for _, p := range parts {
		if !strings.Contains(got, p) {
			s.t.Errorf("after %q the console does not show %q:\n%s", clip(line), p, got)
		}
	}
	return got
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func TestANewLearnersFirstSession(t *testing.T) {
	s := newSession(t)
	s.expect("/roadmap next", "── Internet basics ──", "lesson 1 of 1 · Internet basics · ~10 min", "Key points:", "Resources:", "https://",
		"[Mark done: /roadmap done internet-basics]", "[Quiz me: /roadmap quiz internet-basics]", "only you can see this")
	s.expect("/roadmap done", "Internet basics is done", "Up next: Programming languages (programming-languages)")
	s.expect("/roadmap next", "lesson 1 of 1 · Programming languages")

	// Marking a topic done was today's study already.
	s.expect("/roadmap checkin", "Today is already counted: your streak is 1 day")
	s.expect(":advance 24h", "The clock moved 24h")
	s.expect("/roadmap checkin", "ana checked in: a 2-day streak")
	s.expect("/roadmap streak", "Current: 2 days (today counted ✅)", "Longest: 2 days")

	// Two missed days and no freeze held (freezes come at day 7): the streak lapses and the
	// next study day starts a new one, keeping the old length as previous.
	s.expect(":advance 72h")
	s.expect("/roadmap streak", "Current: 0 days (your 2-day streak lapsed", "Previous: 2 days")
	// A bare quiz asks about what was studied: the lesson done, not the next one.
	s.expect("/roadmap quiz", "Quiz · Internet basics", "[a: /roadmap answer internet-basics-1/0 a]")
	out := s.expect("/roadmap answer internet-basics-1/0 a", "Streak: 1 day.", "2-day streak had lapsed")
	if !strings.Contains(out, "✅ Right") && !strings.Contains(out, "❌ Not quite") {
		t.Errorf("answer does not say right or wrong:\n%s", out)
	}
	s.expect("/roadmap streak", "Current: 1 day (today counted ✅)", "Previous: 2 days", "Longest: 2 days")

	s.expect(":user ben", "You are now ben")
	s.expect("/roadmap next", "lesson 1 of 1 · Internet basics") // ben has his own progress
	s.expect("/roadmap checkin", "ben checked in: a 1-day streak")
	s.expect("/roadmap leaderboard", "ana — 1 day", "ben — 1 day", "2 learners with a streak going")
	s.expect(":user ana")
	s.expect("/roadmap next", "lesson 1 of 1 · Programming languages")
}

func TestAFreezeKeepsTheStreakOverAMissedDay(t *testing.T) {
	s := newSession(t)
	for range 7 {
		s.type_("/roadmap checkin")
		s.type_(":advance 24h")
	}
	s.expect(":advance 24h") // day 8 missed
	s.expect("/roadmap streak", "Current: 7 days (today pending", "Freezes held: 1 of 2: studying today spends it on the missed day")
	s.expect("/roadmap checkin", "1 freeze covered the missed 1 day", "an 8-day streak")
}

func TestBadInputGetsAShortSpecificAnswer(t *testing.T) {
	s := newSession(t)
	s.type_("/roadmap start caching")
	tests := []struct {
		line, want string
	}{
		{"/roadmap dance", `Unknown command "dance"`},
		{"/roadmap topic kubernetess", "Containers"},
		{"/roadmap topic astrology", `No topic matches "astrology"`},
		{"/roadmap timezone Mars/Base", `Unknown time zone "Mars/Base"`},
		{"/roadmap " + strings.Repeat("x", 10000), "too long"},
		{"", "Type a command such as /roadmap next"},
		{"\x00\x01\xff\xfe\x80", "I could not read that"},
		{":advance forever", "Usage: :advance DURATION"},
		{":advance -24h", "Usage: :advance DURATION"},
		{":user", "Usage: :user NAME"},
		{":user <@everyone>", "Usage: :user NAME"},
		{":frobnicate", `Unknown console control ":frobnicate"`},
	}
	for _, tt := range tests {
		t.Run(clip(tt.line), func(t *testing.T) {
			s.type_(":advance 1m") // stay clear of cooldowns
			got := s.type_(tt.line)
			if !strings.Contains(got, tt.want) {
				t.Errorf("answer:\n%s\nwant it to contain %q", got, tt.want)
			}
			if len(got) > 400 && !strings.Contains(tt.line, "kubernetess") {
				t.Errorf("answer is %d bytes; keep it short", len(got))
			}
		})
	}
	s.expect("/roadmap progress", "0/17 lessons", "Quiz: no answers yet") // nothing changed
}

func TestRunEndsOnEOFAndOnQuit(t *testing.T) {
	for _, input := range []string{"/roadmap help\n", "/roadmap help\n:quit\n/roadmap next\n"} {
		s := newSession(t)
		done := make(chan error, 1)
		go func() { done <- s.con.Run(context.Background(), strings.NewReader(input)) }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v, want a clean end", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not end")
		}
		if strings.Contains(s.out.String(), "lesson 1 of 1") {
			t.Error("a line after :quit was handled")
		}
		if !strings.Contains(s.out.String(), "studybot commands") {
			t.Errorf("help not shown:\n%s", s.out.String())
		}
	}
}

func TestAnOverlongLineIsAnsweredAndTheSessionGoesOn(t *testing.T) {
	s := newSession(t)
	input := strings.Repeat("x", 3<<20) + "\n/roadmap help\n" + strings.Repeat("é", 100<<10) // last line: no newline
	if err := s.con.Run(context.Background(), strings.NewReader(input)); err != nil {
		t.Fatalf("Run = %v, want a clean end", err)
	}
	out := s.out.String()
	if strings.Count(out, "That line is too long") != 2 || !strings.Contains(out, "studybot commands") {
		t.Errorf("want two too-long answers around the help:\n%.600s", out)
	}
}

// TestTimePassingOnItsOwnRefillsCooldownsAndFiresWhatFellDue runs the console on real time
// plus an offset, as `studybot console` does, with "real time" a manual clock the test moves.
func TestTimePassingOnItsOwnRefillsCooldownsAndFiresWhatFellDue(t *testing.T) {
	wall := bot.NewManualClock(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))
	clock := bot.NewOffsetClock(wall, 0)
	core, _ := bolttest.Core(t, bot.Config{Clock: clock, Cooldowns: bot.NewLocalCooldowns(clock)})
	out := &bottest.Buffer{}
	con, err := console.New(core, clock, out, console.Options{User: "ana", Tick: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	spans := make(chan [2]time.Time, 100)
	con.OnAdvance = func(_ context.Context, from, to time.Time) { spans <- [2]time.Time{from, to} }
	ctx := context.Background()
	for range 5 {
		con.Line(ctx, "/roadmap help")
	}
	con.Line(ctx, "/roadmap help")
	if !strings.Contains(out.String(), "Easy there!") {
		t.Fatalf("a sixth help in a row is not refused:\n%s", out.String())
	}
	wall.Advance(10 * time.Second) // the learner waits, as the refusal asked
	before := len(out.String())
	con.Line(ctx, "/roadmap help")
	if got := out.String()[before:]; !strings.Contains(got, "studybot commands") {
		t.Errorf("after waiting, help is still refused:\n%s", got)
	}

	// Run's ticker hands the scheduler each span of time that passed, end to end.
	in, stdin := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- con.Run(ctx, in) }()
	start := clock.Now()
	wall.Advance(time.Hour)
	var covered time.Time
	for deadline := time.After(10 * time.Second); !covered.Equal(start.Add(time.Hour)); {
		select {
		case span := <-spans:
			if !covered.IsZero() && !span[0].Equal(covered) {
				t.Fatalf("span %v–%v does not start where the last ended (%v)", span[0], span[1], covered)
			}
			covered = span[1]
		case <-deadline:
			t.Fatalf("the scheduler caught up only to %v, want %v", covered, start.Add(time.Hour))
		}
	}
	stdin.Close()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestParseAdvance(t *testing.T) {
	for in, want := range map[string]time.Duration{"24h": 24 * time.Hour, "90m": 90 * time.Minute, "3d": 72 * time.Hour, "1h30m": 90 * time.Minute} {
		if got, err := console.ParseAdvance(in); err != nil || got != want {
			t.Errorf("ParseAdvance(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0", "0h", "-1h", "401d", "1y", "d", "999999999999999999d", "213504d"} {
		if _, err := console.ParseAdvance(in); err == nil {
			t.Errorf("ParseAdvance(%q) accepted", in)
		}
	}
}

func TestRenderShowsButtonsAsCommands(t *testing.T) {
	out := console.Render(bot.Response{Title: "T", Text: "body", Buttons: []bot.Button{{Label: "Mark done", Command: "done git"}},
		Links: []bot.Link{{Title: "Git book", URL: "https://git-scm.com/book/en/v2"}}, Ephemeral: true})
	for _, want := range []string{"── T ──", "body", "[Mark done: /roadmap done git]", "• Git book — https://git-scm.com/book/en/v2", "(only you can see this)"} {
		if !strings.Contains(out, want) {
			t.Errorf("render lacks %q:\n%s", want, out)
		}
	}
}

// requests records what the console asks the core.
type requests struct{ got []bot.Request }

func (r *requests) Handle(_ context.Context, req bot.Request) bot.Response {
	r.got = append(r.got, req)
	return bot.Response{Text: "ok"}
}

func TestEveryConsoleUserAdministersTheWholeConsoleCommunity(t *testing.T) {
	rec := &requests{}
	con, err := console.New(rec, bot.NewManualClock(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)), io.Discard,
		console.Options{User: "ana", Community: "study"})
	if err != nil {
		t.Fatal(err)
	}
	con.Line(context.Background(), "/roadmap nudge set 09:00 Europe/Berlin")
	con.Line(context.Background(), ":user bo")
	con.Line(context.Background(), "/roadmap nudge status")
	if len(rec.got) != 2 {
		t.Fatalf("the core got %d requests, want 2", len(rec.got))
	}
	for _, req := range rec.got {
		if !req.Admin || !req.CommunityAdmin {
			t.Errorf("%s's %q: Admin=%v CommunityAdmin=%v, want both", req.UserID, req.Text, req.Admin, req.CommunityAdmin)
		}
	}
}

func TestLessonEmphasisIsDroppedButInlineCodeStaysAsWritten(t *testing.T) {
	md := "- **Security.** The INSERT passes values through `?` placeholders.\n" +
		"- **Server-side logic.** Here it is one `if` on the path; `**kwargs**` stays.\n" +
		"```python\nprint(2 * 3 * 4)\n```"
	out := console.Render(bot.Response{Text: md, Markdown: true})
	for _, want := range []string{"- Security. The INSERT passes values through `?` placeholders.",
		"- Server-side logic. Here it is one `if` on the path; `**kwargs**` stays.", "print(2 * 3 * 4)"} {
		if !strings.Contains(out, want) {
			t.Errorf("console shows\n%s\nwant a line %q", out, want)
		}
	}
}

// fixed answers every line with resp.
type fixed struct{ resp bot.Response }

func (f fixed) Handle(context.Context, bot.Request) bot.Response { return f.resp }

func TestFilesAreWrittenToTheFilesDirectoryAndTheirPathsShown(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "studybot-cards")
	card := []byte("\x89PNG a card")
	// The core names the card streak.png; the console adds whose it is.
	resp := bot.Response{Title: "Your streak", Text: "5 days", Ephemeral: true, Image: "streak.png",
		Files: []bot.File{{Name: "streak.png", Type: "image/png", Data: card}, {Name: "../../escape.json", Data: []byte("{}")}}}
	out := &bytes.Buffer{}
	con, err := console.New(fixed{resp}, bot.NewManualClock(time.Now()), out, console.Options{User: "ana", FilesDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	con.Line(context.Background(), "/roadmap streak")
	got := out.String()
	want := filepath.Join(dir, "streak-ana.png")
	if data, err := os.ReadFile(want); err != nil || !bytes.Equal(data, card) {
		t.Fatalf("the card was not written to %s: %v", want, err)
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("files directory %v (%v), want it created 0700", info.Mode(), err)
	}
	if i, j := strings.Index(got, "5 days"), strings.Index(got, "saved "+want); i < 0 || j < i {
		t.Errorf("the path is not shown under the answer:\n%s", got)
	}
	// A name with path separators stays inside the directory.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("files directory holds %d files, want 2", len(entries))
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(filepath.Dir(dir)), "escape.json")); err == nil {
		t.Error("a file name with ../ escaped the files directory")
	}
}

func TestAModalIsShownAsWhatToType(t *testing.T) {
	out := &bytes.Buffer{}
	con, err := console.New(fixed{bot.Response{Text: "Your note on Caching: none yet.", Ephemeral: true,
		Modal: &bot.Modal{Title: "Note", Label: "Your note", Submit: "note caching-basics"}}},
		bot.NewManualClock(time.Now()), out, console.Options{})
	if err != nil {
		t.Fatal(err)
	}
	con.Line(context.Background(), "/roadmap note caching-basics")
	if got := out.String(); !strings.Contains(got, "Your note on Caching: none yet.") ||
		!strings.Contains(got, "Type: /roadmap note caching-basics <your note>") {
		t.Errorf("the console shows:\n%s", got)
	}
}
