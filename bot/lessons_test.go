package bot_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

func TestATopicCommandActsOnAllItsLessonsAndSaysHowToUndoIt(t *testing.T) {
	h := newHarnessWith(t, bot.LessonRoadmap(t), func(int) int { return 0 })
	h.sayOK("ana", "done caching-headers")
	mustContain(t, h.sayOK("ana", "skip caching"), "Skipped 3 lessons of Caching. 1 lesson already done stays done.",
		"/roadmap reset caching undoes it")
	mustContain(t, h.sayOK("ana", "topics"), "✅  2. Caching (caching) — 1/4")
	mustContain(t, h.sayOK("ana", "done caching"), "Marked 3 lessons of Caching done. /roadmap reset caching undoes it.")
	mustContain(t, h.sayOK("ana", "done caching"), "Every lesson of Caching was already done; nothing changed.")
	mustContain(t, h.sayOK("ana", "reset caching"), "Put 4 lessons of Caching back to todo.")
	mustContain(t, h.sayOK("ana", "skip testing"), "Skipped 1 lesson of Testing.")
	mustContain(t, h.sayOK("ana", "topic 3"), "⏭️ 1. Unit tests", "testing · state: skipped")
	mustContain(t, h.sayOK("ana", "topic caching"), "Why Caching matters.", "▫️ 4. Project: cache it (caching-project) · ~10 min · project",
		"0/4 lessons done", "[Open Cache headers=lesson caching-headers]")
}

func TestNextWalksLessonsAndABareDoneActsOnTheLessonInProgress(t *testing.T) {
	h := newHarnessWith(t, bot.LessonRoadmap(t), func(int) int { return 0 })
	mustContain(t, h.sayOK("ana", "next"), "lesson 1 of 2 · Internet basics · ~10 min", "A lesson about DNS")
	mustContain(t, h.sayOK("ana", "done"), "DNS is done", "Up next: HTTP (http-basics) · lesson 2 of 2")
	mustContain(t, h.sayOK("ana", "start caching"), "now learning Cache headers")
	mustContain(t, h.sayOK("ana", "done"), "Cache headers is done")
	mustContain(t, h.sayOK("ana", "next"), "HTTP", "lesson 2 of 2 · Internet basics") // next is still the first lesson left
	mustContain(t, h.sayOK("ana", "topics"), "📖  1. Internet basics (internet-basics) — 1/2", "📖  2. Caching (caching) — 1/4",
		"2/7 lessons · 28 %")
	mustContain(t, h.sayOK("ana", "progress"), "Minutes studied: 20 of 70", "📖 Caching 1/4")
	h.wait() // the reads share one budget
	mustContain(t, h.sayOK("ana", "lesson caching project"), "project 4 of 4 · Caching", "**Steps**", "1. Add a cache.",
		"**Draws on**", "Cache headers (`caching-headers`)", "☐ Hits are fast.")
	if r := h.sayOK("ana", "lesson caching-project"); slices.ContainsFunc(r.Buttons, func(b bot.Button) bool { return b.Label == "Quiz me" }) {
		t.Error("a project without questions offers a quiz")
	}
	mustContain(t, h.sayOK("ana", "lesson cache hedaers"), `No lesson is called "cache hedaers"; showing the closest, Cache headers.`)
}

func TestAShuffledQuestionIsGradedInTheOrderItWasShown(t *testing.T) {
	// Order 23 shows the four choices reversed: the right one, written first, is shown as d.
	h := newHarnessWith(t, bot.TestRoadmap(t), func(n int) int { return n - 1 })
	q := h.sayOK("ana", "quiz caching")
	mustContain(t, q, "a) Not this", "d) Right", "[d=answer caching-3/23 d]")
	mustContain(t, h.sayOK("ana", "answer caching-3/23 d"), "✅ Right: d) Right")
	mustContain(t, h.sayOK("ben", "answer caching-3/23 a"), "you chose a, the answer is d) Right")
	// A button from before shuffling carries no order: as written.
	mustContain(t, h.sayOK("cy", "answer caching-3 a"), "✅ Right: a) Right")
}

