package bot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
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

// streakOf is "a 2-day streak", "an 8-day streak": the article follows how the number is
// read aloud (eight, eleven, eighteen, eighty… take "an").
func streakOf(n int) string {
	digits := strconv.Itoa(n)
	article := "a "
	if strings.HasPrefix(digits, "8") ||
		(len(digits)%3 == 2 && (strings.HasPrefix(digits, "11") || strings.HasPrefix(digits, "18"))) {
		article = "an "
	}
	return article + digits + "-day streak"
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func (b *Bot) checkin(ctx context.Context, c Community, req Request) (Response, error) {
	community := b.communityZone(ctx, c)
	// What the change saw, for the answer: one value, so the closure below costs one
	// allocation however much it reports.
	var seen struct {
		res     StudyResult
		streak  Streak
		loc     *time.Location
		learner *Learner // for the card of a milestone
	}
	now := b.clock.Now()
	err := b.update(ctx, c, req, func(l *Learner) error {
		seen.loc = learnerZone(l, req.ProfileZone, community)
		seen.res = b.studyToday(l, req.ProfileZone, community, ActivityCheckin)
		seen.streak = l.Streak
		if seen.learner = nil; seen.res.Milestone > 0 {
			copied := *l
			seen.learner = &copied
		}
		return nil
	})
	res, streak, loc, learner := seen.res, seen.streak, seen.loc, seen.learner
	if err != nil {
		return Response{}, fmt.Errorf("checkin: %w", err)
	}
	name := req.UserName
	if name == "" {
		name = "You"
	}
	if !res.Counted {
		text := fmt.Sprintf("Today is already counted: your streak is %s. Come back tomorrow!", plural(streak.Current, "day"))
		if DayOf(now, loc) > streak.Last {
			// The learner's zone moved east past the end of the day they counted.
			text = fmt.Sprintf("Today is already counted: your streak is %s. Your zone shows a new date already, but a new day "+
				"counts only once the day you last counted has ended where you counted it: check in again from %s.",
				plural(streak.Current, "day"), localTime(streak.Ends, loc))
		}
		return Response{Text: text, Ephemeral: true}, nil
	}
	r := Response{
		Title:   fmt.Sprintf("🔥 %s checked in: %s", clip(name, 40), streakOf(streak.Current)),
		Text:    studyLine(res),
		Buttons: []Button{{Label: "My streak", Command: "streak"}, {Label: "Quiz me", Command: "quiz", Style: StylePrimary}},
		Tone:    ToneSuccess,
	}
	if res.Milestone > 0 {
		r.Tone = ToneCelebrate
		// A milestone is the moment people share: the public answer shows the heatmap.
		r = b.withCard(r, "streak.png", func(cr CardRenderer) ([]byte, error) {
			return cr.StreakCard(StreakCardOf(learner, req.UserName, streak.Today(now, loc), loc))
		})
	}
	return r, nil
}

var calendarMarks = map[DayMark]string{DayStudied: "🟩", DayFrozen: "🧊", DayMissed: "⬛", DayPending: "⬜", DayBefore: "▫️"}

func (b *Bot) streak(ctx context.Context, c Community, req Request) (Response, error) {
	l, err := b.learner(ctx, c, req.UserID) // upgraded, so cards seeded from old quiz history count as due
	if err != nil {
		return Response{}, fmt.Errorf("streak: %w", err)
	}
	loc := b.Zone(ctx, c, &l, req.ProfileZone)
	now := b.clock.Now()
	today := l.Streak.Today(now, loc)
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
	closes := l.Streak.TodayEnds(now, loc)
	left := closes.Sub(now).Truncate(time.Minute)
	window := fmt.Sprintf("in %s (midnight %s)", formatDuration(left), loc)
	if !closes.Equal((today + 1).Time(loc)) {
		window = fmt.Sprintf("in %s (%s %s, when the day you last counted ends in the zone you counted it in)",
			formatDuration(left), closes.In(loc).Format("15:04"), loc)
	}
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
	fields := []Field{
		{Name: "Current", Value: current},
		{Name: "Longest", Value: plural(l.Streak.Longest, "day"), Inline: true},
		{Name: "Previous", Value: plural(previous, "day"), Inline: true},
		{Name: "Freezes held", Value: freezesHeld(v), Inline: true},
		{Name: "Today's window closes", Value: window},
		{Name: "Last 4 weeks", Value: cal.String() + "\n🟩 studied  🧊 freeze  ⬛ missed  ⬜ today  ▫️ before you began"},
	}
	buttons := []Button{{Label: "Check in", Command: "checkin", Style: StyleSuccess}}
	if cards := l.Cards.Stats(today); cards.Cards > 0 {
		// A review answer counts as study: the reviews due are a way to keep the streak.
		due := fmt.Sprintf("%s due today, %d in the next 7 days", plural(cards.DueToday, "review"), cards.DueWeek)
		if cards.DueToday > 0 {
			buttons = append(buttons, Button{Label: fmt.Sprintf("Review (%d due)", cards.DueToday), Command: "review", Style: StylePrimary})
		}
		fields = append(fields, Field{Name: "Reviews due", Value: due})
	}
	r := Response{
		Title:     "Your study streak",
		Fields:    fields,
		Buttons:   buttons,
		Ephemeral: true,
	}
	return b.withCard(r, "streak.png", func(cr CardRenderer) ([]byte, error) {
		return cr.StreakCard(StreakCardOf(&l, req.UserName, today, loc))
	}), nil
}

// compareBool orders false before true.
func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// freezesHeld says how many freezes the learner holds and what studying today spends of
// them: "2 of 2: studying today spends 1 on the missed day and keeps 1".
func freezesHeld(v StreakView) string {
	held, due := v.FreezesHeld, v.FreezesDue
	s := fmt.Sprintf("%d of %d", held, MaxFreezes)
	missed := "the missed day"
	if due > 1 {
		missed = fmt.Sprintf("the %d missed days", due)
	}
	switch {
	case due == 0:
		return s
	case due == held && due == 1:
		return s + ": studying today spends it on " + missed
	case due == held && due == 2:
		return s + ": studying today spends both on " + missed
	case due == held:
		return s + fmt.Sprintf(": studying today spends all %d on %s", due, missed)
	}
	return s + fmt.Sprintf(": studying today spends %d on %s and keeps %d", due, missed, held-due)
}

func formatDuration(d time.Duration) string {
	h := int(d.Hours())
	m := int(d.Minutes()) % 60
	if h == 0 {
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%dh %02dm", h, m)
}

// boardRows is how many ranks the leaderboard shows.
const boardRows = 10

// The leaderboard ranks the streaks going today, longest current streak first. Equal
// streaks share a rank (1, 1, 3: the medals too); within a rank, the longer best streak comes
// first, then the name in alphabetical order (learners without one last), then the user ID
// shorter first, so numeric IDs (Discord's) compare as numbers, never as text.
//
// It reads the store's streak ranking from the top and stops below the board's last rank,
// so its cost follows the board, not the community. A streak that is still going today
// shows its stored length, so the ranking's order is the board's; one that lapsed since it
// was stored is skipped.
func (b *Bot) leaderboard(ctx context.Context, c Community) (Response, error) {
	type entry struct {
		name, user       string
		current, longest int
	}
	community := b.communityZone(ctx, c)
	now := b.clock.Now()
	var (
		entries []entry
		lapsed  int
		// beyond: a streak going below the last rank shown, where the walk stopped, so
		// len(entries) is a lower bound.
		beyond bool
	)
	err := b.store.LearnersByStreak(ctx, c, func(l Learner) (bool, error) {
		v := l.Streak.View(l.Streak.Today(now, learnerZone(&l, "", community)))
		switch {
		case v.Current == 0:
			if l.Streak.Last != 0 {
				lapsed++
			}
			return true, nil
		case len(entries) >= boardRows && v.Current < entries[boardRows-1].current:
			beyond = true
			return false, nil
		}
		entries = append(entries, entry{l.Name, l.UserID, v.Current, l.Streak.Longest})
		return true, nil
	})
	if err != nil {
		return Response{}, fmt.Errorf("leaderboard: %w", err)
	}
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(b.current, a.current), cmp.Compare(b.longest, a.longest),
			compareBool(a.name == "", b.name == ""), // the nameless after the named
			strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)), strings.Compare(a.name, b.name),
			cmp.Compare(len(a.user), len(b.user)), strings.Compare(a.user, b.user))
	})
	if len(entries) == 0 {
		// The walk read the whole ranking: every learner who ever studied is in it.
		text := "Nobody has a streak going yet. Be the first: /roadmap checkin"
		if lapsed > 0 {
			text = fmt.Sprintf("Every streak here has lapsed (%s had one). Check in to start a new one: /roadmap checkin", plural(lapsed, "learner"))
		}
		return Response{
			Title:   "Leaderboard",
			Text:    text,
			Buttons: []Button{{Label: "Check in", Command: "checkin", Style: StyleSuccess}},
		}, nil
	}
	medals := []string{"🥇", "🥈", "🥉"}
	var lines []string
	rank := 0
	for i, e := range entries[:min(boardRows, len(entries))] {
		if i == 0 || e.current != entries[i-1].current {
			rank = i + 1
		}
		place := fmt.Sprintf("%d.", rank)
		if rank <= len(medals) {
			place = medals[rank-1]
		}
		name := e.name
		if name == "" {
			name = "learner " + clip(e.user, 12)
		}
		lines = append(lines, fmt.Sprintf("%s %s — %s (longest %d)", place, name, plural(e.current, "day"), e.longest))
	}
	footer := fmt.Sprintf("%s with a streak going", plural(len(entries), "learner"))
	if beyond {
		footer = fmt.Sprintf("more than %s with a streak going", plural(len(entries), "learner"))
	}
	return Response{
		Title:   "Leaderboard: current streaks",
		Text:    strings.Join(lines, "\n"),
		Footer:  footer,
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
	resp := Response{
		Text:      fmt.Sprintf("🕐 Your day now follows %s (it is %s there). Days already counted stay as they were.", loc, now.In(loc).Format("Mon 15:04")),
		Ephemeral: true,
		Tone:      ToneSuccess,
	}
	// The learner's reminder follows their day.
	switch at, moved, err := b.moveReminder(ctx, c, req.UserID, loc); {
	case err != nil:
		// The zone has changed already; say so, and how to move the reminder by hand.
		b.log.Error("could not move a reminder to the learner's new zone", "community", c.Key(), "err", err)
		resp.Text += " Your reminder could not follow it: set it again with /roadmap remind HH:MM."
	case moved:
		resp.Text += fmt.Sprintf(" Your %s reminder follows it.", at)
	}
	return resp, nil
}
