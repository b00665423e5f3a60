package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// How the scheduler delivers, as users see it:
//   - Each channel gets its lesson and each learner their reminder at most once per local
//     date: the store marks the date before anything is sent, so a restart never repeats a
//     post, and a claim shared by replicas (Redis) lets only one of them send it.
//   - After downtime a post missed within CatchUp (6 hours) goes out once when the scheduler
//     is back; older ones are skipped. A reminder whose day is over is skipped.
//   - A failure a retry may fix (rate limit, 5xx, timeout) is retried with backoff, honouring
//     the platform's Retry-After; one no retry can fix (channel gone, no permission) disables
//     that schedule with a log line saying why. Retries wait outside the worker pool, so one
//     channel's trouble never holds up another's post.
//   - Posts due together are sent concurrently, at most Concurrency at a time per platform.

// ClaimTTL is how long a replica's claim on a channel-day stands: longer than any local day,
// so a slow replica cannot claim the same date again after it expires.
const ClaimTTL = 26 * time.Hour

// DefaultCatchUp is how late a missed post may still go out after downtime.
const DefaultCatchUp = 6 * time.Hour

// takeChunk bounds the schedules taken in one write transaction.
const takeChunk = 512

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
	// Sleep waits between retries and returns early with ctx's error; nil: a real timer.
	// Tests inject one that moves a ManualClock instead.
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
	log         *slog.Logger
	conc        int
	catchUp     time.Duration
	postTimeout time.Duration
	claimTTL    time.Duration
	retry       RetryPolicy
	sleep       func(ctx context.Context, d time.Duration) error
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
		s.sleep = sleepCtx
	}
	if s.posters == nil {
		s.posters = map[string]Poster{}
	}
	cfg.Bot.Extend("nudge", s.nudgeCommand)
	cfg.Bot.Extend("remind", s.remindCommand)
	cfg.Bot.Extend("timezone", s.timezoneCommand)
	return s, nil
}

