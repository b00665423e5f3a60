package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The daily lesson, as users see it:
//   - An admin runs `/roadmap nudge set HH:MM [zone]` in a channel; from the next HH:MM on,
//     the channel gets one post a day: "Day N", the next topic of the channel's own walk
//     through the roadmap (wrapping at the end), a quiz question with answer buttons, and how
//     to keep a streak. The zone defaults to the community's, else the bot's.
//   - The community's zone (the day of learners who set none) is whole-community business:
//     only a community admin (Discord Manage Server or Administrator, Slack workspace admin)
//     sets it, by naming the zone in `nudge set HH:MM <zone>` while the community has none.
//     A channel admin's nudge sets that channel's post and nothing else.
//   - `nudge off` stops it and `nudge set` resumes it where it left off (Day N+1).
//   - `nudge status` says when the last lesson went out, and when the next comes and which,
//     and when the weekly recap (recap.go) comes.
//   - The recap follows the daily lesson: on with it by default, at its time and zone, off
//     with it. `nudge recap off` stops the recap alone, and it stays off across nudge off
//     and set until `nudge recap on`.

// communityAdminHint says, in parentheses, who administers a whole community on platform.
func communityAdminHint(platform string) string {
	switch platform {
	case PlatformDiscord:
		return " (Manage Server)"
	case PlatformSlack:
		return " (a workspace admin or owner)"
	}
	return ""
}

// nudgeOff is the Disabled reason of a nudge turned off by an admin.
const nudgeOff = "turned off with /roadmap nudge off"

func (b *Bot) nudge(ctx context.Context, req Request, cmd Command) (Response, error) {
	c := req.Community
	if req.Channel == "" {
		return Response{}, Errorf(EINVALID, "Run /roadmap nudge in the channel that should get the daily lesson.")
	}
	key := NudgeKey(Channel{Community: c, ID: req.Channel})
	if err := key.Validate(); err != nil {
		return Response{}, fmt.Errorf("nudge: %w", err)
	}
	switch cmd.Sub {
	case "set":
		return b.nudgeSet(ctx, req, cmd, key)
	case "off":
		return b.nudgeOff(ctx, key)
	case "recap":
		return b.nudgeRecap(ctx, cmd, key)
	}
	return b.nudgeStatus(ctx, key)
}

func (b *Bot) nudgeSet(ctx context.Context, req Request, cmd Command, key ScheduleKey) (Response, error) {
	settings, err := b.store.Settings(ctx, key.Community)
	if err != nil {
		return Response{}, fmt.Errorf("nudge set: %w", err)
	}
	var loc *time.Location
	switch {
	case cmd.Zone != "":
		if loc, err = LoadZone(cmd.Zone); err != nil {
			return Response{}, err
		}
	case settings.Zone != "":
		if loc, err = LoadZone(settings.Zone); err != nil {
			loc = b.defaultZone
		}
	default:
		loc = b.defaultZone
	}
	now := b.clock.Now()
	var saved Schedule
	var upcoming time.Time
	err = b.schedules.UpdateSchedule(ctx, key, func(sch *Schedule) error {
		sch.turnOn(KindNudge, cmd.At, loc, req.UserID, now)
		// Never at once, and never twice on a date already posted or being posted.
		upcoming = NextOccurrence(sch.At, loc, now, sch.handled()+1)
		sch.replan(upcoming)
		saved = *sch
		return nil
	})
	if err != nil {
		return Response{}, fmt.Errorf("nudge set: %w", err)
	}
	if err := b.followNudge(ctx, key.Channel(), &saved); err != nil {
		return Response{}, fmt.Errorf("nudge set: %w", err)
	}
	adopted := false
	if settings.Zone == "" && cmd.Zone != "" && req.CommunityAdmin {
		err = b.store.UpdateSettings(ctx, key.Community, func(st *Settings) error {
			adopted = false
			if st.Zone != "" {
				return errUnchanged
			}
			st.Zone, adopted = loc.String(), true
			return nil
		})
		if err != nil && !errors.Is(err, errUnchanged) {
			b.log.Warn("could not adopt the nudge's zone as the community's", "community", key.Community.Key(), "err", err)
		}
		if adopted {
			b.followCommunityZone(ctx, key.Community, loc)
		}
	}
	text := fmt.Sprintf("📅 Daily lesson on: this channel gets a lesson every day at %s (%s).\n", saved.At, loc)
	day, cursor := saved.Day+1, saved.Cursor
	switch {
	case saved.Sending != nil:
		// Today's lesson is on its way out already: the time set here is for the one after it.
		text += fmt.Sprintf("Day %d · %s is on its way now; next post: ", day, b.postTitle(cursor))
		day, cursor = day+1, cursor+1
	case saved.Day > 0:
		text += "Next post: "
	default:
		text += "First post: "
	}
	text += fmt.Sprintf("Day %d · %s, %s.", day, b.postTitle(cursor), localTime(upcoming, loc))
	switch community := b.communityZone(ctx, key.Community); {
	case adopted:
		text += fmt.Sprintf("\n%s is now also this community's time zone: learners who set none count their days in it.", loc)
	case settings.Zone == "" && cmd.Zone != "" && !req.CommunityAdmin && community.String() != loc.String():
		text += fmt.Sprintf("\nThe community's time zone stays %s: only a community admin%s sets it, with /roadmap nudge set HH:MM <zone>.",
			community, communityAdminHint(req.Community.Platform))
	}
	return Response{Text: text, Ephemeral: true, Tone: ToneSuccess}, nil
}

