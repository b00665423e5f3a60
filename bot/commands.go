package bot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// studyLine tells the learner what their study did to the streak.
func studyLine(res StudyResult) string {
	if !res.Counted {
		return ""
	}
	var parts []string
	if res.Broke > 0 {
		parts = append(parts, fmt.Sprintf("Your %d-day streak had lapsed; a new one starts today.", res.Broke))
	}
	if res.FreezesSpent > 0 {
		parts = append(parts, fmt.Sprintf("🧊 %s covered the missed %s.", plural(res.FreezesSpent, "freeze"), plural(res.FreezesSpent, "day")))
	}
	if res.Milestone > 0 {
		parts = append(parts, fmt.Sprintf("🎉 %d-day streak! Milestone reached.", res.Milestone))
	}
	if res.FreezeEarned {
		parts = append(parts, "🧊 You earned a streak freeze.")
	}
	if len(parts) == 0 {
		return "Counted as study today."
	}
	return strings.Join(parts, " ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func (b *Bot) checkin(ctx context.Context, c Community, req Request) (Response, error) {
	community := b.communityZone(ctx, c)
	var (
		res    StudyResult
		streak Streak
	)
	err := b.update(ctx, c, req, func(l *Learner) error {
		res = b.studyToday(l, req.ProfileZone, community)
		streak = l.Streak
		return nil
	})
	if err != nil {
		return Response{}, fmt.Errorf("checkin: %w", err)
	}
	name := req.UserName
	if name == "" {
		name = "You"
	}
	if !res.Counted {
		return Response{
			Text:      fmt.Sprintf("Today is already counted: your streak is %s. Come back tomorrow!", plural(streak.Current, "day")),
			Ephemeral: true,
		}, nil
	}
	r := Response{
		Title:   fmt.Sprintf("🔥 %s checked in: %s streak", clip(name, 40), plural(streak.Current, "day")),
		Text:    studyLine(res),
		Buttons: []Button{{Label: "My streak", Command: "streak"}, {Label: "Quiz me", Command: "quiz", Style: StylePrimary}},
		Tone:    ToneSuccess,
	}
	if res.Milestone > 0 {
		r.Tone = ToneCelebrate
	}
	return r, nil
}

var calendarMarks = map[DayMark]string{DayStudied: "🟩", DayFrozen: "🧊", DayMissed: "⬛", DayPending: "⬜", DayBefore: "▫️"}

func (b *Bot) streak(ctx context.Context, c Community, req Request) (Response, error) {
	l, err := b.store.Learner(ctx, c, req.UserID)
	if err != nil {
		return Response{}, fmt.Errorf("streak: %w", err)
	}
	loc := b.Zone(ctx, c, &l, req.ProfileZone)
	now := b.clock.Now()
	today := DayOf(now, loc)
	v := l.Streak.View(today)
	current := plural(v.Current, "day")
	switch {
	case v.Broken:
		current = fmt.Sprintf("0 days (your %d-day streak lapsed; check in to start a new one)", l.Streak.Current)
	case v.Pending:
		current += " (today pending: study before midnight to extend it)"
	case v.StudiedToday:
		current += " (today counted ✅)"
	}
	closes := (today + 1).Time(loc)
	left := closes.Sub(now).Truncate(time.Minute)
	marks := l.Streak.Calendar(today, 28)
	var cal strings.Builder
	for i, m := range marks {
		cal.WriteString(calendarMarks[m])
		if i%7 == 6 && i != len(marks)-1 {
			cal.WriteByte('\n')
		}
	}
	previous := l.Streak.Previous
	if v.Broken {
		previous = l.Streak.Current
	}
	held := v.FreezesHeld
	fields := []Field{
		{Name: "Current", Value: current},
		{Name: "Longest", Value: plural(l.Streak.Longest, "day"), Inline: true},
		{Name: "Previous", Value: plural(previous, "day"), Inline: true},
		{Name: "Freezes held", Value: fmt.Sprintf("%d of %d", held, MaxFreezes), Inline: true},
		{Name: "Today's window closes", Value: fmt.Sprintf("in %s (midnight %s)", formatDuration(left), loc)},
		{Name: "Last 4 weeks", Value: cal.String() + "\n🟩 studied  🧊 freeze  ⬛ missed  ⬜ today  ▫️ before you began"},
	}
	if v.FreezesDue > 0 {
		fields[3].Value += fmt.Sprintf(" (%s will cover the missed days when you study today)", plural(v.FreezesDue, "more"))
	}
	return Response{
		Title:     "Your study streak",
		Fields:    fields,
		Buttons:   []Button{{Label: "Check in", Command: "checkin", Style: StyleSuccess}},
		Ephemeral: true,
	}, nil
}

func formatDuration(d time.Duration) string {
	h := int(d.Hours())
	m := int(d.Minutes()) % 60
	if h == 0 {
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%dh %02dm", h, m)
}

func (b *Bot) leaderboard(ctx context.Context, c Community) (Response, error) {
	type entry struct {
		name             string
		current, longest int
	}
	community := b.communityZone(ctx, c)
	now := b.clock.Now()
	var entries []entry
	err := b.store.Learners(ctx, c, func(l Learner) error {
		v := l.Streak.View(DayOf(now, learnerZone(&l, "", community)))
		if v.Current > 0 {
			name := l.Name
			if name == "" {
				name = "learner " + clip(l.UserID, 12)
			}
			entries = append(entries, entry{name, v.Current, l.Streak.Longest})
		}
		return nil
	})
	if err != nil {
		return Response{}, fmt.Errorf("leaderboard: %w", err)
	}
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(b.current, a.current), cmp.Compare(b.longest, a.longest), strings.Compare(a.name, b.name))
	})
	if len(entries) == 0 {
		return Response{
			Title:   "Leaderboard",
			Text:    "Nobody has a streak going yet. Be the first: /roadmap checkin",
			Buttons: []Button{{Label: "Check in", Command: "checkin", Style: StyleSuccess}},
		}, nil
	}
	medals := []string{"🥇", "🥈", "🥉"}
	var lines []string
	for i, e := range entries[:min(10, len(entries))] {
		rank := fmt.Sprintf("%d.", i+1)
		if i < len(medals) {
			rank = medals[i]
		}
		lines = append(lines, fmt.Sprintf("%s %s — %s (longest %d)", rank, e.name, plural(e.current, "day"), e.longest))
	}
	return Response{
		Title:   "Leaderboard: current streaks",
		Text:    strings.Join(lines, "\n"),
		Footer:  fmt.Sprintf("%s with a streak going", plural(len(entries), "learner")),
		Buttons: []Button{{Label: "Check in", Command: "checkin", Style: StyleSuccess}},
	}, nil
}

