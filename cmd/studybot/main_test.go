package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot/bottest"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/data"
)

// envOf turns a map into a getenv.
func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// testCore is the core `studybot run` opens for the environment vars (with a database in
// the test's temporary directory), closed when the test ends.
func testCore(t *testing.T, vars map[string]string) *core {
	t.Helper()
	c, err := openCore(testConfig(t, vars), bot.SystemClock{}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// testConfig is the configuration of the environment vars, with a database in the test's
// temporary directory.
func testConfig(t *testing.T, vars map[string]string) config {
	t.Helper()
	vars = maps.Clone(vars)
	vars["STUDYBOT_DB"] = filepath.Join(t.TempDir(), "s.db")
	cfg, problems := loadConfig(envOf(vars))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	return cfg
}

func TestBadConfigurationPrintsEveryProblemAndExits2(t *testing.T) {
	const secret = "xoxb-very-secret value"
	vars := map[string]string{
		"STUDYBOT_TZ":          "Mars/Base",
		"REDIS_URL":            "http://user:hunter2@[::1",
		"SLACK_SIGNING_SECRET": "s3cr3t-signing",
		"SLACK_APP_TOKEN":      secret,
		"DISCORD_TOKEN":        "abc",
		"DISCORD_SHARD_ID":     "2",
		"DISCORD_SHARD_COUNT":  "2",
		"STUDYBOT_LOG_LEVEL":   "chatty",
		"DISCORD_API_URL":      "ftp://proxy",
	}
	var stderr bytes.Buffer
	code := runMain(context.Background(), []string{"run"}, envOf(vars), strings.NewReader(""), io.Discard, &stderr)
	if code != exitConfig {
		t.Errorf("exit code %d, want %d", code, exitConfig)
	}
	out := stderr.String()
	for _, want := range []string{
		"STUDYBOT_TZ: \"Mars/Base\"",
		"REDIS_URL:",
		"SLACK_BOT_TOKEN: required when SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is set",
		"DISCORD_SHARD_ID: 2 must be less than DISCORD_SHARD_COUNT (2)",
		"STUDYBOT_LOG_LEVEL",
		"DISCORD_API_URL",
		"SLACK_APP_TOKEN: contains white space",
		"STUDYBOT_HTTP_ADDR: required for Slack HTTP mode",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
	for _, leaked := range []string{"very-secret", "s3cr3t", "hunter2"} {
		if strings.Contains(out, leaked) {
			t.Errorf("a secret (%s) reached the output:\n%s", leaked, out)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg, problems := loadConfig(envOf(nil))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if cfg.DB != "studybot.db" || cfg.RedisPrefix != "studybot:" || cfg.Zone != time.UTC ||
		cfg.DiscordAPIURL != "https://discord.com/api/v9" || cfg.SlackAPIURL != "https://slack.com/api/" || cfg.anyChatAdapter() {
		t.Errorf("defaults = %+v", cfg)
	}
}

func TestConfigAcceptsAGoodDeployment(t *testing.T) {
	cfg, problems := loadConfig(envOf(map[string]string{
		"STUDYBOT_TZ": "Europe/Berlin", "REDIS_URL": "redis://:pw@127.0.0.1:6379/0", "STUDYBOT_HTTP_ADDR": ":8080",
		"DISCORD_TOKEN": "token", "DISCORD_GUILD_ID": "123456789012345678", "DISCORD_SHARD_ID": "1", "DISCORD_SHARD_COUNT": "4",
		"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_SIGNING_SECRET": "abc",
		"DISCORD_API_URL": "http://127.0.0.1:9999/api/v9",
	}))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if !cfg.discordEnabled() || !cfg.slackSocketMode() || !cfg.slackHTTPMode() || cfg.DiscordShardID != 1 || cfg.DiscordShardCount != 4 {
		t.Errorf("config = %+v", cfg)
	}
	if got := cfg.redactedRedisURL(); strings.Contains(got, "pw") {
		t.Errorf("redacted URL shows the password: %s", got)
	}
}

func TestRunWithoutAnyAdapterPointsToTheConsole(t *testing.T) {
	var stderr bytes.Buffer
	dir := t.TempDir()
	code := runMain(context.Background(), nil, envOf(map[string]string{"STUDYBOT_DB": filepath.Join(dir, "s.db")}), strings.NewReader(""), io.Discard, &stderr)
	if code != exitConfig || !strings.Contains(stderr.String(), "studybot console") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestABadCustomRoadmapIsRefusedWithFileAndLine(t *testing.T) {
	dir := t.TempDir()
	roadmap := filepath.Join(dir, "custom.yaml")
	os.WriteFile(roadmap, []byte("name: Mine\ntopics:\n  - slug: x\n    titel: X\n"), 0o600)
	var stderr bytes.Buffer
	code := runMain(context.Background(), []string{"console"}, envOf(map[string]string{
		"STUDYBOT_DB": filepath.Join(dir, "s.db"), "STUDYBOT_ROADMAP": roadmap}), strings.NewReader(""), io.Discard, &stderr)
	if code != exitConfig || !strings.Contains(stderr.String(), roadmap+":4: unknown key \"titel\"") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestConsoleSubcommand(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	in := strings.NewReader("/roadmap next\n/roadmap done\n")
	code := runMain(context.Background(), []string{"console", "--user", "ana", "--community", "club"},
		envOf(map[string]string{"STUDYBOT_DB": filepath.Join(dir, "s.db")}), in, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	roadmap, err := data.Default()
	if err != nil {
		t.Fatal(err)
	}
	first := roadmap.Lessons()[0]
	for _, want := range []string{"you are ana in community \"club\"", first.Heading(), first.Title + " is done"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	// The answer was durable: the file holds the progress after exit.
	db, err := bolt.Open(filepath.Join(dir, "s.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, _ := db.Learner(context.Background(), bot.Community{Platform: bot.PlatformConsole, ID: "club"}, "ana")
	if l.State(first.Slug) != bot.StateDone {
		t.Errorf("progress not stored: %+v", l.Lessons)
	}
}

func TestVersion(t *testing.T) {
	var stdout bytes.Buffer
	if code := runMain(context.Background(), []string{"version"}, envOf(nil), nil, &stdout, io.Discard); code != exitOK || !strings.HasPrefix(stdout.String(), "studybot ") {
		t.Errorf("version: exit %d, %q", code, stdout.String())
	}
	if code := runMain(context.Background(), []string{"fly"}, envOf(nil), nil, io.Discard, io.Discard); code != exitConfig {
		t.Errorf("unknown subcommand: exit %d", code)
	}
}

func TestBackupWhileTheBotHoldsTheFile(t *testing.T) {
	dir := t.TempDir()
	env := envOf(map[string]string{"STUDYBOT_DB": filepath.Join(dir, "s.db")})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdinR, stdinW := io.Pipe()
	out := &bottest.Buffer{}
	done := make(chan int)
	go func() { done <- runMain(ctx, []string{"console", "--user", "ana"}, env, stdinR, out, io.Discard) }()
	io.WriteString(stdinW, "/roadmap done internet-basics\n")
	waitFor(t, func() bool { return strings.Contains(out.String(), "lessons of Internet basics done") })
	waitFor(t, func() bool { _, err := os.Stat(backupSocket(filepath.Join(dir, "s.db"))); return err == nil })

	var stderr bytes.Buffer
	backupFile := filepath.Join(dir, "copy.db")
	if code := runMain(context.Background(), []string{"backup", backupFile}, env, nil, io.Discard, &stderr); code != exitOK {
		t.Fatalf("hot backup: exit %d: %s", code, stderr.String())
	}
	stdinW.Close() // EOF ends the console
	if code := <-done; code != exitOK {
		t.Fatalf("console exit %d", code)
	}
	if _, err := os.Stat(backupSocketDir(filepath.Join(dir, "s.db"))); !os.IsNotExist(err) {
		t.Errorf("backup socket left behind: %v", err)
	}
	db, err := bolt.Open(backupFile, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, _ := db.Learner(context.Background(), bot.Community{Platform: bot.PlatformConsole, ID: "demo"}, "ana")
	if done, _ := l.Counts(bot.Target{Topic: &roadmapOf(t).Topics[0]}.Lessons()); done == 0 {
		t.Errorf("backup lacks the progress: %+v", l.Lessons)
	}
	// With nothing running, backup copies the file directly.
	if code := runMain(context.Background(), []string{"backup", filepath.Join(dir, "cold.db")}, env, nil, io.Discard, &stderr); code != exitOK {
		t.Fatalf("cold backup: exit %d: %s", code, stderr.String())
	}
}

// waitFor polls cond until it holds, failing the test after a generous deadline.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDiscordShardsPerProcess(t *testing.T) {
	tests := []struct {
		id, count, perProcess string
		want                  []int
		problem               string
	}{
		{"", "", "", []int{0}, ""},
		{"2", "4", "", []int{2}, ""},
		{"1", "8", "4", []int{4, 5, 6, 7}, ""},
		{"2", "10", "4", []int{8, 9}, ""}, // the last pod runs what is left
		{"3", "10", "4", nil, "runs shards from 12, but DISCORD_SHARD_COUNT is 10"},
		{"", "", "4", nil, "DISCORD_SHARDS_PER_PROCESS: needs DISCORD_SHARD_ID"},
		{"0", "4", "zero", nil, "DISCORD_SHARDS_PER_PROCESS: \"zero\""},
	}
	for _, tt := range tests {
		cfg, problems := loadConfig(envOf(map[string]string{"DISCORD_TOKEN": "t",
			"DISCORD_SHARD_ID": tt.id, "DISCORD_SHARD_COUNT": tt.count, "DISCORD_SHARDS_PER_PROCESS": tt.perProcess}))
		if tt.problem != "" {
			if len(problems) != 1 || !strings.Contains(problems[0], tt.problem) {
				t.Errorf("%s/%s×%s: problems %q, want %q", tt.id, tt.count, tt.perProcess, problems, tt.problem)
			}
			continue
		}
		if len(problems) > 0 || !slices.Equal(cfg.discordShards(), tt.want) {
			t.Errorf("%s/%s×%s: shards %v (problems %q), want %v", tt.id, tt.count, tt.perProcess, cfg.discordShards(), problems, tt.want)
		}
	}
}

func TestOneProcessRunsEachOfItsShards(t *testing.T) {
	c := testCore(t, map[string]string{"DISCORD_TOKEN": "t",
		"DISCORD_SHARD_ID": "1", "DISCORD_SHARD_COUNT": "6", "DISCORD_SHARDS_PER_PROCESS": "3"})
	services, err := newDiscord(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range services {
		names = append(names, s.Name())
	}
	if strings.Join(names, ",") != "discord-shard-3,discord-shard-4,discord-shard-5" {
		t.Errorf("services %v, want shards 3 to 5", names)
	}
	if c.posters[bot.PlatformDiscord] == nil {
		t.Error("no Discord poster for the scheduler")
	}
	if rep := c.ready.report(context.Background()); rep.Ready || !strings.Contains(rep.Checks["discord"], "not every shard") {
		t.Errorf("readiness before any shard connected: %+v", rep)
	}
}

func TestProblemsFoundOnlyWhenOpeningAreReportedWithTheRest(t *testing.T) {
	dir := t.TempDir()
	roadmap := filepath.Join(dir, "custom.yaml")
	if err := os.WriteFile(roadmap, []byte("name: Mine\ntopics:\n  - slug: x\n    titel: X\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	vars := map[string]string{
		"STUDYBOT_TZ":      "Mars/Base",
		"REDIS_URL":        "redis://:hunter2@127.0.0.1:6379/notadb", // a URL, but not one go-redis takes
		"STUDYBOT_ROADMAP": roadmap,
		"STUDYBOT_DB":      filepath.Join(missing, "studybot.db"),
		"SLACK_BOT_TOKEN":  "xoxb-1", "SLACK_APP_TOKEN": "xapp-1",
	}
	var stderr bytes.Buffer
	code := runMain(context.Background(), []string{"run"}, envOf(vars), strings.NewReader(""), io.Discard, &stderr)
	if code != exitConfig {
		t.Errorf("exit code %d, want %d", code, exitConfig)
	}
	out := stderr.String()
	want := []string{
		`STUDYBOT_TZ: "Mars/Base"`,
		`REDIS_URL: redis://:xxxxx@127.0.0.1:6379/notadb is not a usable Redis URL (invalid database number: "notadb"`,
		`STUDYBOT_ROADMAP: ` + roadmap + `:4: unknown key "titel"`,
		`STUDYBOT_DB: directory ` + missing + ` does not exist`,
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("stderr lacks %q:\n%s", w, out)
		}
	}
	if lines := strings.Count(out, "\n  "); lines != len(want) {
		t.Errorf("%d problem lines, want %d:\n%s", lines, len(want), out)
	}
	if strings.Contains(out, "hunter2") {
		t.Errorf("the Redis password reached the output:\n%s", out)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("a refused configuration created %s (%v)", missing, err)
	}
}

func TestEachBadVariableIsItsOwnLine(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		vars map[string]string
		want []string // one problem each, in order
	}{
		{"shard id and count both bad", map[string]string{"DISCORD_TOKEN": "t", "DISCORD_SHARD_ID": "-1", "DISCORD_SHARD_COUNT": "none"},
			[]string{`DISCORD_SHARD_ID: "-1" is not a whole number >= 0`, `DISCORD_SHARD_COUNT: "none" is not a whole number >= 1`}},
		{"shard count without an id", map[string]string{"DISCORD_TOKEN": "t", "DISCORD_SHARD_COUNT": "4"},
			[]string{"DISCORD_SHARD_ID: required with DISCORD_SHARD_COUNT"}},
		{"shard id without a count", map[string]string{"DISCORD_TOKEN": "t", "DISCORD_SHARD_ID": "0"},
			[]string{"DISCORD_SHARD_COUNT: required with DISCORD_SHARD_ID"}},
		{"a named port", map[string]string{"STUDYBOT_HTTP_ADDR": ":http"}, []string{`STUDYBOT_HTTP_ADDR: ":http" is not host:port with a port from 1 to 65535`}},
		{"a random port", map[string]string{"STUDYBOT_HTTP_ADDR": "127.0.0.1:0"}, []string{`STUDYBOT_HTTP_ADDR: "127.0.0.1:0"`}},
		{"a port out of range", map[string]string{"STUDYBOT_HTTP_ADDR": ":65536"}, []string{`STUDYBOT_HTTP_ADDR: ":65536"`}},
		{"no port", map[string]string{"STUDYBOT_HTTP_ADDR": "localhost"}, []string{`STUDYBOT_HTTP_ADDR: "localhost"`}},
		{"every interface", map[string]string{"STUDYBOT_HTTP_ADDR": ":8080"}, nil},
		{"one IPv6 interface", map[string]string{"STUDYBOT_HTTP_ADDR": "[::1]:65535"}, nil},
		{"a database path that is a directory", map[string]string{"STUDYBOT_DB": dir}, []string{"STUDYBOT_DB: " + dir + " is a directory"}},
		{"a database file in a file", map[string]string{"STUDYBOT_DB": filepath.Join(os.Args[0], "s.db")}, []string{"STUDYBOT_DB: " + os.Args[0] + " is not a directory"}},
		{"a missing roadmap file", map[string]string{"STUDYBOT_ROADMAP": filepath.Join(dir, "nope.yaml")}, []string{"STUDYBOT_ROADMAP: " + filepath.Join(dir, "nope.yaml") + ": no such file or directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := loadConfig(envOf(tt.vars))
			if len(problems) != len(tt.want) {
				t.Fatalf("problems %q, want %d: %q", problems, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(problems[i], w) {
					t.Errorf("problem %d is %q, want it to start %q", i, problems[i], w)
				}
			}
		})
	}
}

func TestALockedDatabaseIsAFailureWorthRetrying(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "s.db")
	holder, err := bolt.Open(path, bolt.Options{}) // another studybot, still stopping
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	var stderr bytes.Buffer
	code := runMain(context.Background(), []string{"run"}, envOf(map[string]string{
		"STUDYBOT_DB": path, "DISCORD_TOKEN": "abc", "DISCORD_API_URL": "http://127.0.0.1:1"}), strings.NewReader(""), io.Discard, &stderr)
	// Exit 2 means "fix the configuration"; a lock passes, so a supervisor should try again.
	if code != exitFail || !strings.Contains(stderr.String(), "locked by another process") {
		t.Errorf("exit %d, want %d; stderr %q", code, exitFail, stderr.String())
	}
}

func TestDiscordAndSlackSocketModeShareOneProcessMetrics(t *testing.T) {
	c := testCore(t, map[string]string{"DISCORD_TOKEN": "abc", "DISCORD_API_URL": "http://127.0.0.1:1",
		"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_API_URL": "http://127.0.0.1:1/api/"})
	// What `studybot run` wires, without running anything: no connection is made.
	services, err := wireServices(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range services {
		names = append(names, s.Name())
	}
	if !slices.Contains(names, "discord") || !slices.Contains(names, "slack-socket-mode") {
		t.Errorf("services %v, want Discord and Slack Socket Mode", names)
	}
	rec := httptest.NewRecorder()
	c.mux.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	// An idle process already lists what it will count, at zero.
	for _, want := range []string{
		`studybot_adapter_connected{adapter="discord"} 0`,
		`studybot_adapter_connected{adapter="slack"} 0`,
		`studybot_checkins_total{platform="discord"} 0`,
		`studybot_checkins_total{platform="slack"} 0`,
		`studybot_redis_fallback 0`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestLogsAreJSONForACollectorAtTheConfiguredLevel(t *testing.T) {
	for _, tt := range []struct {
		level string
		want  []string // messages that get through, of debug, info, warn, error
	}{
		{"", []string{"info", "warn", "error"}},
		{"debug", []string{"debug", "info", "warn", "error"}},
		{"WARN", []string{"warn", "error"}},
		{"error", []string{"error"}},
	} {
		cfg, problems := loadConfig(envOf(map[string]string{"STUDYBOT_LOG_LEVEL": tt.level}))
		if len(problems) > 0 {
			t.Fatal(problems)
		}
		var out bytes.Buffer // not a terminal, as under Docker, Kubernetes or systemd
		log := newLogger(&out, cfg.LogLevel)
		log.Debug("debug")
		log.Info("info")
		log.Warn("warn")
		log.Error("error")
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var rec struct{ Msg string }
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("level %q: a log line is not JSON: %q", tt.level, line)
			}
			got = append(got, rec.Msg)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("STUDYBOT_LOG_LEVEL=%q logged %q, want %q", tt.level, got, tt.want)
		}
	}
}

func roadmapOf(t *testing.T) *bot.Roadmap {
	t.Helper()
	r, err := data.Default()
	if err != nil {
		t.Fatal(err)
	}
	return r
}
