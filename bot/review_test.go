package bot_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

var study = bot.Community{Platform: bot.PlatformConsole, ID: "study"}

// button is the command of the answer's button whose label starts with prefix.
func button(t *testing.T, r bot.Response, prefix string) string {
	t.Helper()
	for _, b := range r.Buttons {
		if strings.HasPrefix(b.Label, prefix) {
			return b.Command
		}
	}
	t.Fatalf("no %q button:\n%s", prefix, everything(r))
	return ""
}

// answerShown answers the question r shows, right (choice "Right") or wrong, by its button.
func answerShown(t *testing.T, h *harness, user string, r bot.Response, right bool) bot.Response {
	t.Helper()
	letter := "b" // the test roadmap writes "Right" first and newHarness shows choices as written
	if right {
		letter = "a"
	}
	h.wait()
	return h.sayOK(user, button(t, r, letter))
}

// In the test roadmap's first lesson: a learner studies it, answers its first question, then
// comes back day by day. Each review arrives exactly the interval FSRS-6 gives after the
// grades so far (fsrs_test.go holds those intervals against the reference implementation),
// and the days before it `review` says nothing is due and when it will be.
func TestReviewsComeBackAtTheFSRSIntervals(t *testing.T) {
	type step struct {
		right  bool
		rate   string // a button pressed after a right answer: Hard or Easy
		waitOK int    // days until the next review, as the answer says
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"good ×3", []step{{true, "", 2}, {true, "", 11}, {true, "", 46}}},
		{"wrong first: back tomorrow", []step{{false, "", 1}, {true, "", 2}}},
		{"forgotten at a review: sooner", []step{{true, "", 2}, {false, "", 1}, {true, "", 2}}},
		{"hard after a first answer", []step{{true, "Hard", 1}}},
		{"easy after a first answer", []step{{true, "Easy", 8}}},
		{"hard at a review", []step{{true, "", 2}, {true, "Hard", 8}}},
		{"easy at a review", []step{{true, "", 2}, {true, "Easy", 19}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.sayOK("ana", "done internet-basics")
			h.wait()
			r := h.sayOK("ana", "quiz internet-basics")
			for i, s := range tt.steps {
				if i > 0 {
					// Day by day until the review comes back.
					for day := 1; ; day++ {
						h.clock.Advance(24 * time.Hour)
						r = h.sayOK("ana", "review")
						if strings.HasPrefix(r.Title, "🔁 Review") {
							if want := tt.steps[i-1].waitOK; day != want {
								t.Fatalf("step %d: the review came back after %d days, want %d", i+1, day, want)
							}
							mustContain(t, r, "Question 1 about Internet basics?", "Spaced review · 1 review due")
							break
						}
						mustContain(t, r, "No reviews due", "Your next review is on")
						if day > 60 {
							t.Fatalf("step %d: no review after %d days", i+1, day)
						}
					}
				}
				a := answerShown(t, h, "ana", r, s.right)
				want := s.waitOK
				if s.rate != "" {
					if !s.right {
						t.Fatal("bad test: a rating after a wrong answer")
					}
					h.wait()
					a = h.sayOK("ana", button(t, a, s.rate))
					mustContain(t, a, "Rated "+s.rate)
				}
				when := "in " + strconv.Itoa(want) + " days"
				if want == 1 {
					when = "tomorrow"
				}
				mustContain(t, a, "Next review: "+when)
			}
		})
	}
}

// After a right first answer: Hard, Good and Easy with the wait each gives, then what to do
// next, five buttons at most (one action row on Discord). A wrong answer, or a second answer
// the same day, grades nothing and offers no rating.
func TestRatingButtonsFollowOnlyARightFirstAnswer(t *testing.T) {
	h := newHarness(t)
	r := h.sayOK("ana", "answer caching-1 a")
	mustContain(t, r, "[Hard · 1d=review caching-1 hard]", "[Good · 2d=review caching-1 good]", "[Easy · 8d=review caching-1 easy]",
		"[Another question=quiz caching]", "[Next lesson=next]", "Next review: in 2 days (Thu 26 Nov)")
	if len(r.Buttons) > 5 {
		t.Errorf("%d buttons; Discord shows 5 in a row", len(r.Buttons))
	}
	h.wait()
	// Pressing Good keeps the grade the answer gave; Easy then replaces it.
	mustContain(t, h.sayOK("ana", "review caching-1 good"), "Rated Good", "Next review: in 2 days (Thu 26 Nov)")
	h.wait()
	mustContain(t, h.sayOK("ana", "review caching-1 easy"), "Rated Easy", "Next review: in 8 days (Wed 2 Dec)")

	for _, tt := range []struct {
		name, answer string
	}{
		{"wrong", "answer caching-2 b"},
		{"second answer today", "answer caching-1 a"},
	} {
		h.wait()
		r := h.sayOK("ana", tt.answer)
		for _, b := range r.Buttons {
			if strings.HasPrefix(b.Command, "review ") {
				t.Errorf("%s: a rating button %q", tt.name, b.Label)
			}
		}
	}
	for _, tt := range []struct {
		press, mention string
	}{
		{"review caching-2 easy", "was wrong, so it comes back tomorrow"},
		{"review caching-1 hard", "you have answered another since"},
		{"review caching-3 hard", "You have not answered caching-3 today"},
		{"review caching-9 hard", "There is no question"},
	} {
		h.wait()
		if r := h.say("ana", tt.press); r.Outcome == bot.OutcomeOK || !strings.Contains(r.Text, tt.mention) {
			t.Errorf("%q answered %s %q, want it refused saying %q", tt.press, r.Outcome, r.Text, tt.mention)
		}
	}
	// The refusals changed nothing: caching-1 still comes back in 8 days, as rated Easy.
	h.clock.Advance(7 * 24 * time.Hour)
	mustContain(t, h.sayOK("ana", "review stats"), "Due today: 1", "Next review: now") // caching-2, wrong a week ago
	h.clock.Advance(24 * time.Hour)
	mustContain(t, h.sayOK("ana", "review stats"), "Due today: 2")
}

