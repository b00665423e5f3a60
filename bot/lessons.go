package bot

import (
	"context"
	"fmt"
	"strings"
)

func (b *Bot) help() Response {
	var lines []string
	for _, v := range Verbs {
		lines = append(lines, fmt.Sprintf("/roadmap %s — %s", v.Usage(), v.Help))
	}
	return Response{
		Title: "studybot commands",
		Text:  strings.Join(lines, "\n"),
		Fields: []Field{{Name: "How the streak counts", Value: "A day is your local calendar day (set it with /roadmap timezone). " +
			"A check-in, a quiz or review answer or a lesson marked done counts as study; several in a day count once. " +
			"Study the day after your last study day and the streak grows by one; today stays pending until midnight, never broken. " +
			"A new day counts only once the day you last counted has ended in the zone you counted it in, so changing zone never earns a day " +
			"(and never rewrites the days already counted). " +
			"Every 7th day in a row earns a freeze (hold up to 2); each missed day spends one automatically. " +
			"Miss more days than you hold freezes and the streak restarts at 1, the old one kept as your previous streak."}, {
			Name: "Time zones", Value: "Your day follows /roadmap timezone, else your Slack profile's zone, else the community's: " +
				"a community admin (Discord: Manage Server; Slack: workspace admin) sets it by naming the zone in " +
				"/roadmap nudge set HH:MM <zone> while the community has none. A channel admin's nudge sets only that channel's daily post."}},
		Buttons:   []Button{{Label: "Next lesson", Command: "next", Style: StylePrimary}},
		Ephemeral: true,
	}
}

// learner reads a learner's record in the current schema.
func (b *Bot) learner(ctx context.Context, c Community, userID string) (Learner, error) {
	l, err := b.store.Learner(ctx, c, userID)
	if err != nil {
		return Learner{}, err
	}
	b.roadmap.Upgrade(&l)
	return l, nil
}

func (b *Bot) next(ctx context.Context, c Community, req Request) (Response, error) {
	l, err := b.learner(ctx, c, req.UserID)
	if err != nil {
		return Response{}, fmt.Errorf("next: %w", err)
	}
	var today Day
	if !l.Cards.IsZero() { // the zone may cost a read of the community's settings
		today = l.Streak.Today(b.clock.Now(), b.Zone(ctx, c, &l, req.ProfileZone))
	}
	due := l.Cards.Due(today)
	x := l.Next(b.roadmap)
	if x == nil && due > 0 {
		return b.nextReview(ctx, c, req, true)
	}
	if x == nil {
		text := fmt.Sprintf("Every lesson of %s is done or skipped. Keep what you learned fresh with quizzes, or /roadmap reset a lesson or topic to study it again.",
			b.roadmap.Name)
		if d, ok := l.Cards.NextDue(); ok {
			text += fmt.Sprintf(" Your next review is on %s, %s.", dayName(d), inDays(int(d-today)))
		}
		return Response{
			Title: "You finished the roadmap!",
			Text:  text,
			Buttons: []Button{
				{Label: "Quiz me", Command: "quiz", Style: StylePrimary},
				{Label: "All topics", Command: "topics"},
			},
			Ephemeral: true,
			Tone:      ToneCelebrate,
		}, nil
	}
	r := b.withNote(ctx, c, req.UserID, b.renderLesson(&l, x), x)
	if due > 0 {
		r.Fields = append(r.Fields, Field{Name: "Spaced review", Value: fmt.Sprintf("%s due (questions you answered before, back before you forget them)",
			plural(due, "review"))})
		r.Buttons = append(r.Buttons, Button{Label: fmt.Sprintf("Review (%d due)", due), Command: "review"})
	}
	return r, nil
}

// forgiven prefixes a response with a note when a misspelling was accepted, so a learner who
// meant something else notices.
func forgiven(r Response, cmd Command, what, title string) Response {
	if cmd.target != nil && cmd.forgiven {
		// What the learner typed is echoed inside lesson Markdown: markup characters go.
		typed := strings.Map(func(r rune) rune {
			if strings.ContainsRune("*_`~|<>[]\\#", r) {
				return -1
			}
			return r
		}, clip(cmd.Target, 40))
		note := fmt.Sprintf("No %s is called %q; showing the closest, %s.", what, typed, title)
		if r.Markdown {
			note = "*" + note + "*"
		}
		r.Text = note + "\n\n" + r.Text
	}
	return r
}

