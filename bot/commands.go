package bot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

func (b *Bot) help() Response {
	var lines []string
	for _, v := range Verbs {
		lines = append(lines, fmt.Sprintf("/roadmap %s — %s", v.Usage, v.Help))
	}
	return Response{
		Title: "studybot commands",
		Text:  strings.Join(lines, "\n"),
		Fields: []Field{{Name: "How the streak counts", Value: "A day is your local calendar day (set it with /roadmap timezone). " +
			"A check-in, a quiz answer or a topic marked done counts as study; several in a day count once. " +
			"Study the day after your last study day and the streak grows by one; today stays pending until midnight, never broken. " +
			"Every 7th day in a row earns a freeze (hold up to 2); each missed day spends one automatically. " +
			"Miss more days than you hold freezes and the streak restarts at 1, the old one kept as your previous streak."}},
		Buttons:   []Button{{Label: "Next topic", Command: "next", Style: StylePrimary}},
		Ephemeral: true,
	}
}

func (b *Bot) next(ctx context.Context, c Community, req Request) (Response, error) {
	l, err := b.store.Learner(ctx, c, req.UserID)
	if err != nil {
		return Response{}, fmt.Errorf("next: %w", err)
	}
	t := l.Next(b.roadmap)
	if t == nil {
		return Response{
			Title: "You finished the roadmap!",
			Text:  fmt.Sprintf("Every topic of %s is done or skipped. Keep the streak alive with quizzes, or /roadmap reset a topic to revisit it.", b.roadmap.Name),
			Buttons: []Button{
				{Label: "Quiz me", Command: "quiz " + b.roadmap.Topics[0].Slug, Style: StylePrimary},
				{Label: "All topics", Command: "topics"},
			},
			Ephemeral: true,
			Tone:      ToneCelebrate,
		}, nil
	}
	return b.renderTopic(&l, t), nil
}

func (b *Bot) topic(ctx context.Context, c Community, req Request, cmd Command) (Response, error) {
	t := cmd.topic
	l, err := b.store.Learner(ctx, c, req.UserID)
	if err != nil {
		return Response{}, fmt.Errorf("topic: %w", err)
	}
	r := b.renderTopic(&l, t)
	if !t.answersTo(cmd.Topic) {
		// A misspelling was forgiven: say so, so a learner who meant something else notices.
		r.Text = fmt.Sprintf("No topic is called %q; showing the closest, %s.\n\n%s", clip(cmd.Topic, 40), t.Title, r.Text)
	}
	return r, nil
}

// keyPointList is the topic's key points as a bulleted list.
func (t *Topic) keyPointList() string {
	points := make([]string, len(t.KeyPoints))
	for i, p := range t.KeyPoints {
		points[i] = "• " + p
	}
	return strings.Join(points, "\n")
}

// links are the topic's resources as response links.
func (t *Topic) links() []Link {
	links := make([]Link, len(t.Resources))
	for i, r := range t.Resources {
		links[i] = Link(r)
	}
	return links
}

// renderTopic shows one topic in full with the buttons that act on it.
func (b *Bot) renderTopic(l *Learner, t *Topic) Response {
	i := b.roadmap.Index(t.Slug)
	state := l.State(t.Slug)
	buttons := []Button{
		{Label: "Mark done", Command: "done " + t.Slug, Style: StyleSuccess},
		{Label: "Skip", Command: "skip " + t.Slug},
		{Label: "Quiz me", Command: "quiz " + t.Slug, Style: StylePrimary},
	}
	if state == StateDone || state == StateSkipped {
		buttons[0] = Button{Label: "Reset", Command: "reset " + t.Slug}
		buttons[1] = Button{Label: "Next topic", Command: "next", Style: StyleSuccess}
	}
	return Response{
		Title:     fmt.Sprintf("%d/%d · %s", i+1, len(b.roadmap.Topics), t.Title),
		Text:      t.Lesson,
		Fields:    []Field{{Name: "Key points", Value: t.keyPointList()}},
		Links:     t.links(),
		Buttons:   buttons,
		Footer:    fmt.Sprintf("%s · state: %s", t.Slug, state),
		Ephemeral: true,
	}
}

var stateIcons = map[TopicState]string{StateDone: "✅", StateLearning: "📖", StateSkipped: "⏭️", StateTodo: "▫️"}

