package bot

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// How the scheduler delivers, as users see it:
//   - Each channel gets its lesson and each learner their reminder at most once per local
//     date. Taking a post writes an in-flight marker (the date and a claim token) to the
//     store; only when the post settles (sent, sent by another replica, given up or
//     disabled) is the date marked done and the lesson counted. A studybot killed
//     mid-delivery leaves the marker behind, and the next start sends that post, once,
//     within the catch-up window. A claim shared by replicas (Redis) lets only one of them
//     send it; the marker's token lets a restarted process win its own claim again.
//   - After downtime a post missed within CatchUp (6 hours) goes out once when the scheduler
//     is back; older ones are skipped. A reminder whose day is over is skipped.
//   - While the shared claimer is unreachable a post waits up to 15 minutes for it (its claim
//     tried again every minute), then goes out unclaimed: replicas rarely hold the same
//     schedule (each pod keeps its own guilds' file), so a lesson a little late, and at
//     worst twice, beats a lesson hours late for everyone while Redis is down.
//   - A failure a retry may fix (rate limit, 5xx, timeout) is retried with backoff, honouring
//     the platform's Retry-After; one no retry can fix (channel gone, no permission there)
//     disables that schedule with a log line saying why. Retries wait outside the worker
//     pool, so one channel's trouble never holds up another's post.
//   - A failure of the bot itself (its token or scopes refused) blames no channel. One
//     refusal proves nothing (a platform may word one channel's trouble the same way), so it
//     gives up only that post for the day, logged with its channel. Two schedules refused in
//     a run with no post going through in between show the platform refuses the bot: today's
//     posts there are given up with one error in the log naming the first refused channel,
//     the schedules stay on, and the platform gets no more requests in that run. The next run
//     sends its posts one at a time, starting after the last one refused, until one goes
//     through or two more are refused.
//   - Posts due together are sent concurrently, at most Concurrency at a time per platform.
//   - A reminder is sent at its time in the learner's day boundary as it is when it fires
//     (their own zone, their profile's, else the community's), so it follows a zone that
//     moved after it was set.

// ClaimTTL is how long a replica's claim on a channel-day stands: longer than any local day,
// so a slow replica cannot claim the same date again after it expires.
const ClaimTTL = 26 * time.Hour

// DefaultCatchUp is how late a missed post may still go out after downtime.
const DefaultCatchUp = 6 * time.Hour

// takeChunk bounds the schedules taken in one write transaction.
const takeChunk = 512

// inFlightLease is how long a taken post stays out of sight. The process delivering it
// renews the lease as long as it works on it; a post whose process died comes due again
// when the lease runs out, so a restart sends it within a minute.
const inFlightLease = time.Minute

// claimPatience is how long after it falls due a post waits for an unreachable claimer
// before it goes out unclaimed.
const claimPatience = 15 * time.Minute

// SchedulerConfig wires a Scheduler.
type SchedulerConfig struct {
	Bot   *Bot
	Store ScheduleStore
	// Posters deliver by platform; a platform without one is not served by this process and
	// its posts pass unsent. The map is read, not copied, so adapters may still register
	// theirs after NewScheduler; it must not change once RunDue is running.
	Posters     map[string]Poster
	Claimer     Claimer       // nil: a LocalClaimer on the bot's clock
	Logger      *slog.Logger  // nil: the bot's logger
	Concurrency int           // posts in flight per platform; default 16
	CatchUp     time.Duration // default DefaultCatchUp
	PostTimeout time.Duration // one attempt to post; default 30s
	ClaimTTL    time.Duration // how long a claim on a channel-day stands; default ClaimTTL
	Retry       RetryPolicy
	// Sleep waits between retries of a failed post and returns early with ctx's error; nil:
	// a real timer. Tests inject one that records the wait and returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// Observe, when set, hears how each post ended: sent (err nil), or given up or disabled.
	Observe func(kind ScheduleKind, platform string, err error)
}

// RetryPolicy says how transient failures are retried.
type RetryPolicy struct {
	Attempts int // tries in all, the first included; default 5
	// Backoff is the wait before retry n (1, 2, ...) when the platform named none; default
	// 2s doubling up to 1m, plus up to a quarter of random jitter so retries spread out.
	Backoff func(n int) time.Duration
	// MaxWait is the longest wait honoured; a platform asking for more gives up the post
	// for the day. Default 15m.
	MaxWait time.Duration
}

