package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot/bottest"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/bot"
)

// rig is the core and its scheduler over a real bbolt file, a clock the test moves, and a
// poster that records what would reach the platform.
type rig struct {
	t      testing.TB
	path   string
	store  *bolt.DB
	bot    *bot.Bot
	clock  *bot.ManualClock
	sched  *bot.Scheduler
	poster *fakePoster
	logs   *bottest.Buffer
	sleeps *sleepLog
	config func(*bot.SchedulerConfig)
}

var community = bot.Community{Platform: bot.PlatformConsole, ID: "study"}

func newRig(t testing.TB, now time.Time, config ...func(*bot.SchedulerConfig)) *rig {
	t.Helper()
	return newRigOn(t, filepath.Join(t.TempDir(), "studybot.db"), now, config...)
}

// newRigOn is a rig over the bbolt file at path, as a process starting on it would be.
func newRigOn(t testing.TB, path string, now time.Time, config ...func(*bot.SchedulerConfig)) *rig {
	t.Helper()
	r := &rig{
		t:      t,
		path:   path,
		clock:  bot.NewManualClock(now),
		logs:   &bottest.Buffer{},
		sleeps: &sleepLog{},
	}
	r.poster = &fakePoster{clock: r.clock, attempts: map[string]int{}}
	r.config = func(cfg *bot.SchedulerConfig) {
		for _, c := range config {
			c(cfg)
		}
	}
	r.open()
	return r
}

// open builds a store, core and scheduler over the rig's file, as a process start would.
func (r *rig) open() {
	r.t.Helper()
	store, err := bolt.Open(r.path, bolt.Options{})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { store.Close() })
	log := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b, err := bot.New(bot.Config{Roadmap: bot.TestRoadmap(r.t), Store: store, Clock: r.clock, Logger: log,
		Intn: func(int) int { return 0 }})
	if err != nil {
		r.t.Fatal(err)
	}
	cfg := bot.SchedulerConfig{
		Bot: b, Store: store, Logger: log,
		Posters: map[string]bot.Poster{bot.PlatformConsole: r.poster},
		Sleep:   r.sleeps.sleep,
		Retry:   bot.RetryPolicy{Backoff: func(n int) time.Duration { return time.Duration(n) * time.Second }},
	}
	r.config(&cfg)
	sched, err := bot.NewScheduler(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	r.store, r.bot, r.sched = store, b, sched
}

// restart closes the file and starts again over it, like a new process.
func (r *rig) restart() {
	r.t.Helper()
	if err := r.store.Close(); err != nil {
		r.t.Fatal(err)
	}
	r.open()
}

// as runs a command typed by user in channel.
func (r *rig) as(user, channel, text string) bot.Response {
	r.t.Helper()
	resp := r.bot.Handle(context.Background(), bot.Request{Community: community,
		Channel: channel, UserID: user, UserName: user, Admin: true, CommunityAdmin: true, Text: text}) // as the console
	return resp
}

// ok runs a command and fails the test unless it succeeded.
func (r *rig) ok(user, channel, text string) bot.Response {
	r.t.Helper()
	resp := r.as(user, channel, text)
	if resp.Outcome != bot.OutcomeOK {
		r.t.Fatalf("%s in #%s: %q failed (%s): %s", user, channel, text, resp.Outcome, resp.Text)
	}
	return resp
}

// tickUntil moves the clock minute by minute up to end, running the scheduler on every
// tick the way the cron adapter does.
func (r *rig) tickUntil(end time.Time) {
	r.t.Helper()
	for r.clock.Now().Before(end) {
		from := r.clock.Now()
		to := r.clock.Advance(min(time.Minute, end.Sub(from)))
		if err := r.sched.RunDue(context.Background(), from, to); err != nil {
			r.t.Fatal(err)
		}
	}
}

// startAt moves the clock to t without ticking (the process was down) and runs the
// catch-up a start does.
func (r *rig) startAt(t time.Time) {
	r.t.Helper()
	r.clock.Set(t)
	if err := r.sched.RunDue(context.Background(), t, t); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) schedule(key bot.ScheduleKey) bot.Schedule {
	r.t.Helper()
	s, err := r.store.Schedule(context.Background(), key)
	if err != nil {
		r.t.Fatal(err)
	}
	return s
}

// sent is one message that reached the fake platform.
type sent struct {
	kind   string // "post" or "dm"
	target string // channel or user
	at     time.Time
	resp   bot.Response
}

func (s sent) String() string {
	return fmt.Sprintf("%s %s %s %q", s.kind, s.target, s.at.UTC().Format(time.RFC3339), s.resp.Title)
}

// fakePoster records posts. fail, when set, decides the outcome of attempt n (1-based) for a
// target; hook runs inside every attempt, before the outcome.
type fakePoster struct {
	clock *bot.ManualClock
	fail  func(target string, n int) error
	hook  func(target string)

	mu       sync.Mutex
	sent     []sent
	attempts map[string]int
}

func (p *fakePoster) Post(_ context.Context, ch bot.Channel, r bot.Response) error {
	return p.deliver("post", ch.ID, r)
}

func (p *fakePoster) DirectMessage(_ context.Context, _ bot.Community, userID string, r bot.Response) error {
	return p.deliver("dm", userID, r)
}

func (p *fakePoster) deliver(kind, target string, r bot.Response) error {
	if p.hook != nil {
		p.hook(target)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.attempts[target]++
	if p.fail != nil {
		if err := p.fail(target, p.attempts[target]); err != nil {
			return err
		}
	}
	p.sent = append(p.sent, sent{kind: kind, target: target, at: p.clock.Now(), resp: r})
	return nil
}

// all is every message sent so far, in order.
func (p *fakePoster) all() []sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.sent)
}

// to is what target received.
func (p *fakePoster) to(target string) []sent {
	var out []sent
	for _, s := range p.all() {
		if s.target == target {
			out = append(out, s)
		}
	}
	return out
}

// totalTries is how many requests reached the platform, failed ones included.
func (p *fakePoster) totalTries() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, a := range p.attempts {
		n += a
	}
	return n
}

func (p *fakePoster) tries(target string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.attempts[target]
}

func titles(ss []sent) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.resp.Title
	}
	return out
}

// stamped is each post as "when title", for timelines.
func stamped(ss []sent) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.at.UTC().Format(time.RFC3339) + " " + s.resp.Title
	}
	return out
}

func times(ss []sent) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.at.UTC().Format(time.RFC3339)
	}
	return out
}

// sleepLog is the scheduler's Sleep in tests: it records the wait and returns at once.
type sleepLog struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepLog) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepLog) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.waits)
}

// logLine is the first log line containing every part, or "".
func logLine(b *bottest.Buffer, parts ...string) string {
	for _, line := range strings.Split(b.String(), "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			return line
		}
	}
	return ""
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
