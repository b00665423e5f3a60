package cron

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	robfig "github.com/robfig/cron/v3"
)

// DailyQuietSpec is 04:17:30 every day: the small hours where the community lives, off the
// second the scheduler ticks on and off the round times daily lessons are usually set for,
// so a daily chore such as a backup never competes with a post.
const DailyQuietSpec = "30 17 4 * * *"

// Job runs a chore on its own schedule, as a long-running part of `studybot run`: one run at
// a time (a run that is still going when the next falls due skips that one), a panic
// recovered and logged, and on shutdown no new run, while a run under way is told to stop
// (its ctx ends) and waited for. What the chore does with its own errors is up to it.
type Job struct {
	name     string
	schedule robfig.Schedule
	loc      *time.Location
	fn       func(ctx context.Context)
	log      *slog.Logger
}

// NewJob checks spec (robfig's six-field form with seconds), read in loc, and returns a job
// that runs fn on it.
func NewJob(name, spec string, loc *time.Location, fn func(ctx context.Context), log *slog.Logger) (*Job, error) {
	if fn == nil {
		return nil, errors.New("cron: a job needs something to run")
	}
	if loc == nil {
		loc = time.UTC
	}
	if log == nil {
		log = slog.Default()
	}
	sched, err := robfig.NewParser(robfig.Second | robfig.Minute | robfig.Hour | robfig.Dom | robfig.Month | robfig.Dow | robfig.Descriptor).Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("cron spec %q: %w", spec, err)
	}
	return &Job{name: name, schedule: sched, loc: loc, fn: fn, log: log}, nil
}

// Name implements the service interface of cmd/studybot.
func (j *Job) Name() string { return j.name }

// Next is when the job runs next after t.
func (j *Job) Next(t time.Time) time.Time { return j.schedule.Next(t.In(j.loc)) }

// Run runs the job on its schedule until ctx ends, then waits for a run under way.
func (j *Job) Run(ctx context.Context) error {
	l := logger{j.log}
	c := robfig.New(robfig.WithLocation(j.loc), robfig.WithLogger(l),
		// Recover inside SkipIfStillRunning: robfig's skip wrapper frees its slot only when the
		// job returns, so a panic passing through it would skip every later run.
		robfig.WithChain(robfig.SkipIfStillRunning(l), robfig.Recover(l)))
	c.Schedule(j.schedule, robfig.FuncJob(func() { j.fn(ctx) }))
	c.Start()
	j.log.Info("job scheduled", "job", j.name, "next", j.Next(time.Now()).Format(time.RFC3339))
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}