// Scheduler sends channels' daily lessons and learners' streak reminders. It owns the nudge
// and remind commands (registered on the Bot by NewScheduler) and is driven by whoever
// tells it that time passed: the cron adapter every minute, the console's :advance.
type Scheduler struct {
	bot         *Bot
	store       ScheduleStore
	posters     map[string]Poster
	semMu       sync.Mutex
	sems        map[string]chan struct{} // per platform: bounds posts in flight across runs
	claimer     Claimer
	observe     func(ScheduleKind, string, error)
	claimWarned atomic.Bool // one warning per claimer outage, not one per post
	// unclaimedWarned: one warning per outage that posts went out without a claim.
	unclaimedWarned atomic.Bool
	log             *slog.Logger
	conc            int
	catchUp         time.Duration
	postTimeout     time.Duration
	claimTTL        time.Duration
	retry           RetryPolicy
	sleep           func(ctx context.Context, d time.Duration) error

	mu sync.Mutex
	// held is the schedules whose post this process is delivering: their in-flight markers
	// are its own, not a stopped process's.
	held map[ScheduleKey]bool
	// paused is the platforms that refused the bot itself, until a post there succeeds.
	paused map[string]bool
	// lastRefused is, per platform, the schedule refused last: a paused platform's next run
	// starts after it, so one troubled channel is not the probe every day.
	lastRefused map[string]ScheduleKey
}

// NewScheduler checks cfg and registers the nudge and remind commands on cfg.Bot, which must
// not be handling requests yet. One Bot has at most one Scheduler.
func NewScheduler(cfg SchedulerConfig) (*Scheduler, error) {
	if cfg.Bot == nil || cfg.Store == nil {
		return nil, errors.New("scheduler: a bot and a schedule store are required")
	}
	s := &Scheduler{
		bot:         cfg.Bot,
		store:       cfg.Store,
		posters:     cfg.Posters,
		sems:        map[string]chan struct{}{},
		claimer:     cfg.Claimer,
		log:         cfg.Logger,
		conc:        cfg.Concurrency,
		catchUp:     cfg.CatchUp,
		postTimeout: cfg.PostTimeout,
		claimTTL:    cfg.ClaimTTL,
		retry:       cfg.Retry,
		sleep:       cfg.Sleep,
		observe:     cfg.Observe,
		held:        map[ScheduleKey]bool{},
		paused:      map[string]bool{},
		lastRefused: map[string]ScheduleKey{},
	}
	if s.claimer == nil {
		s.claimer = NewLocalClaimer(cfg.Bot.clock)
	}
	if s.log == nil {
		s.log = cfg.Bot.log
	}
	if s.conc <= 0 {
		s.conc = 16
	}
	if s.catchUp <= 0 {
		s.catchUp = DefaultCatchUp
	}
	if s.postTimeout <= 0 {
		s.postTimeout = 30 * time.Second
	}
	if s.claimTTL <= 0 {
		s.claimTTL = ClaimTTL
	}
	if s.retry.Attempts <= 0 {
		s.retry.Attempts = 5
	}
	if s.retry.Backoff == nil {
		s.retry.Backoff = defaultBackoff
	}
	if s.retry.MaxWait <= 0 {
		s.retry.MaxWait = 15 * time.Minute
	}
	if s.sleep == nil {
		s.sleep = Sleep
	}
	if s.posters == nil {
		s.posters = map[string]Poster{}
	}
	cfg.Bot.Extend("nudge", s.nudgeCommand)
	cfg.Bot.Extend("remind", s.remindCommand)
	cfg.Bot.Extend("timezone", s.timezoneCommand)
	cfg.Bot.OnProfileZoneMove(s.followProfileZone)
	return s, nil
}

func defaultBackoff(n int) time.Duration {
	d := min(2*time.Second<<min(n-1, 10), time.Minute)
	return d + rand.N(d/4+1)
}

