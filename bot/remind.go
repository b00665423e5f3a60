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
//   - It says how many reviews are due, with a Review button.
//   - On Mondays it comes whether or not the learner studied yet, carrying their last week
//     (recap.go): one message, once per learner-week, by the reminder's own rules.
//   - `remind off` stops it; `remind` alone says what is set.
//   - The time follows the learner's day boundary (their zone, else their profile's, else
//     the community's, else the default): `/roadmap timezone`, a new profile zone seen on
//     any command that saves the learner's record (or on `remind`), and a zone the community
//     adopts later each plan it again from its next occurrence on.

func (b *Bot) remind(ctx context.Context, req Request, cmd Command) (Response, error) {
	key := RemindKey(req.Community, req.UserID)
	if err := key.Validate(); err != nil {
		return Response{}, fmt.Errorf("remind: %w", err)
	}
	switch cmd.Sub {
	case "set":
		return b.remindSet(ctx, req, cmd, key)
	case "off":
		return b.remindOff(ctx, key)
	}
	return b.remindStatus(ctx, req, key)
}

func (b *Bot) remindSet(ctx context.Context, req Request, cmd Command, key ScheduleKey) (Response, error) {
	l, err := b.store.Learner(ctx, key.Community, req.UserID)
	if err != nil {
		return Response{}, fmt.Errorf("remind set: %w", err)
	}
	loc := b.Zone(ctx, key.Community, &l, req.ProfileZone)
	now := b.clock.Now()
	var saved Schedule
	var upcoming time.Time
	err = b.schedules.UpdateSchedule(ctx, key, func(sch *Schedule) error {
		sch.turnOn(KindRemind, cmd.At, loc, req.UserID, now)
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
	// The learner has a record from now on, with the profile zone the reminder was planned
	// in: a zone the community adopts later finds them among its learners.
	if err := b.update(ctx, key.Community, req, func(*Learner) error { return nil }); err != nil {
		return Response{}, fmt.Errorf("remind set: %w", err)
	}
	return Response{
		Text: fmt.Sprintf("⏰ I will message you privately at %s (%s) on days you have not studied yet, with your streak and the time left. First possible: %s. /roadmap remind off stops it.",
			saved.At, loc, localTime(upcoming, loc)),
		Ephemeral: true,
		Tone:      ToneSuccess,
	}, nil
}

func (b *Bot) remindOff(ctx context.Context, key ScheduleKey) (Response, error) {
	err := b.schedules.UpdateSchedule(ctx, key, func(sch *Schedule) error {
		if !sch.Active() {
			return errUnchanged
		}
		sch.turnOff(remindOff, b.clock.Now())
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return Response{Text: "You have no reminder set; nothing changed.", Ephemeral: true}, nil
	}
	if err != nil {
		return Response{}, fmt.Errorf("remind off: %w", err)
	}
	return Response{Text: "Reminder off. /roadmap remind HH:MM turns it back on.", Ephemeral: true, Tone: ToneSuccess}, nil
}

func (b *Bot) remindStatus(ctx context.Context, req Request, key ScheduleKey) (Response, error) {
	l, err := b.store.Learner(ctx, key.Community, req.UserID)
	if err != nil {
		return Response{}, fmt.Errorf("remind: %w", err)
	}
	sch, err := b.schedules.Schedule(ctx, key)
	if err != nil {
		return Response{}, fmt.Errorf("remind: %w", err)
	}
	switch {
	case sch.Version == 0 || sch.Disabled == remindOff:
		return Response{Text: "You have no reminder. /roadmap remind HH:MM sends you a private nudge at that local time on days you have not studied yet.", Ephemeral: true}, nil
	case !sch.Active():
		return Response{Text: fmt.Sprintf("Your %s reminder is paused: %s. /roadmap remind HH:MM turns it back on.", sch.At, sch.Disabled), Ephemeral: true}, nil
	}
	if _, moved := profileZoneChange(&l, req.ProfileZone); moved {
		// A profile zone first seen here moves the learner's day: saving it plans the
		// reminder in it, so the time below is the one it keeps.
		if err := b.update(ctx, key.Community, req, func(*Learner) error { return nil }); err != nil {
			return Response{}, fmt.Errorf("remind: %w", err)
		}
	}
	// The reminder follows the learner's day boundary as it is now, whatever zone it was
	// planned in.
	loc := b.Zone(ctx, key.Community, &l, req.ProfileZone)
	upcoming := NextOccurrence(sch.At, loc, b.clock.Now(), sch.handled()+1)
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

// followProfileZone moves the reminder of a learner whose platform profile gave a new zone
// (and who set none of their own) to it, from its next occurrence on, once that zone is
// saved on their record.
func (b *Bot) followProfileZone(ctx context.Context, c Community, userID string) {
	// The learner's record is written already: the reminder follows it even when the
	// request that carried the zone is over.
	ctx = context.WithoutCancel(ctx)
	l, err := b.store.Learner(ctx, c, userID)
	if err == nil {
		_, _, err = b.moveReminder(ctx, c, userID, b.Zone(ctx, c, &l, ""))
	}
	if err != nil {
		b.log.Warn("could not move a reminder to the learner's new profile zone", "community", c.Key(), "err", err)
	}
}

// moveReminder plans the learner's reminder in loc from its next occurrence on; a reminder
// on its way out keeps its date, and settling it plans the next one in loc. moved is false
// when there is no active reminder or it follows loc already: then nothing is written, so
// looking costs a read.
func (b *Bot) moveReminder(ctx context.Context, c Community, userID string, loc *time.Location) (at TimeOfDay, moved bool, err error) {
	if b.schedules == nil {
		return at, false, nil
	}
	key := RemindKey(c, userID)
	moves := func(sch *Schedule) bool { return sch.Active() && sch.Zone != loc.String() }
	if sch, err := b.schedules.Schedule(ctx, key); err != nil || !moves(&sch) {
		return at, false, err
	}
	now := b.clock.Now()
	err = b.schedules.UpdateSchedule(ctx, key, func(sch *Schedule) error {
		if !moves(sch) {
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

// planReminder resolves, as of the post's instant, the learner's day boundary as it is now
// (their own zone, their last profile zone, else the community's), which may have moved
// since the reminder was planned, and whether they still need a reminder today. When they
// do not (not yet time in the learner's zone, already reminded or studied today, too late)
// the post is settled without a message, the record following the learner's zone, so the
// next reminder comes at their local time.
func (p *Post) planReminder(ctx context.Context) (send bool, err error) {
	b, c := p.s.bot, p.Key.Community
	l, err := b.store.Learner(ctx, c, p.Key.Target)
	if err != nil {
		return false, fmt.Errorf("reminder for %s: %w", p.Key, err)
	}
	// A learner who asked to be forgotten after the post was taken has no record (a reminder
	// is only set with one) and no reminder: nothing may reach them.
	sch, err := p.s.store.Schedule(ctx, p.Key)
	if err != nil {
		return false, fmt.Errorf("reminder for %s: %w", p.Key, err)
	}
	if l.Version == 0 && l.UserID == "" || !sch.Active() {
		p.s.log.Info("reminder dropped: the learner or their reminder is gone", p.Attrs()...)
		p.GiveUp(ctx)
		return false, nil
	}
	// Seeded review cards count as due on a record no command has migrated yet.
	b.roadmap.Upgrade(&l)
	loc := b.Zone(ctx, c, &l, "")
	date := DayOf(p.At, loc)
	occ := Occurrence(date, p.clock, loc)
	studied := l.Streak.View(l.Streak.Today(p.At, loc)).StudiedToday
	weekly := date.Weekday() == time.Monday
	switch {
	case occ.After(p.At):
		p.s.log.Debug("reminder moved to the learner's zone", p.Attrs("zone", loc.String(), "next", occ.UTC())...)
		p.settle(ctx, "move a reminder to the learner's zone", func(sch *Schedule) bool {
			sch.Zone = loc.String()
			return false
		})
		return false, nil
	case date <= p.last || studied && !weekly || p.At.Sub(occ) > p.s.catchUp:
		p.Date = date
		p.settle(ctx, "record a reminder not needed", func(sch *Schedule) bool {
			sch.Zone, sch.Last = loc.String(), max(sch.Last, date)
			return false
		})
		return false, nil
	}
	p.Date, p.loc = date, loc
	p.Msg = reminderMessage(&l, p.clock, date, p.At, loc)
	if weekly {
		p.Msg = b.mondayMessage(ctx, c, &l, p.Msg, studied, date)
	}
	return true, nil
}

// mondayMessage is a learner's Monday reminder: reminder (as reminderMessage made it) with
// their last week, or, when they studied today already, the week alone.
func (b *Bot) mondayMessage(ctx context.Context, c Community, l *Learner, reminder Response, studied bool, date Day) Response {
	week := b.weeklySummary(ctx, c, l, date)
	if !studied {
		reminder.Fields = append([]Field{week}, reminder.Fields...)
		return reminder
	}
	r := reminder
	r.Title = "📅 Your week in review"
	r.Text = "You studied today already: your streak is safe."
	if due := reviewsDueLine(l, date); due != "" {
		r.Text += "\n" + due
	}
	r.Fields = []Field{week}
	r.Buttons = []Button{
		{Label: "Next topic", Command: "next", Style: StylePrimary},
		{Label: "Review", Command: "review"},
		{Label: "Stop reminders", Command: "remind off"},
	}
	return r
}

// reminderMessage is the private nudge for a learner who has not studied on date yet, sent
// at the instant at by the reminder set for clock.
func reminderMessage(l *Learner, clock TimeOfDay, date Day, at time.Time, loc *time.Location) Response {
	v := l.Streak.View(date)
	left := formatDuration(max((date + 1).Time(loc).Sub(at).Truncate(time.Minute), 0))
	r := Response{
		Buttons: []Button{
			{Label: "Check in", Command: "checkin", Style: StyleSuccess},
			{Label: "Quiz me", Command: "quiz", Style: StylePrimary},
			{Label: "Review", Command: "review"},
			{Label: "Next topic", Command: "next"},
			// Works from the reminder itself, even for a learner who has left the community.
			{Label: "Stop reminders", Command: "remind off"},
		},
		Footer: fmt.Sprintf("your %s reminder · /roadmap remind off stops it", clock),
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
	if due := reviewsDueLine(l, date); due != "" {
		r.Text += "\n" + due
	}
	r.Fields = []Field{{Name: "What counts", Value: "/roadmap checkin, a quiz or review answer (right or wrong) or a lesson marked done."}}
	return r
}
