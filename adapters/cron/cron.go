// Package cron is time as an input to studybot: on github.com/robfig/cron it tells the core's
// scheduler, every minute at second 0, how far the clock moved, and the scheduler takes the
// daily lessons and reminders that fell due. The core holds the schedule rules (zones,
// daylight saving, catch-up, what each post says, how its record is marked); this package's
// Delivery sends what it takes: through each platform's poster, claimed once across
// replicas, retried later or given up, and paused for a platform that refuses the bot.
package cron

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	robfig "github.com/robfig/cron/v3"
	"github.com/studybot/studybot/bot"
)

// Runner sends what fell due while the clock moved from `from` to `to`; *bot.Scheduler is one.
type Runner interface {
	RunDue(ctx context.Context, from, to time.Time) error
}

var _ Runner = (*bot.Scheduler)(nil)

// DefaultSpec ticks every minute at second 0: schedules are minute-precise wall-clock times.
const DefaultSpec = "0 * * * * *"

// maxLate is how long after its time a tick may come and still be a tick. Later than that,
// studybot was not running in between (the host was suspended, the process stopped, the
// clock stepped forward), so the window is caught up on as after a restart: what fell due
// in it within the core's catch-up window goes out once, older posts and reminders for days
// that are over are skipped, instead of every day's lesson at once.
const maxLate = 5 * time.Minute

// Options tune a Service.
type Options struct {
	Clock  bot.Clock    // what "now" is; default the system clock
	Logger *slog.Logger // default slog.Default()
	// Spec is when to tick, in robfig's six-field form with seconds; default DefaultSpec.
	// Ticks are read in UTC: the core converts every schedule's own zone.
	Spec string
}

// Service is the scheduler as a long-running part of `studybot run`.
type Service struct {
	runner   Runner
	clock    bot.Clock
	log      *slog.Logger
	schedule robfig.Schedule

	mu   sync.Mutex
	last time.Time // the end of the window handed to the runner last
}

// New checks opts and returns a service that drives r.
func New(r Runner, opts Options) (*Service, error) {
	if r == nil {
		return nil, errors.New("cron: a runner is required")
	}
	if opts.Clock == nil {
		opts.Clock = bot.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Spec == "" {
		opts.Spec = DefaultSpec
	}
	sched, err := robfig.NewParser(robfig.Second | robfig.Minute | robfig.Hour | robfig.Dom | robfig.Month | robfig.Dow | robfig.Descriptor).Parse(opts.Spec)
	if err != nil {
		return nil, fmt.Errorf("cron spec %q: %w", opts.Spec, err)
	}
	// A Tick before Run covers the time since New, never all of history.
	return &Service{runner: r, clock: opts.Clock, log: opts.Logger, schedule: sched, last: opts.Clock.Now()}, nil
}

// Name implements the service interface of cmd/studybot.
func (s *Service) Name() string { return "scheduler" }

// Run first catches up on what was missed while studybot was down (the core sends what is
// within its catch-up window and skips the rest), then ticks until ctx ends. On shutdown it
// starts no new tick and waits for the running ones, whose posts in flight finish.
func (s *Service) Run(ctx context.Context) error {
	now := s.clock.Now()
	s.mu.Lock()
	s.last = now
	s.mu.Unlock()

	var catchUp sync.WaitGroup
	catchUp.Add(1)
	go func() {
		defer catchUp.Done()
		s.run(ctx, now, now)
	}()

	c := robfig.New(robfig.WithLocation(time.UTC), robfig.WithLogger(logger{s.log}),
		robfig.WithChain(robfig.Recover(logger{s.log})))
	c.Schedule(s.schedule, robfig.FuncJob(func() { s.Tick(ctx) }))
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	catchUp.Wait()
	return nil
}

// Tick hands the runner the time since the previous tick. Ticks may overlap (a slow one
// still sending) without sending anything twice: each window is handed out once, and the
// scheduler runs one at a time. A tick that comes more than maxLate after its time is caught
// up on as after a restart.
func (s *Service) Tick(ctx context.Context) {
	s.mu.Lock()
	from, to := s.last, s.clock.Now()
	if !to.After(from) {
		// The clock stepped back: wait until it passes the last window again.
		s.mu.Unlock()
		return
	}
	s.last = to
	s.mu.Unlock()
	if late := to.Sub(s.schedule.Next(from.UTC())); late > maxLate {
		s.log.Warn("the scheduler did not run for a while (host suspended or clock stepped); catching up as after a restart",
			"since", from.UTC(), "now", to.UTC())
		from = to
	}
	s.run(ctx, from, to)
}

func (s *Service) run(ctx context.Context, from, to time.Time) {
	if err := s.runner.RunDue(ctx, from, to); err != nil && ctx.Err() == nil {
		s.log.Error("scheduler run failed", "from", from.UTC(), "to", to.UTC(), "err", err)
	}
}

// logger speaks robfig's logr-style interface through slog.
type logger struct{ log *slog.Logger }

func (l logger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }

func (l logger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
