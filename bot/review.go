package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Spaced review: every question a learner answers becomes a card (cards.go) that FSRS
// (fsrs.go) brings back just before it would be forgotten. `/roadmap review` asks the card
// due next, with shuffled choices like every quiz, and it is answered with the same
// `answer` command, which grades the card: wrong is Again, right is Good, and the Hard,
// Good and Easy buttons after a right answer (`review <question> hard`) replace that Good.

// errNoReview ends a review's transaction without writing when no card is due.
var errNoReview = errors.New("no review due")

func (b *Bot) review(ctx context.Context, c Community, req Request, cmd Command) (Response, error) {
	switch cmd.Sub {
	case "stats":
		return b.reviewStats(ctx, c, req)
	case "rate":
		return b.rate(ctx, c, req, cmd)
	}
	return b.nextReview(ctx, c, req, false)
}

// nextReview asks the card due first. afterPath: `next` found no lesson left and sent the
// learner here, which the answer says.
func (b *Bot) nextReview(ctx context.Context, c Community, req Request, afterPath bool) (Response, error) {
	community := b.communityZone(ctx, c)
	var (
		q        *Question
		order    int
		due      int
		today    Day
		stats    CardStats
		nextDue  Day
		hasCards bool
	)
	err := b.update(ctx, c, req, func(l *Learner) error {
		today = l.Streak.Today(b.clock.Now(), learnerZone(l, req.ProfileZone, community))
		b.pruneDue(l, today)
		id, _, ok := l.Cards.Next(today)
		if !ok {
			stats = l.Cards.Stats(today)
			nextDue, hasCards = l.Cards.NextDue()
			return errNoReview
		}
		q, _ = b.roadmap.Question(id) // pruneDue kept only questions the roadmap has
		due = l.Cards.Due(today)
		order = b.shuffle(q)
		rec := l.Questions.Get(q.ID)
		rec.Shown++
		l.Questions.Set(q.ID, rec)
		return nil
	})
	switch {
	case errors.Is(err, errNoReview):
		return nothingDue(stats, nextDue, hasCards, today), nil
	case err != nil:
		return Response{}, fmt.Errorf("review: %w", err)
	}
	r := RenderQuestion(q, order)
	r.Title = "🔁 Review · " + q.lesson.Title
	r.Footer = fmt.Sprintf("Spaced review · %s due, this one included · %s", plural(due, "review"), r.Footer)
	if afterPath {
		r.Text = "*Every lesson is behind you: reviews keep what you learned from fading.*\n\n" + r.Text
	}
	return r, nil
}

// pruneDue drops the due cards of questions the roadmap no longer has (a custom roadmap
// edited since), so a card that cannot be asked is neither asked nor counted as due.
func (b *Bot) pruneDue(l *Learner, today Day) {
	for {
		id, _, ok := l.Cards.Next(today)
		if !ok {
			return
		}
		if _, ok := b.roadmap.Question(id); ok {
			return
		}
		l.Cards.Remove(id)
	}
}

// nothingDue says when the next review comes, or, to a learner without cards, how cards
// are made.
func nothingDue(s CardStats, next Day, hasCards bool, today Day) Response {
	if !hasCards {
		return Response{
			Title: "Nothing to review yet",
			Text: "Review cards are made from the questions you answer: each quiz question you answer becomes a card, " +
				"and it comes back here just before you would forget it (FSRS spaced repetition). Answer a few with /roadmap quiz.",
			Buttons:   []Button{{Label: "Quiz me", Command: "quiz", Style: StylePrimary}, {Label: "Next lesson", Command: "next"}},
			Ephemeral: true,
		}
	}
	week := "None falls due in the next 7 days."
	switch {
	case s.DueWeek == 1:
		week = "1 review falls due in the next 7 days."
	case s.DueWeek > 1:
		week = fmt.Sprintf("%d reviews fall due in the next 7 days.", s.DueWeek)
	}
	return Response{
		Title: "No reviews due",
		Text:  fmt.Sprintf("Your next review is on %s, %s. %s", dayName(next), inDays(int(next-today)), week),
		Buttons: []Button{
			{Label: "Quiz me", Command: "quiz", Style: StylePrimary},
			{Label: "Review stats", Command: "review stats"},
			{Label: "Next lesson", Command: "next"},
		},
		Footer:    fmt.Sprintf("%s in all · reviews come back just before you would forget them (FSRS)", plural(s.Cards, "card")),
		Ephemeral: true,
	}
}

