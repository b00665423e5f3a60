// Package inflight is what the Discord and Slack adapters share about commands in flight:
// a Tracker that lets a shutdown finish them (while new ones are told the bot is
// restarting), and a Result that answers within a platform's acknowledgement window when
// the command is quick and otherwise lets the adapter acknowledge first and answer late.
//
// It lives outside bot/ because acknowledgement windows and draining a connection are
// delivery concerns of chat platforms, not study rules; it is no adapter either, since it
// wraps no third-party package and imports the standard library only. It is internal to
// adapters/ so that only the chat adapters use it, and each third-party package stays
// imported by the one adapter named after it.
//
// What stays with each adapter is what the platforms do differently: the length of the
// window (Discord's 3 s to acknowledge an interaction, Slack's 3 s to acknowledge a
// command), what an acknowledgement is (a deferred "thinking…" response on Discord, an
// empty acknowledgement or HTTP 200 on Slack), where a late answer goes (an edit of the
// deferral on Discord, the response_url on Slack), and what a refusal looks like.
package inflight

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Admission is how a Tracker takes a new piece of work, following the phases of a shutdown.
type Admission int

const (
	// Admitted: the tracker is open; do the work.
	Admitted Admission = iota
	// Refused: a shutdown is draining the work in flight; answer briefly that the bot is
	// restarting instead of starting the work. The transport still delivers such an
	// answer, so the drain waits for it too.
	Refused
	// Dropped: the transport is closed or closing; nothing sent now would arrive.
	Dropped
)

func (a Admission) String() string {
	switch a {
	case Admitted:
		return "admitted"
	case Refused:
		return "refused"
	case Dropped:
		return "dropped"
	}
	return fmt.Sprintf("Admission(%d)", int(a))
}

// Tracker counts work in flight so a shutdown can wait for it. The zero value is open.
//
// A shutdown calls Drain (new work is Refused), waits for the count to reach zero while
// the transport still delivers answers, closes the transport, then calls Close (new work is
// Dropped) and waits once more for the refusals that were still on their way.
type Tracker struct {
	mu    sync.Mutex
	n     int
	state Admission     // what Enter answers now
	idle  chan struct{} // closed when n returns to zero; made only while someone waits
}

// Enter counts one piece of work and says how to treat it. Every Enter, whatever it
// answers, must be matched by one Leave once the work (or its refusal) is over.
func (t *Tracker) Enter() Admission {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n++
	return t.state
}

// Leave ends a piece of work counted by Enter.
func (t *Tracker) Leave() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == 0 {
		panic("inflight: Leave without Enter")
	}
	t.n--
	if t.n == 0 && t.idle != nil {
		close(t.idle)
		t.idle = nil
	}
}

// Go runs fn on a goroutine of its own, counted from before Go returns until fn returns;
// fn gets the admission Enter gave it and decides what to do with it.
func (t *Tracker) Go(fn func(Admission)) {
	a := t.Enter()
	go func() {
		defer t.Leave()
		fn(a)
	}()
}

// Drain refuses new work from now on and says how much is in flight.
func (t *Tracker) Drain() (inFlight int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.state = max(t.state, Refused)
	return t.n
}

// Close drops new work from now on: the transport is going away.
func (t *Tracker) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.state = Dropped
}

// Wait blocks until nothing is in flight, or ctx ends. Before Drain, new work can start
// at any time, so nothing may be left in flight by the time Wait returns.
func (t *Tracker) Wait(ctx context.Context) error {
	for {
		t.mu.Lock()
		n := t.n
		if n == 0 {
			t.mu.Unlock()
			return nil
		}
		if t.idle == nil {
			t.idle = make(chan struct{})
		}
		idle := t.idle
		t.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return fmt.Errorf("inflight: %d still running: %w", n, ctx.Err())
		}
	}
}

// Result is the outcome of a function running on a goroutine of its own: an answer that
// may be ready within a platform's acknowledgement window, or only after it.
type Result[T any] struct {
	done chan struct{}
	v    T
}

// Go runs fn on a goroutine of its own. fn must not panic: a command that may panic
// recovers inside fn and returns its apology instead.
func Go[T any](fn func() T) *Result[T] {
	r := &Result[T]{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.v = fn()
	}()
	return r
}

// Within returns the result if it is ready within d; ok false means the caller should
// acknowledge now and deliver Wait's result late. A result already in is taken even when
// the window has passed, so a quick answer is never needlessly deferred.
func (r *Result[T]) Within(d time.Duration) (v T, ok bool) {
	if v, ok := r.ready(); ok {
		return v, true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-r.done:
		return r.v, true
	case <-timer.C:
		return r.ready()
	}
}

// ready returns the result if it is in, without waiting.
func (r *Result[T]) ready() (v T, ok bool) {
	select {
	case <-r.done:
		return r.v, true
	default:
		return v, false
	}
}

// Wait blocks until the result is ready and returns it.
func (r *Result[T]) Wait() T {
	<-r.done
	return r.v
}
