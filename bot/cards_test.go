package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

const cardDay Day = 20_000 // 2024-10-04

// roundTrip stores and reads cards back, as every command that changes a learner does.
func roundTrip(t testing.TB, c *Cards) *Cards {
	t.Helper()
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Cards
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	return &back
}

func TestCardComesBackAtFSRSIntervals(t *testing.T) {
	var c Cards
	day := cardDay
	// Good ×3 each on the day due: 2, 11, 46 days (see TestFSRSIntervalsOfFixedRatingSequences).
	for i, want := range []Day{2, 11, 46} {
		card := c.Grade("caching-http-1", RatingGood, day, 0)
		if card.Due != day+want || card.Reps != i+1 || card.Last != day {
			t.Fatalf("review %d on %v: %+v, want due %v", i+1, day, card, day+want)
		}
		if _, _, ok := c.Next(card.Due - 1); ok {
			t.Errorf("a card is due the day before %v", card.Due)
		}
		c = *roundTrip(t, &c)
		id, got, ok := c.Next(card.Due)
		if !ok || id != "caching-http-1" || got != card {
			t.Fatalf("on %v: next %q %+v %v, want the card %+v", card.Due, id, got, ok, card)
		}
		day = card.Due
	}
	// Forgotten on day 59 (S 46.28): back 3 days later, one lapse.
	card := c.Grade("caching-http-1", RatingAgain, day, 0)
	if card.Due != day+3 || card.Lapses != 1 || card.Reps != 4 {
		t.Errorf("after a lapse: %+v, want due %v and 1 lapse", card, day+3)
	}
	// A first answer wrong is not a lapse, and comes back the next day.
	if card := c.Grade("dns-1", RatingAgain, day, 0); card.Due != day+1 || card.Lapses != 0 {
		t.Errorf("a new card graded Again: %+v", card)
	}
	// A higher retention target brings a card back sooner.
	var a, b Cards
	if a.Grade("x", RatingEasy, day, 0.97).Due >= b.Grade("x", RatingEasy, day, 0.9).Due {
		t.Errorf("retention 0.97 does not schedule sooner than 0.9")
	}
}

func TestCardsPickTheEarliestDueFirstAndTieBreakByID(t *testing.T) {
	var c Cards
	c.Grade("tls-2", RatingGood, cardDay, 0)     // due +2
	c.Grade("dns-1", RatingAgain, cardDay+1, 0)  // due +2
	c.Grade("http-3", RatingAgain, cardDay-3, 0) // due −2: overdue
	c.Grade("git-1", RatingEasy, cardDay, 0)     // due +8
	for _, stored := range []bool{false, true} {
		c := &c
		if stored {
			c = roundTrip(t, c) // read lazily from the stored string
		}
		var order []string
		for day := cardDay - 3; day <= cardDay+10; day++ {
			if id, _, ok := c.Next(day); ok && (len(order) == 0 || order[len(order)-1] != id) {
				order = append(order, id)
			}
		}
		if id, _, _ := c.Next(cardDay + 2); id != "http-3" {
			t.Errorf("stored %v: next on +2 is %q, want the overdue http-3", stored, id)
		}
		for _, tc := range []struct {
			day  Day
			want int
		}{{cardDay - 3, 0}, {cardDay - 2, 1}, {cardDay + 1, 1}, {cardDay + 2, 3}, {cardDay + 8, 4}} {
			if got := c.Due(tc.day); got != tc.want {
				t.Errorf("stored %v: %d due on %v, want %d", stored, got, tc.day-cardDay, tc.want)
			}
		}
		if next, ok := c.NextDue(); !ok || next != cardDay-2 {
			t.Errorf("stored %v: next due %v, want %v", stored, next, cardDay-2)
		}
	}
	// Reviewing the overdue card makes the two due on +2 next, dns-1 before tls-2.
	c.Grade("http-3", RatingGood, cardDay, 0)
	back := roundTrip(t, &c)
	if id, _, _ := back.Next(cardDay + 2); id != "dns-1" {
		t.Errorf("next is %q, want dns-1 (same day as tls-2, lower ID)", id)
	}
	if ids := back.IDs(); strings.Join(ids, " ") != "dns-1 tls-2 http-3 git-1" {
		t.Errorf("IDs in due order: %v", ids)
	}
	var none Cards
	if _, _, ok := none.Next(cardDay); ok {
		t.Errorf("a learner without cards has one due")
	}
	if _, ok := none.NextDue(); ok || none.Due(cardDay) != 0 {
		t.Errorf("a learner without cards has a next due day")
	}
}