func (b *Bot) timezone(ctx context.Context, c Community, req Request, cmd Command) (Response, error) {
	now := b.clock.Now()
	if cmd.Zone == "" {
		l, err := b.store.Learner(ctx, c, req.UserID)
		if err != nil {
			return Response{}, fmt.Errorf("timezone: %w", err)
		}
		loc := b.Zone(ctx, c, &l, req.ProfileZone)
		how := "the default"
		if l.Zone != "" {
			how = "your setting"
		}
		return Response{
			Text:      fmt.Sprintf("Your day follows %s (%s; it is %s there). Change it with /roadmap timezone <IANA name>, e.g. Europe/Berlin.", loc, how, now.In(loc).Format("Mon 15:04")),
			Ephemeral: true,
		}, nil
	}
	loc, err := LoadZone(cmd.Zone)
	if err != nil {
		return Response{}, err
	}
	err = b.update(ctx, c, req, func(l *Learner) error {
		l.Zone = loc.String()
		return nil
	})
	if err != nil {
		return Response{}, fmt.Errorf("timezone: %w", err)
	}
	return Response{
		Text:      fmt.Sprintf("🕐 Your day now follows %s (it is %s there). Days already counted stay as they were.", loc, now.In(loc).Format("Mon 15:04")),
		Ephemeral: true,
		Tone:      ToneSuccess,
	}, nil
}