func TestReviewWithNothingDue(t *testing.T) {
	h := newHarness(t)
	mustContain(t, h.sayOK("ana", "review"), "Nothing to review yet", "each quiz question you answer becomes a card", "[Quiz me=quiz]")
	for _, a := range []string{"answer caching-1 a", "answer caching-2 a", "answer caching-3 b"} {
		h.wait()
		h.sayOK("ana", a)
	}
	h.wait()
	mustContain(t, h.sayOK("ana", "review"), "No reviews due", "Your next review is on Wed 25 Nov, tomorrow. 3 reviews fall due in the next 7 days.",
		"[Review stats=review stats]")
	h.clock.Advance(24 * time.Hour)
	r := h.sayOK("ana", "review")
	mustContain(t, r, "🔁 Review · Caching", "Question 3 about Caching?", "Spaced review · 1 review due")
	answerShown(t, h, "ana", r, true) // caching-3 again in 2 days, on the 27th
	h.wait()
	mustContain(t, h.sayOK("ana", "review"), "Your next review is on Thu 26 Nov, tomorrow. 3 reviews fall due in the next 7 days.")
}

func TestReviewStatsAndTheProgressLine(t *testing.T) {
	h := newHarness(t)
	mustContain(t, h.sayOK("ana", "progress"), "Spaced review: no cards yet")
	for _, a := range []string{"answer caching-1 a", "answer caching-2 b", "answer caching-3 a", "answer caching-3 b"} {
		h.wait()
		h.sayOK("ana", a) // the second answer to caching-3 is not graded: first answers only
	}
	h.clock.Advance(24 * time.Hour)
	mustContain(t, h.sayOK("ana", "review stats"), "Cards learned: 3", "Due today: 1", "Due in 7 days: 3",
		"Retention, last 30 days: 66 % (2 of 3 answers right)", "Next review: now", "[Review (1 due)=review]")
	h.wait()
	mustContain(t, h.sayOK("ana", "progress"), "Spaced review: 3 cards · 1 due today · retention 66 % (2 of 3 answers right)")
	// Thirty days on, those answers no longer count.
	h.clock.Advance(30 * 24 * time.Hour)
	mustContain(t, h.sayOK("ana", "review stats"), "Due today: 3", "no answers in the last 30 days")
}

// next and streak say how many reviews are due; with every lesson behind the learner, next
// is a review.
func TestNextAndStreakCountTheReviewsDue(t *testing.T) {
	h := newHarness(t)
	h.sayOK("ana", "done internet-basics")
	for _, a := range []string{"answer internet-basics-1 a", "answer internet-basics-2 a", "answer internet-basics-3 a"} {
		h.wait()
		h.sayOK("ana", a)
	}
	r := h.sayOK("ana", "next")
	if strings.Contains(everything(r), "Spaced review") || strings.Contains(everything(r), "Review (") {
		t.Errorf("next mentions reviews with none due:\n%s", everything(r))
	}
	mustContain(t, h.sayOK("ana", "streak"), "Reviews due: 0 reviews due today, 3 in the next 7 days")

	h.clock.Advance(2 * 24 * time.Hour)
	r = h.sayOK("ana", "next")
	mustContain(t, r, "lesson 1 of 1 · Caching", "Spaced review: 3 reviews due", "[Review (3 due)=review]")
	if len(r.Buttons) > 5 {
		t.Errorf("next has %d buttons", len(r.Buttons))
	}
	mustContain(t, h.sayOK("ana", "streak"), "Reviews due: 3 reviews due today, 3 in the next 7 days", "[Review (3 due)=review]")

	for _, slug := range []string{"caching", "api-security", "apis", "containers", "testing"} {
		h.wait()
		h.sayOK("ana", "skip "+slug)
	}
	for i := 3; i > 0; i-- {
		h.wait()
		r = h.sayOK("ana", "next")
		mustContain(t, r, "🔁 Review · Internet basics", "Every lesson is behind you", "Spaced review · "+strconv.Itoa(i)+" review")
		a := answerShown(t, h, "ana", r, true)
		if i > 1 {
			mustContain(t, a, "[Next review ("+strconv.Itoa(i-1)+" due)=review]")
		} else {
			mustContain(t, a, "[Another question=quiz internet-basics]")
		}
	}
	h.wait()
	mustContain(t, h.sayOK("ana", "next"), "You finished the roadmap!", "Your next review is on Mon 7 Dec, in 11 days.")
	mustContain(t, h.sayOK("ana", "streak"), "Reviews due: 0 reviews due today, 0 in the next 7 days")
}

