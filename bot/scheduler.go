package bot

import (
	"cmp"
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// How scheduled posts behave, as users see them:
//   - Each channel gets its lesson and each learner their reminder at most once per local
//     date, and each channel its weekly recap once per week (its Monday's date), across
//     replicas too: a post's channel-day is claimed (Claimer: Redis when replicas share one)
//     and only the winner sends it.
//   - The store is the only queue. Taking a post marks it in flight (Sending: date, claim
//     token, attempts so far) under a one-minute lease, and however the post ends is one
//     more write of that record: sent (here or by another replica), tried again later,
//     given up for the day, its schedule disabled, or parked to wait for the claimer.
//     Nothing waits in memory: a studybot killed mid-delivery leaves the marker, and its next
//     start sends that post once, within the catch-up window, winning its own claim again.
//   - After downtime a post missed within CatchUp (6 hours) goes out once; older ones are
//     skipped, and so is a reminder whose day is over.
//   - While the claimer is unreachable a post waits up to 15 minutes for it (tried again
//     every minute), then goes out unclaimed: replicas rarely hold the same schedule, so a
//     lesson a little late, and at worst twice, beats one hours late while Redis is down.
//   - A failure a retry may fix (rate limit, 5xx, timeout) is tried again later, honouring
//     Retry-After; meanwhile other posts go on, and a schedule turned off is not sent. One no
//     retry can fix (channel gone, no permission) disables that schedule only, saying why.
//   - A reminder comes at its time in the learner's day boundary as it is when it fires.
// The Scheduler holds these rules: what is due, what each post says, how its record is
// marked. Sending (posters, claims, backoff, pauses, concurrency) is a Deliverer's:
// adapters/cron's, whose Delivery says how it treats a platform that refuses the bot.

const (
	// ClaimTTL is how long a replica's claim on a channel-day stands: longer than any local
	// day, so a slow replica cannot claim the same date again after it expires.
	ClaimTTL = 26 * time.Hour
	// DefaultCatchUp is how late a missed post may still go out after downtime.
	DefaultCatchUp = 6 * time.Hour
	takeChunk      = 512 // schedules taken in one write transaction
	// inFlightLease is how long a taken post stays out of the due index. Runs never overlap,
	// so it matters only after a crash (the next start finds the post) and for a post parked
	// for the claimer (its claim is tried again when the lease ends).
	inFlightLease = time.Minute
	// claimPatience is how long after it falls due a post waits for an unreachable claimer.
	claimPatience = 15 * time.Minute
)

// Deliverer sends the posts the Scheduler takes (adapters/cron has studybot's).
type Deliverer interface {
	Serves(platform string) bool // whether this process posts there; if not, posts pass unsent
	// Deliver sends posts due together and settles each (Post.Sent, Retry, Park, GiveUp or
	// Disable), or leaves it in flight for the next start once ctx has ended.
	Deliver(ctx context.Context, posts []*Post)
}

// SchedulerConfig wires a Scheduler.
type SchedulerConfig struct {
	Bot       *Bot
	Store     ScheduleStore // nil: the bot's; the console passes a view of its platform only
	Deliverer Deliverer
	Logger    *slog.Logger  // nil: the bot's logger
	CatchUp   time.Duration // default DefaultCatchUp
}

// Scheduler sends channels' daily lessons and weekly recaps and learners' reminders when they fall due, driven
// by whoever tells it that time passed: the cron adapter every minute, the console's :advance.
type Scheduler struct {
	bot     *Bot
	store   ScheduleStore
	deliver Deliverer
	log     *slog.Logger
	catchUp time.Duration

	running sync.Mutex     // one RunDue at a time
	settles sync.WaitGroup // record writes of the posts of the running group
}

// NewScheduler checks cfg and returns a scheduler.
func NewScheduler(cfg SchedulerConfig) (*Scheduler, error) {
	if cfg.Bot == nil || cfg.Deliverer == nil {
		return nil, errors.New("scheduler: a bot and a deliverer are required")
	}
	s := &Scheduler{bot: cfg.Bot, store: cmp.Or(cfg.Store, cfg.Bot.schedules), deliver: cfg.Deliverer,
		log: cmp.Or(cfg.Logger, cfg.Bot.log), catchUp: cmp.Or(max(cfg.CatchUp, 0), DefaultCatchUp)}
	if s.store == nil {
		return nil, errors.New("scheduler: a schedule store is required")
	}
	return s, nil
}

// RunDue sends what fell due while the clock moved from `from` to `to`, as if it had ticked
// through every instant in between: each post due in (from, to] goes out as of its own due
// time, in time order. One due at or before from was missed (nothing ran then): it goes out
// as of `to` if within CatchUp, else it is skipped. So a start calls RunDue(now, now), a
// ticker RunDue(lastTick, now), the console its :advance window. A second call waits for the
// first. Once ctx ends nothing new starts: what is not sent stays in flight for the next start.
func (s *Scheduler) RunDue(ctx context.Context, from, to time.Time) error {
	s.running.Lock()
	defer s.running.Unlock()
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

// runGroup takes every schedule due at or before until and delivers it as of asOf.
func (s *Scheduler) runGroup(ctx context.Context, until, asOf time.Time, missed bool) error {
	var posts []*Post
	var takeErr error
	for {
		var batch []*Post
		n, err := s.store.TakeDue(ctx, until, takeChunk, func(key ScheduleKey, sch *Schedule) error {
			p := s.decide(key, sch, asOf, missed)
			for p == nil && !sch.Next.IsZero() && !sch.Next.After(until) { // a later one is due too
				p = s.decide(key, sch, asOf, missed)
			}
			if p != nil {
				batch = append(batch, p)
			}
			return nil
		})
		if err != nil && n == 0 {
			takeErr = fmt.Errorf("take due schedules: %w", err)
			break
		}
		if err != nil { // the store dropped records it could not read and took the rest
			s.log.Error("unreadable schedules skipped", "err", err)
		}
		posts = append(posts, batch...)
		if n < takeChunk {
			break
		}
	}
	s.deliver.Deliver(ctx, posts)
	s.settles.Wait()
	return takeErr
}

// decide runs inside the store's transaction: it says whether the schedule's due occurrence
// is sent, and if so marks it in flight and moves Next to the lease's end. It never reads
// the store.
func (s *Scheduler) decide(key ScheduleKey, sch *Schedule, asOf time.Time, missed bool) *Post {
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
	served := s.deliver.Serves(key.Community.Platform)
	if p := sch.Sending; p != nil {
		// Left by a stopped process, or waiting for its retry or its claim.
		if asOf.Sub(p.Due) <= s.catchUp && p.Date > sch.Last && served {
			if p.Attempts == 0 && !p.ClaimFailed {
				s.log.Info("sending a post a stopped studybot left unsent", "schedule", key.String(), "date", p.Date.String(), "due", p.Due.UTC())
			}
			return s.take(key, sch, p, asOf, loc)
		}
		if p.Date > sch.Last {
			s.log.Warn("a post left unsent is too late to send", "schedule", key.String(), "date", p.Date.String(),
				"due", p.Due.UTC(), "now", asOf.UTC())
		}
		sch.Sending, sch.Last = nil, max(sch.Last, p.Date)
		// A next occurrence that is due already is decided on at once (runGroup).
		sch.Next = nextOccurrence(key.Kind, sch.At, loc, p.Due, sch.Last+1)
		return nil
	}
	due := sch.Next
	date := DayOf(due, loc)
	next := func(after time.Time, min Day) time.Time { return nextOccurrence(key.Kind, sch.At, loc, after, min) }
	switch {
	case date <= sch.Last:
		sch.Next = next(due, sch.Last+1)
		return nil
	case !served:
		sch.Next = next(due, date+1)
		s.log.Debug("no poster for the platform; post passes unsent", "schedule", key.String(), "date", date.String())
		return nil
	// A reminder about a day that is over has nothing left to save.
	case missed && (asOf.Sub(due) > s.catchUp || key.Kind == KindRemind && DayOf(asOf, loc) != date):
		sch.Next = next(due.Add(max(asOf.Sub(due)-s.catchUp, 0)), date+1)
		s.log.Info("missed post skipped: too late to catch up", "schedule", key.String(), "date", date.String(),
			"due", due.UTC(), "now", asOf.UTC())
		return nil
	}
	return s.take(key, sch, &Sending{Date: date, Due: due, Token: crand.Text()}, asOf, loc)
}

// take marks the post in flight.
func (s *Scheduler) take(key ScheduleKey, sch *Schedule, p *Sending, asOf time.Time, loc *time.Location) *Post {
	post := &Post{Key: key, Token: p.Token, Date: p.Date, Due: p.Due, At: asOf, Attempts: p.Attempts,
		ClaimFailed: p.ClaimFailed, s: s, loc: loc, clock: sch.At, last: sch.Last}
	if key.Kind == KindNudge {
		post.day, post.cursor = sch.Day+1, sch.Cursor
		post.review = s.bot.weakSpot(sch)
	}
	sch.Sending, sch.Next = p, asOf.Add(inFlightLease)
	return post
}

// Post is a daily lesson, a weekly recap or a reminder taken from the store, on its way out.
type Post struct {
	Key         ScheduleKey
	Token       string    // the claim token, kept in the record's in-flight marker
	Date        Day       // the local date it is for
	Due, At     time.Time // the occurrence, and the instant it goes out as of (later when caught up or retried)
	Attempts    int       // attempts that failed before this one
	ClaimFailed bool      // the claimer could not be reached at an earlier try
	// ClaimUntil is how long the post waits for an unreachable claimer before it goes out
	// unclaimed: a few minutes after it fell due, and before its catch-up window (for a
	// reminder, its local day) ends. Prepare sets it, and Msg, what to send.
	ClaimUntil time.Time
	Msg        Response

	s           *Scheduler
	loc         *time.Location
	clock       TimeOfDay // the schedule's local time
	last        Day       // the record's last handled date when taken
	day, cursor int       // nudges: the lesson number posted and its roadmap index
	review      string    // nudges past the path: the question the post asks, chosen for the channel
}

// ClaimKey names the post's channel-day (or user-day) alike on every replica.
func (p *Post) ClaimKey() string { return p.Key.String() + "/" + p.Date.String() }

// Attrs is the post's log attributes: schedule, date, then extra.
func (p *Post) Attrs(extra ...any) []any {
	return append([]any{"schedule", p.Key.String(), "date", p.Date.String()}, extra...)
}

// Prepare makes the message. For a reminder it first reads the learner's day as it is now:
// when none is needed (not yet time in the learner's zone, already reminded or studied
// today, too late) it settles the post without one and send is false.
func (p *Post) Prepare(ctx context.Context) (send bool, err error) {
	switch p.Key.Kind {
	case KindNudge:
		p.s.bot.ensureRecap(ctx, p.Key.Channel())
		p.Msg = p.s.bot.dailyPost(p.day, p.cursor, p.review)
	case KindRecap:
		if p.Msg, err = p.s.bot.Recap(ctx, p.Key.Channel(), p.Date, p.At); err != nil {
			return false, err
		}
	default:
		if send, err = p.planReminder(ctx); !send {
			return false, err
		}
	}
	margin := min(claimPatience, p.s.catchUp/4) // to spare before the window ends
	end := p.Due.Add(min(p.s.catchUp, claimPatience+margin))
	if midnight := (p.Date + 1).Time(p.loc); p.Key.Kind == KindRemind && midnight.Before(end) {
		end = midnight
	}
	p.ClaimUntil = end.Add(-margin)
	return true, nil
}

// Sent records the post as sent, by this process or by the replica that won its claim: the
// date is done and the lesson counted.
func (p *Post) Sent(ctx context.Context) {
	p.settle(ctx, "record a sent post", func(sch *Schedule) bool {
		sch.Last, sch.Posted = max(sch.Last, p.Date), max(sch.Posted, p.Date)
		if p.Key.Kind == KindNudge && sch.Day < p.day {
			sch.Day, sch.Cursor = p.day, p.cursor+1
			sch.Misses.revisited(p.review)
		} else if p.Key.Kind == KindRemind {
			sch.Zone = p.loc.String() // the next reminder comes in the zone this one used
		}
		return false
	})
}

// Retry keeps the post in flight, one failed attempt more, until at.
func (p *Post) Retry(ctx context.Context, at time.Time) {
	p.settle(ctx, "plan a retry", func(sch *Schedule) bool {
		sch.Sending.Attempts, sch.Next = p.Attempts+1, at
		return true
	})
}

// Park keeps the post in flight until its lease ends, when its claim is tried again. Only
// the first failure is written: after it, a minute of waiting costs the take's write alone.
func (p *Post) Park(ctx context.Context) {
	if !p.ClaimFailed {
		p.settle(ctx, "park a post waiting for its claim", func(sch *Schedule) bool { sch.Sending.ClaimFailed = true; return true })
	}
}

// GiveUp leaves the date handled without a post: the lesson that failed comes tomorrow.
func (p *Post) GiveUp(ctx context.Context) {
	p.settle(ctx, "give up a post", func(sch *Schedule) bool { sch.Last = max(sch.Last, p.Date); return false })
}

// Disable stops the schedule whose post failed in a way no retry can fix. A schedule
// already off keeps its reason: one stopped because the bot left (whose in-flight post then
// fails for want of access) must still resume when the bot comes back.
func (p *Post) Disable(ctx context.Context, cause error) {
	reason := "the last post failed: " + clip(cause.Error(), 160)
	p.settle(ctx, "disable a schedule", func(sch *Schedule) bool {
		sch.Last = max(sch.Last, p.Date)
		if sch.Disabled == "" {
			sch.Disabled = reason
		}
		return false
	})
	what := map[ScheduleKind]string{KindNudge: "daily lesson disabled", KindRemind: "reminder disabled", KindRecap: "weekly recap disabled"}[p.Key.Kind]
	p.s.log.Warn(what, p.Attrs("reason", cause)...)
}

// settle writes the post's outcome, batched with the run's others: mark changes the record
// and says whether the post stays in flight. Otherwise the next occurrence is planned from
// the record's own time and zone (an admin may have moved them meanwhile) unless the
// schedule is off. A post turned off while in flight is not kept for another try: its date
// counts as handled, so turning it back on plans the next one with the lesson that stopped.
func (p *Post) settle(ctx context.Context, what string, mark func(*Schedule) (inFlight bool)) {
	s := p.s
	s.settles.Go(func() {
		err := s.store.UpdateSchedule(context.WithoutCancel(ctx), p.Key, func(sch *Schedule) error {
			if sch.Sending == nil || sch.Sending.Token != p.Token {
				return errUnchanged
			}
			if mark(sch) {
				if sch.Disabled == "" {
					return nil
				}
				sch.Last = max(sch.Last, p.Date)
			}
			sch.Sending, sch.Next = nil, time.Time{}
			if loc, _ := LoadZone(sch.Zone); sch.Disabled == "" {
				sch.Next = nextOccurrence(p.Key.Kind, sch.At, cmp.Or(loc, p.loc), p.At, sch.Last+1)
			}
			return nil
		})
		if err != nil && !errors.Is(err, errUnchanged) {
			s.log.Error("could not "+what, p.Attrs("err", err)...)
		}
	})
}