// RunDue sends what fell due while the clock moved from `from` to `to`, as if it had ticked
// through every instant in between: each post due in (from, to] goes out as of its own due
// time, in time order. Posts due at or before from were missed (nothing ran then): one
// missed within CatchUp of `to` goes out as of `to`, older ones are skipped; so does a post
// a stopped process left in flight. So a process starting up calls RunDue(now, now), a
// ticker RunDue(lastTick, now), and the console its :advance window. It returns when
// everything it started is done, retries included; overlapping calls never send the same
// post, since each post is taken in a transaction and held by this process until it
// settles. When ctx ends it starts nothing new; posts already in flight finish, and the
// rest stay in flight in the store for the next start.
func (s *Scheduler) RunDue(ctx context.Context, from, to time.Time) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		first, ok, err := s.store.FirstDue(ctx)
		if err != nil {
			return fmt.Errorf("find due schedules: %w", err)
		}
		if !ok || first.After(to) {
			return nil
		}
		until, asOf, missed := first, first, false
		if !first.After(from) {
			until, asOf, missed = from, to, true
		}
		if err := s.runGroup(ctx, until, asOf, missed); err != nil {
			return err
		}
	}
}

// job is one post or reminder taken from the store, on its way out.
type job struct {
	key   ScheduleKey
	token string    // the claim token, kept in the record's in-flight marker
	due   time.Time // the occurrence
	at    time.Time // the instant it is sent as of: due, or later when caught up or resumed
	date  Day       // the local date it is for
	loc   *time.Location
	clock TimeOfDay // the schedule's local time
	last  Day       // the record's last handled date when taken
	// day and cursor (nudges): the lesson number posted and its roadmap index.
	day, cursor int

	// claimFailed: the record says a claim failed already, so parking it again writes nothing.
	claimFailed bool
	attempts    int
	claimed     bool
	// msg is the post, made on the first attempt; for a reminder, once its zone and date
	// are resolved as of its instant.
	msg *Response
}

func (j *job) claimKey() string { return j.key.String() + "/" + j.date.String() }

func (j *job) attrs(extra ...any) []any {
	return append([]any{"schedule", j.key.String(), "date", j.date.String()}, extra...)
}

// runGroup takes every schedule due at or before until and delivers it as of asOf.
func (s *Scheduler) runGroup(ctx context.Context, until, asOf time.Time, missed bool) error {
	var jobs []*job
	var takeErr error
	for {
		var batch []*job
		n, err := s.store.TakeDue(ctx, until, takeChunk, func(key ScheduleKey, sch *Schedule) error {
			if j := s.decide(key, sch, asOf, missed); j != nil {
				batch = append(batch, j)
			}
			return nil
		})
		if err != nil && n == 0 {
			// Nothing was saved: the posts decided on are not in flight after all.
			for _, j := range batch {
				s.release(j)
			}
			takeErr = fmt.Errorf("take due schedules: %w", err)
			break
		}
		if err != nil {
			// The store dropped records it could not read and took the rest.
			s.log.Error("unreadable schedules skipped", "err", err)
		}
		jobs = append(jobs, batch...)
		if n < takeChunk {
			break
		}
	}
	s.deliver(ctx, jobs)
	return takeErr
}

// decide runs inside the store's transaction: it says whether the schedule's due occurrence
// is sent, and if so marks it in flight (date and claim token) and moves Next past it. The
// date is marked done and the lesson counted only when the post settles. It never reads the
// store.
func (s *Scheduler) decide(key ScheduleKey, sch *Schedule, asOf time.Time, missed bool) *job {
	if sch.Disabled != "" || sch.Next.IsZero() || sch.Version == 0 {
		sch.Next = time.Time{}
		return nil
	}
	loc, err := LoadZone(sch.Zone)
	if err != nil {
		sch.Next, sch.Disabled = time.Time{}, fmt.Sprintf("its time zone %q is unknown to this studybot", clip(sch.Zone, 40))
		s.log.Error("schedule disabled", "schedule", key.String(), "reason", sch.Disabled)
		return nil
	}
	if p := sch.Sending; p != nil {
		if s.holding(key) {
			// Still on its way out from this process (a retry, an overlapping run).
			sch.Next = asOf.Add(inFlightLease)
			return nil
		}
		return s.resume(key, sch, p, asOf, loc)
	}
	due := sch.Next
	date := DayOf(due, loc)
	next := func(after time.Time, minDate Day) time.Time { return NextOccurrence(sch.At, loc, after, minDate) }
	switch {
	case date <= sch.Last:
		sch.Next = next(due, sch.Last+1)
		return nil
	case s.posters[key.Community.Platform] == nil:
		// This process does not serve the platform (its adapter is not configured).
		sch.Next = next(due, date+1)
		s.log.Debug("no poster for the platform; post passes unsent", "schedule", key.String(), "date", date.String())
		return nil
	case missed && s.stale(key.Kind, due, asOf, loc):
		sch.Next = next(later(due, asOf.Add(-s.catchUp)), date+1)
		s.log.Info("missed post skipped: too late to catch up", "schedule", key.String(), "date", date.String(),
			"due", due.UTC(), "now", asOf.UTC())
		return nil
	}
	return s.take(key, sch, &Sending{Date: date, Due: due, Token: crand.Text()}, asOf, loc)
}

