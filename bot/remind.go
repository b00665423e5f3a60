package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Streak reminders, as users see them:
//   - `/roadmap remind HH:MM` asks for a private message at that local time on days the
//     learner has not studied yet, with the streak length and the time left before their
//     day ends. None comes on a day they already studied, and at most one a day.
//   - `remind off` stops it; `remind` alone says what is set.
//   - The time follows the learner's day boundary (their zone, else their profile's, else
//     the community's, else the default): `/roadmap timezone`, a new profile zone seen on
//     any command that saves the learner's record (or on `remind`), and a zone the community
//     adopts later each plan it again from its next occurrence on.

func (s *Scheduler) remindCommand(ctx context.Context, req Request, cmd Command) (Response, error) {
	c := req.Community
	key := RemindKey(c, req.UserID)
	if err := key.Validate(); err != nil {
		return Response{}, fmt.Errorf("remind: %w", err)
	}
	switch cmd.Sub {
	case "set":
		return s.remindSet(ctx, req, cmd, key)
	case "off":
		return s.remindOff(ctx, req, key)
	}
	return s.remindStatus(ctx, req, key)
}

func (s *Scheduler) remindSet(ctx context.Context, req Request, cmd Command, key ScheduleKey) (Response, error) {
	b := s.bot
	l, err := b.store.Learner(ctx, key.Community, req.UserID)
	if err != nil {
		return Response{}, fmt.Errorf("remind set: %w", err)
	}
	loc := b.Zone(ctx, key.Community, &l, req.ProfileZone)
	now := b.clock.Now()
	var saved Schedule
	var upcoming time.Time
	err = s.store.UpdateSchedule(ctx, key, func(sch *Schedule) error {
		sch.Version, sch.Kind = SchemaVersion, KindRemind
		sch.At, sch.Zone = cmd.At, loc.String()
		sch.Disabled, sch.SetBy, sch.Updated = "", req.UserID, now.UTC()
		// At most one a day: a reminder already sent today (Last, kept by remind off) leaves
		// the next for tomorrow.
		upcoming = NextOccurrence(sch.At, loc, now, sch.handled()+1)
		sch.replan(upcoming)
		saved = *sch
		return nil
	})
	if err != nil {
		return Response{}, fmt.Errorf("remind set: %w", err)
	}
	// The learner's record says a reminder is wanted; the schedule says when.
	if err := b.update(ctx, key.Community, req, func(l *Learner) error {
		l.Remind = cmd.At.String()
		return nil
	}); err != nil {
		return Response{}, fmt.Errorf("remind set: %w", err)
	}
	return Response{
		Text: fmt.Sprintf("⏰ I will message you privately at %s (%s) on days you have not studied yet, with your streak and the time left. First possible: %s. /roadmap remind off stops it.",
			saved.At, loc, localTime(upcoming, loc)),
		Ephemeral: true,
		Tone:      ToneSuccess,
	}, nil
}

