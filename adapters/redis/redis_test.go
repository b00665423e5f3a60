package redis_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/redis"
	"github.com/studybot/studybot/bot"
)

// Most tests are not about timeouts: a generous one keeps a busy CI machine from turning a
// slow answer into an outage they did not ask for.
const patient = 5 * time.Second

var readLimit = bot.CooldownLimits[bot.ClassRead]

func TestLearnerRefusedByOneProcessIsRefusedByTheOther(t *testing.T) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	a := open(t, redis.Options{URL: url, Prefix: prefix, Timeout: patient})
	b := open(t, redis.Options{URL: url, Prefix: prefix, Timeout: patient})
	ctx := context.Background()
	key := "discord/g1/ada/next"

	// The burst is shared: uses on either process count against the one budget.
	for i := range readLimit.Rate {
		s := []*redis.Store{a, b}[i%2]
		if wait, err := s.Allow(ctx, key, readLimit); err != nil || wait != 0 {
			t.Fatalf("use %d of %d: wait %s, err %v; want allowed", i+1, readLimit.Rate, wait, err)
		}
	}
	for name, s := range map[string]*redis.Store{"a": a, "b": b} {
		wait, err := s.Allow(ctx, key, readLimit)
		if err != nil {
			t.Fatalf("process %s: %v", name, err)
		}
		// The burst was spent just now, so the next use is about one interval away.
		if wait <= 0 || wait > readLimit.Interval() {
			t.Errorf("process %s: wait %s after the burst; want refused with 0 < wait <= %s", name, wait, readLimit.Interval())
		}
	}

	independent := map[string]string{
		"another learner":   "discord/g1/grace/next",
		"another command":   "discord/g1/ada/topics",
		"another community": "discord/g2/ada/next",
		"another platform":  "slack/g1/ada/next",
	}
	for name, other := range independent {
		if wait, err := b.Allow(ctx, other, readLimit); err != nil || wait != 0 {
			t.Errorf("%s (%s): wait %s, err %v; want allowed", name, other, wait, err)
		}
	}
	if a.Fallback() || b.Fallback() {
		t.Error("Fallback() is true with Redis up")
	}

	// The key carries the prefix and expires when the budget is full again.
	ttl, err := rawClient(t, url).PTTL(ctx, prefix+"cooldown:"+key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > readLimit.Per+readLimit.Interval() {
		t.Errorf("cooldown key TTL %s; want 0 < ttl <= %s", ttl, readLimit.Per+readLimit.Interval())
	}
}

// TestSharedCooldownsRefuseWhatLocalCooldownsRefuse: the shared backend and the in-process
// fallback run the same rule, so an outage changes where the budget lives, not how big it is.
func TestSharedCooldownsRefuseWhatLocalCooldownsRefuse(t *testing.T) {
	url := redisURL(t)
	s := open(t, redis.Options{URL: url, Prefix: testPrefix(t, url), Timeout: patient})
	local := bot.NewLocalCooldowns(bot.NewManualClock(time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)))
	for class, limit := range bot.CooldownLimits {
		t.Run(string(class), func(t *testing.T) {
			key := "console/demo/ada/" + string(class)
			shared, inProcess := spend(t, s, key, limit, limit.Rate+3), spend(t, local, key, limit, limit.Rate+3)
			if shared != limit.Rate || inProcess != limit.Rate {
				t.Errorf("burst of %d: Redis allowed %d, in-process allowed %d; want %d each", limit.Rate+3, shared, inProcess, limit.Rate)
			}
		})
	}
}