// resume decides on a post left in flight by a process that stopped before it settled (or
// parked while the claimer was out): sent as of asOf within the catch-up window, else the
// date is given up and the schedule moves on.
func (s *Scheduler) resume(key ScheduleKey, sch *Schedule, p *Sending, asOf time.Time, loc *time.Location) *job {
	late := asOf.Sub(p.Due) > s.catchUp
	if !late && p.Date > sch.Last && s.posters[key.Community.Platform] != nil {
		if !p.ClaimFailed {
			s.log.Info("sending a post a stopped studybot left unsent", "schedule", key.String(), "date", p.Date.String(),
				"due", p.Due.UTC())
		}
		return s.take(key, sch, p, asOf, loc)
	}
	if late && p.Date > sch.Last {
		s.log.Warn("a post a stopped studybot left unsent is too late to send", "schedule", key.String(),
			"date", p.Date.String(), "due", p.Due.UTC(), "now", asOf.UTC())
	}
	sch.Sending, sch.Last = nil, max(sch.Last, p.Date)
	// At or before asOf, the next occurrence is taken (or skipped) by the next round of RunDue.
	sch.Next = NextOccurrence(sch.At, loc, p.Due, sch.Last+1)
	return nil
}

// take marks the post in flight and holds it for this process.
func (s *Scheduler) take(key ScheduleKey, sch *Schedule, p *Sending, asOf time.Time, loc *time.Location) *job {
	j := &job{key: key, token: p.Token, due: p.Due, at: asOf, date: p.Date, loc: loc, clock: sch.At, last: sch.Last,
		claimFailed: p.ClaimFailed}
	if key.Kind == KindNudge {
		j.day, j.cursor = sch.Day+1, sch.Cursor
	}
	sending := *p
	sch.Sending = &sending
	sch.Next = asOf.Add(inFlightLease)
	s.mu.Lock()
	s.held[key] = true
	s.mu.Unlock()
	return j
}

func (s *Scheduler) holding(key ScheduleKey) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held[key]
}

// release lets go of a job: its record is settled, or its marker is left for later.
func (s *Scheduler) release(j *job) {
	s.mu.Lock()
	delete(s.held, j.key)
	s.mu.Unlock()
}

