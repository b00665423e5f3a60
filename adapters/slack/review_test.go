package slack_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/studybot/studybot/adapters/slack/internal/fakeslack"
)

// A right answer shows Hard / Good / Easy with the wait each gives; pressing Hard over Socket
// Mode rates the card Hard (1 day for a first answer) and says so privately.
func TestRatingButtonsAfterARightAnswerGradeTheCard(t *testing.T) {
	w := newWorld(t, options{})
	w.runSocket()
	lesson := w.first.Lessons[0]
	q := lesson.Questions[0]
	right := string(rune('a' + q.Answer)) // the test core shows choices as written (order 0)

	press := func(b button) fakeslack.Message {
		t.Helper()
		sent := w.fake.SendPress(fakeslack.Press{Team: team, Channel: channel, User: "U0LEARNER", UserName: "ada",
			ActionID: b.ActionID, Value: b.Value, Label: b.Text.Text})
		w.fake.WaitAck(sent.EnvelopeID)
		return w.fake.WaitResponse(sent.ResponseID)
	}
	find := func(m fakeslack.Message, label string) button {
		t.Helper()
		for _, b := range buttons(t, m) {
			if b.Text.Text == label {
				return b
			}
		}
		t.Fatalf("no button %q in:\n%s", label, allText(t, m.Raw))
		return button{}
	}

	answered := press(find(w.answer("U0LEARNER", "quiz "+lesson.Slug), right))
	var labels []string
	for _, b := range buttons(t, answered) {
		labels = append(labels, b.Text.Text)
	}
	for _, want := range []string{"Hard · 1d", "Good · 2d", "Easy · 8d"} {
		if !slices.Contains(labels, want) {
			t.Errorf("a right answer lacks the button %q; it has %q", want, labels)
		}
	}
	rated := press(find(answered, "Hard · 1d"))
	if text := allText(t, rated.Raw); rated.ResponseType != "ephemeral" || !strings.Contains(text, "Rated Hard") || !strings.Contains(text, "tomorrow") {
		t.Errorf("pressing Hard answered (%s):\n%s\nwant a private Rated Hard, next review tomorrow", rated.ResponseType, text)
	}
	if card, ok := w.learner("U0LEARNER").Cards.Get(q.ID); !ok || card.Reps != 1 {
		t.Errorf("the card after one answer and its rating: %+v (found %v), want one review", card, ok)
	}
}
