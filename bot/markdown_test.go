package bot

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitMarkdownCutsBetweenParagraphsAndNeverLeavesACodeBlockOpen(t *testing.T) {
	code := "```go\n" + strings.Repeat("fmt.Println(\"a line of code\")\n", 30) + "```"
	prose := strings.Repeat("word ", 120)
	text := prose + "\n\n" + code + "\n\n- one\n- two\n\n" + prose
	for _, limit := range []int{300, 700, 1000, 5000} {
		pieces := SplitMarkdown(text, limit)
		for i, p := range pieces {
			if n := utf8.RuneCountInString(p); n > limit {
				t.Errorf("limit %d: piece %d has %d characters", limit, i, n)
			}
			if strings.Count(p, "```")%2 != 0 {
				t.Errorf("limit %d: piece %d leaves a code block open:\n%s", limit, i, p)
			}
			if strings.HasPrefix(p, "```") && !strings.HasPrefix(p, "```go") {
				t.Errorf("limit %d: piece %d reopens a code block without its language", limit, i)
			}
			if strings.HasSuffix(p, "wor") || strings.HasPrefix(p, "d ") {
				t.Errorf("limit %d: piece %d is cut inside a word", limit, i)
			}
		}
		joined := strings.Join(pieces, "\n")
		if got, want := strings.Count(joined, "a line of code"), 30; got != want {
			t.Errorf("limit %d: %d code lines survive, want %d", limit, got, want)
		}
		if got := strings.Count(joined, "word"); got != 240 {
			t.Errorf("limit %d: %d words survive, want 240", limit, got)
		}
	}
	if got := SplitMarkdown("short", 100); len(got) != 1 || got[0] != "short" {
		t.Errorf("short text = %q", got)
	}
}

func TestUpgradeCarriesTopicProgressToItsLessons(t *testing.T) {
	r, err := NewRoadmap("x", []Topic{
		testTopicOf("a", "A", testLesson("a-one", "A one"), testLesson("a-two", "A two")),
		testTopicOf("b", "B", testLesson("b-one", "B one"), testLesson("b-two", "B two")),
		testTopicOf("c", "C", testLesson("c-one", "C one"), testLesson("c-two", "C two")),
	})
	if err != nil {
		t.Fatal(err)
	}
	l := Learner{Version: 1, UserID: "ana", QuizRight: 3, QuizAnswered: 5, Zone: "Asia/Tokyo",
		V1Topics:   map[string]State{"a": StateDone, "b": StateLearning, "c": StateSkipped, "gone": StateDone},
		V1QuizNext: map[string]int{"a": 2}}
	if !r.Upgrade(&l) {
		t.Fatal("a version 1 record was not upgraded")
	}
	want := map[string]State{"a-one": StateDone, "a-two": StateDone, "b-one": StateLearning, "c-one": StateSkipped, "c-two": StateSkipped}
	if len(l.Lessons) != len(want) {
		t.Errorf("lessons = %v, want %v", l.Lessons, want)
	}
	for slug, s := range want {
		if l.Lessons[slug] != s {
			t.Errorf("%s = %s, want %s", slug, l.Lessons[slug], s)
		}
	}
	if l.Version != SchemaVersion || l.V1Topics != nil || l.V1QuizNext != nil || l.QuizRight != 3 || l.QuizAnswered != 5 ||
		l.Zone != "Asia/Tokyo" {
		t.Errorf("upgraded record = %+v", l)
	}
	if r.Upgrade(&l) {
		t.Error("a current record was upgraded again")
	}
	sch := Schedule{Version: 1, Kind: KindNudge, Day: 5, Cursor: 2}
	if !r.UpgradeSchedule(&sch) || sch.Cursor != 4 || sch.Day != 5 || sch.Version != SchemaVersion {
		t.Errorf("upgraded schedule = %+v, want cursor 4 (first lesson of topic 3), day 5", sch)
	}
}

func TestSoftLineBreaksJoinButCodeAndListsStay(t *testing.T) {
	in := "A paragraph wrapped\nat eighty columns\nin the file.\n\n- one item\n  that goes on\n- two\n1. first\n2. second\n\n```sh\necho a\necho b\n```\nAfter the code\nit goes on."
	want := "A paragraph wrapped at eighty columns in the file.\n\n- one item that goes on\n- two\n1. first\n2. second\n\n```sh\necho a\necho b\n```\nAfter the code it goes on."
	if got := JoinSoftBreaks(in); got != want {
		t.Errorf("JoinSoftBreaks =\n%s\nwant\n%s", got, want)
	}
}

func TestSplitMarkdownKeepsACodeBlockFencedWhenProseTouchesIt(t *testing.T) {
	// No blank line between the prose and the fences: a custom roadmap may write it so.
	code := "```sh\n" + strings.Repeat("echo one line of the script\n", 40) + "```"
	text := "Run this:\n" + code + "\nThen look at the output."
	for _, limit := range []int{300, 700} {
		pieces := SplitMarkdown(text, limit)
		joined := strings.Join(pieces, "\n\n")
		for i, p := range pieces {
			if n := utf8.RuneCountInString(p); n > limit {
				t.Errorf("limit %d: piece %d has %d characters", limit, i, n)
			}
			if strings.Count(p, "```")%2 != 0 {
				t.Errorf("limit %d: piece %d leaves a code block open:\n%s", limit, i, p)
			}
			inFence := false
			for _, line := range strings.Split(p, "\n") {
				switch {
				case strings.HasPrefix(line, "```"):
					if !inFence && line != "```sh" {
						t.Errorf("limit %d: piece %d opens a code block without its language: %q", limit, i, line)
					}
					inFence = !inFence
				case !inFence && strings.Contains(line, "echo"):
					t.Errorf("limit %d: piece %d holds code outside a fence:\n%s", limit, i, p)
				case inFence && strings.Contains(line, "output"):
					t.Errorf("limit %d: piece %d holds prose inside a fence:\n%s", limit, i, p)
				}
			}
		}
		if got := strings.Count(joined, "echo one line"); got != 40 {
			t.Errorf("limit %d: %d code lines survive, want 40", limit, got)
		}
		if !strings.Contains(joined, "Run this:") || !strings.Contains(joined, "Then look at the output.") {
			t.Errorf("limit %d: the prose around the code is lost or fenced:\n%s", limit, joined)
		}
	}
}