func TestRedisOutageFallsBackAndRecoversWithoutRestart(t *testing.T) {
	srv := startRedisServer(t)
	logA, logB := newLogRecorder(), newLogRecorder()
	opts := func(log *logRecorder) redis.Options {
		return redis.Options{URL: srv.URL(), Prefix: "studybot:", Timeout: 500 * time.Millisecond,
			ProbeInterval: 20 * time.Millisecond, Logger: log.Logger()}
	}
	a, b := open(t, opts(logA)), open(t, opts(logB))

	if got := spend(t, a, "discord/g1/ada/next", readLimit, readLimit.Rate); got != readLimit.Rate {
		t.Fatalf("before the outage: %d of %d uses allowed", got, readLimit.Rate)
	}
	if got := spend(t, b, "discord/g1/ada/next", readLimit, 1); got != 0 {
		t.Fatal("before the outage: process b allowed a use process a had spent")
	}

	srv.Kill()
	// Commands keep answering, and the fallback still enforces cooldowns in each process.
	if got := spend(t, a, "discord/g1/grace/next", readLimit, readLimit.Rate+5); got != readLimit.Rate {
		t.Errorf("during the outage: %d of %d uses allowed; want the in-process burst of %d", got, readLimit.Rate+5, readLimit.Rate)
	}
	spend(t, b, "discord/g1/grace/next", readLimit, 3)
	if !a.Fallback() || !b.Fallback() {
		t.Fatalf("during the outage: Fallback() a=%v b=%v; want true", a.Fallback(), b.Fallback())
	}
	if _, err := a.Claim(context.Background(), "nudge/2025-01-06", "replica-a", time.Minute); err == nil {
		t.Error("Claim during the outage: no error; no process can win a claim without Redis")
	}
	if n := logA.count(slog.LevelWarn, outageStarted); n != 1 {
		t.Errorf("%d outage warnings for one outage; want 1:\n%s", n, logA)
	}

	srv.Start()
	waitFor(t, "both processes use Redis again", func() bool { return !a.Fallback() && !b.Fallback() })
	for name, log := range map[string]*logRecorder{"a": logA, "b": logB} {
		if warn, info := log.count(slog.LevelWarn, outageStarted), log.count(slog.LevelInfo, outageEnded); warn != 1 || info != 1 {
			t.Errorf("process %s logged %d outage warnings and %d recoveries; want 1 and 1:\n%s", name, warn, info, log)
		}
	}

	// Shared again, on the same Stores: a budget spent on a is refused on b.
	if got := spend(t, a, "discord/g1/alan/next", readLimit, readLimit.Rate); got != readLimit.Rate {
		t.Fatalf("after recovery: %d of %d uses allowed", got, readLimit.Rate)
	}
	if got := spend(t, b, "discord/g1/alan/next", readLimit, 1); got != 0 {
		t.Error("after recovery: process b allowed a use process a had spent; cooldowns are not shared again")
	}
	if err := b.Ping(context.Background()); err != nil {
		t.Errorf("Ping after recovery: %v", err)
	}
}

func TestSlowRedisCountsAsOutage(t *testing.T) {
	srv := startRedisServer(t)
	log := newLogRecorder()
	s := open(t, redis.Options{URL: srv.URL(), Timeout: 100 * time.Millisecond, ProbeInterval: 20 * time.Millisecond, Logger: log.Logger()})
	if s.Fallback() {
		t.Fatal("Fallback() is true with Redis up")
	}

	srv.Freeze()
	frozen := true
	defer func() {
		if frozen {
			srv.Thaw()
		}
	}()
	// The connection is open but nothing answers: the command still gets an answer.
	quiz := bot.CooldownLimits[bot.ClassQuiz]
	if got := spend(t, s, "slack/T1/ada/quiz", quiz, quiz.Rate+1); got != quiz.Rate {
		t.Errorf("while Redis hangs: %d of %d quiz uses allowed; want the in-process %d", got, quiz.Rate+1, quiz.Rate)
	}
	if !s.Fallback() {
		t.Fatal("Fallback() is false while Redis does not answer")
	}

	srv.Thaw()
	frozen = false
	waitFor(t, "the store uses Redis again", func() bool { return !s.Fallback() })
	if warn := log.count(slog.LevelWarn, outageStarted); warn != 1 {
		t.Errorf("%d outage warnings; want 1:\n%s", warn, log)
	}
}

func TestOpenWithRedisDownStartsOnFallbackWithoutLeakingThePassword(t *testing.T) {
	srv := startRedisServer(t)
	srv.Kill()
	log := newLogRecorder()
	url := fmt.Sprintf("redis://:hunter2@127.0.0.1:%d/0", srv.port)
	s, err := redis.Open(context.Background(), redis.Options{URL: url, ProbeInterval: 20 * time.Millisecond, Logger: log.Logger()})
	if err != nil {
		t.Fatalf("Open with Redis down: %v; want a Store on its fallback", err)
	}
	defer s.Close()
	if !s.Fallback() {
		t.Error("Fallback() is false with Redis down at startup")
	}
	if got := spend(t, s, "console/demo/ada/next", readLimit, readLimit.Rate+1); got != readLimit.Rate {
		t.Errorf("%d of %d uses allowed; want the in-process burst of %d", got, readLimit.Rate+1, readLimit.Rate)
	}
	if n := log.count(slog.LevelWarn, outageStarted); n != 1 {
		t.Errorf("%d outage warnings; want 1:\n%s", n, log)
	}
	if strings.Contains(log.String(), "hunter2") {
		t.Errorf("the log shows the Redis password:\n%s", log)
	}
}