func (b *Bot) topics(ctx context.Context, c Community, req Request) (Response, error) {
	l, err := b.store.Learner(ctx, c, req.UserID)
	if err != nil {
		return Response{}, fmt.Errorf("topics: %w", err)
	}
	lines := make([]string, len(b.roadmap.Topics))
	for i, t := range b.roadmap.Topics {
		s := l.State(t.Slug)
		lines[i] = fmt.Sprintf("%s %2d. %s (%s) — %s", stateIcons[s], i+1, t.Title, t.Slug, s)
	}
	finished := b.finished(&l)
	return Response{
		Title:     b.roadmap.Name + " roadmap",
		Text:      strings.Join(lines, "\n"),
		Fields:    []Field{{Name: "Progress", Value: progressBar(finished, len(b.roadmap.Topics))}},
		Buttons:   []Button{{Label: "Next topic", Command: "next", Style: StylePrimary}},
		Ephemeral: true,
	}, nil
}

// finished counts topics done or skipped: both move the learner along.
func (b *Bot) finished(l *Learner) int {
	n := 0
	for _, t := range b.roadmap.Topics {
		if s := l.State(t.Slug); s == StateDone || s == StateSkipped {
			n++
		}
	}
	return n
}

func progressBar(n, total int) string {
	const width = 20
	filled := n * width / max(total, 1)
	return fmt.Sprintf("%s%s %d/%d (%d%%)", strings.Repeat("█", filled), strings.Repeat("░", width-filled),
		n, total, n*100/max(total, 1))
}

func (b *Bot) progress(ctx context.Context, c Community, req Request) (Response, error) {
	l, err := b.store.Learner(ctx, c, req.UserID)
	if err != nil {
		return Response{}, fmt.Errorf("progress: %w", err)
	}
	counts := map[TopicState]int{}
	for _, t := range b.roadmap.Topics {
		counts[l.State(t.Slug)]++
	}
	next := "nothing: the roadmap is complete"
	if t := l.Next(b.roadmap); t != nil {
		next = fmt.Sprintf("%s (%s)", t.Title, t.Slug)
	}
	return Response{
		Title: "Your progress",
		Text:  progressBar(b.finished(&l), len(b.roadmap.Topics)),
		Fields: []Field{
			{Name: "Done", Value: fmt.Sprint(counts[StateDone]), Inline: true},
			{Name: "Skipped", Value: fmt.Sprint(counts[StateSkipped]), Inline: true},
			{Name: "Learning", Value: fmt.Sprint(counts[StateLearning]), Inline: true},
			{Name: "Todo", Value: fmt.Sprint(counts[StateTodo]), Inline: true},
			{Name: "Quiz", Value: fmt.Sprintf("%d right of %d answered", l.QuizRight, l.QuizAnswered), Inline: true},
			{Name: "Next", Value: next},
		},
		Buttons:   []Button{{Label: "Next topic", Command: "next", Style: StylePrimary}},
		Ephemeral: true,
	}, nil
}

// stateAfter is the state each state-changing command puts a topic in.
var stateAfter = map[string]TopicState{"start": StateLearning, "done": StateDone, "skip": StateSkipped, "reset": StateTodo}

func (b *Bot) changeState(ctx context.Context, c Community, req Request, cmd Command) (Response, error) {
	target := cmd.topic // nil: the learner's current topic
	after := stateAfter[cmd.Name]
	community := b.communityZone(ctx, c)
	var (
		t       *Topic
		before  TopicState
		studied StudyResult
		next    *Topic
	)
	err := b.update(ctx, c, req, func(l *Learner) error {
		t = target
		if t == nil {
			if t = l.Current(b.roadmap); t == nil {
				return Errorf(EINVALID, "You have no current topic: the whole roadmap is done or skipped. Name one, e.g. /roadmap %s %s.", cmd.Name, b.roadmap.Topics[0].Slug)
			}
		}
		before = l.State(t.Slug)
		studied = StudyResult{}
		if before == after {
			return nil
		}
		if cmd.Name == "start" {
			// One topic is "learning" at a time; starting another puts the old one back.
			for slug, s := range l.Topics {
				if s == StateLearning {
					l.setState(slug, StateTodo)
				}
			}
		}
		l.setState(t.Slug, after)
		if after == StateDone {
			studied = b.studyToday(l, req.ProfileZone, community)
		}
		next = l.Next(b.roadmap)
		return nil
	})
	if err != nil {
		return Response{}, err
	}
	r := Response{Ephemeral: true, Tone: ToneSuccess}
	switch cmd.Name {
	case "start":
		r.Text = fmt.Sprintf("📖 You are now learning %s.", t.Title)
	case "done":
		r.Text = fmt.Sprintf("✅ %s is done.", t.Title)
	case "skip":
		r.Text = fmt.Sprintf("⏭️ Skipped %s.", t.Title)
	case "reset":
		r.Text = fmt.Sprintf("↩️ %s is back to todo.", t.Title)
	}
	if before == after {
		r.Text = fmt.Sprintf("%s was already %s; nothing changed.", t.Title, before)
		r.Tone = ToneInfo
	}
	if line := studyLine(studied); line != "" {
		r.Text += "\n" + line
	}
	if studied.Milestone > 0 {
		r.Tone = ToneCelebrate
	}
	switch {
	case cmd.Name == "start" && before != after:
		r.Buttons = []Button{
			{Label: "Mark done", Command: "done " + t.Slug, Style: StyleSuccess},
			{Label: "Quiz me", Command: "quiz " + t.Slug, Style: StylePrimary},
		}
	case next != nil:
		r.Fields = []Field{{Name: "Up next", Value: fmt.Sprintf("%s (%s)", next.Title, next.Slug)}}
		r.Buttons = []Button{{Label: "Next topic", Command: "next", Style: StylePrimary}}
	default:
		r.Text += "\n🎓 That was the last one: the roadmap is complete!"
	}
	return r, nil
}

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

