package discord

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/studybot/studybot/bot"
)

// IdentifyInterval is how often Discord lets one rate-limit bucket start a gateway session.
const IdentifyInterval = 5 * time.Second

// IdentifyGate paces gateway session starts (IDENTIFY) across the shards of one process.
// Discord puts shard s in bucket s % max_concurrency (from GET /gateway/bot) and lets each
// bucket start one session per IdentifyInterval; a shard that identifies sooner gets op 9
// INVALID_SESSION instead of READY. Every shard of a process must share one gate: a
// shard passes only when its bucket is free and the bucket's last session start finished
// (READY read) at least an interval ago, so the spacing holds however long a dial takes.
//
// The gate sees one process only. Processes that each run shards of one bot must start
// apart (a StatefulSet's ordered start, which waits for each pod to be ready, does that).
type IdentifyGate struct {
	interval time.Duration
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error

	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever a bucket is released
	buckets map[int]*identifyBucket
	starts  []time.Time // session starts let through in the last day, oldest first
}

type identifyBucket struct {
	busy bool      // a shard of this bucket is starting its session
	next time.Time // the earliest instant the next one may start
}

// GateOptions configures an IdentifyGate; the zero value is Discord's pacing on real time.
type GateOptions struct {
	Interval time.Duration // per bucket; zero: IdentifyInterval
	// Now and Sleep are the gate's time; tests pass a clock they move. Sleep returns early
	// with ctx's error. Nil: the system clock and a real timer.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// NewIdentifyGate returns a gate with no session started yet.
func NewIdentifyGate(o GateOptions) *IdentifyGate {
	g := &IdentifyGate{interval: o.Interval, now: o.Now, sleep: o.Sleep,
		changed: make(chan struct{}), buckets: map[int]*identifyBucket{}}
	if g.interval <= 0 {
		g.interval = IdentifyInterval
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.sleep == nil {
		g.sleep = bot.Sleep
	}
	return g
}

// startLimit is the session_start_limit of GET /gateway/bot, and when it was read.
type startLimit struct {
	total, remaining, maxConcurrency int
	resetAfter                       time.Duration
	read                             time.Time
}

// known says whether Discord sent a limit at all (a proxy may strip it).
func (l startLimit) known() bool { return l.total > 0 }

// resets is when the count of session starts is back to its total.
func (l startLimit) resets() time.Time { return l.read.Add(l.resetAfter) }

// errNoStartsLeft refuses a session start the limit does not allow: past it Discord ends
// every session of the bot and resets its token.
var errNoStartsLeft = errors.New("no gateway session starts left")

// acquire waits until shard may start a session and returns the release to call once the
// session start is over, READY or not, and how many starts the limit leaves after this one.
// A limit read before session starts this gate let through since is counted down by them,
// so shards that looked it up together cannot overdraw it. It fails with errNoStartsLeft
// when no start is left, or with ctx's error when ctx ends first.
func (g *IdentifyGate) acquire(ctx context.Context, shard int, lim startLimit) (release func(), left int, err error) {
	key := shard % max(lim.maxConcurrency, 1)
	for {
		g.mu.Lock()
		b := g.buckets[key]
		if b == nil {
			b = &identifyBucket{}
			g.buckets[key] = b
		}
		now := g.now()
		if !b.busy && !now.Before(b.next) {
			left = -1 // unknown
			if lim.known() {
				left = lim.remaining - g.startsSinceLocked(lim.read)
				if left <= 0 {
					g.mu.Unlock()
					return nil, 0, errNoStartsLeft
				}
				left--
			}
			b.busy = true
			g.starts = append(g.starts, now)
			g.mu.Unlock()
			var once sync.Once
			return func() { once.Do(func() { g.release(b) }) }, left, nil
		}
		busy, wait, changed := b.busy, b.next.Sub(now), g.changed
		g.mu.Unlock()
		if busy {
			select {
			case <-changed:
			case <-ctx.Done():
				return nil, 0, ctx.Err()
			}
			continue
		}
		if err := g.sleep(ctx, wait); err != nil {
			return nil, 0, err
		}
	}
}

// startsSinceLocked counts the session starts let through at or after t, forgetting those
// older than a day (Discord's limit window); g.mu must be held.
func (g *IdentifyGate) startsSinceLocked(t time.Time) int {
	dayAgo := g.now().Add(-24 * time.Hour)
	for len(g.starts) > 0 && g.starts[0].Before(dayAgo) {
		g.starts = g.starts[1:]
	}
	n := 0
	for _, s := range g.starts {
		if !s.Before(t) {
			n++
		}
	}
	return n
}

func (g *IdentifyGate) release(b *identifyBucket) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b.busy = false
	b.next = g.now().Add(g.interval)
	close(g.changed)
	g.changed = make(chan struct{})
}
