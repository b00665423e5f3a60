package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Daily schedules, as users see them:
//   - A channel's daily lesson (a nudge) and a learner's streak reminder each happen at a
//     local wall-clock time, HH:MM in their own time zone, at most once per local date.
//   - 09:00 stays 09:00 local across daylight saving changes. A time that does not exist on
//     a spring-forward day (02:30 in Berlin on the last Sunday of March) happens at the first
//     valid minute after the gap (03:00); a time that happens twice on a fall-back day happens
//     once, at its first occurrence.
//   - Setting or changing a schedule never fires at once: the first post is the next
//     occurrence strictly after the change.
//   - A channel's weekly recap happens on Mondays only, at the time and in the zone of the
//     channel's daily lesson, at most once per local week (its Monday's date).

// ScheduleKind says what a schedule sends.
type ScheduleKind string

const (
	KindNudge  ScheduleKind = "nudge"  // a channel's daily lesson post
	KindRemind ScheduleKind = "remind" // a learner's private streak reminder
	// KindRecap is a channel's Monday recap of the week before. It is a schedule of its own,
	// not part of the Monday lesson post, so it has its own claim, catch-up and record, and
	// turning it off leaves the lessons alone; nudge set and off keep it in step.
	KindRecap ScheduleKind = "recap"
)

// ToChannel reports whether the kind posts to a channel (the target is a channel ID) rather
// than messaging a learner privately.
func (k ScheduleKind) ToChannel() bool { return k == KindNudge || k == KindRecap }

// weekly reports whether the kind happens on Mondays only.
func (k ScheduleKind) weekly() bool { return k == KindRecap }

// ScheduleKey names one schedule: a channel's nudge or a learner's reminder.
type ScheduleKey struct {
	Kind      ScheduleKind
	Community Community
	Target    string // the channel ID of a nudge, the user ID of a reminder
}

// NudgeKey is the key of a channel's daily lesson.
func NudgeKey(ch Channel) ScheduleKey {
	return ScheduleKey{Kind: KindNudge, Community: ch.Community, Target: ch.ID}
}

// RecapKey is the key of a channel's weekly recap.
func RecapKey(ch Channel) ScheduleKey {
	return ScheduleKey{Kind: KindRecap, Community: ch.Community, Target: ch.ID}
}

// RemindKey is the key of a learner's reminder.
func RemindKey(c Community, userID string) ScheduleKey {
	return ScheduleKey{Kind: KindRemind, Community: c, Target: userID}
}

// String is "nudge:discord/123/456": kind, community key and target. Claim keys extend it
// with the local date, so each replica names a channel-day the same way.
func (k ScheduleKey) String() string {
	return string(k.Kind) + ":" + k.Community.Key() + "/" + k.Target
}

// Validate rejects a key no adapter could have produced; stores key records by it.
func (k ScheduleKey) Validate() error {
	if k.Kind != KindNudge && k.Kind != KindRemind && k.Kind != KindRecap {
		return fmt.Errorf("unknown schedule kind %q", k.Kind)
	}
	if err := k.Community.Validate(); err != nil {
		return err
	}
	if k.Target == "" || len(k.Target) > 100 || strings.ContainsRune(k.Target, 0) {
		return fmt.Errorf("bad schedule target %q", clip(k.Target, 20))
	}
	return nil
}

// Channel is the channel a nudge posts to.
func (k ScheduleKey) Channel() Channel { return Channel{Community: k.Community, ID: k.Target} }