func defaultBackoff(n int) time.Duration {
	d := min(2*time.Second<<min(n-1, 10), time.Minute)
	return d + rand.N(d/4+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// RunDue sends what fell due while the clock moved from `from` to `to`, as if it had ticked
// through every instant in between: each post due in (from, to] goes out as of its own due
// time, in time order. Posts due at or before from were missed (nothing ran then): one
// missed within CatchUp of `to` goes out as of `to`, older ones are skipped. So a process
// starting up calls RunDue(now, now), a ticker RunDue(lastTick, now), and the console its
// :advance window. It returns when everything it started is done, retries included;
// overlapping calls never send the same post, since each post is taken in a transaction.
// When ctx ends it starts nothing new; posts already in flight finish.
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
	key  ScheduleKey
	prev Schedule  // the record before it was taken, to put it back on shutdown
	due  time.Time // the occurrence
	at   time.Time // the instant it is sent as of: due, or `to` when caught up
	date Day       // the local date it is for
	loc  *time.Location
	day  int // nudge: the lesson number posted
	// cursor is the roadmap index of the lesson posted.
	cursor int

	attempts int
	claimed  bool
	msg      *Response
}

func (j *job) claimKey() string { return j.key.String() + "/" + j.date.String() }

func (j *job) attrs(extra ...any) []any {
	return append([]any{"schedule", j.key.String(), "date", j.date.String()}, extra...)
}

// runGroup takes every schedule due at or before until and delivers it as of asOf.
func (s *Scheduler) runGroup(ctx context.Context, until, asOf time.Time, missed bool) error {
	var jobs []*job
	var takeErr error
	// Loading a zone reads its tzdata file, inside the store's write transaction: once per
	// zone per run, not once per schedule.
	zones := map[string]*time.Location{}
	for {
		var batch []*job
		n, err := s.store.TakeDue(ctx, until, takeChunk, func(key ScheduleKey, sch *Schedule) error {
			if j := s.decide(key, sch, asOf, missed, zones); j != nil {
				batch = append(batch, j)
			}
			return nil
		})
		if err != nil && n == 0 {
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
// is sent, and moves the record on (date marked, lesson counted, next occurrence indexed)
// before anything is sent. It never reads the store; zones caches the locations loaded so
// far in this run.
func (s *Scheduler) decide(key ScheduleKey, sch *Schedule, asOf time.Time, missed bool, zones map[string]*time.Location) *job {
	prev := *sch
	due := sch.Next
	if sch.Disabled != "" || due.IsZero() || sch.Version == 0 {
		sch.Next = time.Time{}
		return nil
	}
	loc := zones[sch.Zone]
	if loc == nil {
		var err error
		if loc, err = LoadZone(sch.Zone); err != nil {
			sch.Next, sch.Disabled = time.Time{}, fmt.Sprintf("its time zone %q is unknown to this studybot", clip(sch.Zone, 40))
			s.log.Error("schedule disabled", "schedule", key.String(), "reason", sch.Disabled)
			return nil
		}
		zones[sch.Zone] = loc
	}
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
	j := &job{key: key, prev: prev, due: due, at: due, date: date, loc: loc}
	if missed {
		j.at = asOf
	}
	sch.Last = date
	if key.Kind == KindNudge {
		n := len(s.bot.roadmap.Topics)
		j.day, j.cursor = sch.Day+1, sch.Cursor%n
		sch.Day, sch.Cursor = j.day, (j.cursor+1)%n
	}
	sch.Next = next(due, date+1)
	return j
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

// deliver sends jobs with a bounded pool per platform and returns when all are done.
func (s *Scheduler) deliver(ctx context.Context, jobs []*job) {
	byPlatform := map[string][]*job{}
	for _, j := range jobs {
		p := j.key.Community.Platform
		byPlatform[p] = append(byPlatform[p], j)
	}
	var workers sync.WaitGroup
	for platform, list := range byPlatform {
		poster, sem := s.posters[platform], s.sem(platform)
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
		for range min(s.conc, len(list)) {
			workers.Add(1)
			go func() {
				defer workers.Done()
				for j := range queue {
					wait, again := s.attempt(ctx, poster, sem, j)
					if !again {
						open.Done()
						continue
					}
					// The wait happens off the worker, so other channels keep going.
					go func() {
						if err := s.sleep(ctx, wait); err != nil {
							s.giveUp(ctx, j, fmt.Errorf("shutting down before the retry: %w", err))
							open.Done()
							return
						}
						queue <- j
					}()
				}
			}()
		}
	}
	workers.Wait()
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
func (s *Scheduler) attempt(ctx context.Context, poster Poster, sem chan struct{}, j *job) (wait time.Duration, again bool) {
	if j.attempts == 0 && ctx.Err() != nil {
		// Shutting down before this job started: put it back for the next start to catch up.
		s.putBack(ctx, j)
		return 0, false
	}
	j.attempts++
	// Every attempt is bounded, and runs to its end even when shutdown starts meanwhile.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.postTimeout)
	defer cancel()
	if !j.claimed {
		won, err := s.claimer.Claim(actx, j.claimKey(), s.claimTTL)
		if err != nil {
			// The shared claimer is out (Redis down). This process already marked the date in
			// its own store, so it posts at most once; only a second replica holding the same
			// schedule could double it, which is rarer and milder than a lost lesson.
			if s.claimWarned.CompareAndSwap(false, true) {
				s.log.Warn("claims unavailable; posting on this process's own once-a-day marker until they answer", j.attrs("err", err)...)
			}
			won = true
		}
		if err == nil && s.claimWarned.CompareAndSwap(true, false) {
			s.log.Info("claims answer again")
		}
		if !won {
			s.log.Info("another studybot has this post", j.attrs()...)
			return 0, false
		}
		j.claimed = true
	}
	if j.msg == nil {
		msg, send, err := s.prepare(actx, j)
		if err != nil {
			return s.retryOrGiveUp(ctx, j, err)
		}
		if !send {
			return 0, false
		}
		j.msg = &msg
	}
	sem <- struct{}{}
	var err error
	if j.key.Kind == KindNudge {
		err = poster.Post(actx, j.key.Channel(), *j.msg)
	} else {
		err = poster.DirectMessage(actx, j.key.Community, j.key.Target, *j.msg)
	}
	<-sem
	if err != nil {
		return s.retryOrGiveUp(ctx, j, err)
	}
	s.log.Debug("scheduled post sent", j.attrs("attempts", j.attempts)...)
	s.observed(j, nil)
	return 0, false
}

// prepare builds the message once. send is false when there is nothing to send (a learner
// who already studied today).
func (s *Scheduler) prepare(ctx context.Context, j *job) (msg Response, send bool, err error) {
	if j.key.Kind == KindNudge {
		return s.bot.dailyLesson(j.day, j.cursor), true, nil
	}
	return s.prepareReminder(ctx, j)
}

func (s *Scheduler) retryOrGiveUp(ctx context.Context, j *job, err error) (time.Duration, bool) {
	var pe *PostError
	isPost := errors.As(err, &pe)
	if isPost && pe.Permanent {
		s.disable(ctx, j, err)
		return 0, false
	}
	if j.attempts >= s.retry.Attempts {
		s.giveUp(ctx, j, fmt.Errorf("%d attempts failed, the last: %w", j.attempts, err))
		return 0, false
	}
	wait := s.retry.Backoff(j.attempts)
	if isPost && pe.RetryAfter > wait {
		wait = pe.RetryAfter
	}
	if wait > s.retry.MaxWait {
		s.giveUp(ctx, j, fmt.Errorf("the platform asked to wait %s: %w", wait, err))
		return 0, false
	}
	s.log.Warn("scheduled post failed; retrying", j.attrs("attempt", j.attempts, "retry_in", wait, "err", err)...)
	return wait, true
}

// disable stops a schedule whose post failed in a way no retry can fix.
func (s *Scheduler) disable(ctx context.Context, j *job, cause error) {
	reason := "the last post failed: " + clip(cause.Error(), 160)
	err := s.store.UpdateSchedule(context.WithoutCancel(ctx), j.key, func(sch *Schedule) error {
		sch.Disabled, sch.Next = reason, time.Time{}
		s.unCount(sch, j)
		return nil
	})
	what := "daily lesson disabled"
	if j.key.Kind == KindRemind {
		what = "reminder disabled"
	}
	s.log.Warn(what, j.attrs("reason", cause, "store_err", err)...)
	s.observed(j, cause)
}

// giveUp leaves the date handled without a post: the next one is tomorrow's.
func (s *Scheduler) giveUp(ctx context.Context, j *job, cause error) {
	err := s.store.UpdateSchedule(context.WithoutCancel(ctx), j.key, func(sch *Schedule) error {
		if !s.unCount(sch, j) {
			return errUnchanged
		}
		return nil
	})
	if errors.Is(err, errUnchanged) {
		err = nil
	}
	s.log.Error("scheduled post given up for the day", j.attrs("err", cause, "store_err", err)...)
	s.observed(j, cause)
}

// unCount takes back the lesson a failed post had counted, unless the record moved on since.
func (s *Scheduler) unCount(sch *Schedule, j *job) bool {
	if j.key.Kind != KindNudge || sch.Day != j.day {
		return false
	}
	sch.Day, sch.Cursor = j.day-1, j.cursor
	return true
}

// putBack undoes taking a job that was never started, so the next run sends it.
func (s *Scheduler) putBack(ctx context.Context, j *job) {
	err := s.store.UpdateSchedule(context.WithoutCancel(ctx), j.key, func(sch *Schedule) error {
		if sch.Last != j.date {
			return errUnchanged
		}
		s.unCount(sch, j)
		sch.Last = j.prev.Last
		if sch.Disabled == "" && !sch.Next.IsZero() {
			sch.Next = j.due
		}
		return nil
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		s.log.Error("could not put back an unsent post", j.attrs("err", err)...)
	}
}
