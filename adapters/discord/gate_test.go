package discord

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

// sleepOn is a gate Sleep that moves clock instead of waiting.
func sleepOn(clock *bot.ManualClock) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		clock.Advance(d)
		return nil
	}
}

var gateT0 = time.Date(2025, 3, 3, 7, 0, 0, 0, time.UTC)

func newTestGate() (*IdentifyGate, *bot.ManualClock) {
	clock := bot.NewManualClock(gateT0)
	return NewIdentifyGate(GateOptions{Now: clock.Now, Sleep: sleepOn(clock)}), clock
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
	clock.Advance(8 * time.Second) // shard 0's dial and READY take 8 s
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

// Processes sharing a claimer (Redis, across pods) never start sessions of one bucket
// within an interval of each other: each start holds its bucket's claim for two intervals
// (the dial up to IDENTIFY, then Discord's spacing), and a start of another process, or
// another of this process, waits it out. Different buckets do not wait for each other.
func TestProcessesSharingAClaimerStartABucketApart(t *testing.T) {
	type start struct {
		process, shard int
		want           time.Duration // after t0
	}
	for _, tc := range []struct {
		name           string
		maxConcurrency int
		starts         []start
	}{
		{"one bucket, two processes", 1, []start{{0, 0, 0}, {1, 1, 10 * time.Second}}},
		{"one bucket, a process twice, then another", 1,
			[]start{{0, 0, 0}, {0, 1, 10 * time.Second}, {1, 2, 20 * time.Second}}},
		{"two buckets, two processes", 2, []start{{0, 0, 0}, {1, 1, 0}, {1, 3, 10 * time.Second}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := bot.NewManualClock(gateT0)
			claimer := bot.NewLocalClaimer(clock) // what Redis is to pods
			gates := []*IdentifyGate{
				NewIdentifyGate(GateOptions{Now: clock.Now, Sleep: sleepOn(clock), Claimer: claimer}),
				NewIdentifyGate(GateOptions{Now: clock.Now, Sleep: sleepOn(clock), Claimer: claimer}),
			}
			lim := startLimit{maxConcurrency: tc.maxConcurrency}
			for _, s := range tc.starts {
				release, _, err := gates[s.process].acquire(context.Background(), s.shard, lim)
				if err != nil {
					t.Fatal(err)
				}
				release() // READY at once
				if got := clock.Now().Sub(gateT0); got != s.want {
					t.Errorf("process %d, shard %d started at +%s, want +%s", s.process, s.shard, got, s.want)
				}
			}
		})
	}
}

// A shard waiting for another process's claim stops with its context, and the start it did
// not make takes neither its bucket nor one of the day's session starts.
func TestAShardWaitingForAnotherProcessGivesBackItsTurn(t *testing.T) {
	clock := bot.NewManualClock(gateT0)
	claimer := bot.NewLocalClaimer(clock)
	if won, _ := claimer.Claim(context.Background(), "discord-identify:0", "another pod", time.Hour); !won {
		t.Fatal("setup: the other pod did not win the claim")
	}
	g := NewIdentifyGate(GateOptions{Now: clock.Now, Sleep: sleepOn(clock), Claimer: claimer})
	lim := startLimit{total: 1000, remaining: 2, maxConcurrency: 1, read: gateT0}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := g.acquire(ctx, 0, lim); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	clock.Advance(time.Hour) // the other pod's claim runs out
	before := clock.Now()
	// Real time bounds the wait only so that a bucket left busy fails the test, not hangs it.
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, left, err := g.acquire(ctx, 1, lim)
	if err != nil || left != 1 {
		t.Errorf("the next start: left %d, err %v; want 1 of 2 left", left, err)
	}
	if waited := clock.Now().Sub(before); waited != 0 {
		t.Errorf("the next start waited %s for a bucket nobody used", waited)
	}
}
