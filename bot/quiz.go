package bot

import (
	"fmt"
	"strings"
)

// factorial is n! for the small n of a question's choices.
func factorial(n int) int {
	f := 1
	for i := 2; i <= n; i++ {
		f *= i
	}
	return f
}

// Permutation is the display order number order (0 ≤ order < n!) for n choices: shown[i] is
// the index, in the order written, of the choice displayed at position i. Order 0 is the
// order as written. Every order a quiz shows travels in its answer token, so a button press
// grades the choice the learner saw, however old the message.
func Permutation(order, n int) []int {
	left := make([]int, n)
	for i := range left {
		left[i] = i
	}
	shown := make([]int, 0, n)
	for i := n; i > 0; i-- {
		f := factorial(i - 1)
		k := (order / f) % i
		order %= f
		shown = append(shown, left[k])
		left = append(left[:k], left[k+1:]...)
	}
	return shown
}

// questionToken is the ID a learner answers a question shown in order with.
func questionToken(q *Question, order int) string {
	return fmt.Sprintf("%s/%d", q.ID, order)
}

// RenderQuestion shows a question with its choices in display order, one answer button per
// choice. The buttons and the footer carry the order, so the answer is graded against what
// was shown.
func RenderQuestion(q *Question, order int) Response {
	shown := Permutation(order, len(q.Choices))
	token := questionToken(q, order)
	lines := []string{q.Text, ""}
	buttons := make([]Button, len(shown))
	for i, original := range shown {
		letter := string(rune('a' + i))
		lines = append(lines, fmt.Sprintf("%s) %s", letter, q.Choices[original]))
		buttons[i] = Button{Label: letter, Command: fmt.Sprintf("answer %s %s", token, letter), Style: StylePrimary}
	}
	l := q.lesson
	return Response{
		Title:     fmt.Sprintf("Quiz · %s", l.Title),
		Text:      strings.Join(lines, "\n"),
		Markdown:  true,
		Buttons:   buttons,
		Footer:    fmt.Sprintf("%s · %s · answer with a button or /roadmap answer %s <letter>", l.topic.Title, q.ID, token),
		Ephemeral: true,
	}
}

// shuffle picks a display order for the question's choices, uniformly at random, so the
// right answer's letter is never something to remember.
func (b *Bot) shuffle(q *Question) int {
	return b.intn(factorial(len(q.Choices)))
}

// pickQuestion chooses what to ask from the lessons given: a question never shown first,
// then one answered wrong last time, then the one shown least often and longest ago; ties
// go to roadmap order, with a random start so two learners do not get the same sequence.
func (b *Bot) pickQuestion(l *Learner, lessons []*Lesson) *Question {
	var pool []*Question
	for _, x := range lessons {
		for i := range x.Questions {
			pool = append(pool, &x.Questions[i])
		}
	}
	if len(pool) == 0 {
		return nil
	}
	rank := func(q *Question) (int, int, Day) {
		rec := l.Questions.Get(q.ID)
		switch {
		case rec.Shown == 0:
			return 0, 0, 0
		case rec.Right+rec.Wrong > 0 && !rec.LastGood:
			return 1, rec.Shown, rec.Answered
		}
		return 2, rec.Shown, rec.Answered
	}
	start := b.intn(len(pool))
	var best *Question
	var bc, bs int
	var bd Day
	for i := range pool {
		q := pool[(start+i)%len(pool)]
		c, s, d := rank(q)
		if best == nil || c < bc || c == bc && (s < bs || s == bs && d < bd) {
			best, bc, bs, bd = q, c, s, d
		}
	}
	return best
}