func (b *Bot) lesson(ctx context.Context, c Community, req Request, cmd Command) (Response, error) {
	l, err := b.learner(ctx, c, req.UserID)
	if err != nil {
		return Response{}, fmt.Errorf("lesson: %w", err)
	}
	x := cmd.target.Lesson
	return forgiven(b.withNote(ctx, c, req.UserID, b.renderLesson(&l, x), x), cmd, "lesson", x.Title), nil
}

// bullets is a list as "• " lines.
func bullets(items []string) string {
	out := make([]string, len(items))
	for i, p := range items {
		out[i] = "• " + p
	}
	return strings.Join(out, "\n")
}

// links are a lesson's resources as response links.
func links(x *Lesson) []Link {
	links := make([]Link, len(x.Resources))
	for i, r := range x.Resources {
		links[i] = Link{Title: r.Title, URL: r.URL, Note: r.Section}
	}
	return links
}

// Heading is the line that places a lesson: "lesson 3 of 6 · Caching · ~25 min".
func (x *Lesson) Heading() string {
	kind := "lesson"
	if x.Project {
		kind = "project"
	}
	return fmt.Sprintf("%s %d of %d · %s · ~%d min", kind, x.number, len(x.topic.Lessons), x.topic.Title, x.Minutes)
}

// lessonMarkdown is the lesson's whole text in the lesson Markdown subset: its heading, the
// body, for a project its steps, what it draws on and its checklist, then the exercise. The
// roadmap renders it once when it is loaded; every showing of the lesson reuses it.
func lessonMarkdown(r *Roadmap, x *Lesson) string {
	var sb strings.Builder
	sb.WriteString("*" + x.Heading() + "*\n\n")
	sb.WriteString(JoinSoftBreaks(strings.TrimSpace(x.Body)))
	if x.Project {
		sb.WriteString("\n\n**Steps**")
		for i, s := range x.Steps {
			fmt.Fprintf(&sb, "\n%d. %s", i+1, s)
		}
		if len(x.DrawsOn) > 0 {
			sb.WriteString("\n\n**Draws on**")
			for _, slug := range x.DrawsOn {
				if d, ok := r.Lesson(slug); ok {
					fmt.Fprintf(&sb, "\n- %s (`%s`)", d.Title, d.Slug)
				}
			}
		}
		sb.WriteString("\n\n**Checklist**")
		for _, s := range x.Checklist {
			sb.WriteString("\n- ☐ " + s)
		}
	}
	if x.Exercise != "" {
		sb.WriteString("\n\n**Exercise**\n" + JoinSoftBreaks(strings.TrimSpace(x.Exercise)))
	}
	return sb.String()
}

// renderLesson shows one lesson in full with the buttons that act on it.
func (b *Bot) renderLesson(l *Learner, x *Lesson) Response {
	state := l.State(x.Slug)
	var buttons []Button
	if finished(state) {
		buttons = []Button{
			{Label: "Next lesson", Command: "next", Style: StyleSuccess},
			{Label: "Reset", Command: "reset " + x.Slug},
		}
	} else {
		buttons = []Button{
			{Label: "Mark done", Command: "done " + x.Slug, Style: StyleSuccess},
			{Label: "Skip", Command: "skip " + x.Slug},
		}
	}
	if len(x.Questions) > 0 {
		buttons = append(buttons, Button{Label: "Quiz me", Command: "quiz " + x.Slug, Style: StylePrimary})
	}
	return Response{
		Title:     x.Title,
		Text:      x.text,
		Markdown:  true,
		Fields:    []Field{{Name: "Key points", Value: x.keyPoints}},
		Links:     x.linkList,
		Buttons:   buttons,
		Footer:    fmt.Sprintf("%s · state: %s", x.Slug, state),
		Ephemeral: true,
	}
}

var stateIcons = map[State]string{StateDone: "✅", StateLearning: "📖", StateSkipped: "⏭️", StateTodo: "▫️"}

