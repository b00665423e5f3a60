package discord

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/studybot/studybot/bot"
)

// IdentifyInterval is how often Discord lets one rate-limit bucket start a gateway session.
const IdentifyInterval = 5 * time.Second

// IdentifyGate paces gateway session starts (IDENTIFY). Discord puts shard s in bucket
// s % max_concurrency (from GET /gateway/bot) and lets each bucket start one session per
// IdentifyInterval; a shard that identifies sooner gets op 9 INVALID_SESSION instead of
// READY. Every shard of a process must share one gate: a shard passes only when its bucket
// is free and the bucket's last session start finished (READY read) at least an interval
// ago, so the spacing holds however long a dial takes.
//
// With a Claimer shared by several processes (Redis), the spacing holds across them too:
// before each session start the gate claims "discord-identify:<bucket>" for two intervals,
// one for the dial and HELLO to reach IDENTIFY and one for Discord's spacing, and waits while
// another process holds it. If the claimer fails, the gate warns once and paces this process
// only until it works again. Without a claimer nothing paces processes against each other:
// pods starting in order (OrderedReady) usually start apart, but nothing guarantees it.
//
// The gate paces the session starts the adapter makes. discordgo v0.29 also identifies on
// its own, at once and past the gate, whenever the gateway answers op 9 INVALID_SESSION (a
// RESUME refused after a long outage, or an IDENTIFY refused as too early), and it cannot be
// hooked there. When several shards of one bucket are refused together they re-identify
// together and can draw op 9 again, in a loop that only ends when one IDENTIFY lands outside
// another's interval; each such connection still has to reach READY within the adapter's
// ConnectTimeout, or it is dropped and discordgo reconnects after its back-off.
type IdentifyGate struct {
	interval time.Duration
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	claimer  bot.Claimer
	log      *slog.Logger

	mu           sync.Mutex
	claimFailing bool          // the last claim failed; warned once
	changed      chan struct{} // closed and replaced whenever a bucket is released
	buckets      map[int]*identifyBucket
	// remaining is the session starts Discord's limit leaves, counted down by those this gate
	// let through since the limit was read; -1 until a shard brings one. lastStart tells a
	// reading that already counts every start (read after it) from one that does not.
	remaining int
	lastStart time.Time
}

type identifyBucket struct {
	busy bool      // a shard of this bucket is starting its session
	next time.Time // the earliest instant the next one may start
}

// GateOptions configures an IdentifyGate; the zero value is Discord's pacing on real time,
// for the shards of this process.
type GateOptions struct {
	Interval time.Duration // per bucket; zero: IdentifyInterval
	// Claimer paces session starts across every process that shares it (see IdentifyGate);
	// nil: this process only.
	Claimer bot.Claimer
	Logger  *slog.Logger // nil: slog.Default()
	// Now and Sleep are the gate's time; tests pass a clock they move. Sleep returns early
	// with ctx's error. Nil: the system clock and a real timer.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// NewIdentifyGate returns a gate with no session started yet.
func NewIdentifyGate(o GateOptions) *IdentifyGate {
	g := &IdentifyGate{interval: o.Interval, now: o.Now, sleep: o.Sleep, claimer: o.Claimer, log: o.Logger,
		changed: make(chan struct{}), buckets: map[int]*identifyBucket{}, remaining: -1}
	if g.log == nil {
		g.log = slog.Default()
	}
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

// acquire waits until shard may start a session (and, with a claimer, until this process
// holds its bucket's claim) and returns the release to call once the session start is over,
// READY or not, and how many starts the limit leaves after this one (-1: unknown). Shards
// that looked the limit up together share one count, so they cannot overdraw it. It fails
// with errNoStartsLeft when no start is left, or with ctx's error when ctx ends first.
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
			if lim.known() && (g.remaining < 0 || lim.read.After(g.lastStart) || lim.remaining < g.remaining) {
				g.remaining = lim.remaining
			}
			if g.remaining == 0 {
				g.mu.Unlock()
				return nil, 0, errNoStartsLeft
			}
			if g.remaining > 0 {
				g.remaining--
			}
			left, g.lastStart = g.remaining, now
			b.busy = true
			g.mu.Unlock()
			if err := g.claim(ctx, key); err != nil {
				g.unreserve(b)
				return nil, 0, err
			}
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

// claim waits until this process holds bucket's claim for one session start; without a
// claimer, or with a failing one, it returns at once. It fails only when ctx ends.
func (g *IdentifyGate) claim(ctx context.Context, bucket int) error {
	if g.claimer == nil {
		return nil
	}
	key := fmt.Sprintf("discord-identify:%d", bucket)
	// The token names this one session start: a retried claim of it counts as won, any
	// other start's (this process's included) does not.
	token := rand.Text()
	for {
		won, err := g.claimer.Claim(ctx, key, token, 2*g.interval)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			g.claimWorks(false, err)
			return nil
		}
		g.claimWorks(true, nil)
		if won {
			return nil
		}
		// Another process is starting a session of this bucket; its claim runs out by itself.
		if err := g.sleep(ctx, g.interval/10); err != nil {
			return err
		}
	}
}

// claimWorks logs when claims start failing, once, and when they work again.
func (g *IdentifyGate) claimWorks(ok bool, err error) {
	g.mu.Lock()
	was := g.claimFailing
	g.claimFailing = !ok
	g.mu.Unlock()
	switch {
	case !ok && !was:
		g.log.Warn("cannot claim Discord session starts across processes; pacing this process's shards only",
			"err", err)
	case ok && was:
		g.log.Info("Discord session starts are paced across processes again")
	}
}

// unreserve gives back a bucket, and the start it counted, when the session start did not
// happen.
func (g *IdentifyGate) unreserve(b *identifyBucket) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.remaining >= 0 {
		g.remaining++
	}
	g.freeLocked(b, b.next)
}

// release frees the bucket once its session start is over; the next may start an interval
// later.
func (g *IdentifyGate) release(b *identifyBucket) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.freeLocked(b, g.now().Add(g.interval))
}

// freeLocked frees the bucket until next and wakes the shards waiting; g.mu must be held.
func (g *IdentifyGate) freeLocked(b *identifyBucket, next time.Time) {
	b.busy, b.next = false, next
	close(g.changed)
	g.changed = make(chan struct{})
}