func (b *Bot) nudgeOff(ctx context.Context, key ScheduleKey) (Response, error) {
	var saved Schedule
	err := b.schedules.UpdateSchedule(ctx, key, func(sch *Schedule) error {
		if !sch.Active() {
			return errUnchanged
		}
		sch.turnOff(nudgeOff, b.clock.Now())
		saved = *sch
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return Response{Text: "This channel has no daily lesson running; nothing changed.", Ephemeral: true}, nil
	}
	if err != nil {
		return Response{}, fmt.Errorf("nudge off: %w", err)
	}
	if err := b.followNudge(ctx, key.Channel(), &saved); err != nil {
		return Response{}, fmt.Errorf("nudge off: %w", err)
	}
	title := b.postTitle(saved.Cursor)
	text := fmt.Sprintf("Daily lesson off in this channel. /roadmap nudge set HH:MM turns it back on; it continues with Day %d · %s.",
		saved.Day+1, title)
	if saved.Sending != nil {
		// A post waiting for its retry is out of the due index now; one being delivered
		// this very moment still arrives, and its record says so.
		text = fmt.Sprintf("Daily lesson off in this channel. Day %d · %s was on its way out: it is stopped unless it was being "+
			"delivered this very moment (/roadmap nudge status tells). /roadmap nudge set HH:MM turns it back on.", saved.Day+1, title)
	}
	return Response{Text: text, Ephemeral: true, Tone: ToneSuccess}, nil
}

func (b *Bot) nudgeStatus(ctx context.Context, key ScheduleKey) (Response, error) {
	sch, err := b.schedules.Schedule(ctx, key)
	if err != nil {
		return Response{}, fmt.Errorf("nudge status: %w", err)
	}
	if sch.Version == 0 {
		return Response{
			Text:      "This channel has no daily lesson. An admin can start one with /roadmap nudge set 09:00 [IANA zone].",
			Ephemeral: true,
		}, nil
	}
	loc, err := LoadZone(sch.Zone)
	if err != nil {
		loc = time.UTC
	}
	title := b.postTitle(sch.Cursor)
	last := "not yet"
	switch posted := sch.Posted; {
	case posted == 0 && sch.Day > 0:
		// Written before posts were told apart from days given up: Last is the best record.
		last = fmt.Sprintf("%s (Day %d so far)", sch.Last, sch.Day)
	case posted != 0:
		last = fmt.Sprintf("%s (Day %d so far)", posted, sch.Day)
	}
	fields := []Field{
		{Name: "Time", Value: fmt.Sprintf("%s %s", sch.At, loc), Inline: true},
		{Name: "Last post", Value: last, Inline: true},
	}
	now := b.clock.Now()
	switch {
	case sch.Active() && sch.Sending != nil:
		fields = append(fields, Field{Name: "Next", Value: fmt.Sprintf("Day %d · %s, due %s, not posted yet",
			sch.Day+1, title, localTime(sch.Sending.Due, loc))})
	case sch.Active():
		fields = append(fields, Field{Name: "Next", Value: fmt.Sprintf("Day %d · %s, %s (in %s)",
			sch.Day+1, title, localTime(sch.Next, loc), formatDuration(max(sch.Next.Sub(now), 0)))})
	default:
		fields = append(fields, Field{Name: "Paused", Value: fmt.Sprintf("%s. An admin can resume with /roadmap nudge set HH:MM; it continues with Day %d · %s.",
			capitalize(sch.Disabled), sch.Day+1, title)})
	}
	fields = append(fields, b.recapStatus(ctx, key.Channel(), now))
	return Response{Title: "Daily lesson in this channel", Fields: fields, Ephemeral: true}, nil
}

// Disabled reasons of a recap: turned off by an admin, or resting while the daily lesson is.
const (
	recapOff    = "turned off with /roadmap nudge recap off"
	recapPaused = "the daily lesson is off"
)

// followNudge keeps the channel's recap in step with its daily lesson, now saved as nudge:
// on at its time and zone while it runs (unless an admin turned the recap off), resting
// while it does not.
func (b *Bot) followNudge(ctx context.Context, ch Channel, nudge *Schedule) error {
	now := b.clock.Now()
	err := b.schedules.UpdateSchedule(ctx, RecapKey(ch), func(sch *Schedule) error {
		switch {
		case sch.Disabled == recapOff:
			return errUnchanged
		case !nudge.Active():
			if !sch.Active() {
				return errUnchanged
			}
			sch.turnOff(recapPaused, now)
			return nil
		case sch.Active() && sch.At == nudge.At && sch.Zone == nudge.Zone:
			return errUnchanged
		}
		loc, err := LoadZone(nudge.Zone)
		if err != nil {
			return err
		}
		from := sch.handled() + 1
		if sch.Version == 0 {
			// A channel's first recap is of a week it had its daily lesson in, not of the one
			// before it started (a lesson set on a Monday morning waits a week).
			from = max(from, DayOf(now, loc)+1)
		}
		// Nobody is named: the recap belongs to the channel.
		sch.turnOn(KindRecap, nudge.At, loc, "", now)
		sch.replan(nextOccurrence(KindRecap, sch.At, loc, now, from))
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("weekly recap: %w", err)
	}
	return nil
}

// ensureRecap gives a channel whose daily lesson was set before recaps existed its recap,
// on by default; once the channel has a recap record, it costs a read.
func (b *Bot) ensureRecap(ctx context.Context, ch Channel) {
	if sch, err := b.schedules.Schedule(ctx, RecapKey(ch)); err != nil || sch.Version != 0 {
		return
	}
	nudge, err := b.schedules.Schedule(ctx, NudgeKey(ch))
	if err == nil {
		err = b.followNudge(ctx, ch, &nudge)
	}
	if err != nil {
		b.log.Warn("could not start a channel's weekly recap", "channel", ch.ID, "community", ch.Community.Key(), "err", err)
	}
}

func (b *Bot) nudgeRecap(ctx context.Context, cmd Command, key ScheduleKey) (Response, error) {
	ch := key.Channel()
	now := b.clock.Now()
	nudge, err := b.schedules.Schedule(ctx, key)
	if err != nil {
		return Response{}, fmt.Errorf("nudge recap: %w", err)
	}
	if !cmd.On {
		err := b.schedules.UpdateSchedule(ctx, RecapKey(ch), func(sch *Schedule) error {
			if sch.Disabled == recapOff {
				return errUnchanged
			}
			sch.Version, sch.Kind = SchemaVersion, KindRecap
			sch.turnOff(recapOff, now)
			return nil
		})
		if errors.Is(err, errUnchanged) {
			return Response{Text: "The weekly recap is off in this channel already; nothing changed.", Ephemeral: true}, nil
		}
		if err != nil {
			return Response{}, fmt.Errorf("nudge recap off: %w", err)
		}
		return Response{Text: "Weekly recap off in this channel; the daily lesson goes on. /roadmap nudge recap on turns it back on.",
			Ephemeral: true, Tone: ToneSuccess}, nil
	}
	err = b.schedules.UpdateSchedule(ctx, RecapKey(ch), func(sch *Schedule) error {
		if sch.Disabled != recapOff {
			return errUnchanged
		}
		sch.Version, sch.Kind, sch.Disabled, sch.Updated = SchemaVersion, KindRecap, recapPaused, now.UTC()
		return nil
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return Response{}, fmt.Errorf("nudge recap on: %w", err)
	}
	if err := b.followNudge(ctx, ch, &nudge); err != nil {
		return Response{}, fmt.Errorf("nudge recap on: %w", err)
	}
	r := Response{Ephemeral: true, Tone: ToneSuccess}
	if !nudge.Active() {
		r.Text = "Weekly recap on: it comes on Mondays at the daily lesson's time, once this channel has a daily lesson again (/roadmap nudge set HH:MM)."
		return r, nil
	}
	r.Text = "Weekly recap on in this channel. " + b.recapStatus(ctx, ch, now).Value
	return r, nil
}

// recapStatus is the status line of the channel's recap.
func (b *Bot) recapStatus(ctx context.Context, ch Channel, now time.Time) Field {
	f := Field{Name: "Weekly recap"}
	sch, err := b.schedules.Schedule(ctx, RecapKey(ch))
	loc, zerr := LoadZone(sch.Zone)
	switch {
	case err != nil:
		f.Value = "unknown (the store could not be read)"
	case sch.Disabled == recapOff:
		f.Value = "off. An admin can turn it on with /roadmap nudge recap on."
	case sch.Active() && zerr == nil:
		f.Value = fmt.Sprintf("Mondays at %s (%s), last week's study in this channel; next %s (in %s).",
			sch.At, loc, localTime(sch.Next, loc), formatDuration(max(sch.Next.Sub(now), 0)))
		if sch.Sending != nil {
			f.Value = fmt.Sprintf("Mondays at %s (%s); the one due %s is on its way.", sch.At, loc, localTime(sch.Sending.Due, loc))
		}
	default:
		f.Value = "on; it comes on Mondays at the daily lesson's time while there is one."
	}
	return f
}

// followCommunityZone moves the reminders of learners whose day follows the community's
// zone (they set none and their profile gave none) to loc, the zone the community just
// adopted, so each comes at their local time from its next occurrence on.
func (b *Bot) followCommunityZone(ctx context.Context, c Community, loc *time.Location) {
	var users []string
	// Collected first: bbolt must not open a write inside a read on one goroutine.
	err := b.store.Learners(ctx, c, func(l Learner) error {
		if ownZone(&l, "") == nil {
			users = append(users, l.UserID)
		}
		return nil
	})
	if err != nil {
		b.log.Warn("could not move reminders to the community's new zone", "community", c.Key(), "err", err)
		return
	}
	for _, user := range users {
		if _, _, err := b.moveReminder(ctx, c, user, loc); err != nil {
			b.log.Warn("could not move a reminder to the community's new zone", "community", c.Key(), "err", err)
		}
	}
}

// postTitle names what a channel's post at cursor is: a lesson while the walk lasts, then a
// review question.
func (b *Bot) postTitle(cursor int) string {
	if cursor < len(b.roadmap.lessons) {
		return b.roadmap.lessons[cursor].Title
	}
	return "a review question"
}

// reviewQuestion is the question for review post number k after the walk: lesson by lesson
// through the roadmap, a different question of each lesson on every lap, starting with the
// one after the question its lesson's own day asked (its first). Nil when no lesson has
// questions (a roadmap of projects only).
func (b *Bot) reviewQuestion(k int) *Question {
	var asked []*Lesson
	for _, x := range b.roadmap.lessons {
		if len(x.Questions) > 0 {
			asked = append(asked, x)
		}
	}
	if len(asked) == 0 {
		return nil
	}
	x := asked[k%len(asked)]
	return &x.Questions[(k/len(asked)+1)%len(x.Questions)]
}

// quizMarkdown is a question shown in order, as part of a longer post.
func quizMarkdown(q *Question, order int) string {
	var sb strings.Builder
	sb.WriteString(strings.TrimSpace(q.Text) + "\n")
	for i, original := range Permutation(order, len(q.Choices)) {
		fmt.Fprintf(&sb, "\n%c) %s", 'a'+rune(i), q.Choices[original])
	}
	return sb.String()
}

// streakHint closes every daily post.
const streakHint = "Answer the quiz (right or wrong), /roadmap checkin, or mark a lesson done: " +
	"any of them counts as today's study and keeps your streak going. /roadmap streak shows yours."

// dailyPost is the post for day number day at roadmap lesson index cursor: the lesson with
// its quiz, one lesson a day in roadmap order, so a roadmap of N lessons gives N days before
// anything repeats. Past the last lesson the channel gets a review question a day instead:
// review, the question the channel got wrong most often (weakSpot), else the next of a
// rotation through the whole roadmap, which starts with the lessons posted longest ago.
func (b *Bot) dailyPost(day, cursor int, review string) Response {
	n := len(b.roadmap.lessons)
	if cursor >= n {
		q := b.reviewQuestion(cursor - n)
		weak := false
		if x, ok := b.roadmap.Question(review); ok {
			q, weak = x, true
		}
		if q == nil {
			return Response{
				Title:    fmt.Sprintf("📅 Day %d · The path is walked", day),
				Text:     "*The whole path is behind this channel.* Pick any lesson again with /roadmap topics.",
				Markdown: true,
				Fields:   []Field{{Name: "Keep your streak", Value: streakHint}},
				Buttons:  []Button{{Label: "All topics", Command: "topics", Style: StylePrimary}},
				Tone:     ToneInfo,
			}
		}
		order := b.shuffle(q)
		quiz := RenderQuestion(q, order)
		text := "*The whole path is behind this channel: every day brings a review question from it now.*\n\n"
		if weak {
			text += "This one was answered wrong here more than any other since it last came up.\n\n"
		}
		text += quizMarkdown(q, order)
		return Response{
			Title:    fmt.Sprintf("📅 Day %d · Review: %s", day, q.lesson.Title),
			Text:     text,
			Markdown: true,
			Fields:   []Field{{Name: "Keep your streak", Value: streakHint}},
			Buttons:  quiz.Buttons,
			Footer:   fmt.Sprintf("Daily review · %s · answer with a button or /roadmap answer %s <letter>", q.lesson.topic.Title, questionToken(q, order)),
			Tone:     ToneInfo,
		}
	}
	x := b.roadmap.lessons[cursor]
	text := x.text
	var buttons []Button
	footer := fmt.Sprintf("Daily lesson %d of %d · %s", cursor+1, n, x.Slug)
	if len(x.Questions) > 0 {
		// The lesson's own day asks its first question; review laps ask the others.
		q := &x.Questions[0]
		order := b.shuffle(q)
		quiz := RenderQuestion(q, order)
		text += "\n\n**Quiz of the day**\n" + quizMarkdown(q, order)
		buttons = quiz.Buttons
		footer += " · answer with a button or /roadmap answer " + questionToken(q, order) + " <letter>"
	} else {
		buttons = []Button{{Label: "Open project", Command: "lesson " + x.Slug, Style: StylePrimary}}
	}
	return Response{
		Title:    fmt.Sprintf("📅 Day %d · %s", day, x.Title),
		Text:     text,
		Markdown: true,
		Fields: []Field{
			{Name: "Key points", Value: x.keyPoints},
			{Name: "Keep your streak", Value: streakHint},
		},
		Links:   x.linkList,
		Buttons: buttons,
		Footer:  footer,
		Tone:    ToneInfo,
	}
}

// localTime is how a scheduled instant is shown: "Wed 25 Nov 09:00".
func localTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 15:04")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
