package bot

import "testing"

// The personal reminder carries the due count; a learner with nothing due gets no line.
func TestReviewsDueLine(t *testing.T) {
	var l Learner
	if got := reviewsDueLine(&l, cardDay); got != "" {
		t.Errorf("no cards: %q", got)
	}
	l.Cards.Grade("dns-1", RatingGood, cardDay, 0)  // due +2
	l.Cards.Grade("tls-1", RatingAgain, cardDay, 0) // due +1
	for _, tt := range []struct {
		day  Day
		want string
	}{
		{cardDay, ""},
		{cardDay + 1, "🔁 1 review due: /roadmap review"},
		{cardDay + 30, "🔁 2 reviews due: /roadmap review"},
	} {
		if got := reviewsDueLine(&l, tt.day); got != tt.want {
			t.Errorf("on +%d: %q, want %q", tt.day-cardDay, got, tt.want)
		}
	}
}
