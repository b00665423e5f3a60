package cron_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/cron"
)

func TestTheDailyQuietMinuteIsOnceADayOffTheMinuteTick(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	job, err := cron.NewJob("backup", cron.DailyQuietSpec, berlin, func(context.Context) {}, discard)
	if err != nil {
		t.Fatal(err)
	}
	first := job.Next(time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC))
	second := job.Next(first)
	for _, at := range []time.Time{first, second} {
		local := at.In(berlin)
		if local.Hour() != 4 || local.Minute() != 17 || local.Second() != 30 {
			t.Errorf("runs at %s, want 04:17:30 Berlin time", local)
		}
	}
	if first.In(berlin).Day() != 29 || second.In(berlin).Day() != 30 {
		t.Errorf("runs on %s then %s, want one run each day (across the change to summer time too)", first, second)
	}
}

// TestAJobRunsOnItsScheduleAndSurvivesItsOwnPanic: a chore that panics is logged, not fatal,
// and runs again next time.
func TestAJobRunsOnItsScheduleAndSurvivesItsOwnPanic(t *testing.T) {
	t.Parallel()
	runs := make(chan int, 10)
	var n atomic.Int32
	job, err := cron.NewJob("chore", "* * * * * *", time.UTC, func(context.Context) {
		i := int(n.Add(1))
		runs <- i
		if i == 1 {
			panic("the chore broke")
		}
	}, discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- job.Run(ctx) }()
	for want := 1; want <= 2; want++ {
		select {
		case got := <-runs:
			if got != want {
				t.Fatalf("run %d, want %d", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("run %d never came", want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

// TestShutdownTellsARunningJobToStopAndWaitsForIt: the run under way sees its context end.
func TestShutdownTellsARunningJobToStopAndWaitsForIt(t *testing.T) {
	t.Parallel()
	started, finished := make(chan struct{}), make(chan struct{})
	var once atomic.Bool
	job, err := cron.NewJob("chore", "* * * * * *", time.UTC, func(ctx context.Context) {
		if !once.CompareAndSwap(false, true) {
			return
		}
		close(started)
		<-ctx.Done()
		close(finished)
	}, discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- job.Run(ctx) }()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the job never ran")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	select {
	case <-finished:
	default:
		t.Error("Run returned before the run under way finished")
	}
}
