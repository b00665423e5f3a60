package discord_test

import (
	"strings"
	"testing"

	"github.com/studybot/studybot/adapters/discord/discordtest"
)

// A right answer shows Hard / Good / Easy, each with the wait it gives; pressing Easy through
// Discord rates the card Easy (8 days for a first answer), for the presser only, and a wrong
// answer offers no rating.
func TestRatingButtonsAfterARightAnswerGradeTheCard(t *testing.T) {
	h := start(t, setup{})
	q := h.roadmap.Lessons()[0].Questions[0]
	right := string(rune('a' + q.Answer)) // the harness shows choices as written (order 0)

	asked := h.press(learner, "roadmap:quiz "+h.roadmap.Lessons()[0].Slug)
	answerID, ok := asked.button(right)
	if !ok {
		t.Fatalf("the quiz has no button %q:\n%s", right, asked.text())
	}
	answered := h.press(learner, answerID)
	if !strings.Contains(answered.text(), "Right") {
		t.Fatalf("pressing %q is not graded right:\n%s", right, answered.text())
	}
	labels := map[string]string{}
	for _, r := range answered.Data.Components {
		for _, c := range r.Components {
			labels[c.Label] = c.CustomID
		}
	}
	easy := ""
	for _, want := range []string{"Hard · 1d", "Good · 2d", "Easy · 8d"} {
		if labels[want] == "" {
			t.Errorf("a right answer lacks the button %q; it has %v", want, labels)
		}
	}
	if easy = labels["Easy · 8d"]; easy == "" {
		t.FailNow()
	}
	if len(labels) > 5 {
		t.Errorf("%d buttons: Discord takes 5 in a row", len(labels))
	}

	rated := h.press(learner, easy)
	if text := rated.text(); !strings.Contains(text, "Rated Easy") || !strings.Contains(text, "in 8 days") {
		t.Errorf("pressing Easy says:\n%s\nwant Rated Easy and the next review in 8 days", text)
	}
	if !rated.ephemeral() {
		t.Error("the rating answer went to the channel")
	}
	stranger := discordtest.User{ID: "400000000000000077", Username: "mallory"}
	if got := h.press(stranger, easy).text(); strings.Contains(got, "Rated Easy") {
		t.Errorf("another member pressing the Easy button rated a card they never answered: %s", got)
	}

	asked = h.press(learner, "roadmap:quiz "+h.roadmap.Lessons()[1].Slug)
	q2 := h.roadmap.Lessons()[1].Questions[0]
	wrong := string(rune('a' + (q2.Answer+1)%len(q2.Choices)))
	wrongID, _ := asked.button(wrong)
	missed := h.press(learner, wrongID)
	for _, r := range missed.Data.Components {
		for _, c := range r.Components {
			if strings.HasPrefix(c.Label, "Easy") || strings.HasPrefix(c.Label, "Hard") {
				t.Errorf("a wrong answer offers the rating %q", c.Label)
			}
		}
	}
}