func (b *Bot) quiz(ctx context.Context, c Community, req Request, cmd Command) (Response, error) {
	target := cmd.topic // nil: the learner's current topic
	var q *Question
	var t *Topic
	err := b.update(ctx, c, req, func(l *Learner) error {
		t = target
		if t == nil {
			if t = l.Current(b.roadmap); t == nil {
				t = &b.roadmap.Topics[int(l.Streak.Last)%len(b.roadmap.Topics)]
			}
		}
		if l.QuizNext == nil {
			l.QuizNext = map[string]int{}
		}
		i := l.QuizNext[t.Slug] % len(t.Quiz)
		l.QuizNext[t.Slug] = (i + 1) % len(t.Quiz)
		q = &t.Quiz[i]
		return nil
	})
	if err != nil {
		return Response{}, fmt.Errorf("quiz: %w", err)
	}
	return RenderQuestion(t, q), nil
}

// RenderQuestion shows a question with one answer button per choice. The scheduler's daily
// post uses it too.
func RenderQuestion(t *Topic, q *Question) Response {
	lines := []string{q.Text, ""}
	buttons := make([]Button, len(q.Choices))
	for i, choice := range q.Choices {
		letter := string(rune('a' + i))
		lines = append(lines, fmt.Sprintf("%s) %s", letter, choice))
		buttons[i] = Button{Label: letter, Command: fmt.Sprintf("answer %s %s", q.ID, letter), Style: StylePrimary}
	}
	return Response{
		Title:     fmt.Sprintf("Quiz · %s", t.Title),
		Text:      strings.Join(lines, "\n"),
		Buttons:   buttons,
		Footer:    fmt.Sprintf("question %s · answer with a button or /roadmap answer %s <letter>", q.ID, q.ID),
		Ephemeral: true,
	}
}

func (b *Bot) answer(ctx context.Context, c Community, req Request, cmd Command) (Response, error) {
	t, q, err := b.question(cmd.Question) // admit has checked the question and the choice
	if err != nil {
		return Response{}, err
	}
	community := b.communityZone(ctx, c)
	right := cmd.Choice == q.Answer
	var res StudyResult
	var streak Streak
	err = b.update(ctx, c, req, func(l *Learner) error {
		l.QuizAnswered++
		if right {
			l.QuizRight++
		}
		res = b.studyToday(l, req.ProfileZone, community)
		streak = l.Streak
		return nil
	})
	if err != nil {
		return Response{}, fmt.Errorf("answer: %w", err)
	}
	r := Response{Ephemeral: true, Tone: ToneSuccess}
	correct := fmt.Sprintf("%c) %s", 'a'+rune(q.Answer), q.Choices[q.Answer])
	if right {
		r.Title = "✅ Right: " + correct
	} else {
		r.Title = fmt.Sprintf("❌ Not quite: you chose %c, the answer is %s", 'a'+rune(cmd.Choice), correct)
		r.Tone = ToneInfo
	}
	r.Text = q.Explain
	line := studyLine(res)
	if line == "" {
		line = "Today's study was already counted."
	}
	r.Fields = []Field{{Name: "Streak", Value: fmt.Sprintf("%s. %s", plural(streak.Current, "day"), line)}}
	if res.Milestone > 0 {
		r.Tone = ToneCelebrate
	}
	r.Buttons = []Button{
		{Label: "Another question", Command: "quiz " + t.Slug, Style: StylePrimary},
		{Label: "Next topic", Command: "next"},
	}
	return r, nil
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
