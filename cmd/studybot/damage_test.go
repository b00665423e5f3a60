package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/adapters/bolt/bolttest"
	"github.com/studybot/studybot/bot"
)

var brokenCommunity = bot.Community{Platform: bot.PlatformConsole, ID: "broken"}

// run runs studybot in-process with args and vars and returns its exit code, stdout and
// stderr. It fails the test when studybot has not finished after 10 s.
func run(t *testing.T, vars map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- runMain(context.Background(), args, envOf(vars), strings.NewReader(stdin), &stdout, &stderr)
	}()
	select {
	case code := <-done:
		return code, stdout.String(), stderr.String()
	case <-time.After(10 * time.Second):
		t.Fatalf("studybot %s did not finish in 10 s", strings.Join(args, " "))
		return 0, "", ""
	}
}

// TestADamagedDatabaseIsRefusedAtStartupWithOneLineAndExit3: whatever the damage, every
// subcommand that opens the file refuses it before serving anyone, with one line saying
// what is wrong and how to restore, and the exit code kept for a damaged database.
func TestADamagedDatabaseIsRefusedAtStartupWithOneLineAndExit3(t *testing.T) {
	t.Parallel()
	damages := []struct {
		name   string
		damage func(t *testing.T, path string)
		says   string
	}{
		{"truncate -s 10000", func(t *testing.T, path string) {
			if err := os.Truncate(path, 10000); err != nil {
				t.Fatal(err)
			}
		}, "it was cut short"},
		{"dd if=/dev/urandom over a learner's page", func(t *testing.T, path string) {
			bolttest.DamagePage(t, path, bolttest.LeafOf(t, path, "learner-077"))
		}, "Page expected to be"},
		{"not a database", func(t *testing.T, path string) {
			os.WriteFile(path, bytes.Repeat([]byte("#!/bin/sh\n"), 2000), 0o600)
		}, "neither meta page is valid"},
	}
	subcommands := [][]string{{"run"}, {"console"}, {"backup", "copy.db"}}
	for _, d := range damages {
		for _, args := range subcommands {
			t.Run(d.name+"/"+args[0], func(t *testing.T) {
				dir := t.TempDir()
				db := filepath.Join(dir, "studybot.db")
				bolttest.Fill(t, db, brokenCommunity, 150)
				d.damage(t, db)
				vars := map[string]string{"STUDYBOT_DB": db, "STUDYBOT_BACKUP_DIR": dir,
					"DISCORD_TOKEN": "abc", "DISCORD_API_URL": "http://127.0.0.1:1"}
				if args[0] == "backup" {
					args = []string{"backup", filepath.Join(dir, "copy.db")}
				}
				code, _, stderr := run(t, vars, "/roadmap checkin\n", args...)
				if code != exitDamaged {
					t.Errorf("exit %d, want %d; stderr %q", code, exitDamaged, stderr)
				}
				lines := strings.Split(strings.TrimSpace(stderr), "\n")
				if len(lines) != 1 {
					t.Errorf("stderr has %d lines, want one:\n%s", len(lines), stderr)
				}
				for _, want := range []string{db + " is damaged", d.says, "To restore: stop studybot", "STUDYBOT_BACKUP_DIR=" + dir, "studybot backup", "studybot check"} {
					if !strings.Contains(lines[0], want) {
						t.Errorf("the line lacks %q:\n%s", want, lines[0])
					}
				}
			})
		}
	}
}

// TestACommandOnADamagedPageIsAnsweredAndTheStoreTurnsNotReady: a page damaged while
// studybot runs fails only the commands that reach it, each answered with an apology; other
// learners go on; the damage is counted and /readyz says not ready, naming it.
func TestACommandOnADamagedPageIsAnsweredAndTheStoreTurnsNotReady(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "studybot.db")
	ids := bolttest.Fill(t, db, brokenCommunity, 150)
	cfg, problems := loadConfig(envOf(map[string]string{"STUDYBOT_DB": db}))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	logs := &bytes.Buffer{}
	c, err := openCore(cfg, bot.SystemClock{}, nil, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv := httptest.NewServer(c.mux)
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz before the damage: %d %s", code, body)
	}

	bolttest.DamagePage(t, db, bolttest.LeafOf(t, db, ids[77]))

	ask := func(community, user string) bot.Response {
		return c.bot.Handle(context.Background(), bot.Request{Community: bot.Community{Platform: bot.PlatformConsole, ID: community},
			Channel: "general", UserID: user, UserName: user, Text: "/roadmap checkin"})
	}
	if r := ask("broken", ids[77]); !strings.Contains(r.Text, "Something went wrong on our side") {
		t.Errorf("a check-in on the damaged page was answered %+v", r)
	}
	if r := ask("fine", "ana"); r.Outcome != bot.OutcomeOK {
		t.Errorf("another community's check-in after the damage: %+v", r)
	}
	code, body := get("/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "damaged") {
		t.Errorf("/readyz after the damage: %d %s", code, body)
	}
	if _, metrics := get("/metrics"); !strings.Contains(metrics, `studybot_panics_total{where="store"} 1`) {
		t.Errorf("the damage is not counted:\n%s", grepLines(metrics, "studybot_panics_total"))
	}
	if !strings.Contains(logs.String(), "the database file is damaged") || !strings.Contains(logs.String(), "stack=") {
		t.Errorf("the damage is not logged with its stack:\n%s", logs.String())
	}
}

func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestCheckSaysWhatItFound(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.db")
	bolttest.Fill(t, clean, brokenCommunity, 150)
	damaged := filepath.Join(dir, "damaged.db")
	bolttest.Fill(t, damaged, brokenCommunity, 150)
	bolttest.DamagePage(t, damaged, bolttest.LeafOf(t, damaged, "learner-010"))
	held := filepath.Join(dir, "held.db")
	holder, err := bolt.Open(held, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()

	tests := []struct {
		file       string
		code       int
		out, err   string
		notCreated bool
	}{
		{clean, exitOK, "clean.db: ok; ", "", false},
		{damaged, exitDamaged, "damaged.db: damaged; the consistency check found:\n  ", "", false},
		{held, exitFail, "", "held by a running studybot", false},
		{filepath.Join(dir, "missing.db"), exitConfig, "", "does not exist", true},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			code, stdout, stderr := run(t, nil, "", "check", tt.file)
			if code != tt.code || !strings.Contains(stdout, tt.out) || !strings.Contains(stderr, tt.err) {
				t.Errorf("exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)", code, tt.code, stdout, tt.out, stderr, tt.err)
			}
			if _, err := os.Stat(tt.file); tt.notCreated && err == nil {
				t.Error("check created the file")
			}
		})
	}
	if code, _, stderr := run(t, nil, "", "check"); code != exitConfig || !strings.Contains(stderr, "usage: studybot check FILE") {
		t.Errorf("check without a file: exit %d %q", code, stderr)
	}
}