// stale reports whether a missed post is too late to send at asOf.
func (s *Scheduler) stale(kind ScheduleKind, due, asOf time.Time, loc *time.Location) bool {
	if asOf.Sub(due) > s.catchUp {
		return true
	}
	// A reminder about a day that is over has nothing left to save.
	return kind == KindRemind && DayOf(asOf, loc) != DayOf(due, loc)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// deliver sends jobs, each platform with its own bounded pool, and returns when all are done.
func (s *Scheduler) deliver(ctx context.Context, jobs []*job) {
	byPlatform := map[string][]*job{}
	for _, j := range jobs {
		p := j.key.Community.Platform
		byPlatform[p] = append(byPlatform[p], j)
	}
	var wg sync.WaitGroup
	for platform, list := range byPlatform {
		wg.Go(func() { s.deliverPlatform(ctx, platform, list) })
	}
	wg.Wait()
}

// platformRun is one run's delivery to one platform. Its breaker opens once the platform
// is shown to refuse the bot itself: the jobs after that are given up without a request.
type platformRun struct {
	platform string
	poster   Poster
	sem      chan struct{}
	settles  sync.WaitGroup // store writes of settled posts, batched by the store

	gaveUp   atomic.Int64 // jobs given up because the platform refuses the bot
	grow     func()       // more workers, once a probe post went through
	growOnce sync.Once

	mu sync.Mutex
	// streak is the bot-wide refusals since the last post that went through; two of them
	// (each schedule is refused at most once a run) open the breaker.
	streak []refusal
	// outage is the first refusal of the streak that opened the breaker; nil while it is
	// closed.
	outage *refusal
	fresh  bool // this run paused the platform (rather than finding it paused)
}

// refusal is a post the platform refused as if it refused the bot itself.
type refusal struct {
	j   *job
	err error
}

func (s *Scheduler) deliverPlatform(ctx context.Context, platform string, list []*job) {
	run := &platformRun{platform: platform, poster: s.posters[platform], sem: s.sem(platform)}
	paused := s.isPaused(platform)
	if paused {
		list = s.afterLastRefused(platform, list)
	}
	// Every job is in the queue, with a worker, or waiting to retry, so the queue never
	// holds more than all of them and re-queueing never blocks.
	queue := make(chan *job, len(list))
	for _, j := range list {
		queue <- j
	}
	var open sync.WaitGroup
	open.Add(len(list))
	go func() {
		open.Wait()
		close(queue)
	}()
	var workers sync.WaitGroup
	work := func() {
		defer workers.Done()
		for j := range queue {
			wait, again := s.attempt(ctx, run, j)
			if !again {
				open.Done()
				continue
			}
			// The wait happens off the worker, so other channels keep going.
			go func() {
				if err := s.sleep(ctx, wait); err != nil {
					// Shutting down: the post stays in flight in the store for the next start.
					s.log.Info("scheduled post left for the next start", j.attrs("reason", "shutting down before its retry")...)
					s.release(j)
					open.Done()
					return
				}
				queue <- j
			}()
		}
	}
	n := min(s.conc, len(list))
	if paused {
		// The platform refused the bot in an earlier run: posts go one at a time, from the
		// one after the last refused, until one goes through (then the others follow at full
		// speed) or two are refused (then the rest are given up).
		more := n - 1
		run.grow = func() {
			run.growOnce.Do(func() {
				for range more {
					workers.Add(1)
					go work()
				}
			})
		}
		n = 1
	}
	for range n {
		workers.Add(1)
		go work()
	}
	workers.Wait()
	run.settles.Wait()
	s.reportRefusals(run)
}

// afterLastRefused is list rotated to start after the schedule the platform refused last.
func (s *Scheduler) afterLastRefused(platform string, list []*job) []*job {
	s.mu.Lock()
	last, ok := s.lastRefused[platform]
	s.mu.Unlock()
	if !ok {
		return list
	}
	for i, j := range list {
		if j.key == last {
			return append(slices.Clone(list[i+1:]), list[:i+1]...)
		}
	}
	return list
}

func (s *Scheduler) observed(j *job, err error) {
	if s.observe != nil {
		s.observe(j.key.Kind, j.key.Community.Platform, err)
	}
}

// sem is the platform's bound on posts in flight, shared by overlapping runs.
func (s *Scheduler) sem(platform string) chan struct{} {
	s.semMu.Lock()
	defer s.semMu.Unlock()
	sem, ok := s.sems[platform]
	if !ok {
		sem = make(chan struct{}, s.conc)
		s.sems[platform] = sem
	}
	return sem
}

// attempt tries a job once. again says to try again after wait.
func (s *Scheduler) attempt(ctx context.Context, run *platformRun, j *job) (wait time.Duration, again bool) {
	if j.attempts == 0 && ctx.Err() != nil {
		// Shutting down before this job started: it stays in flight for the next start.
		s.release(j)
		return 0, false
	}
	if cause := run.outageCause(); cause != nil {
		run.gaveUp.Add(1)
		s.giveUp(ctx, run, j, cause, true)
		return 0, false
	}
	if j.attempts > 0 && s.turnedOff(ctx, run, j) {
		return 0, false
	}
	j.attempts++
	// Every attempt is bounded, and runs to its end even when shutdown starts meanwhile.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.postTimeout)
	defer cancel()
	if j.msg == nil {
		if j.key.Kind == KindRemind {
			send, err := s.planReminder(actx, run, j)
			if err != nil {
				return s.retryOrGiveUp(ctx, run, j, err)
			}
			if !send {
				return 0, false
			}
		} else {
			msg := s.bot.dailyPost(j.day, j.cursor)
			j.msg = &msg
		}
	}
	if !j.claimed {
		won, err := s.claimer.Claim(actx, j.claimKey(), j.token, s.claimTTL)
		if err != nil {
			if s.claimWarned.CompareAndSwap(false, true) {
				s.log.Warn("claims unavailable; posts wait a few minutes for them, then go out unclaimed", j.attrs("err", err)...)
			}
			if j.at.Before(s.claimDeadline(j)) {
				s.park(ctx, j)
				return 0, false
			}
			// Waiting longer would lose the post: better once late, unclaimed, than never.
			if s.unclaimedWarned.CompareAndSwap(false, true) {
				s.log.Warn("posting without a claim: the claimer did not answer in time", j.attrs("err", err)...)
			}
			won = true
		} else if s.claimWarned.CompareAndSwap(true, false) {
			s.unclaimedWarned.Store(false)
			s.log.Info("claims answer again")
		}
		if !won {
			s.log.Info("another studybot has this post", j.attrs()...)
			s.settle(ctx, run, j, "record a post another studybot sent", s.markPosted(j))
			return 0, false
		}
		j.claimed = true
	}
	run.sem <- struct{}{}
	var err error
	if j.key.Kind == KindNudge {
		err = run.poster.Post(actx, j.key.Channel(), *j.msg)
	} else {
		err = run.poster.DirectMessage(actx, j.key.Community, j.key.Target, *j.msg)
	}
	<-run.sem
	if err != nil {
		return s.retryOrGiveUp(ctx, run, j, err)
	}
	s.log.Debug("scheduled post sent", j.attrs("attempts", j.attempts)...)
	s.wentThrough(run)
	if s.unpause(run.platform) {
		s.log.Info("the platform takes the bot's posts again", "platform", run.platform)
	}
	if run.grow != nil {
		run.grow()
	}
	s.settle(ctx, run, j, "record a sent post", s.markPosted(j))
	s.observed(j, nil)
	return 0, false
}

// turnedOff settles, without sending it, a post whose schedule was turned off (nudge off,
// remind off) or disabled while it waited for its retry. The date counts as handled, so
// turning it back on plans the next one, and the lesson that was stopped is the one it
// posts. A record that cannot be read lets the retry go ahead.
func (s *Scheduler) turnedOff(ctx context.Context, run *platformRun, j *job) bool {
	sch, err := s.store.Schedule(ctx, j.key)
	if err != nil || sch.Disabled == "" || sch.Sending == nil || sch.Sending.Token != j.token {
		return false
	}
	s.log.Info("scheduled post dropped: turned off while it waited for its retry", j.attrs("reason", sch.Disabled)...)
	s.settle(ctx, run, j, "drop a post turned off", markHandled(j))
	return true
}

// claimDeadline is when a post waiting for an unreachable claimer stops waiting: a few
// minutes after it fell due, and in any case before its catch-up window (for a reminder, its
// local day) ends.
func (s *Scheduler) claimDeadline(j *job) time.Time {
	end := j.due.Add(s.catchUp)
	if j.key.Kind == KindRemind {
		if midnight := (j.date + 1).Time(j.loc); midnight.Before(end) {
			end = midnight
		}
	}
	return earlier(j.due.Add(claimPatience), end.Add(-min(claimPatience, s.catchUp/4)))
}

// park leaves a post whose claim could not be made in flight: in the store, not in memory,
// so thousands of waiting posts cost nothing and a restart meanwhile still finds them. Its
// lease brings it back a minute later, when the claim is tried again. Only the first
// failure is written down, so a long outage costs no write per retry.
func (s *Scheduler) park(ctx context.Context, j *job) {
	defer s.release(j)
	if j.claimFailed {
		return
	}
	err := s.store.UpdateSchedule(context.WithoutCancel(ctx), j.key, func(sch *Schedule) error {
		if sch.Sending == nil || sch.Sending.Token != j.token {
			return errUnchanged
		}
		sch.Sending.ClaimFailed = true
		return nil
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		s.log.Error("could not park a post waiting for its claim", j.attrs("err", err)...)
	}
}

func (s *Scheduler) retryOrGiveUp(ctx context.Context, run *platformRun, j *job, err error) (time.Duration, bool) {
	var pe *PostError
	isPost := errors.As(err, &pe)
	switch {
	case isPost && pe.BotWide:
		s.refused(ctx, run, j, err)
		return 0, false
	case isPost && pe.Permanent:
		s.disable(ctx, run, j, err)
		return 0, false
	case j.attempts >= s.retry.Attempts:
		s.giveUp(ctx, run, j, fmt.Errorf("%d attempts failed, the last: %w", j.attempts, err), false)
		return 0, false
	}
	wait := s.retry.Backoff(j.attempts)
	if isPost && pe.RetryAfter > wait {
		wait = pe.RetryAfter
	}
	if wait > s.retry.MaxWait {
		s.giveUp(ctx, run, j, fmt.Errorf("the platform asked to wait %s: %w", wait, err), false)
		return 0, false
	}
	s.log.Warn("scheduled post failed; retrying", j.attrs("attempt", j.attempts, "retry_in", wait, "err", err)...)
	return wait, true
}

// settle ends the job's time in flight: mark says what happened to its date, then the next
// occurrence is planned from the record's own time and zone (an admin may have moved them
// meanwhile) unless the schedule is off. The write is batched with the run's others.
func (s *Scheduler) settle(ctx context.Context, run *platformRun, j *job, what string, mark func(*Schedule)) {
	run.settles.Go(func() {
		defer s.release(j)
		err := s.store.UpdateSchedule(context.WithoutCancel(ctx), j.key, func(sch *Schedule) error {
			if sch.Sending == nil || sch.Sending.Token != j.token {
				return errUnchanged
			}
			sch.Sending = nil
			mark(sch)
			if sch.Disabled != "" {
				sch.Next = time.Time{}
				return nil
			}
			loc, err := LoadZone(sch.Zone)
			if err != nil {
				loc = j.loc
			}
			sch.Next = NextOccurrence(sch.At, loc, j.at, sch.Last+1)
			return nil
		})
		if err != nil && !errors.Is(err, errUnchanged) {
			s.log.Error("could not "+what, j.attrs("err", err)...)
		}
	})
}

// markPosted records the job's post as sent: the date is done and the lesson counted.
func (s *Scheduler) markPosted(j *job) func(*Schedule) {
	return func(sch *Schedule) {
		sch.Last, sch.Posted = max(sch.Last, j.date), max(sch.Posted, j.date)
		switch {
		case j.key.Kind == KindNudge && sch.Day < j.day:
			sch.Day, sch.Cursor = j.day, j.cursor+1
		case j.key.Kind == KindRemind:
			// The next reminder comes at the learner's local time in the zone this one used.
			sch.Zone = j.loc.String()
		}
	}
}

// markHandled records the job's date as done without a post.
func markHandled(j *job) func(*Schedule) {
	return func(sch *Schedule) { sch.Last = max(sch.Last, j.date) }
}

// disable stops a schedule whose post failed in a way no retry can fix.
func (s *Scheduler) disable(ctx context.Context, run *platformRun, j *job, cause error) {
	reason := "the last post failed: " + clip(cause.Error(), 160)
	s.settle(ctx, run, j, "disable a schedule", func(sch *Schedule) {
		sch.Last, sch.Disabled = max(sch.Last, j.date), reason
	})
	what := "daily lesson disabled"
	if j.key.Kind == KindRemind {
		what = "reminder disabled"
	}
	s.log.Warn(what, j.attrs("reason", cause)...)
	s.observed(j, cause)
}

// giveUp leaves the date handled without a post: the next one is tomorrow's, and the lesson
// that failed is the one it posts. quiet leaves the log line to the caller.
func (s *Scheduler) giveUp(ctx context.Context, run *platformRun, j *job, cause error, quiet bool) {
	s.settle(ctx, run, j, "give up a post", markHandled(j))
	if quiet {
		s.log.Debug("scheduled post given up for the day", j.attrs("err", cause)...)
	} else {
		s.log.Error("scheduled post given up for the day", j.attrs("err", cause)...)
	}
	s.observed(j, cause)
}

// refused gives up a post the platform refused as if it refused the bot itself, and opens
// the run's breaker when it is the second in a row: one channel's trouble worded like the
// bot's costs only that channel's post.
func (s *Scheduler) refused(ctx context.Context, run *platformRun, j *job, err error) {
	run.mu.Lock()
	if run.outage != nil {
		run.gaveUp.Add(1)
	} else {
		run.streak = append(run.streak, refusal{j, err})
		if len(run.streak) >= 2 {
			run.outage = &run.streak[0]
			run.gaveUp.Add(int64(len(run.streak)))
			run.fresh = s.pause(run.platform)
		}
	}
	run.mu.Unlock()
	s.mu.Lock()
	s.lastRefused[run.platform] = j.key
	s.mu.Unlock()
	s.giveUp(ctx, run, j, err, true)
}

// outageCause is what opened the run's breaker, nil while it is closed.
func (run *platformRun) outageCause() error {
	run.mu.Lock()
	defer run.mu.Unlock()
	if run.outage == nil {
		return nil
	}
	return run.outage.err
}

// wentThrough notes a post the platform took: the refusals before it were those targets'
// own, not the bot's, and a breaker they opened (a post already under way went through
// after them) closes again.
func (s *Scheduler) wentThrough(run *platformRun) {
	run.mu.Lock()
	lone := run.streak
	run.streak = nil
	var skipped int64
	if run.outage != nil {
		skipped = run.gaveUp.Load() - int64(len(lone))
		run.outage = nil
		run.gaveUp.Store(0)
	}
	run.mu.Unlock()
	for _, r := range lone {
		s.logRefusal(r)
	}
	if skipped > 0 {
		s.log.Warn("posts given up while the platform seemed to refuse the bot; it takes posts again",
			"platform", run.platform, "posts_given_up", skipped)
	}
}

// logRefusal logs a refused post that was not part of an outage, naming where it went.
func (s *Scheduler) logRefusal(r refusal) {
	s.log.Error("scheduled post given up for the day: the platform refused it (if every post there fails so, check the bot's token and scopes)",
		r.j.target(r.j.attrs("err", r.err)...)...)
}

// target is the attributes naming where a job goes: platform, community, channel or user.
func (j *job) target(extra ...any) []any {
	who := "channel"
	if j.key.Kind == KindRemind {
		who = "user"
	}
	return append([]any{"platform", j.key.Community.Platform, "community", j.key.Community.ID, who, j.key.Target}, extra...)
}

// reportRefusals logs the run's refusals: one error per outage however many posts it cost,
// naming the first channel refused, and one per refusal that opened no breaker.
func (s *Scheduler) reportRefusals(run *platformRun) {
	run.mu.Lock()
	outage, lone, fresh := run.outage, run.streak, run.fresh
	if outage == nil {
		run.streak = nil
	} else {
		lone = nil
	}
	run.mu.Unlock()
	for _, r := range lone {
		s.logRefusal(r)
	}
	if outage == nil {
		return
	}
	n := run.gaveUp.Load()
	if fresh {
		s.log.Error("posting paused: the platform refuses the bot itself (check its token and scopes); "+
			"today's posts there are given up and every schedule stays on",
			outage.j.target("first_refused", outage.j.key.String(), "posts_given_up", n, "err", outage.err)...)
		return
	}
	s.log.Info("posting still paused: the platform refuses the bot itself", "platform", run.platform, "posts_given_up", n)
}

func (s *Scheduler) isPaused(platform string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paused[platform]
}

// pause reports whether the platform was not paused before.
func (s *Scheduler) pause(platform string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	was := s.paused[platform]
	s.paused[platform] = true
	return !was
}

// unpause reports whether the platform was paused.
func (s *Scheduler) unpause(platform string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	was := s.paused[platform]
	delete(s.paused, platform)
	return was
}
