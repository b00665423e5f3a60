package bot_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot/bottest"

	"github.com/studybot/studybot/adapters/cron"
	"github.com/studybot/studybot/bot"
)

// rig is the core and its scheduler over an in-memory store (standing for the file that
// outlives processes), a clock the test moves, and a platform that records what reaches it,
// delivered as `studybot run` delivers.
type rig struct {
	t      testing.TB
	store  *bottest.Store
	bot    *bot.Bot
	clock  *bot.ManualClock
	sched  *bot.Scheduler
	poster *bottest.Poster
	logs   *bottest.Buffer
	opts   func(*rigOptions)
}

// rigOptions adjust a rig: how it delivers, and what its core keeps schedules in.
type rigOptions struct {
	delivery  cron.DeliveryOptions
	schedules bot.ScheduleStore
}

var community = bot.Community{Platform: bot.PlatformConsole, ID: "study"}

func newRig(t testing.TB, now time.Time, opts ...func(*rigOptions)) *rig {
	t.Helper()
	return newRigOn(t, bottest.NewStore(), now, opts...)
}

// newRigOn is a rig over store, as a process starting on its file would be.
func newRigOn(t testing.TB, store *bottest.Store, now time.Time, opts ...func(*rigOptions)) *rig {
	t.Helper()
	r := &rig{t: t, store: store, clock: bot.NewManualClock(now), logs: &bottest.Buffer{}}
	r.poster = &bottest.Poster{Clock: r.clock}
	r.opts = func(o *rigOptions) {
		for _, opt := range opts {
			opt(o)
		}
	}
	r.open()
	return r
}

// open builds a core and scheduler over the rig's store, as a process start would.
func (r *rig) open() {
	r.t.Helper()
	store := r.store
	log := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o := rigOptions{
		delivery: cron.DeliveryOptions{Clock: r.clock, Logger: log,
			Posters: map[string]bot.Poster{bot.PlatformConsole: r.poster},
			Retry:   cron.RetryPolicy{Backoff: func(n int) time.Duration { return time.Duration(n) * time.Second }}},
		schedules: store,
	}
	r.opts(&o)
	b, err := bot.New(bot.Config{Roadmap: bot.TestRoadmap(r.t), Store: store, Schedules: o.schedules, Clock: r.clock, Logger: log,
		Intn: func(int) int { return 0 }})
	if err != nil {
		r.t.Fatal(err)
	}
	sched, err := bot.NewScheduler(bot.SchedulerConfig{Bot: b, Store: store, Deliverer: cron.NewDelivery(o.delivery), Logger: o.delivery.Logger})
	if err != nil {
		r.t.Fatal(err)
	}
	r.bot, r.sched = b, sched
}

// restart starts again over the same store, like a new process.
func (r *rig) restart() {
	r.t.Helper()
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

// runTo moves the clock to t and runs the scheduler over (from, t], as one tick.
func (r *rig) runTo(from, t time.Time) {
	r.t.Helper()
	r.clock.Set(t)
	if err := r.sched.RunDue(context.Background(), from, t); err != nil {
		r.t.Fatal(err)
	}
}

// startAt moves the clock to t without ticking (the process was down) and runs the
// catch-up a start does.
func (r *rig) startAt(t time.Time) {
	r.t.Helper()
	r.runTo(t, t)
}

// runInBackground runs the scheduler over (from, to] on another goroutine and returns its end.
func (r *rig) runInBackground(from, to time.Time) <-chan error {
	done := make(chan error, 1)
	r.clock.Set(to)
	go func() { done <- r.sched.RunDue(context.Background(), from, to) }()
	return done
}

// next is when the schedule's record says to look at it again.
func (r *rig) next(key bot.ScheduleKey) time.Time {
	r.t.Helper()
	s, err := r.store.Schedule(context.Background(), key)
	if err != nil {
		r.t.Fatal(err)
	}
	return s.Next
}

var (
	titles  = bottest.Titles
	times   = bottest.Times
	stamped = bottest.Stamped
)

// daily is the daily lesson posts of ss, without the Monday recaps between them.
func daily(ss []bottest.Sent) []bottest.Sent {
	return slices.DeleteFunc(slices.Clone(ss), isRecap)
}

// recaps is the weekly recaps of ss.
func recaps(ss []bottest.Sent) []bottest.Sent {
	return slices.DeleteFunc(slices.Clone(ss), func(s bottest.Sent) bool { return !isRecap(s) })
}

func isRecap(s bottest.Sent) bool { return strings.HasPrefix(s.Resp.Title, "📊 Weekly recap") }

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
