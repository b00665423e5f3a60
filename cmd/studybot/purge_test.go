package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

func TestRetentionIsAGoDurationCheckedAtStartup(t *testing.T) {
	for _, bad := range []string{"30d", "soon", "-1h"} {
		t.Run(bad, func(t *testing.T) {
			vars := map[string]string{"STUDYBOT_RETENTION": bad, "STUDYBOT_DB": filepath.Join(t.TempDir(), "s.db")}
			var stderr bytes.Buffer
			if code := runMain(context.Background(), []string{"run"}, envOf(vars), strings.NewReader(""), io.Discard, &stderr); code != exitConfig {
				t.Errorf("exit code %d, want %d", code, exitConfig)
			}
			n := 0
			for line := range strings.SplitSeq(stderr.String(), "\n") {
				if strings.Contains(line, "STUDYBOT_RETENTION") {
					n++
				}
			}
			if n != 1 {
				t.Errorf("STUDYBOT_RETENTION=%s: %d lines name it, want one:\n%s", bad, n, stderr.String())
			}
		})
	}
	for value, want := range map[string]time.Duration{"": 720 * time.Hour, "48h": 48 * time.Hour, "0": 0} {
		cfg, problems := loadConfig(envOf(map[string]string{"STUDYBOT_RETENTION": value}))
		if len(problems) > 0 || cfg.Retention != want {
			t.Errorf("STUDYBOT_RETENTION=%q: retention %v, problems %q; want %v", value, cfg.Retention, problems, want)
		}
	}
}

func TestTheDailyPurgeDeletesWhatOutlivedTheRetention(t *testing.T) {
	logs := &bottest.Buffer{}
	clock := bot.NewManualClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	c, err := openCore(testConfig(t, map[string]string{"STUDYBOT_RETENTION": "48h", "DISCORD_TOKEN": "tok-s3cr3t"}), clock, nil,
		slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	left := bot.Community{Platform: bot.PlatformDiscord, ID: "600000000000000001"}
	stays := bot.Community{Platform: bot.PlatformDiscord, ID: "600000000000000002"}
	for _, comm := range []bot.Community{left, stays} {
		c.bot.Handle(ctx, bot.Request{Community: comm, UserID: "u1", UserName: "Ada", Text: "/roadmap checkin"})
	}
	if err := c.bot.CommunityLeft(ctx, left); err != nil {
		t.Fatal(err)
	}
	svc, err := newPurgeJob(c)
	if err != nil {
		t.Fatal(err)
	}
	purge := svc.(purgeJob).first
	studied := func(comm bot.Community) bool {
		l, err := c.store.Learner(ctx, comm, "u1")
		if err != nil {
			t.Fatal(err)
		}
		return l.Streak.Longest == 1
	}

	clock.Advance(47 * time.Hour)
	purge(ctx)
	if !studied(left) {
		t.Fatal("the purge deleted a community within its retention")
	}
	clock.Advance(2 * time.Hour)
	purge(ctx)
	if studied(left) {
		t.Error("the purge kept a community left longer ago than the retention")
	}
	if !studied(stays) {
		t.Error("the purge deleted a community the bot is still in")
	}
	out := logs.String()
	if !strings.Contains(out, `"msg":"community data deleted","platform":"discord","community":"600000000000000001"`) {
		t.Errorf("the deletion was not logged with its platform and community:\n%s", out)
	}
	if strings.Contains(out, "s3cr3t") {
		t.Errorf("a token reached the log:\n%s", out)
	}
}