func TestOpenRefusesAnUnusableURLWithoutLeakingThePassword(t *testing.T) {
	for _, url := range []string{
		"redis://:hunter2@127.0.0.1:notaport/0",
		"http://:hunter2@127.0.0.1:6379/0",
		"redis://:hunter2@127.0.0.1:6379/notadb",
	} {
		s, err := redis.Open(context.Background(), redis.Options{URL: url, Logger: newLogRecorder().Logger()})
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded; want an error", url)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) error shows the password: %v", url, err)
		}
	}
}

func TestCheckURLGivesTheReasonButNeverThePassword(t *testing.T) {
	tests := []struct {
		url    string
		reason string // "" means usable
	}{
		{"redis://:hunter2@127.0.0.1:6379/0", ""},
		{"rediss://user:hunter2@redis.example:6380/3", ""},
		{"unix://:hunter2@/run/redis.sock?db=2", ""},
		{"unix:///run/redis.sock?db=2&password=hunter2", "unexpected option: password"},
		{"redis://:hunter2@127.0.0.1:6379/notadb", `invalid database number: "notadb"`},
		{"http://:hunter2@127.0.0.1:6379/0", "invalid URL scheme: http"},
		{"redis://:hunter2@[::1", "is not a URL"},
		{"unix://:hunter2@/run/redis.sock?db=x", "invalid database number"},
		{"redis://:hunter2@127.0.0.1:6379/0?dial_timeout=soon", "invalid dial_timeout duration"},
	}
	for _, tt := range tests {
		err := redis.CheckURL(tt.url)
		switch {
		case tt.reason == "" && err != nil:
			t.Errorf("CheckURL(%q) = %v; want it usable", tt.url, err)
		case tt.reason != "" && (err == nil || !strings.Contains(err.Error(), tt.reason)):
			t.Errorf("CheckURL(%q) = %v; want the reason %q", tt.url, err, tt.reason)
		case err != nil && strings.Contains(err.Error(), "hunter2"):
			t.Errorf("CheckURL(%q) shows the password: %v", tt.url, err)
		}
	}
}

func TestClaimHasExactlyOneWinnerUntilItExpires(t *testing.T) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	const processes, perProcess = 5, 10
	stores := make([]*redis.Store, processes)
	for i := range stores {
		stores[i] = open(t, redis.Options{URL: url, Prefix: prefix, Timeout: patient})
	}
	ctx := context.Background()
	// A second: long enough that 50 claims on a loaded machine all land before it ends (at
	// 100 ms a slow round let a second claimant win an expired claim), short enough to wait out.
	const key, ttl = "nudge/discord/g1/c1/2025-01-06", time.Second

	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, errs, winner := 0, 0, ""
	for i := range processes * perProcess {
		wg.Go(func() {
			<-start
			token := fmt.Sprintf("claimant-%d", i)
			won, err := stores[i%processes].Claim(ctx, key, token, ttl)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs++
			}
			if won {
				wins, winner = wins+1, token
			}
		})
	}
	began := time.Now()
	close(start)
	wg.Wait()
	if wins != 1 || errs != 0 {
		t.Fatalf("%d concurrent claims: %d won, %d failed; want exactly 1 winner", processes*perProcess, wins, errs)
	}
	// The winner, restarted with its token, wins its own claim again; nobody else does.
	for i, token := range []string{winner, "claimant-after-restart"} {
		won, err := stores[i].Claim(ctx, key, token, ttl)
		if err != nil || won != (token == winner) {
			t.Errorf("claim again with token %q: won=%v err=%v; want won only for the winner's token", token, won, err)
		}
	}

	if won, err := stores[0].Claim(ctx, "nudge/discord/g1/c2/2025-01-06", "claimant-0", ttl); err != nil || !won {
		t.Errorf("a claim on another key: won=%v err=%v; want won", won, err)
	}
	left, err := rawClient(t, url).PTTL(ctx, prefix+"claim:"+key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if left > ttl {
		t.Errorf("claim key TTL %s; want at most %s", left, ttl)
	}

	waitFor(t, "a new claim wins after the TTL", func() bool {
		won, err := stores[1].Claim(ctx, key, "claimant-after-the-ttl", ttl)
		if err != nil {
			t.Fatal(err)
		}
		return won
	})
	// Redis expires keys at millisecond resolution.
	if held := time.Since(began); held < ttl-2*time.Millisecond {
		t.Errorf("the claim was won again after %s; want it held for %s", held, ttl)
	}
}