func (b *Bot) topic(ctx context.Context, c Community, req Request, cmd Command) (Response, error) {
	t := cmd.target.Topic
	l, err := b.learner(ctx, c, req.UserID)
	if err != nil {
		return Response{}, fmt.Errorf("topic: %w", err)
	}
	lessons := Target{Topic: t}.Lessons()
	done, _ := l.Counts(lessons)
	lines := make([]string, len(lessons))
	var next *Lesson
	for i, x := range lessons {
		s := l.State(x.Slug)
		kind := ""
		if x.Project {
			kind = " · project"
		}
		lines[i] = fmt.Sprintf("%s %d. %s (%s) · ~%d min%s", stateIcons[s], i+1, x.Title, x.Slug, x.Minutes, kind)
		if next == nil && !finished(s) {
			next = x
		}
	}
	state := l.TopicState(t)
	text := strings.TrimSpace(t.Overview)
	if text != "" {
		text += "\n\n"
	}
	r := Response{
		Title:     fmt.Sprintf("%d/%d · %s", t.index+1, len(b.roadmap.Topics), t.Title),
		Text:      text + strings.Join(lines, "\n"),
		Fields:    []Field{{Name: "Progress", Value: fmt.Sprintf("%d/%d lessons done · ~%d min in all", done, len(lessons), t.Minutes())}},
		Footer:    fmt.Sprintf("%s · state: %s", t.Slug, state),
		Ephemeral: true,
	}
	if next != nil {
		r.Buttons = append(r.Buttons, Button{Label: "Open " + clip(next.Title, 60), Command: "lesson " + next.Slug, Style: StylePrimary})
	}
	r.Buttons = append(r.Buttons, Button{Label: "Quiz me", Command: "quiz " + t.Slug})
	if state != StateSkipped && state != StateDone {
		r.Buttons = append(r.Buttons, Button{Label: "Skip topic", Command: "skip " + t.Slug})
	}
	return forgiven(r, cmd, "topic", t.Title), nil
}

func (b *Bot) topics(ctx context.Context, c Community, req Request) (Response, error) {
	l, err := b.learner(ctx, c, req.UserID)
	if err != nil {
		return Response{}, fmt.Errorf("topics: %w", err)
	}
	lines := make([]string, len(b.roadmap.Topics))
	for i := range b.roadmap.Topics {
		t := &b.roadmap.Topics[i]
		done, _ := l.Counts(Target{Topic: t}.Lessons())
		lines[i] = fmt.Sprintf("%s %2d. %s (%s) — %d/%d", stateIcons[l.TopicState(t)], i+1, t.Title, t.Slug, done, len(t.Lessons))
	}
	r := Response{
		Title:     b.roadmap.Name + " roadmap",
		Text:      strings.Join(lines, "\n"),
		Fields:    []Field{{Name: "Progress", Value: b.overall(&l)}},
		Buttons:   []Button{{Label: "Next lesson", Command: "next", Style: StylePrimary}},
		Ephemeral: true,
	}
	r.Fields = append(r.Fields, Field{Name: "Next", Value: b.nextLine(&l)})
	return r, nil
}

// overall is the learner's progress over the whole roadmap: a bar and lessons done or
// skipped out of all of them.
func (b *Bot) overall(l *Learner) string {
	_, moved := l.Counts(b.roadmap.lessons)
	return progressBar(moved, len(b.roadmap.lessons), "lessons")
}

// nextLine names the learner's next lesson.
func (b *Bot) nextLine(l *Learner) string {
	x := l.Next(b.roadmap)
	if x == nil {
		return "nothing: the roadmap is complete"
	}
	return fmt.Sprintf("%s (%s) · %s", x.Title, x.Slug, x.Heading())
}

func progressBar(n, total int, unit string) string {
	const width = 20
	filled := n * width / max(total, 1)
	return fmt.Sprintf("%s%s %d/%d %s · %d %%", strings.Repeat("█", filled), strings.Repeat("░", width-filled),
		n, total, unit, n*100/max(total, 1))
}

