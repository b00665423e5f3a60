package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot/bottest"

	"github.com/studybot/studybot/adapters/console"
	"github.com/studybot/studybot/bot"
)

// TestConsoleAdvancePrintsOneDailyLessonADay is what a new user tries: set a daily lesson,
// jump a day, see Day 1; jump another, see Day 2 with the next topic.
func TestConsoleAdvancePrintsOneDailyLessonADay(t *testing.T) {
	cfg, problems := loadConfig(envOf(map[string]string{"STUDYBOT_DB": filepath.Join(t.TempDir(), "console.db")}))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	// 15:00 in Berlin: today's 09:00 has passed, so the first lesson is tomorrow's.
	clock := bot.NewManualClock(time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC))
	c, err := openCore(cfg, clock, bot.NewLocalCooldowns(clock), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out := &bottest.Buffer{}
	con, err := newConsole(c, clock, out, console.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	say := func(line string) string {
		t.Helper()
		before := len(out.String())
		con.Line(ctx, line)
		return out.String()[before:]
	}
	lessons := c.bot.Roadmap().Lessons()

	set := say("/roadmap nudge set 09:00 Europe/Berlin")
	if !strings.Contains(set, "every day at 09:00 (Europe/Berlin)") || strings.Contains(set, "📣") {
		t.Fatalf("nudge set printed:\n%s", set)
	}
	day1 := say(":advance 24h")
	if n := strings.Count(day1, "📣 post in #general"); n != 1 {
		t.Fatalf("first :advance 24h printed %d posts, want 1:\n%s", n, day1)
	}
	first := lessons[0]
	for _, want := range []string{"Day 1 · " + first.Title, first.Heading(), strings.SplitN(first.Questions[0].Text, "\n", 2)[0],
		"[a: /roadmap answer " + first.Slug + "-1/", "Keep your streak"} {
		if !strings.Contains(day1, want) {
			t.Errorf("Day 1 post lacks %q:\n%s", want, day1)
		}
	}
	day2 := say(":advance 24h")
	if n := strings.Count(day2, "📣 post in #general"); n != 1 || !strings.Contains(day2, "Day 2 · "+lessons[1].Title) {
		t.Fatalf("second :advance 24h printed %d posts, want Day 2 · %s:\n%s", n, lessons[1].Title, day2)
	}
	// The post's buttons are commands the console runs.
	explain := strings.SplitN(lessons[1].Questions[0].Explain, "\n", 2)[0]
	if answer := say("/roadmap answer " + lessons[1].Slug + "-1 a"); !strings.Contains(answer, explain) {
		t.Errorf("answering the lesson's quiz:\n%s", answer)
	}
}

func TestConsoleAdvancePrintsAReminderOnADayNotStudied(t *testing.T) {
	cfg, problems := loadConfig(envOf(map[string]string{"STUDYBOT_DB": filepath.Join(t.TempDir(), "console.db"), "STUDYBOT_TZ": "Europe/Berlin"}))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	clock := bot.NewManualClock(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))
	c, err := openCore(cfg, clock, bot.NewLocalCooldowns(clock), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out := &bottest.Buffer{}
	con, err := newConsole(c, clock, out, console.Options{User: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	con.Line(ctx, "/roadmap checkin")
	con.Line(ctx, "/roadmap remind 19:00")
	before := len(out.String())
	con.Line(ctx, ":advance 24h") // studied today: no reminder tonight
	if got := out.String()[before:]; strings.Contains(got, "✉️") {
		t.Fatalf("a reminder on a day already studied:\n%s", got)
	}
	before = len(out.String())
	con.Line(ctx, ":advance 24h") // tomorrow, not studied
	got := out.String()[before:]
	if strings.Count(got, "✉️  direct message to ana") != 1 || !strings.Contains(got, "1-day streak") || !strings.Contains(got, "5h 00m left") {
		t.Errorf("want one reminder with the streak and the time left:\n%s", got)
	}
}

// TestTheNextConsoleSessionResumesTheClockWhereTheLastOneLeftIt: a learner who jumped ahead
// and checked in must not find that day in the future of the next session.
func TestTheNextConsoleSessionResumesTheClockWhereTheLastOneLeftIt(t *testing.T) {
	vars := map[string]string{"STUDYBOT_DB": filepath.Join(t.TempDir(), "console.db")}
	session := func(input string) string {
		t.Helper()
		var stdout, stderr strings.Builder
		if code := runMain(context.Background(), []string{"console"}, envOf(vars), strings.NewReader(input), &stdout, &stderr); code != exitOK {
			t.Fatalf("console exited %d: %s", code, stderr.String())
		}
		return stdout.String()
	}
	first := session(":advance 72h\n/roadmap checkin\n")
	if !strings.Contains(first, "you checked in: a 1-day streak") {
		t.Fatalf("first session:\n%s", first)
	}
	second := session("/roadmap checkin\n")
	for _, want := range []string{"The console clock resumes where :advance left it", "Today is already counted"} {
		if !strings.Contains(second, want) {
			t.Errorf("second session does not say %q:\n%s", want, second)
		}
	}
}
