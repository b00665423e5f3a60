package console_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt/bolttest"
	"github.com/studybot/studybot/adapters/console"
	"github.com/studybot/studybot/bot"
)

// A learner in the console finishes a lesson, answers its question, then :advances day by
// day: the question comes back after 2, then 11 days (FSRS-6's intervals for Good), and
// when it is forgotten then, after 2 days instead of 46. The days between, review says when
// it comes.
func TestReviewsComeBackDayByDayAtTheFSRSIntervals(t *testing.T) {
	clock := bot.NewManualClock(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))
	core, _ := bolttest.Core(t, bot.Config{Clock: clock, Cooldowns: bot.NewLocalCooldowns(clock)})
	out := &bytes.Buffer{}
	con, err := console.New(core, clock, out, console.Options{User: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	s := &session{t: t, con: con, out: out}
	q, ok := core.Roadmap().Question("internet-basics-1")
	if !ok {
		t.Fatal("the short roadmap has no question internet-basics-1")
	}
	// Choices are shown as written (bolttest's Intn is 0): the letter is the index.
	right := fmt.Sprintf("/roadmap answer internet-basics-1/0 %c", 'a'+q.Answer)
	wrong := fmt.Sprintf("/roadmap answer internet-basics-1/0 %c", 'a'+(q.Answer+1)%len(q.Choices))

	s.expect("/roadmap done internet-basics", "Internet basics is done")
	s.expect("/roadmap review", "Nothing to review yet")
	s.expect("/roadmap quiz internet-basics", "Quiz · ")
	s.expect(right, "✅ Right", "Next review: in 2 days (Thu 26 Nov)", "[Good · 2d: /roadmap review internet-basics-1 good]",
		"[Easy · 8d: /roadmap review internet-basics-1 easy]")

	for _, step := range []struct {
		days   int
		answer string
		then   string // when the answer says the question comes back
	}{
		{2, right, "in 11 days"},
		{11, wrong, "in 2 days"}, // forgotten: back in 2 days instead of 46
		{2, right, "in 5 days"},
	} {
		for day := 1; day < step.days; day++ {
			s.expect(":advance 24h")
			s.expect("/roadmap review", "No reviews due", "Your next review is on")
		}
		s.expect(":advance 24h")
		s.expect("/roadmap review", "🔁 Review · ", q.Text, "1 review due")
		got := s.expect(step.answer, "Next review: "+step.then)
		if strings.Contains(got, "Hard · ") != (step.answer == right) {
			t.Errorf("rating buttons after a right answer only:\n%s", got)
		}
	}
	s.expect("/roadmap review stats", "Cards learned: 1", "Retention, last 30 days: 75 % (3 of 4 answers right)")
}
