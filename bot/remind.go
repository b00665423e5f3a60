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
//     the community's, else the default) and moves with `/roadmap timezone`.

func (s *Scheduler) remindCommand(ctx context.Context, req Request, cmd Command) (Response, error) {
	c := Community{req.Platform, req.Community}
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
	err = s.store.UpdateSchedule(ctx, key, func(sch *Schedule) error {
		sch.Version, sch.Kind = SchemaVersion, KindRemind
		sch.At, sch.Zone = cmd.At, loc.String()
		sch.Disabled, sch.SetBy, sch.Updated = "", req.UserID, now.UTC()
		// At most one a day: a reminder already sent today leaves the next for tomorrow.
		sch.Last = max(sch.Last, l.RemindedOn)
		sch.Next = NextOccurrence(sch.At, loc, now, sch.Last+1)
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
			saved.At, loc, localTime(saved.Next, loc)),
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
		sch.Disabled, sch.Next, sch.Updated = "turned off with /roadmap remind off", time.Time{}, b.clock.Now().UTC()
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
	loc, err := LoadZone(sch.Zone)
	if err != nil {
		loc = time.UTC
	}
	return Response{
		Text:      fmt.Sprintf("⏰ Your reminder: %s (%s) on days you have not studied yet. Next possible: %s.", sch.At, loc, localTime(sch.Next, loc)),
		Ephemeral: true,
	}, nil
}

// timezoneCommand is /roadmap timezone, then moves the learner's reminder to the new zone.
func (s *Scheduler) timezoneCommand(ctx context.Context, req Request, cmd Command) (Response, error) {
	b := s.bot
	c := Community{req.Platform, req.Community}
	resp, err := b.timezone(ctx, c, req, cmd)
	if err != nil || cmd.Zone == "" {
		return resp, err
	}
	loc, err := LoadZone(cmd.Zone)
	if err != nil {
		return resp, nil
	}
	now := b.clock.Now()
	var at TimeOfDay
	err = s.store.UpdateSchedule(ctx, RemindKey(c, req.UserID), func(sch *Schedule) error {
		if !sch.Active() || sch.Zone == loc.String() {
			return errUnchanged
		}
		at = sch.At
		sch.Zone, sch.Updated = loc.String(), now.UTC()
		sch.Next = NextOccurrence(sch.At, loc, now, sch.Last+1)
		return nil
	})
	switch {
	case errors.Is(err, errUnchanged):
	case err != nil:
		// The zone has changed already; say so, and how to move the reminder by hand.
		b.log.Error("could not move a reminder to the learner's new zone", "community", c.Key(), "err", err)
		resp.Text += " Your reminder could not follow it: set it again with /roadmap remind HH:MM."
	default:
		resp.Text += fmt.Sprintf(" Your %s reminder follows it.", at)
	}
	return resp, nil
}

// prepareReminder decides, as of the job's instant, whether the learner still needs the
// reminder, and marks the day reminded in the same write so it goes at most once.
func (s *Scheduler) prepareReminder(ctx context.Context, j *job) (Response, bool, error) {
	var (
		l    Learner
		send bool
		off  bool
	)
	err := s.bot.store.UpdateLearner(ctx, j.key.Community, j.key.Target, func(rec *Learner) error {
		send, off = false, false
		switch {
		case rec.Remind == "":
			off = true
			return errUnchanged
		case rec.RemindedOn >= j.date || rec.Streak.View(j.date).StudiedToday:
			return errUnchanged
		}
		rec.RemindedOn = j.date
		l, send = *rec, true
		return nil
	})
	if errors.Is(err, errUnchanged) {
		err = nil
	}
	if err != nil {
		return Response{}, false, fmt.Errorf("reminder for %s: %w", j.key, err)
	}
	if off {
		// The learner turned reminders off but the schedule outlived it (a crash between
		// the two writes): retire it.
		if err := s.store.UpdateSchedule(ctx, j.key, func(sch *Schedule) error {
			sch.Disabled, sch.Next = "turned off with /roadmap remind off", time.Time{}
			return nil
		}); err != nil {
			s.log.Error("could not retire a reminder turned off", j.attrs("err", err)...)
		}
	}
	if !send {
		return Response{}, false, nil
	}
	return reminderMessage(&l, j.date, j.at, j.loc), true, nil
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
