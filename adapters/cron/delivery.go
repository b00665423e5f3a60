package cron

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/studybot/studybot/bot"
)

// pauseFor is how long a platform that refused the bot twice in a row gets no request at all.
// Every post given up meanwhile is lost for the day, so the pause is short: it spares the
// platform the rest of the run's burst, and later runs probe one post at a time.
const pauseFor = time.Minute

// DeliveryOptions wire a Delivery.
type DeliveryOptions struct {
	// Posters deliver by platform; a platform without one is not served here. The map is
	// read, not copied: adapters may register theirs later, but not during a run.
	Posters     map[string]bot.Poster
	Claimer     bot.Claimer   // nil: a bot.LocalClaimer on Clock
	Clock       bot.Clock     // what "now" is for retries and pauses; nil: the system clock
	Logger      *slog.Logger  // nil: slog.Default()
	Concurrency int           // posts in flight per platform; default 16
	PostTimeout time.Duration // one attempt to post; default 30s
	ClaimTTL    time.Duration // how long a claim on a channel-day stands; default bot.ClaimTTL
	Retry       RetryPolicy
	// Observe, when set, hears how each post ended: sent (err nil), or given up or disabled.
	Observe func(kind bot.ScheduleKind, platform string, err error)
}

// RetryPolicy says how transient failures are retried.
type RetryPolicy struct {
	Attempts int // tries in all, the first included; default 5
	// Backoff is the wait before retry n (1, 2, ...) when the platform named none; default
	// 2s doubling up to 1m, plus up to a quarter of jitter so retries spread out.
	Backoff func(n int) time.Duration
	MaxWait time.Duration // longer Retry-After gives the post up for the day; default 15m
}

// Delivery is the bot.Deliverer of `studybot run` and the console: it sends the scheduler's
// posts through each platform's Poster, claims each channel-day first, and turns every
// failure into the post's next step (a retry later, given up, its schedule disabled), or,
// when a platform refuses the bot itself, a pause of that platform.
//
// Posts due together go out concurrently, within a limit per platform. A refusal of the bot
// itself (token, scopes) blames no channel: one costs that post only; two in a row pause the
// platform briefly (its posts meanwhile are given up, every schedule stays on), then posts
// are tried one at a time until one goes through.
type Delivery struct {
	o DeliveryOptions // defaults filled in
	// claimWarned: one warning per claimer outage, not one per post; unclaimedWarned: one
	// per outage that posts went out without a claim.
	claimWarned, unclaimedWarned atomic.Bool

	mu     sync.Mutex
	paused map[string]*pausing // platforms that refused the bot, until a post there goes through
}

// pausing is a platform's state after it refused the bot twice in a row.
type pausing struct {
	until time.Time       // no request before then
	last  bot.ScheduleKey // refused last: the next probe starts after it
}

var _ bot.Deliverer = (*Delivery)(nil)

// NewDelivery returns a Delivery with o's defaults filled in.
func NewDelivery(o DeliveryOptions) *Delivery {
	if o.Posters == nil {
		o.Posters = map[string]bot.Poster{}
	}
	if o.Clock == nil {
		o.Clock = bot.SystemClock{}
	}
	if o.Claimer == nil {
		o.Claimer = bot.NewLocalClaimer(o.Clock)
	}
	if o.Retry.Backoff == nil {
		o.Retry.Backoff = func(n int) time.Duration {
			d := min(2*time.Second<<min(n-1, 10), time.Minute)
			return d + rand.N(d/4+1)
		}
	}
	o.Logger = cmp.Or(o.Logger, slog.Default())
	o.Concurrency = cmp.Or(max(o.Concurrency, 0), 16)
	o.PostTimeout = cmp.Or(max(o.PostTimeout, 0), 30*time.Second)
	o.ClaimTTL = cmp.Or(max(o.ClaimTTL, 0), bot.ClaimTTL)
	o.Retry.Attempts = cmp.Or(max(o.Retry.Attempts, 0), 5)
	o.Retry.MaxWait = cmp.Or(max(o.Retry.MaxWait, 0), 15*time.Minute)
	return &Delivery{o: o, paused: map[string]*pausing{}}
}

// Serves implements bot.Deliverer.
func (d *Delivery) Serves(platform string) bool { return d.o.Posters[platform] != nil }

// Deliver implements bot.Deliverer: each platform's posts go out concurrently, at most
// Concurrency at a time, and it returns when every post has an outcome.
func (d *Delivery) Deliver(ctx context.Context, posts []*bot.Post) {
	byPlatform := map[string][]*bot.Post{}
	for _, p := range posts {
		byPlatform[p.Key.Community.Platform] = append(byPlatform[p.Key.Community.Platform], p)
	}
	var wg sync.WaitGroup
	for platform, list := range byPlatform {
		wg.Go(func() { d.deliverPlatform(ctx, platform, list) })
	}
	wg.Wait()
}