func (s *Scheduler) remindOff(ctx context.Context, req Request, key ScheduleKey) (Response, error) {
	b := s.bot
	l, err := b.store.Learner(ctx, key.Community, req.UserID)
	if err != nil {
		return Response{}, fmt.Errorf("remind off: %w", err)
	}
	err = s.store.UpdateSchedule(ctx, key, func(sch *Schedule) error {
		if !sch.Active() {
			return errUnchanged
		}
		sch.Disabled, sch.Next, sch.Updated = remindOff, time.Time{}, b.clock.Now().UTC()
		return nil
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return Response{}, fmt.Errorf("remind off: %w", err)
	}
	if l.Remind == "" && errors.Is(err, errUnchanged) {
		return Response{Text: "You have no reminder set; nothing changed.", Ephemeral: true}, nil
	}
	if err := b.update(ctx, key.Community, req, func(l *Learner) error {
		l.Remind = ""
		return nil
	}); err != nil {
		return Response{}, fmt.Errorf("remind off: %w", err)
	}
	return Response{Text: "Reminder off. /roadmap remind HH:MM turns it back on.", Ephemeral: true, Tone: ToneSuccess}, nil
}

func (s *Scheduler) remindStatus(ctx context.Context, req Request, key ScheduleKey) (Response, error) {
	l, err := s.bot.store.Learner(ctx, key.Community, req.UserID)
	if err != nil {
		return Response{}, fmt.Errorf("remind: %w", err)
	}
	sch, err := s.store.Schedule(ctx, key)
	if err != nil {
		return Response{}, fmt.Errorf("remind: %w", err)
	}
	switch {
	case l.Remind == "" || sch.Version == 0:
		return Response{Text: "You have no reminder. /roadmap remind HH:MM sends you a private nudge at that local time on days you have not studied yet.", Ephemeral: true}, nil
	case !sch.Active():
		return Response{Text: fmt.Sprintf("Your %s reminder is paused: %s. /roadmap remind HH:MM turns it back on.", sch.At, sch.Disabled), Ephemeral: true}, nil
	}
	if _, moved := profileZoneChange(&l, req.ProfileZone); moved {
		// A profile zone first seen here moves the learner's day: saving it plans the
		// reminder in it, so the time below is the one it keeps.
		if err := s.bot.update(ctx, key.Community, req, func(*Learner) error { return nil }); err != nil {
			return Response{}, fmt.Errorf("remind: %w", err)
		}
	}
	// The reminder follows the learner's day boundary as it is now, whatever zone it was
	// planned in.
	loc := s.bot.Zone(ctx, key.Community, &l, req.ProfileZone)
	upcoming := NextOccurrence(sch.At, loc, s.bot.clock.Now(), sch.handled()+1)
	return Response{
		Text:      fmt.Sprintf("⏰ Your reminder: %s (%s) on days you have not studied yet. Next possible: %s.", sch.At, loc, localTime(upcoming, loc)),
		Ephemeral: true,
	}, nil
}

// remindOff is the Disabled reason of a reminder turned off by its learner.
const remindOff = "turned off with /roadmap remind off"

// profileZoneChange is what a request's profile zone means for learner l: zone is its
// canonical name to save ("" when the request carries none the bot knows), and moved says it
// moves l's day boundary, as it does when l set no zone of their own and it differs from the
// profile zone last saved.
func profileZoneChange(l *Learner, profileZone string) (zone string, moved bool) {
	if profileZone == "" {
		return "", false
	}
	loc, err := LoadZone(profileZone)
	if err != nil {
		return "", false
	}
	zone = loc.String()
	return zone, l.Zone == "" && zone != l.ProfileZone
}

// timezoneCommand is /roadmap timezone, then moves the learner's reminder to the new zone.
func (s *Scheduler) timezoneCommand(ctx context.Context, req Request, cmd Command) (Response, error) {
	b := s.bot
	c := req.Community
	resp, err := b.timezone(ctx, c, req, cmd)
	if err != nil || cmd.Zone == "" {
		return resp, err
	}
	loc, err := LoadZone(cmd.Zone)
	if err != nil {
		return resp, nil
	}
	at, moved, err := s.moveReminder(ctx, c, req.UserID, loc)
	switch {
	case err != nil:
		// The zone has changed already; say so, and how to move the reminder by hand.
		b.log.Error("could not move a reminder to the learner's new zone", "community", c.Key(), "err", err)
		resp.Text += " Your reminder could not follow it: set it again with /roadmap remind HH:MM."
	case moved:
		resp.Text += fmt.Sprintf(" Your %s reminder follows it.", at)
	}
	return resp, nil
}

// followProfileZone moves the reminder of a learner whose platform profile gave a new zone
// (and who set none of their own) to it, from its next occurrence on: the core calls it
// once the new profile zone is saved.
func (s *Scheduler) followProfileZone(ctx context.Context, c Community, userID string) {
	// The learner's record is written already: the reminder follows it even when the
	// request that carried the zone is over.
	ctx = context.WithoutCancel(ctx)
	l, err := s.bot.store.Learner(ctx, c, userID)
	if err == nil && l.Remind != "" {
		_, _, err = s.moveReminder(ctx, c, userID, s.bot.Zone(ctx, c, &l, ""))
	}
	if err != nil {
		s.log.Warn("could not move a reminder to the learner's new profile zone", "community", c.Key(), "err", err)
	}
}

// moveReminder plans the learner's reminder in loc from its next occurrence on; a reminder
// on its way out keeps its date, and settling it plans the next one in loc. moved is false
// when there is no active reminder or it follows loc already.
func (s *Scheduler) moveReminder(ctx context.Context, c Community, userID string, loc *time.Location) (at TimeOfDay, moved bool, err error) {
	now := s.bot.clock.Now()
	err = s.store.UpdateSchedule(ctx, RemindKey(c, userID), func(sch *Schedule) error {
		if !sch.Active() || sch.Zone == loc.String() {
			return errUnchanged
		}
		at = sch.At
		sch.Zone, sch.Updated = loc.String(), now.UTC()
		sch.replan(NextOccurrence(sch.At, loc, now, sch.handled()+1))
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return at, false, nil
	}
	return at, err == nil, err
}

// planReminder resolves, as of the job's instant, the learner's day boundary as it is now
// (their own zone, their last profile zone, else the community's), which may have moved
// since the reminder was planned, and whether they still need a reminder today. send is
// false when the job is settled without a message: not yet time in the learner's zone,
// already reminded or studied today, too late, or reminders turned off. The record then
// follows the learner's zone, so the next reminder comes at their local time.
func (s *Scheduler) planReminder(ctx context.Context, run *platformRun, j *job) (send bool, err error) {
	c := j.key.Community
	l, err := s.bot.store.Learner(ctx, c, j.key.Target)
	if err != nil {
		return false, fmt.Errorf("reminder for %s: %w", j.key, err)
	}
	if l.Remind == "" {
		// The learner turned reminders off but the schedule outlived it (a crash between
		// the two writes): retire it.
		s.settle(ctx, run, j, "retire a reminder turned off", func(sch *Schedule) { sch.Disabled = remindOff })
		return false, nil
	}
	loc := s.bot.Zone(ctx, c, &l, "")
	date := DayOf(j.at, loc)
	occ := Occurrence(date, j.clock, loc)
	switch {
	case occ.After(j.at):
		s.log.Debug("reminder moved to the learner's zone", j.attrs("zone", loc.String(), "next", occ.UTC())...)
		s.settle(ctx, run, j, "move a reminder to the learner's zone", func(sch *Schedule) { sch.Zone = loc.String() })
		return false, nil
	case date <= j.last || l.Streak.View(l.Streak.Today(j.at, loc)).StudiedToday || j.at.Sub(occ) > s.catchUp:
		j.date = date
		s.settle(ctx, run, j, "record a reminder not needed", func(sch *Schedule) {
			sch.Zone, sch.Last = loc.String(), max(sch.Last, date)
		})
		return false, nil
	}
	j.date, j.loc = date, loc
	msg := reminderMessage(&l, date, j.at, loc)
	j.msg = &msg
	return true, nil
}

// reminderMessage is the private nudge for a learner who has not studied on date yet, sent
// at the instant at.
func reminderMessage(l *Learner, date Day, at time.Time, loc *time.Location) Response {
	v := l.Streak.View(date)
	left := formatDuration(max((date + 1).Time(loc).Sub(at).Truncate(time.Minute), 0))
	r := Response{
		Buttons: []Button{
			{Label: "Check in", Command: "checkin", Style: StyleSuccess},
			{Label: "Quiz me", Command: "quiz", Style: StylePrimary},
			{Label: "Next topic", Command: "next"},
			// Works from the reminder itself, even for a learner who has left the community.
			{Label: "Stop reminders", Command: "remind off"},
		},
		Footer: fmt.Sprintf("your %s reminder · /roadmap remind off stops it", l.Remind),
		Tone:   ToneInfo,
	}
	switch {
	case v.Current > 0:
		r.Title = fmt.Sprintf("⏰ Your %d-day streak is waiting for today", v.Current)
		r.Text = fmt.Sprintf("You have not studied today yet: %s left before midnight (%s) to keep it going.", left, loc)
		if v.FreezesDue > 0 {
			r.Text += fmt.Sprintf(" Studying today spends %s on the missed %s.", plural(v.FreezesDue, "freeze"), plural(v.FreezesDue, "day"))
		}
	case v.Broken:
		r.Title = "⏰ Time to study"
		r.Text = fmt.Sprintf("Your %d-day streak lapsed; start a new one today: %s left before midnight (%s).", l.Streak.Current, left, loc)
	default:
		r.Title = "⏰ Time to study"
		r.Text = fmt.Sprintf("You have not studied today yet: %s left before midnight (%s) to start a streak.", left, loc)
	}
	r.Fields = []Field{{Name: "What counts", Value: "/roadmap checkin, a quiz answer (right or wrong) or a topic marked done."}}
	return r
}