func TestCardsAreStoredCompactlyAndSurviveARewriteUnread(t *testing.T) {
	var c Cards
	c.Grade("caching-http-1", RatingGood, cardDay, 0)
	c.Grade("dns-1", RatingGood, cardDay, 0)
	raw, _ := json.Marshal(&c)
	// Due days after the first are counted from the card before: 0 = due the same day.
	if want := `"#20000 2 2;^dns-1 20000 3 new;20002 caching-http-1 2 1 0 2.3065 2.1181;0 dns-1 2 1 0 2.3065 2.1181"`; string(raw) != want {
		t.Errorf("stored as %s, want %s", raw, want)
	}
	back := roundTrip(t, &c)
	again := roundTrip(t, back) // read and written without touching the cards
	if got, ok := again.Get("caching-http-1"); !ok || got.Due != cardDay+2 || got.Stability != 2.3065 {
		t.Errorf("after a rewrite: %+v %v", got, ok)
	}
	empty, _ := json.Marshal(struct {
		C Cards `json:"cards,omitzero"`
	}{})
	if string(empty) != "{}" {
		t.Errorf("no cards stored as %s", empty)
	}
}

func TestCardsIgnoreDamagedEntries(t *testing.T) {
	for _, raw := range []string{"", ";;", "x", "#;^", "#1 2;^a b c d e;20002 a 1 1 0 nope 2", "20002 a 1 1 0", "^a 1 9 new;1 a 1 1 0 1 1"} {
		var c Cards
		if err := json.Unmarshal([]byte(fmt.Sprintf("%q", raw)), &c); err != nil {
			t.Fatal(err)
		}
		c.Next(cardDay)
		c.Due(cardDay)
		c.Stats(cardDay)
		c.Grade("a", RatingGood, cardDay, 0)
		if got, ok := c.Get("a"); !ok || got.Last != cardDay || got.Due <= cardDay {
			t.Errorf("%q: card a after a grade: %+v", raw, got)
		}
	}
	// A damaged card in the middle loses itself only, not the due days of those after it.
	var c Cards
	json.Unmarshal([]byte(`"5 a 1 1 0 1 5;3 bad;2 b 1 1 0 1 5"`), &c)
	if id, card, _ := c.Next(10); id != "a" || card.Due != 5 {
		t.Errorf("next %q %+v, want a due on 5", id, card)
	}
	if b, ok := c.Get("b"); !ok || b.Due != 10 || c.Len() != 2 {
		t.Errorf("b after a damaged entry: %+v %v, %d cards", b, ok, c.Len())
	}
}

func TestCardHardOrEasyAfterARightAnswerReplacesItsGood(t *testing.T) {
	var c, direct Cards
	c.Grade("dns-1", RatingGood, cardDay, 0)
	c.Grade("dns-1", RatingGood, cardDay+2, 0) // reviewed when due: S 10.96, due +11
	direct.Grade("dns-1", RatingGood, cardDay, 0)
	want := direct.Grade("dns-1", RatingEasy, cardDay+2, 0)

	stored := roundTrip(t, &c) // the button is pressed in a later command
	got, ok := stored.Regrade("dns-1", RatingEasy, cardDay+2, 0)
	if !ok || got != want {
		t.Fatalf("Easy after Good: %+v %v, want %+v as if graded Easy", got, ok, want)
	}
	if s := stored.Stats(cardDay + 2); s.Reviews != 2 || s.Right != 2 {
		t.Errorf("a regrade counted as another review: %+v", s)
	}
	// A second press changes its mind again, from the same state before the review.
	if got, _ := stored.Regrade("dns-1", RatingHard, cardDay+2, 0); got.Due >= want.Due {
		t.Errorf("Hard after Easy: due %v, not sooner than Easy's %v", got.Due, want.Due)
	}
	for _, tc := range []struct {
		id  string
		day Day
	}{{"dns-1", cardDay + 3}, {"tls-1", cardDay + 2}} {
		if _, ok := stored.Regrade(tc.id, RatingEasy, tc.day, 0); ok {
			t.Errorf("regraded %s on %v: only the card graded last, that day, can be", tc.id, tc.day-cardDay)
		}
	}
	// The card of a first answer regraded Easy is a new card graded Easy.
	var n Cards
	n.Grade("git-1", RatingGood, cardDay, 0)
	if got, _ := n.Regrade("git-1", RatingEasy, cardDay, 0); got.Due != cardDay+8 || got.Reps != 1 {
		t.Errorf("new card regraded Easy: %+v, want due +8 after one review", got)
	}
}