// A record of schema version 2 has a quiz history and no cards: each question answered
// becomes a card reviewed once, on the day of its last answer, so nobody starts from zero.
func TestAVersion2RecordGetsCardsFromItsQuizHistory(t *testing.T) {
	roadmap := bot.TestRoadmap(t)
	updated := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	day := bot.DayOf(updated, time.UTC)
	v2 := func() bot.Learner {
		l := bot.Learner{Version: 2, UserID: "ana", Updated: updated, QuizAnswered: 4, QuizRight: 3}
		l.Questions.Set("caching-1", bot.QuestionRecord{Shown: 1, Right: 1, Answered: day - 10, LastGood: true})
		l.Questions.Set("caching-2", bot.QuestionRecord{Shown: 2, Right: 1, Wrong: 1, Answered: day - 3})
		l.Questions.Set("caching-3", bot.QuestionRecord{Shown: 1, Right: 1, LastGood: true}) // no day kept
		l.Questions.Set("gone-1", bot.QuestionRecord{Shown: 1, Right: 1, Answered: day - 1, LastGood: true})
		l.Questions.Set("testing-1", bot.QuestionRecord{Shown: 3})
		return l
	}
	l := v2()
	if !roadmap.Upgrade(&l) || l.Version != bot.SchemaVersion {
		t.Fatalf("a version 2 record was not upgraded: v%d", l.Version)
	}
	for _, tt := range []struct {
		id        string
		last, due bot.Day
	}{
		{"caching-1", day - 10, day - 8}, // right: Good, back 2 days later
		{"caching-2", day - 3, day - 2},  // wrong last: Again, back the next day
		{"caching-3", day, day + 2},      // no day: the record's last change
	} {
		c, ok := l.Cards.Get(tt.id)
		if !ok || c.Reps != 1 || c.Last != tt.last || c.Due != tt.due {
			t.Errorf("%s: %+v %v, want reviewed once on %v, due %v", tt.id, c, ok, tt.last, tt.due)
		}
	}
	if l.Cards.Len() != 3 {
		t.Errorf("%d cards (%v): a question never answered or no longer in the roadmap got one", l.Cards.Len(), l.Cards.IDs())
	}
	if l.QuizAnswered != 4 || l.QuizRight != 3 || l.Questions.Len() != 5 {
		t.Errorf("the quiz history changed: %+v", l)
	}
	if roadmap.Upgrade(&l) {
		t.Error("a current record was upgraded again")
	}
	// A version 2 daily post walks lessons already: its cursor stays where it is.
	sch := bot.Schedule{Version: 2, Kind: bot.KindNudge, Day: 5, Cursor: 3}
	if !roadmap.UpgradeSchedule(&sch) || sch.Cursor != 3 || sch.Version != bot.SchemaVersion {
		t.Errorf("a version 2 schedule upgraded to %+v; want its cursor kept", sch)
	}

	// In the core: the stored version 2 record is read with its cards, and written as version 3.
	h := newHarness(t)
	ctx := context.Background()
	if err := h.store.UpdateLearner(ctx, study, "ana", func(l *bot.Learner) error { *l = v2(); return nil }); err != nil {
		t.Fatal(err)
	}
	mustContain(t, h.sayOK("ana", "review stats"), "Cards learned: 3", "Due today: 3") // start is after all three
	r := h.sayOK("ana", "review")
	mustContain(t, r, "🔁 Review · Caching", "3 reviews due")
	stored, err := h.store.Learner(ctx, study, "ana")
	if err != nil || stored.Version != bot.SchemaVersion || stored.Cards.Len() != 3 {
		t.Errorf("stored after a review: v%d, %d cards, %v", stored.Version, stored.Cards.Len(), err)
	}
}

func TestHelpListsReview(t *testing.T) {
	h := newHarness(t)
	mustContain(t, h.sayOK("ana", "help"), "/roadmap review | review stats | review <question> <hard|good|easy> — spaced review",
		"a quiz or review answer")
}

func TestReviewSpendsTheQuizCooldown(t *testing.T) {
	h := newHarness(t)
	limit := bot.CooldownLimits[bot.ClassQuiz]
	for range limit.Rate - 1 {
		h.sayOK("ana", "quiz")
	}
	h.sayOK("ana", "review")
	r := h.say("ana", "review")
	if r.Outcome != bot.ECOOLDOWN || !strings.Contains(r.Text, "Try /roadmap review again in") {
		t.Errorf("review after %d quizzes and reviews in a row: %s %q", limit.Rate, r.Outcome, r.Text)
	}
	// Stats only read: they spend the read budget.
	h.sayOK("ana", "review stats")
}