// rate is the Hard, Good or Easy button after a right answer: it replaces the Good the
// answer graded the card with.
func (b *Bot) rate(ctx context.Context, c Community, req Request, cmd Command) (Response, error) {
	q, err := b.question(cmd.Question)
	if err != nil {
		return Response{}, err
	}
	community := b.communityZone(ctx, c)
	var (
		card  Card
		today Day
		due   int
	)
	err = b.update(ctx, c, req, func(l *Learner) error {
		today = l.Streak.Today(b.clock.Now(), learnerZone(l, req.ProfileZone, community))
		rec := l.Questions.Get(q.ID)
		id, day, g, ok := l.Cards.LastGrade()
		current, _ := l.Cards.Get(q.ID)
		switch {
		case rec.Right+rec.Wrong == 0 || rec.Answered != today:
			return Errorf(EINVALID, "You have not answered %s today: Hard, Good and Easy rate a right answer on the day you give it.", q.ID)
		case !ok || id != q.ID || day != today:
			return Errorf(EINVALID, "Hard, Good and Easy rate the question you answered last, and you have answered another since: "+
				"%s keeps its grade, and comes back %s.", q.ID, reviewWhen(current.Due, today))
		case g == RatingAgain:
			return Errorf(EINVALID, "Your first answer to %s today was wrong, so it comes back %s to be learned again: "+
				"Hard, Good and Easy rate a right answer.", q.ID, reviewWhen(current.Due, today))
		}
		card, _ = l.Cards.Regrade(q.ID, cmd.Rating, today, 0)
		due = l.Cards.Due(today)
		return nil
	})
	if err != nil {
		if ErrorCode(err) != EINTERNAL {
			return Response{}, err // meant for the learner, as it is
		}
		return Response{}, fmt.Errorf("review %s: %w", cmd.Rating, err)
	}
	return Response{
		Title:     fmt.Sprintf("Rated %s", ratingLabel(cmd.Rating)),
		Fields:    []Field{{Name: "Next review", Value: reviewWhen(card.Due, today)}},
		Buttons:   afterAnswerButtons(q, due),
		Footer:    fmt.Sprintf("%s · %s", q.ID, q.lesson.Title),
		Ephemeral: true,
		Tone:      ToneSuccess,
	}, nil
}

func (b *Bot) reviewStats(ctx context.Context, c Community, req Request) (Response, error) {
	l, err := b.learner(ctx, c, req.UserID)
	if err != nil {
		return Response{}, fmt.Errorf("review stats: %w", err)
	}
	today := l.Streak.Today(b.clock.Now(), b.Zone(ctx, c, &l, req.ProfileZone))
	s := l.Cards.Stats(today)
	if s.Cards == 0 {
		return nothingDue(s, 0, false, today), nil
	}
	next := "—"
	if d, ok := l.Cards.NextDue(); ok && d > today {
		next = fmt.Sprintf("%s, %s", dayName(d), inDays(int(d-today)))
	} else if ok {
		next = "now"
	}
	r := Response{
		Title: "Your spaced review",
		Fields: []Field{
			{Name: "Cards learned", Value: fmt.Sprint(s.Cards), Inline: true},
			{Name: "Due today", Value: fmt.Sprint(s.DueToday), Inline: true},
			{Name: "Due in 7 days", Value: fmt.Sprint(s.DueWeek), Inline: true},
			{Name: "Retention, last 30 days", Value: retention(s)},
			{Name: "Next review", Value: next},
		},
		Footer:    "A card is a question you have answered; retention is the share of answers graded right.",
		Ephemeral: true,
	}
	if s.DueToday > 0 {
		r.Buttons = append(r.Buttons, Button{Label: fmt.Sprintf("Review (%d due)", s.DueToday), Command: "review", Style: StylePrimary})
	}
	r.Buttons = append(r.Buttons, Button{Label: "Quiz me", Command: "quiz"})
	return r, nil
}