func (b *Bot) progress(ctx context.Context, c Community, req Request) (Response, error) {
	l, err := b.learner(ctx, c, req.UserID)
	if err != nil {
		return Response{}, fmt.Errorf("progress: %w", err)
	}
	var perTopic []string
	for i := range b.roadmap.Topics {
		t := &b.roadmap.Topics[i]
		done, moved := l.Counts(Target{Topic: t}.Lessons())
		line := fmt.Sprintf("%s %s %d/%d", stateIcons[l.TopicState(t)], t.Title, done, len(t.Lessons))
		if skipped := moved - done; skipped > 0 {
			line += fmt.Sprintf(" (+%d skipped)", skipped)
		}
		perTopic = append(perTopic, line)
	}
	quiz := "no answers yet"
	if l.QuizAnswered > 0 {
		quiz = fmt.Sprintf("%d right of %d answered (%d %%)", l.QuizRight, l.QuizAnswered, l.QuizRight*100/l.QuizAnswered)
	}
	today := l.Streak.Today(b.clock.Now(), b.Zone(ctx, c, &l, req.ProfileZone))
	r := Response{
		Title: "Your progress",
		Text:  b.overall(&l) + "\n\n" + strings.Join(perTopic, "\n"),
		Fields: []Field{
			{Name: "Minutes studied", Value: fmt.Sprintf("%d of %d", l.StudiedMinutes(b.roadmap), b.roadmap.minutes), Inline: true},
			{Name: "Quiz", Value: quiz, Inline: true},
			{Name: "Spaced review", Value: reviewSummary(l.Cards.Stats(today))},
			{Name: "Next", Value: b.nextLine(&l)},
		},
		Buttons:   []Button{{Label: "Next lesson", Command: "next", Style: StylePrimary}},
		Footer:    "Quiz scores count the first answer to each question per day.",
		Ephemeral: true,
	}
	return b.withCard(r, "progress.png", func(cr CardRenderer) ([]byte, error) {
		return cr.ProgressCard(b.roadmap.ProgressCardOf(&l, req.UserName, today))
	}), nil
}

// stateAfter is the state each state-changing command puts a lesson in.
var stateAfter = map[string]State{"start": StateLearning, "done": StateDone, "skip": StateSkipped, "reset": StateTodo}