// platformRun is one run's delivery to one platform. Its breaker opens once the platform is
// shown to refuse the bot itself: the posts after that are given up without a request.
type platformRun struct {
	platform string
	poster   bot.Poster
	grow     func() // more workers, once a probe went through

	mu      sync.Mutex
	refused []refusal // bot-wide refusals since the last post that went through
	outage  error     // why the breaker is open (two refusals in a row, or a pause); nil: closed
	fresh   bool      // this run paused the platform (rather than finding it paused)
	skipped int       // posts given up without a request while the breaker was open
}

// refusal is a post the platform refused as if it refused the bot itself.
type refusal struct {
	p   *bot.Post
	err error
}

func (d *Delivery) deliverPlatform(ctx context.Context, platform string, list []*bot.Post) {
	run := &platformRun{platform: platform, poster: d.o.Posters[platform], grow: func() {}}
	d.mu.Lock()
	pz, now := d.paused[platform], d.o.Clock.Now()
	probe, last := pz != nil, bot.ScheduleKey{}
	if probe {
		last = pz.last
		if now.Before(pz.until) {
			run.outage = errors.New("posting to the platform is paused")
		}
	}
	d.mu.Unlock()
	if i := slices.IndexFunc(list, func(p *bot.Post) bool { return p.Key == last }); probe && i >= 0 {
		list = append(slices.Clone(list[i+1:]), list[:i+1]...)
	}
	q := make(chan *bot.Post, len(list))
	for _, p := range list {
		q <- p
	}
	close(q)
	var wg sync.WaitGroup
	work := func() {
		for p := range q {
			d.attempt(ctx, run, p)
		}
	}
	workers := min(d.o.Concurrency, len(list))
	if probe {
		// The platform refused the bot in an earlier run: posts go one at a time, from the
		// one after the last refused, until one goes through (then the others follow at full
		// speed) or two are refused (then the rest are given up).
		more := workers - 1
		run.grow = sync.OnceFunc(func() {
			for range more {
				wg.Go(work)
			}
		})
		workers = 1
	}
	for range workers {
		wg.Go(work)
	}
	wg.Wait()
	d.reportRefusals(run)
}

// attempt tries a post once and settles it.
func (d *Delivery) attempt(ctx context.Context, run *platformRun, p *bot.Post) {
	if ctx.Err() != nil {
		// Shutting down: the post stays in flight in the store for the next start.
		return
	}
	if cause := run.outageCause(); cause != nil {
		d.giveUp(ctx, p, cause, true)
		return
	}
	// Every attempt is bounded, and runs to its end even when shutdown starts meanwhile.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.o.PostTimeout)
	defer cancel()
	send, err := p.Prepare(actx)
	if err != nil {
		d.failed(ctx, run, p, err)
		return
	}
	if !send {
		return
	}
	won, err := d.o.Claimer.Claim(actx, p.ClaimKey(), p.Token, d.o.ClaimTTL)
	if err != nil {
		if d.claimWarned.CompareAndSwap(false, true) {
			d.o.Logger.Warn("claims unavailable; posts wait a few minutes for them, then go out unclaimed", p.Attrs("err", err)...)
		}
		if p.At.Before(p.ClaimUntil) {
			p.Park(ctx)
			return
		}
		// Waiting longer would lose the post: better once late, unclaimed, than never.
		if d.unclaimedWarned.CompareAndSwap(false, true) {
			d.o.Logger.Warn("posting without a claim: the claimer did not answer in time", p.Attrs("err", err)...)
		}
		won = true
	} else if d.claimWarned.CompareAndSwap(true, false) {
		d.unclaimedWarned.Store(false)
		d.o.Logger.Info("claims answer again")
	}
	if !won {
		d.o.Logger.Info("another studybot has this post", p.Attrs()...)
		p.Sent(ctx)
		return
	}
	if p.Key.Kind.ToChannel() {
		err = run.poster.Post(actx, p.Key.Channel(), p.Msg)
	} else {
		err = run.poster.DirectMessage(actx, p.Key.Community, p.Key.Target, p.Msg)
	}
	if err != nil {
		d.failed(ctx, run, p, err)
		return
	}
	d.o.Logger.Debug("scheduled post sent", p.Attrs("attempts", p.Attempts+1)...)
	d.wentThrough(run)
	if d.unpause(run.platform) {
		d.o.Logger.Info("the platform takes the bot's posts again", "platform", run.platform)
	}
	run.grow()
	p.Sent(ctx)
	d.observed(p, nil)
}

// failed settles a post whose attempt failed: a retry later, unless the failure says no
// retry can help or the post ran out of attempts.
func (d *Delivery) failed(ctx context.Context, run *platformRun, p *bot.Post, err error) {
	var pe *bot.PostError
	isPost := errors.As(err, &pe)
	attempts := p.Attempts + 1
	switch {
	case isPost && pe.BotWide:
		d.refused(ctx, run, p, err)
		return
	case isPost && pe.Permanent:
		p.Disable(ctx, err)
		d.observed(p, err)
		return
	case attempts >= d.o.Retry.Attempts:
		d.giveUp(ctx, p, fmt.Errorf("%d attempts failed, the last: %w", attempts, err), false)
		return
	}
	wait := d.o.Retry.Backoff(attempts)
	if isPost && pe.RetryAfter > wait {
		wait = pe.RetryAfter
	}
	if wait > d.o.Retry.MaxWait {
		d.giveUp(ctx, p, fmt.Errorf("the platform asked to wait %s: %w", wait, err), false)
		return
	}
	d.o.Logger.Warn("scheduled post failed; retrying", p.Attrs("attempt", attempts, "retry_in", wait, "err", err)...)
	p.Retry(ctx, d.o.Clock.Now().Add(wait))
}

