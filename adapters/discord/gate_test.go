package discord

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeTime is a clock that moves only when the gate sleeps on it (or the test says).
type fakeTime struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.advance(d)
	return nil
}

var gateT0 = time.Date(2025, 3, 3, 7, 0, 0, 0, time.UTC)

func newTestGate() (*IdentifyGate, *fakeTime) {
	clock := &fakeTime{now: gateT0}
	return NewIdentifyGate(GateOptions{Now: clock.Now, Sleep: clock.Sleep}), clock
}

func TestShardsOfOneBucketStartFiveSecondsApart(t *testing.T) {
	for _, tc := range []struct {
		name           string
		maxConcurrency int
		shards         []int
		want           []time.Duration // each shard's start after t0
	}{
		{"one bucket", 1, []int{0, 1, 2}, []time.Duration{0, 5 * time.Second, 10 * time.Second}},
		{"unknown concurrency is one bucket", 0, []int{0, 1}, []time.Duration{0, 5 * time.Second}},
		{"two buckets", 2, []int{0, 1, 2, 3, 4}, []time.Duration{0, 0, 5 * time.Second, 5 * time.Second, 10 * time.Second}},
		{"a bucket per shard", 16, []int{4, 5, 6, 7}, []time.Duration{0, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, clock := newTestGate()
			lim := startLimit{total: 1000, remaining: 1000, maxConcurrency: tc.maxConcurrency, read: gateT0}
			for i, shard := range tc.shards {
				release, _, err := g.acquire(context.Background(), shard, lim)
				if err != nil {
					t.Fatal(err)
				}
				if got := clock.Now().Sub(gateT0); got != tc.want[i] {
					t.Errorf("shard %d started at +%s, want +%s", shard, got, tc.want[i])
				}
				release()
			}
		})
	}
}

// The interval counts from the end of a session start (READY read), not its beginning, so
// a slow dial cannot bring two IDENTIFYs of a bucket closer than the interval.
func TestTheIntervalCountsFromTheEndOfTheLastSessionStart(t *testing.T) {
	g, clock := newTestGate()
	lim := startLimit{maxConcurrency: 1}
	release, _, err := g.acquire(context.Background(), 0, lim)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan time.Duration, 1)
	go func() {
		r, _, err := g.acquire(context.Background(), 1, lim)
		if err != nil {
			t.Error(err)
		}
		started <- clock.Now().Sub(gateT0)
		r()
	}()
	clock.advance(8 * time.Second) // shard 0's dial and READY take 8 s
	release()
	if got := <-started; got != 13*time.Second {
		t.Errorf("shard 1 started at +%s, want +13s: 5 s after shard 0's READY at +8s", got)
	}
}

func TestSessionStartsStopBeforeTheDailyLimitRunsOut(t *testing.T) {
	g, _ := newTestGate()
	// Three shards read the limit together, before any of them started.
	lim := startLimit{total: 1000, remaining: 2, maxConcurrency: 16, read: gateT0}
	for shard, want := range []int{1, 0} {
		release, left, err := g.acquire(context.Background(), shard, lim)
		if err != nil || left != want {
			t.Fatalf("shard %d: left %d, err %v; want %d left", shard, left, err, want)
		}
		release()
	}
	if _, _, err := g.acquire(context.Background(), 2, lim); !errors.Is(err, errNoStartsLeft) {
		t.Errorf("a third start with 2 left: err %v, want errNoStartsLeft", err)
	}
	// A limit read after those starts already counts them.
	fresh := startLimit{total: 1000, remaining: 5, maxConcurrency: 16, read: gateT0.Add(time.Second)}
	if _, left, err := g.acquire(context.Background(), 3, fresh); err != nil || left != 4 {
		t.Errorf("with a fresh limit of 5: left %d, err %v; want 4", left, err)
	}
}

func TestAShardWaitingItsTurnStopsWithItsContext(t *testing.T) {
	g, _ := newTestGate()
	lim := startLimit{maxConcurrency: 1}
	if _, _, err := g.acquire(context.Background(), 0, lim); err != nil { // held: READY never comes
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := g.acquire(ctx, 1, lim); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}