func (b *Bot) changeState(ctx context.Context, c Community, req Request, cmd Command) (Response, error) {
	after := stateAfter[cmd.Name]
	community := b.communityZone(ctx, c)
	var (
		target  Target
		changed []*Lesson
		kept    int // lessons of a topic left alone: done ones stay done when a topic is skipped
		studied StudyResult
		next    *Lesson
		wasLast bool
	)
	err := b.update(ctx, c, req, func(l *Learner) error {
		changed, kept, studied = nil, 0, StudyResult{}
		wasLast = l.Next(b.roadmap) == nil
		switch {
		case cmd.target != nil:
			target = *cmd.target
		default:
			x := l.Current(b.roadmap)
			if x == nil {
				return Errorf(EINVALID, "You have no current lesson: the whole roadmap is done or skipped. Name one, e.g. /roadmap %s %s.",
					cmd.Name, b.roadmap.lessons[0].Slug)
			}
			target = Target{Lesson: x}
		}
		lessons := target.Lessons()
		if cmd.Name == "start" {
			x := lessons[0]
			if target.Lesson == nil {
				x = nil
				for _, y := range lessons {
					if !finished(l.State(y.Slug)) {
						x = y
						break
					}
				}
				if x == nil {
					return Errorf(EINVALID, "Every lesson of %s is done or skipped. /roadmap reset %s puts them back to todo.", target.Topic.Title, target.Topic.Slug)
				}
			}
			if l.State(x.Slug) == StateLearning {
				target, lessons = Target{Lesson: x}, nil
			} else {
				// One lesson is in progress at a time; starting another puts the old one back.
				for slug, s := range l.Lessons {
					if s == StateLearning {
						l.setState(slug, StateTodo)
					}
				}
				target, lessons = Target{Lesson: x}, []*Lesson{x}
			}
		}
		for _, x := range lessons {
			s := l.State(x.Slug)
			if s == after || (cmd.Name == "skip" && target.Topic != nil && s == StateDone) {
				if s != after {
					kept++
				}
				continue
			}
			l.setState(x.Slug, after)
			changed = append(changed, x)
		}
		if after == StateDone && len(changed) > 0 {
			studied = b.studyToday(l, req.ProfileZone, community, ActivityLesson)
		}
		next = l.Next(b.roadmap)
		return nil
	})
	if err != nil {
		return Response{}, err
	}
	r := Response{Ephemeral: true, Tone: ToneSuccess}
	title := target.Title()
	switch {
	case len(changed) == 0 && target.Topic != nil:
		r.Text = fmt.Sprintf("Every lesson of %s was already %s; nothing changed.", title, after)
		r.Tone = ToneInfo
	case len(changed) == 0:
		r.Text = fmt.Sprintf("%s was already %s; nothing changed.", title, after)
		r.Tone = ToneInfo
	case target.Topic != nil:
		verbs := map[string]string{"done": "Marked %s of %s done.", "skip": "Skipped %s of %s.", "reset": "Put %s of %s back to todo."}
		r.Text = fmt.Sprintf(verbs[cmd.Name], plural(len(changed), "lesson"), title)
		if kept > 0 {
			r.Text += fmt.Sprintf(" %s already done %s done.", plural(kept, "lesson"), map[bool]string{true: "stays", false: "stay"}[kept == 1])
		}
		if cmd.Name != "reset" {
			r.Text += fmt.Sprintf(" /roadmap reset %s undoes it.", target.Topic.Slug)
		}
	default:
		switch cmd.Name {
		case "start":
			r.Text = fmt.Sprintf("📖 You are now learning %s.", title)
		case "done":
			r.Text = fmt.Sprintf("✅ %s is done.", title)
		case "skip":
			r.Text = fmt.Sprintf("⏭️ Skipped %s. /roadmap reset %s undoes it.", title, target.Lesson.Slug)
		case "reset":
			r.Text = fmt.Sprintf("↩️ %s is back to todo.", title)
		}
	}
	if line := studyLine(studied); line != "" {
		r.Text += "\n" + line
	}
	if studied.Milestone > 0 {
		r.Tone = ToneCelebrate
	}
	switch {
	case cmd.Name == "start" && target.Lesson != nil:
		r.Buttons = []Button{{Label: "Open lesson", Command: "lesson " + target.Lesson.Slug, Style: StylePrimary},
			{Label: "Mark done", Command: "done " + target.Lesson.Slug, Style: StyleSuccess}}
		if len(target.Lesson.Questions) > 0 {
			r.Buttons = append(r.Buttons, Button{Label: "Quiz me", Command: "quiz " + target.Lesson.Slug})
		}
	case next != nil:
		r.Fields = []Field{{Name: "Up next", Value: fmt.Sprintf("%s (%s) · %s", next.Title, next.Slug, next.Heading())}}
		r.Buttons = []Button{{Label: "Next lesson", Command: "next", Style: StylePrimary}}
		if cmd.Name == "done" && len(changed) > 0 && target.Lesson != nil && len(target.Lesson.Questions) > 0 {
			r.Buttons = append(r.Buttons, Button{Label: "Quiz me", Command: "quiz " + target.Lesson.Slug})
		}
	case len(changed) > 0 && !wasLast:
		r.Text += "\n🎓 That was the last one: the roadmap is complete!"
		r.Tone = ToneCelebrate
	}
	return r, nil
}

func (b *Bot) quiz(ctx context.Context, c Community, req Request, cmd Command) (Response, error) {
	var q *Question
	order := 0
	err := b.update(ctx, c, req, func(l *Learner) error {
		var pool []*Lesson
		switch {
		case cmd.target != nil:
			pool = cmd.target.Lessons()
		default:
			for _, x := range b.roadmap.lessons {
				if s := l.State(x.Slug); s == StateDone || s == StateLearning {
					pool = append(pool, x)
				}
			}
			if len(pool) == 0 {
				if x := l.Current(b.roadmap); x != nil {
					pool = []*Lesson{x}
				} else {
					pool = b.roadmap.lessons
				}
			}
		}
		q = b.pickQuestion(l, pool)
		if q == nil && cmd.target == nil {
			// Only projects in hand, which ask nothing: ask from the lessons before the one
			// in hand, else from the whole roadmap.
			before := b.roadmap.lessons
			if x := l.Current(b.roadmap); x != nil && x.index > 0 {
				before = before[:x.index]
			}
			if q = b.pickQuestion(l, before); q == nil {
				q = b.pickQuestion(l, b.roadmap.lessons)
			}
		}
		switch {
		case q == nil && cmd.target == nil:
			return Errorf(EINVALID, "This roadmap has no quiz questions, only projects.")
		case q == nil && cmd.target.Lesson != nil:
			return Errorf(EINVALID, "%s has no quiz questions: it is a project. Try /roadmap quiz %s.", cmd.target.Title(), pool[0].topic.Slug)
		case q == nil:
			return Errorf(EINVALID, "%s has no quiz questions: its lessons are all projects.", cmd.target.Title())
		}
		order = b.shuffle(q)
		rec := l.Questions.Get(q.ID)
		rec.Shown++
		l.Questions.Set(q.ID, rec)
		return nil
	})
	if err != nil {
		if ErrorCode(err) != EINTERNAL {
			return Response{}, err // meant for the learner, as it is
		}
		return Response{}, fmt.Errorf("quiz: %w", err)
	}
	return RenderQuestion(q, order), nil
}