// retention is the share of answers graded right over the last 30 days.
func retention(s CardStats) string {
	if s.Reviews == 0 {
		return "no answers in the last 30 days"
	}
	return fmt.Sprintf("%d %% (%d of %s right)", s.Right*100/s.Reviews, s.Right, plural(s.Reviews, "answer"))
}

// reviewSummary is the one line of spaced review that progress shows.
func reviewSummary(s CardStats) string {
	if s.Cards == 0 {
		return "no cards yet: each quiz question you answer becomes one"
	}
	return fmt.Sprintf("%s · %d due today · retention %s", plural(s.Cards, "card"), s.DueToday, retention(s))
}

// reviewsDueLine is the due count a personal reminder carries ("🔁 4 reviews due: /roadmap
// review"), or "" when none is due on day, the learner's local day. Call it with a learner
// read through the store after Roadmap.Upgrade, as every record is once studybot has
// started.
func reviewsDueLine(l *Learner, day Day) string {
	n := l.Cards.Due(day)
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("🔁 %s due: /roadmap review", plural(n, "review"))
}

// afterAnswerButtons are what to do after an answer or a rating: the next review while
// some are due, else another question on the lesson; then the next lesson.
func afterAnswerButtons(q *Question, due int) []Button {
	more := Button{Label: "Another question", Command: "quiz " + q.lesson.Slug, Style: StylePrimary}
	if due > 0 {
		more = Button{Label: fmt.Sprintf("Next review (%d due)", due), Command: "review", Style: StylePrimary}
	}
	return []Button{more, {Label: "Next lesson", Command: "next"}}
}

// ratingButtons are Hard, Good and Easy after a right answer, each with the wait it gives.
func ratingButtons(l *Learner, q *Question, today Day) []Button {
	styles := map[Rating]ButtonStyle{RatingHard: StyleSecondary, RatingGood: StyleSuccess, RatingEasy: StyleSecondary}
	var out []Button
	for _, g := range []Rating{RatingHard, RatingGood, RatingEasy} {
		card := l.Cards.WouldGrade(q.ID, g, today, 0)
		out = append(out, Button{
			Label:   fmt.Sprintf("%s · %s", ratingLabel(g), shortWait(int(card.Due-today))),
			Command: fmt.Sprintf("review %s %s", q.ID, g),
			Style:   styles[g],
		})
	}
	return out
}

func ratingLabel(g Rating) string {
	s := g.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

// shortWait is a wait in days as a button has room for: 1d, 11d, 3mo, 2y.
func shortWait(days int) string {
	switch {
	case days < 60:
		return fmt.Sprintf("%dd", days)
	case days < 730:
		return fmt.Sprintf("%dmo", days/30)
	}
	return fmt.Sprintf("%dy", days/365)
}

// dayName is a date as "Tue 15 Dec".
func dayName(d Day) string { return d.Time(time.UTC).Format("Mon 2 Jan") }

// inDays is how far a day is from today: "today", "tomorrow", "in 9 days".
func inDays(n int) string {
	switch {
	case n <= 0:
		return "today"
	case n == 1:
		return "tomorrow"
	}
	return fmt.Sprintf("in %d days", n)
}

// reviewWhen is when a card comes back: "in 11 days (Sat 5 Dec)".
func reviewWhen(due, today Day) string {
	return fmt.Sprintf("%s (%s)", inDays(int(due-today)), dayName(due))
}