func TestEveryOrderIsADifferentPermutation(t *testing.T) {
	for n := 2; n <= bot.MaxChoices; n++ {
		seen := map[string]bool{}
		total := 1
		for i := 2; i <= n; i++ {
			total *= i
		}
		for order := range total {
			p := bot.Permutation(order, n)
			sorted := slices.Clone(p)
			slices.Sort(sorted)
			for i, v := range sorted {
				if v != i {
					t.Fatalf("Permutation(%d, %d) = %v is not a permutation", order, n, p)
				}
			}
			seen[fmt.Sprint(p)] = true
		}
		if len(seen) != total {
			t.Errorf("%d choices: %d distinct orders of %d", n, len(seen), total)
		}
	}
	if got := bot.Permutation(0, 4); !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Errorf("order 0 = %v, want as written", got)
	}
}

func TestOnlyTheFirstAnswerToAQuestionEachDayCountsInTheScore(t *testing.T) {
	h := newHarness(t)
	h.sayOK("ana", "answer caching-1 b") // wrong
	h.wait()
	mustContain(t, h.sayOK("ana", "answer caching-1 a"), "earlier today, so your quiz score keeps that first answer")
	for range 3 {
		h.wait()
		h.sayOK("ana", "answer caching-1 a")
	}
	mustContain(t, h.sayOK("ana", "progress"), "0 right of 1 answered")
	h.clock.Advance(24 * time.Hour)
	h.sayOK("ana", "answer caching-1 a")
	mustContain(t, h.sayOK("ana", "progress"), "1 right of 2 answered")
}

func TestABareQuizAsksFromStudiedLessonsNewQuestionsFirstThenMissedOnes(t *testing.T) {
	h := newHarnessWith(t, bot.LessonRoadmap(t), func(int) int { return 0 })
	mustContain(t, h.sayOK("ana", "quiz"), "Question 1 about DNS?") // nothing studied: the current lesson
	h.sayOK("ana", "done dns-basics")
	h.sayOK("ana", "start caching-cdn")
	asked := map[string]bool{}
	for range 6 {
		h.wait()
		r := h.sayOK("ana", "quiz")
		id := strings.Fields(strings.Split(r.Footer, "·")[1])[0]
		if asked[id] {
			t.Fatalf("question %s asked twice before every question was seen: %v", id, asked)
		}
		asked[id] = true
		if !strings.HasPrefix(id, "dns-basics-") && !strings.HasPrefix(id, "caching-cdn-") {
			t.Fatalf("quiz asked %s, from a lesson not studied", id)
		}
	}
	h.sayOK("ana", "answer caching-cdn-2 b") // wrong: it comes back before the others
	h.wait()
	mustContain(t, h.sayOK("ana", "quiz"), "Question 2 about CDNs?")
}

func TestABareQuizWhenOnlyAProjectIsInHandAsksFromTheLessonsBeforeIt(t *testing.T) {
	h := newHarnessWith(t, bot.LessonRoadmap(t), func(int) int { return 0 })
	h.sayOK("ana", "skip internet-basics")
	for _, slug := range []string{"caching-headers", "caching-cdn", "caching-server"} {
		h.sayOK("ana", "skip "+slug)
	}
	// Nothing done or started, and the lesson in hand is a project without questions.
	r := h.say("ana", "quiz")
	if r.Outcome != bot.OutcomeOK || !strings.HasPrefix(r.Title, "Quiz · ") {
		t.Fatalf("a bare quiz with a project in hand answered %s: %q %q", r.Outcome, r.Title, r.Text)
	}
	if id := strings.Fields(strings.Split(r.Footer, "·")[1])[0]; strings.HasPrefix(id, "testing") || strings.HasPrefix(id, "unit-tests") {
		t.Errorf("asked %s, from a lesson after the project", id)
	}
	h.wait()
	// A project named outright is refused with a message meant for the learner, no "quiz:" prefix.
	r = h.say("ana", "quiz caching-project")
	if r.Outcome == bot.OutcomeOK || !strings.HasPrefix(r.Text, "Project: cache it has no quiz questions") {
		t.Errorf("quiz of a project = %s %q", r.Outcome, r.Text)
	}
}

func TestAnAnswerButtonFromBeforeLessonsSaysItsQuestionIsGone(t *testing.T) {
	h := newHarnessWith(t, bot.LessonRoadmap(t), func(int) int { return 0 })
	r := h.say("ana", "answer caching-2 b")
	if r.Outcome != bot.ENOTFOUND || !strings.Contains(r.Text, "earlier version of the roadmap") || !strings.Contains(r.Text, "/roadmap quiz caching") {
		t.Errorf("an old button answered (%s) %q", r.Outcome, r.Text)
	}
}
