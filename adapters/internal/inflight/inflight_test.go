package inflight_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/internal/inflight"
)

// stopped is a context that has already ended: Wait with it says whether anything is still
// in flight right now, without waiting for anything.
func stopped() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestNewWorkIsAdmittedThenRefusedThenDroppedAsAShutdownProceeds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps func(*inflight.Tracker)
		want  inflight.Admission
	}{
		{"open", func(*inflight.Tracker) {}, inflight.Admitted},
		{"draining", func(t *inflight.Tracker) { t.Drain() }, inflight.Refused},
		{"closed", func(t *inflight.Tracker) { t.Drain(); t.Close() }, inflight.Dropped},
		{"closed without a drain (the transport died)", func(t *inflight.Tracker) { t.Close() }, inflight.Dropped},
		{"a drain after closing does not reopen", func(t *inflight.Tracker) { t.Close(); t.Drain() }, inflight.Dropped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tr inflight.Tracker
			tc.steps(&tr)
			got := tr.Enter()
			defer tr.Leave()
			if got != tc.want {
				t.Errorf("Enter = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAShutdownWaitsForEveryPieceOfWorkWhateverItsAdmission(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before func(*inflight.Tracker) // the phase the work enters in
	}{
		{"admitted work", func(*inflight.Tracker) {}},
		{"a refusal still on its way", func(t *inflight.Tracker) { t.Drain() }},
		{"dropped work", func(t *inflight.Tracker) { t.Close() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tr inflight.Tracker
			tc.before(&tr)
			tr.Enter()
			tr.Enter()
			if err := tr.Wait(stopped()); !errors.Is(err, context.Canceled) {
				t.Fatalf("Wait with two in flight = %v, want it cut off by its context", err)
			}
			tr.Leave()
			if err := tr.Wait(stopped()); err == nil {
				t.Fatal("Wait returned with one still in flight")
			}
			waited := make(chan error, 1)
			go func() { waited <- tr.Wait(context.Background()) }()
			tr.Leave()
			if err := <-waited; err != nil {
				t.Errorf("Wait after the last Leave = %v", err)
			}
		})
	}
}

func TestDrainSaysHowMuchIsInFlight(t *testing.T) {
	var tr inflight.Tracker
	for range 3 {
		tr.Enter()
	}
	tr.Leave()
	if n := tr.Drain(); n != 2 {
		t.Errorf("Drain = %d, want 2", n)
	}
}

func TestWaitWithNothingInFlightReturnsAtOnce(t *testing.T) {
	var tr inflight.Tracker
	if err := tr.Wait(stopped()); err != nil {
		t.Errorf("Wait on an idle tracker = %v", err)
	}
}

func TestGoCountsItsGoroutineUntilItReturns(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before func(*inflight.Tracker)
		want   inflight.Admission
	}{
		{"open", func(*inflight.Tracker) {}, inflight.Admitted},
		{"draining", func(t *inflight.Tracker) { t.Drain() }, inflight.Refused},
		{"closed", func(t *inflight.Tracker) { t.Close() }, inflight.Dropped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tr inflight.Tracker
			tc.before(&tr)
			release := make(chan struct{})
			got := make(chan inflight.Admission, 1)
			tr.Go(func(a inflight.Admission) {
				got <- a
				<-release
			})
			if err := tr.Wait(stopped()); err == nil {
				t.Fatal("Wait returned while Go's function was still running")
			}
			if a := <-got; a != tc.want {
				t.Errorf("the function got %v, want %v", a, tc.want)
			}
			close(release)
			if err := tr.Wait(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
}

// Many commands arriving while a shutdown begins: each is either admitted, or refused
// after the drain, and the final Wait sees every one of them finish.
func TestConcurrentWorkDuringADrainIsAllWaitedFor(t *testing.T) {
	var tr inflight.Tracker
	var (
		mu       sync.Mutex
		finished int
	)
	var started sync.WaitGroup
	for range 100 {
		started.Add(1)
		go func() {
			tr.Enter()
			started.Done()
			defer tr.Leave()
			mu.Lock()
			finished++
			mu.Unlock()
		}()
	}
	started.Wait()
	tr.Drain()
	if err := tr.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	tr.Close()
	mu.Lock()
	defer mu.Unlock()
	if finished != 100 {
		t.Errorf("Wait returned with %d of 100 finished", finished)
	}
}

func TestLeaveWithoutEnterIsABug(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Leave without Enter did not panic")
		}
	}()
	var tr inflight.Tracker
	tr.Leave()
}

func TestAnAnswerIsTakenWithinTheWindowOrDeliveredLate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		window  time.Duration
		finish  bool // the work is finished before Within is asked
		blocked bool // the work cannot finish until the test lets it
		onTime  bool
	}{
		{"quick work is answered within a long window", time.Hour, false, false, true},
		{"work already finished is taken even with no window left", 0, true, false, true},
		{"work still running when the window closes is answered late", 0, false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			if !tc.blocked {
				close(release)
			}
			r := inflight.Go(func() string {
				<-release
				return "answer"
			})
			if tc.finish {
				r.Wait()
			}
			got, ok := r.Within(tc.window)
			if ok != tc.onTime {
				t.Fatalf("Within answered on time = %v, want %v", ok, tc.onTime)
			}
			if ok && got != "answer" {
				t.Errorf("Within = %q, want the answer", got)
			}
			if !ok && got != "" {
				t.Errorf("Within gave up but returned %q", got)
			}
			if tc.blocked {
				close(release)
			}
			if late := r.Wait(); late != "answer" {
				t.Errorf("Wait = %q, want the answer, late or not", late)
			}
		})
	}
}