// giveUp settles the post as given up for the day; quiet leaves the log line to the caller.
func (d *Delivery) giveUp(ctx context.Context, p *bot.Post, cause error, quiet bool) {
	p.GiveUp(ctx)
	if quiet {
		d.o.Logger.Debug("scheduled post given up for the day", p.Attrs("err", cause)...)
	} else {
		d.o.Logger.Error("scheduled post given up for the day", p.Attrs("err", cause)...)
	}
	d.observed(p, cause)
}

func (d *Delivery) observed(p *bot.Post, err error) {
	if d.o.Observe != nil {
		d.o.Observe(p.Key.Kind, p.Key.Community.Platform, err)
	}
}

// refused gives up a post the platform refused as if it refused the bot itself, and opens
// the run's breaker when it is the second in a row: one channel's trouble worded like the
// bot's costs only that channel's post.
func (d *Delivery) refused(ctx context.Context, run *platformRun, p *bot.Post, err error) {
	run.mu.Lock()
	run.refused = append(run.refused, refusal{p, err})
	opens := len(run.refused) == 2 && run.outage == nil
	if fresh := d.noteRefused(run.platform, p.Key, opens); opens {
		run.outage, run.fresh = run.refused[0].err, fresh
	}
	run.mu.Unlock()
	d.giveUp(ctx, p, err, true)
}

// outageCause is what opened the run's breaker, nil while it is closed; it counts the post
// that asks as given up without a request.
func (run *platformRun) outageCause() error {
	run.mu.Lock()
	defer run.mu.Unlock()
	if run.outage != nil {
		run.skipped++
	}
	return run.outage
}

// wentThrough notes a post the platform took: the refusals before it were those targets'
// own, not the bot's, and a breaker they opened (a post already under way went through
// after them) closes again.
func (d *Delivery) wentThrough(run *platformRun) {
	run.mu.Lock()
	refused, skipped := run.refused, run.skipped
	run.refused, run.skipped, run.outage = nil, 0, nil
	run.mu.Unlock()
	for _, r := range refused {
		d.logRefusal(r)
	}
	if skipped > 0 {
		d.o.Logger.Warn("posts given up while the platform seemed to refuse the bot; it takes posts again",
			"platform", run.platform, "posts_given_up", skipped)
	}
}

// logRefusal logs a refused post that was not part of an outage, naming where it went.
func (d *Delivery) logRefusal(r refusal) {
	d.o.Logger.Error("scheduled post given up for the day: the platform refused it (if every post there fails so, check the bot's token and scopes)",
		target(r.p, r.p.Attrs("err", r.err)...)...)
}

// target is the attributes naming where a post goes: platform, community, channel or user.
func target(p *bot.Post, extra ...any) []any {
	who := "user"
	if p.Key.Kind.ToChannel() {
		who = "channel"
	}
	return append([]any{"platform", p.Key.Community.Platform, "community", p.Key.Community.ID, who, p.Key.Target}, extra...)
}

// reportRefusals logs the run's refusals: one error per outage however many posts it cost,
// naming the first channel refused, and one per refusal that opened no breaker.
func (d *Delivery) reportRefusals(run *platformRun) {
	run.mu.Lock()
	defer run.mu.Unlock()
	if run.outage == nil {
		for _, r := range run.refused {
			d.logRefusal(r)
		}
		return
	}
	n := len(run.refused) + run.skipped
	if run.fresh {
		first := run.refused[0]
		d.o.Logger.Error("posting paused: the platform refuses the bot itself (check its token and scopes); "+
			"its posts are given up until one, tried alone, goes through; every schedule stays on",
			target(first.p, "first_refused", first.p.Key.String(), "posts_given_up", n, "err", first.err)...)
		return
	}
	d.o.Logger.Info("posting still paused: the platform refuses the bot itself", "platform", run.platform, "posts_given_up", n)
}

// noteRefused records key as refused last on a paused or probed platform, so the next probe
// starts after it; pause (re)starts the pause. It reports whether the platform was not
// paused before.
func (d *Delivery) noteRefused(platform string, key bot.ScheduleKey, pause bool) (fresh bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	pz := d.paused[platform]
	if pz == nil && pause {
		pz, fresh = &pausing{}, true
		d.paused[platform] = pz
	}
	if pz != nil {
		pz.last = key
	}
	if pause {
		pz.until = d.o.Clock.Now().Add(pauseFor)
	}
	return fresh
}

// unpause reports whether the platform was paused.
func (d *Delivery) unpause(platform string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, was := d.paused[platform]
	delete(d.paused, platform)
	return was
}
