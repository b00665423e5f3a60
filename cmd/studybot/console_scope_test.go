package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/console"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// TestTheConsoleOnAProductionFileTouchesOnlyConsoleSchedules: `:advance 40d` in a console
// on the file a Discord bot uses fires the console's own daily lesson, and leaves the
// Discord channel's schedule exactly as it was (not weeks ahead, nothing sent for it).
func TestTheConsoleOnAProductionFileTouchesOnlyConsoleSchedules(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "studybot.db")
	cfg, problems := loadConfig(envOf(map[string]string{"STUDYBOT_DB": db}))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	clock := bot.NewManualClock(time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	discordChannel := bot.Channel{Community: bot.Community{Platform: bot.PlatformDiscord, ID: "1234"}, ID: "5678"}

	// The production bot set a daily lesson in a Discord channel.
	c, err := openCore(cfg, clock, bot.NewLocalCooldowns(clock), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newScheduler(c, c.store); err != nil {
		t.Fatal(err)
	}
	r := c.bot.Handle(context.Background(), bot.Request{Community: bot.Community{Platform: bot.PlatformDiscord, ID: "1234"}, Channel: "5678",
		UserID: "9", UserName: "admin", Admin: true, CommunityAdmin: true, Text: "/roadmap nudge set 09:00 Europe/Berlin"})
	if r.Outcome != bot.OutcomeOK {
		t.Fatalf("discord nudge set: %+v", r)
	}
	before, err := c.store.Schedule(context.Background(), bot.NudgeKey(discordChannel))
	if err != nil || before.Next.IsZero() {
		t.Fatalf("the discord schedule: %+v %v", before, err)
	}
	c.Close()

	// Someone opens the console on the same file and jumps ahead a long way.
	c, err = openCore(cfg, clock, bot.NewLocalCooldowns(clock), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out := &bottest.Buffer{}
	con, err := newConsole(c, clock, out, console.Options{})
	if err != nil {
		t.Fatal(err)
	}
	con.Line(context.Background(), "/roadmap nudge set 09:00 Europe/Berlin")
	con.Line(context.Background(), ":advance 40d") // the 400d moved it a year; 40d shows it as well

	after, err := c.store.Schedule(context.Background(), bot.NudgeKey(discordChannel))
	if err != nil {
		t.Fatal(err)
	}
	if !after.Next.Equal(before.Next) || after.Last != before.Last || after.Day != before.Day {
		t.Errorf("the console moved the Discord schedule: next %s → %s, last %s → %s, day %d → %d",
			before.Next, after.Next, before.Last, after.Last, before.Day, after.Day)
	}
	if !strings.Contains(out.String(), "📣 post in #general") {
		t.Errorf("the console's own daily lesson did not fire:\n%.2000s", out.String())
	}
}

func TestTheConsoleRefusesAnEmptyName(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "s.db")
	for _, args := range [][]string{
		{"console", "--community", ""},
		{"console", "--community="},
		{"console", "--community", "  "},
		{"console", "--user", ""},
	} {
		code, stdout, stderr := run(t, map[string]string{"STUDYBOT_DB": db}, "/roadmap checkin\n", args...)
		if code != exitConfig || !strings.Contains(stderr, "needs a name") || !strings.Contains(stderr, "usage: studybot console") {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		}
		if strings.Contains(stdout, "checked in") {
			t.Errorf("%q: the session ran anyway", args)
		}
	}
}

// TestAnUnusableRoadmapIsRefusedPromptly: STUDYBOT_ROADMAP must be a regular file, or a
// directory of them, of 8 MiB at most in all. A device that never ends, a FIFO nobody
// writes to and an oversized file are each refused at once with exit 2 and a line naming
// the variable; none is read into memory, and the FIFO does not hold startup.
func TestAnUnusableRoadmapIsRefusedPromptly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "roadmap.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("name: Big\n"+strings.Repeat("# padding\n", 900_000)), 0o600); err != nil {
		t.Fatal(err)
	}
	bigDir := filepath.Join(dir, "many")
	os.Mkdir(bigDir, 0o700)
	for i := range 3 {
		os.WriteFile(filepath.Join(bigDir, string(rune('a'+i))+".yaml"), []byte(strings.Repeat("# padding\n", 300_000)), 0o600)
	}
	tests := []struct{ path, want string }{
		{"/dev/zero", "not a regular file"},
		{fifo, "not a regular file"},
		{big, "more than the 8388608"},
		{bigDir, "8388608"},
	}
	for _, tt := range tests {
		began := time.Now()
		code, _, stderr := run(t, map[string]string{"STUDYBOT_DB": filepath.Join(dir, "s.db"), "STUDYBOT_ROADMAP": tt.path}, "", "console")
		if code != exitConfig || !strings.Contains(stderr, "STUDYBOT_ROADMAP: "+tt.path) || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 saying %q", tt.path, code, stderr, tt.want)
		}
		if took := time.Since(began); took > 5*time.Second {
			t.Errorf("%s: refused after %s", tt.path, took)
		}
	}
}