func TestCardStatsCountTheLastThirtyDays(t *testing.T) {
	var c Cards
	c.Grade("a", RatingGood, cardDay-40, 0) // too old to count
	c.Grade("b", RatingAgain, cardDay-29, 0)
	c.Grade("c", RatingGood, cardDay-10, 0)
	c.Grade("d", RatingHard, cardDay, 0)
	c.Grade("e", RatingEasy, cardDay, 0)
	back := roundTrip(t, &c)
	back.Grade("f", RatingAgain, cardDay-10, 0) // a clock set back: still one day's tally
	s := roundTrip(t, back).Stats(cardDay)
	if s.Cards != 6 || s.Reviews != 5 || s.Right != 3 {
		t.Errorf("stats %+v, want 6 cards, 5 reviews in 30 days, 3 right", s)
	}
	// a, b and c are overdue, d (Hard, S 1.29) is due tomorrow, e (Easy, S 8.30) in 8 days.
	// f (Again on −10) is overdue too.
	if s.DueToday != 4 || s.DueWeek != 5 {
		t.Errorf("due today %d, this week %d, want 4 and 5", s.DueToday, s.DueWeek)
	}
}

func TestSeedCardsFromQuizHistory(t *testing.T) {
	var h History
	h.Set("right-once", QuestionRecord{Shown: 1, Right: 1, Answered: cardDay - 10, LastGood: true})
	h.Set("right-after-wrong", QuestionRecord{Shown: 3, Right: 1, Wrong: 2, Answered: cardDay - 5, LastGood: true})
	h.Set("wrong-last", QuestionRecord{Shown: 2, Right: 1, Wrong: 1, Answered: cardDay - 3})
	h.Set("shown-only", QuestionRecord{Shown: 4})
	h.Set("no-day", QuestionRecord{Shown: 1, Right: 1, LastGood: true})
	h.Set("has-card", QuestionRecord{Shown: 1, Wrong: 1, Answered: cardDay - 1})
	var c Cards
	existing := c.Grade("has-card", RatingEasy, cardDay, 0)

	if n := c.Seed(&h, cardDay); n != 4 {
		t.Errorf("seeded %d cards, want 4", n)
	}
	c = *roundTrip(t, &c)
	for _, tc := range []struct {
		id   string
		want Card
	}{
		{"right-once", Card{Stability: 2.3065, Due: cardDay - 8, Last: cardDay - 10, Reps: 1}},
		{"right-after-wrong", Card{Stability: 1.2931, Due: cardDay - 4, Last: cardDay - 5, Reps: 1}},
		{"wrong-last", Card{Stability: 0.212, Due: cardDay - 2, Last: cardDay - 3, Reps: 1}},
		{"no-day", Card{Stability: 2.3065, Due: cardDay + 2, Last: cardDay, Reps: 1}},
	} {
		got, ok := c.Get(tc.id)
		got.Difficulty = 0
		if !ok || got != tc.want {
			t.Errorf("%s: %+v %v, want %+v", tc.id, got, ok, tc.want)
		}
	}
	if _, ok := c.Get("shown-only"); ok {
		t.Errorf("a question never answered got a card")
	}
	if got, _ := c.Get("has-card"); got != existing {
		t.Errorf("seeding changed an existing card: %+v, was %+v", got, existing)
	}
	if s := c.Stats(cardDay); s.Reviews != 1 {
		t.Errorf("seeded cards counted as recent reviews: %+v", s)
	}
	if n := c.Seed(&h, cardDay); n != 0 {
		t.Errorf("seeding twice made %d more cards", n)
	}
	// Answers from before the due day are due at once; the worse the last answer, the harder
	// the card starts.
	if n := c.Due(cardDay); n != 3 {
		t.Errorf("%d seeded cards due, want 3", n)
	}
	d := func(id string) float64 { return c.mustGet(t, id).Difficulty }
	if !(d("wrong-last") > d("right-after-wrong") && d("right-after-wrong") > d("right-once")) {
		t.Errorf("difficulty wrong last %v, right after wrong %v, right once %v: want decreasing",
			d("wrong-last"), d("right-after-wrong"), d("right-once"))
	}
}