func (b *Bot) answer(ctx context.Context, c Community, req Request, cmd Command) (Response, error) {
	q, err := b.question(cmd.Question) // admit has checked the question, order and choice
	if err != nil {
		return Response{}, err
	}
	shown := Permutation(cmd.Order, len(q.Choices))
	right := shown[cmd.Choice] == q.Answer
	community := b.communityZone(ctx, c)
	var (
		res    StudyResult
		streak Streak
		first  bool
		today  Day
		card   Card // the question's review card after this answer
		due    int  // reviews still due today
		rates  []Button
	)
	err = b.update(ctx, c, req, func(l *Learner) error {
		// The day the streak would count, so a zone hop does not make a second first answer.
		today = l.Streak.Today(b.clock.Now(), learnerZone(l, req.ProfileZone, community))
		rec := l.Questions.Get(q.ID)
		first = rec.Right+rec.Wrong == 0 || rec.Answered != today
		rates = nil
		if first {
			l.QuizAnswered++
			if right {
				l.QuizRight++
			}
			// The review card is graded by the first answer of the day too, as the score is:
			// trying again after seeing the explanation proves nothing about memory.
			card = l.Cards.Grade(q.ID, RatingOf(right), today, 0)
			if right {
				rates = ratingButtons(l, q, today)
			}
		} else {
			card, _ = l.Cards.Get(q.ID)
		}
		due = l.Cards.Due(today)
		if right {
			rec.Right++
		} else {
			rec.Wrong++
		}
		rec.Answered, rec.LastGood = today, right
		l.Questions.Set(q.ID, rec)
		res = b.studyToday(l, req.ProfileZone, community, ActivityAnswer)
		streak = l.Streak
		return nil
	})
	if err != nil {
		return Response{}, fmt.Errorf("answer: %w", err)
	}
	if first && !right {
		b.countMiss(ctx, c, req.Channel, q.ID) // the channel's weak spots (recap.go)
	}
	shownAt := 0
	for i, original := range shown {
		if original == q.Answer {
			shownAt = i
		}
	}
	r := Response{Ephemeral: true, Tone: ToneSuccess, Markdown: true}
	correct := fmt.Sprintf("%c) %s", 'a'+rune(shownAt), q.Choices[q.Answer])
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
	if !first {
		line += " You answered this question earlier today, so your quiz score keeps that first answer, and so does its review."
	}
	next := reviewWhen(card.Due, today)
	if len(rates) > 0 {
		next += "; Hard or Easy below if it was harder or easier than that"
	}
	r.Fields = []Field{
		{Name: "Streak", Value: fmt.Sprintf("%s. %s", plural(streak.Current, "day"), line)},
		{Name: "Next review", Value: next},
	}
	if res.Milestone > 0 {
		r.Tone = ToneCelebrate
	}
	// At most 5 buttons, one action row on Discord: Hard, Good, Easy, then what to do next.
	r.Buttons = append(rates, afterAnswerButtons(q, due)...)
	r.Footer = fmt.Sprintf("%s · %s", q.ID, q.lesson.Title)
	if due > 0 {
		r.Footer += fmt.Sprintf(" · %s due", plural(due, "review"))
	}
	return r, nil
}