// Schedule is one daily job: a channel's lesson post or a learner's reminder. A schedule never
// set reads as the zero value (Version 0).
type Schedule struct {
	Version int          `json:"v"`
	Kind    ScheduleKind `json:"kind"`
	At      TimeOfDay    `json:"at"` // local wall-clock time
	Zone    string       `json:"tz"` // IANA zone the wall clock is read in
	// Next is the instant the next post is due; zero when none is (turned off or disabled).
	// While a post is Sending it is when to look at that post again instead. Stores index
	// schedules by it, so finding what is due never reads every record.
	Next time.Time `json:"next,omitzero"`
	// Last is the last local date handled: posted, posted by another replica, given up or
	// skipped. Nothing is sent twice for one date, across restarts too.
	Last Day `json:"last,omitempty"`
	// Posted is the last local date a post went out, from this studybot or another replica.
	Posted Day `json:"posted,omitempty"`
	// Sending is the post taken for delivery and not settled yet; nil when none is.
	Sending *Sending `json:"sending,omitempty"`
	// Day counts lessons posted (the last post was "Day N"); Cursor is the roadmap index of
	// the next lesson. Both only move for nudges.
	Day    int `json:"day,omitempty"`
	Cursor int `json:"cursor,omitempty"`
	// Disabled says why the schedule stopped ("" while active): turned off, or a post that
	// failed in a way no retry can fix.
	Disabled string    `json:"disabled,omitempty"`
	SetBy    string    `json:"set_by,omitempty"`
	Updated  time.Time `json:"updated"`
	// Misses counts the wrong answers given in a nudge's channel (recap.go).
	Misses *Misses `json:"misses,omitempty"`
}

// Active reports whether the schedule will post again.
func (s *Schedule) Active() bool { return s.Version != 0 && s.Disabled == "" && !s.Next.IsZero() }

// handled is the last date that needs no new post: the last one handled, or the one being
// sent. Moving a schedule plans its next post after it.
func (s *Schedule) handled() Day {
	if s.Sending != nil {
		return max(s.Last, s.Sending.Date)
	}
	return s.Last
}

// turnOn sets the schedule to post at `at` in loc, as user asked. A post left in flight
// while it was off is not coming any more: its date counts as handled, so the lesson it
// carried is the next one.
// Turning on is where a schedule is born, so it is where its version and kind are stamped.
func (s *Schedule) turnOn(kind ScheduleKind, at TimeOfDay, loc *time.Location, user string, now time.Time) {
	if s.Disabled != "" && s.Sending != nil {
		s.Last, s.Sending = max(s.Last, s.Sending.Date), nil
	}
	s.Version, s.Kind = SchemaVersion, kind
	s.At, s.Zone, s.Disabled, s.SetBy, s.Updated = at, loc.String(), "", user, now.UTC()
}

// turnOff stops the schedule for reason. It leaves the due index, so a post waiting there for
// its retry or its claim is not sent; one being delivered this very moment still settles.
func (s *Schedule) turnOff(reason string, now time.Time) {
	s.Disabled, s.Next, s.Updated = reason, time.Time{}, now.UTC()
}

// replan sets Next to upcoming, the next occurrence after a change, unless a post is in
// flight: then Next is when the scheduler looks at that post again, and settling it plans
// the next occurrence from the record's new time and zone.
func (s *Schedule) replan(upcoming time.Time) {
	if s.Sending == nil || s.Next.IsZero() {
		s.Next = upcoming
	}
}

// Sending is a post taken for delivery and not yet settled (sent, lost to another replica,
// given up or disabled). It is written when the post is taken and cleared when it settles,
// so a studybot killed mid-delivery leaves it behind and the next start sends it, within
// the catch-up window, instead of taking the day as done.
type Sending struct {
	Date Day       `json:"date"` // the local date the post is for
	Due  time.Time `json:"due"`  // the occurrence
	// Token is the claim token, so the process that resumes the post wins its own claim.
	Token string `json:"token"`
	// ClaimFailed is set the first time a claim failed because the claimer was unreachable:
	// the post was parked to wait for it, so taking it up again is not news for the log.
	ClaimFailed bool `json:"claim_failed,omitempty"`
	// Attempts counts the attempts that failed; the post waits in the store for the next.
	Attempts int `json:"attempts,omitempty"`
}