// TestClaimsFailFastDuringAKnownOutage: once a Store knows Redis is out, a claim answers at
// once instead of waiting out the timeout, so a scheduler with thousands of posts due is
// not held up by a Redis that cannot answer; claims work again when Redis does.
func TestClaimsFailFastDuringAKnownOutage(t *testing.T) {
	srv := startRedisServer(t)
	const timeout = time.Second
	s := open(t, redis.Options{URL: srv.URL(), Timeout: timeout, ProbeInterval: 20 * time.Millisecond, Logger: newLogRecorder().Logger()})
	ctx := context.Background()
	srv.Freeze()
	frozen := true
	defer func() {
		if frozen {
			srv.Thaw()
		}
	}()
	// The first call finds out, waiting its timeout.
	if _, err := s.Claim(ctx, "nudge/discord/g1/c0/2025-01-06", "replica-a", time.Minute); err == nil {
		t.Fatal("a claim on a Redis that does not answer: no error")
	}
	const claims = 20
	began := time.Now()
	for i := range claims {
		won, err := s.Claim(ctx, fmt.Sprintf("nudge/discord/g1/c%d/2025-01-06", i+1), "replica-a", time.Minute)
		if err == nil || won || !errors.Is(err, redis.ErrUnavailable) {
			t.Fatalf("claim %d during the outage: won=%v err=%v; want redis.ErrUnavailable", i, won, err)
		}
	}
	// Waiting out the timeout each time would take claims × timeout.
	if took := time.Since(began); took > timeout {
		t.Errorf("%d claims during a known outage took %s; want each to fail at once", claims, took)
	}
	srv.Thaw()
	frozen = false
	waitFor(t, "the store uses Redis again", func() bool { return !s.Fallback() })
	if won, err := s.Claim(ctx, "nudge/discord/g1/c1/2025-01-06", "replica-a", time.Minute); err != nil || !won {
		t.Errorf("a claim after the outage: won=%v err=%v; want won", won, err)
	}
}

func TestClaimRefusesATTLRedisCannotKeep(t *testing.T) {
	url := redisURL(t)
	s := open(t, redis.Options{URL: url, Prefix: testPrefix(t, url), Timeout: patient})
	for _, ttl := range []time.Duration{0, -time.Second, time.Microsecond} {
		if won, err := s.Claim(context.Background(), "k", "claimant", ttl); err == nil || won {
			t.Errorf("Claim with ttl %s: won=%v err=%v; want an error (a claim must expire)", ttl, won, err)
		}
	}
}

// TestCooldownCheckIsOneCommand: each check is a single EVALSHA, so it costs one round trip
// and no other client can slip in between the read and the write.
func TestCooldownCheckIsOneCommand(t *testing.T) {
	srv := startRedisServer(t)
	s := open(t, redis.Options{URL: srv.URL(), Timeout: patient})
	ctx := context.Background()
	spend(t, s, "discord/g1/ada/next", readLimit, 1) // warm the connection
	raw := rawClient(t, srv.URL())
	if err := raw.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	const checks = 50
	spend(t, s, "discord/g1/ada/next", readLimit, checks)
	stats, err := raw.Info(ctx, "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]int{}
	for line := range strings.Lines(stats) {
		var name string
		var n int
		if _, err := fmt.Sscanf(strings.ReplaceAll(line, ":calls=", " "), "cmdstat_%s %d", &name, &n); err == nil {
			calls[name] = n
		}
	}
	// Commands the script runs inside Redis are counted too; they cost no round trip.
	for _, inScript := range []string{"time", "get", "set"} {
		delete(calls, inScript)
	}
	delete(calls, "config|resetstat") // the test's own
	if len(calls) != 1 || calls["evalsha"] != checks {
		t.Errorf("%d cooldown checks sent %v; want exactly %d evalsha", checks, calls, checks)
	}
}
