package cron_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/cron"
	"github.com/studybot/studybot/bot"
)

var (
	t0      = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	discard = slog.New(slog.NewTextHandler(io.Discard, nil))
)

// runEverySecond runs the cron service over rec, ticking every second instead of every
// minute so a test waits a second, not a minute. cancel stops it; done reports Run's result.
func runEverySecond(t *testing.T, rec *recorder, clock *bot.ManualClock) (cancel context.CancelFunc, done chan error) {
	t.Helper()
	svc, err := cron.New(rec, cron.Options{Clock: clock, Logger: discard, Spec: "* * * * * *"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan error)
	go func() { done <- svc.Run(ctx) }()
	return cancel, done
}

type window struct{ from, to time.Time }

// recorder is a Runner that reports every window it is handed.
type recorder struct {
	calls chan window
	block func(window)
}

func (r *recorder) RunDue(_ context.Context, from, to time.Time) error {
	w := window{from, to}
	r.calls <- w
	if r.block != nil {
		r.block(w)
	}
	return nil
}

func next(t *testing.T, calls <-chan window) window {
	t.Helper()
	select {
	case w := <-calls:
		return w
	case <-time.After(10 * time.Second):
		t.Fatal("the scheduler was not run")
		return window{}
	}
}

func TestRunCatchesUpOnStartThenHandsOverEachStretchOfTimeOnce(t *testing.T) {
	t.Parallel()
	clock := bot.NewManualClock(t0)
	rec := &recorder{calls: make(chan window, 10)}
	cancel, done := runEverySecond(t, rec, clock)

	if w := next(t, rec.calls); !w.from.Equal(t0) || !w.to.Equal(t0) {
		t.Fatalf("first run %v, want the catch-up (now, now)", w)
	}
	// Ticks while the clock stands still hand over nothing; a minute later, that minute.
	clock.Advance(time.Minute)
	if w := next(t, rec.calls); !w.from.Equal(t0) || !w.to.Equal(t0.Add(time.Minute)) {
		t.Fatalf("tick %v, want (t0, t0+1m]", w)
	}
	clock.Advance(time.Minute)
	if w := next(t, rec.calls); !w.from.Equal(t0.Add(time.Minute)) || !w.to.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("tick %v, want the next minute", w)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after shutdown = %v, want nil", err)
	}
}

func TestShutdownWaitsForTheRunningTick(t *testing.T) {
	t.Parallel()
	clock := bot.NewManualClock(t0)
	var finished atomic.Bool
	entered, release := make(chan struct{}), make(chan struct{})
	rec := &recorder{calls: make(chan window, 10), block: func(w window) {
		if w.to.After(w.from) {
			close(entered)
			<-release
			finished.Store(true)
		}
	}}
	cancel, done := runEverySecond(t, rec, clock)
	next(t, rec.calls) // the catch-up
	clock.Advance(time.Minute)
	<-entered
	cancel()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !finished.Load() {
		t.Error("Run returned before the running tick finished")
	}
}

func TestABadSpecIsRefused(t *testing.T) {
	if _, err := cron.New(&recorder{}, cron.Options{Spec: "every minute please"}); err == nil {
		t.Error("a bad spec was accepted")
	}
	if _, err := cron.New(nil, cron.Options{}); err == nil {
		t.Error("a nil runner was accepted")
	}
}