// manyCards is a learner's cards as stored, for n questions spread over a year of reviews.
func manyCards(b testing.TB, n int) []byte {
	var c Cards
	for i := range n {
		id := fmt.Sprintf("topic%02d-lesson%02d-%d", i%17, i%23, i%5+1)
		day := cardDay - Day(i%365)
		c.Grade(id, Rating(i%4+1), day, 0)
		c.Grade(id, RatingGood, c.mustGet(b, id).Due, 0)
	}
	raw, err := json.Marshal(&c)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

func (c *Cards) mustGet(t testing.TB, id string) Card {
	card, ok := c.Get(id)
	if !ok {
		t.Fatalf("no card %s", id)
	}
	return card
}

// BenchmarkCardsNextDue is `/roadmap review` or `next` picking the next due card of a learner
// with 2,000 cards, their record just decoded.
func BenchmarkCardsNextDue(b *testing.B) {
	raw := manyCards(b, 2000)
	var c Cards
	if err := json.Unmarshal(raw, &c); err != nil {
		b.Fatal(err)
	}
	if c.Due(cardDay) == 0 {
		b.Fatal("nothing due")
	}
	b.Run("decoded", func(b *testing.B) {
		for b.Loop() {
			if _, _, ok := c.Next(cardDay); !ok {
				b.Fatal("none due")
			}
		}
	})
	b.Run("decode+next", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			var c Cards
			if err := json.Unmarshal(raw, &c); err != nil {
				b.Fatal(err)
			}
			c.Next(cardDay)
		}
	})
	b.Run("due-count", func(b *testing.B) {
		for b.Loop() {
			c.Due(cardDay + 6)
		}
	})
	b.Run("grade+next", func(b *testing.B) {
		for b.Loop() {
			var c Cards
			json.Unmarshal(raw, &c)
			id, _, _ := c.Next(cardDay)
			c.Grade(id, RatingGood, cardDay, 0)
			c.Next(cardDay)
		}
	})
}

func TestALearnerRecordKeepsItsCards(t *testing.T) {
	l := Learner{Version: SchemaVersion, UserID: "ana"}
	l.Questions.Set("dns-1", QuestionRecord{Shown: 1, Right: 1, Answered: cardDay, LastGood: true})
	l.Cards.Seed(&l.Questions, cardDay)
	l.Cards.Grade("tls-1", RatingAgain, cardDay, 0)
	raw, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	var back Learner
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if id, _, ok := back.Cards.Next(cardDay + 1); !ok || id != "tls-1" || back.Cards.Due(cardDay+2) != 2 {
		t.Errorf("cards after a round trip: next %q, %d due; stored %s", id, back.Cards.Due(cardDay+2), raw)
	}
	empty, _ := json.Marshal(Learner{UserID: "ben"})
	if strings.Contains(string(empty), "cards") {
		t.Errorf("a learner without cards stores the field: %s", empty)
	}
}

// BenchmarkLearnerNextDueCard is `/roadmap review` for a learner with n cards and a quiz
// history of the same n questions: the whole record decoded, then the card picked. 470 is
// every question of the back end roadmap; 2,000 a learner of a much larger custom one.
func BenchmarkLearnerNextDueCard(b *testing.B) {
	for _, n := range []int{470, 2000} {
		var l Learner
		l.Version, l.UserID = SchemaVersion, "ana"
		if err := json.Unmarshal(manyCards(b, n), &l.Cards); err != nil {
			b.Fatal(err)
		}
		for _, id := range l.Cards.IDs() {
			l.Questions.Set(id, QuestionRecord{Shown: 2, Right: 1, Wrong: 1, Answered: cardDay - 3, LastGood: true})
		}
		raw, err := json.Marshal(l)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("cards=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				var l Learner
				if err := json.Unmarshal(raw, &l); err != nil {
					b.Fatal(err)
				}
				if _, _, ok := l.Cards.Next(cardDay); !ok {
					b.Fatal("none due")
				}
			}
		})
	}
}