// ScheduleStore keeps schedules and finds the ones that fall due. Like Store, UpdateSchedule
// runs fn in one write transaction on the current record (zero when none) and saves it only
// when fn returns nil; fn may run more than once, so it must compute only from the record.
// The store keeps its due index in step with each record's Next.
type ScheduleStore interface {
	Schedule(ctx context.Context, key ScheduleKey) (Schedule, error)
	UpdateSchedule(ctx context.Context, key ScheduleKey, fn func(*Schedule) error) error
	// FirstDue is the earliest Next of any schedule; ok is false when nothing is scheduled.
	FirstDue(ctx context.Context) (next time.Time, ok bool, err error)
	// TakeDue runs fn, in one write transaction and once each, on up to limit schedules whose
	// Next is at or before until, earliest first, and saves what fn left (re-indexed under the
	// new Next). fn must move Next past until or clear it. It returns how many it took;
	// fewer than limit means none is left.
	TakeDue(ctx context.Context, until time.Time, limit int, fn func(ScheduleKey, *Schedule) error) (int, error)
}

// MarshalText writes "HH:MM", so stored schedules read like the command that set them.
func (t TimeOfDay) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads "HH:MM".
func (t *TimeOfDay) UnmarshalText(b []byte) error {
	v, err := ParseTimeOfDay(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Occurrence is the instant the wall-clock time at happens on date d in loc. In a
// spring-forward gap it is the first valid minute after the gap; when a fall-back repeats
// the time it is the first of the two.
func Occurrence(d Day, at TimeOfDay, loc *time.Location) time.Time {
	u := time.Unix(int64(d)*86400, 0).UTC()
	y, m, dd := u.Date()
	want := time.Date(y, m, dd, at.Hour, at.Minute, 0, 0, time.UTC)
	t := time.Date(y, m, dd, at.Hour, at.Minute, 0, 0, loc)
	got := wall(t)
	if got.Equal(want) {
		// Go picks either of a repeated wall time; the first one is what people expect.
		start, _ := t.ZoneBounds()
		if !start.IsZero() {
			_, prev := start.Add(-time.Nanosecond).Zone()
			_, cur := t.Zone()
			if prev > cur {
				early := t.Add(-time.Duration(prev-cur) * time.Second)
				if early.Before(start) && wall(early).Equal(want) {
					return early
				}
			}
		}
		return t
	}
	// The wall time does not exist: Go moved it to one side of the gap. The transition
	// instant is the first valid time after the gap.
	start, end := t.ZoneBounds()
	edge := end
	if got.After(want) {
		edge = start
	}
	if edge.IsZero() {
		return t
	}
	if r := edge.Truncate(time.Minute); !r.Equal(edge) {
		edge = r.Add(time.Minute)
	}
	return edge
}

// wall is t's local date and clock time, as if it were UTC, for comparing wall times.
func wall(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, t.Hour(), t.Minute(), 0, 0, time.UTC)
}

// NextOccurrence is the first occurrence of at in loc strictly after the instant after, on a
// local date no earlier than minDate.
func NextOccurrence(at TimeOfDay, loc *time.Location, after time.Time, minDate Day) time.Time {
	d := max(minDate, DayOf(after, loc)-1)
	for range 8 {
		o := Occurrence(d, at, loc)
		if o.After(after) && DayOf(o, loc) >= minDate {
			return o
		}
		d++
	}
	// Unreachable for real zones: some date within a week has the time after `after`.
	return Occurrence(d, at, loc)
}

// nextOccurrence is NextOccurrence for a schedule of kind: a weekly one happens on the first
// Monday no earlier than minDate whose occurrence is after `after`.
func nextOccurrence(kind ScheduleKind, at TimeOfDay, loc *time.Location, after time.Time, minDate Day) time.Time {
	if !kind.weekly() {
		return NextOccurrence(at, loc, after, minDate)
	}
	d := max(minDate, DayOf(after, loc)-1)
	if m := mondayOf(d); m != d {
		d = m + 7
	}
	for range 3 {
		if o := Occurrence(d, at, loc); o.After(after) {
			return o
		}
		d += 7
	}
	return Occurrence(d, at, loc)
}

// errUnchanged aborts an update that would change nothing.
var errUnchanged = errors.New("unchanged")
