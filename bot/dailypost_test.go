package bot

import (
	"strings"
	"testing"
)

// asked is the question ID a daily post asks, from its first answer button.
func asked(t *testing.T, r Response) string {
	t.Helper()
	if len(r.Buttons) == 0 || !strings.HasPrefix(r.Buttons[0].Command, "answer ") {
		t.Fatalf("post %q has no answer buttons: %v", r.Title, r.Buttons)
	}
	id, _, _ := strings.Cut(strings.Fields(r.Buttons[0].Command)[1], "/")
	return id
}

func TestTheDailyWalkAndItsFirstReviewLapNeverAskTheSameQuestionTwice(t *testing.T) {
	r := testRoadmap(t)
	b := &Bot{roadmap: r, intn: func(int) int { return 0 }}
	n := len(r.Lessons())
	seen := map[string]int{}
	// Day N is lesson N, then one review lap: one more question of each lesson.
	for day := 1; day <= 2*n; day++ {
		id := asked(t, b.dailyPost(day, day-1, ""))
		if prev, ok := seen[id]; ok {
			t.Errorf("day %d asks %s again, first asked on day %d", day, id, prev)
		}
		seen[id] = day
	}
}

func TestAPathOfProjectsOnlyStillGetsADailyPostOnceWalked(t *testing.T) {
	project := testLesson("build-it", "Build it")
	project.Project, project.Questions = true, nil
	project.Steps, project.Checklist = []string{"Build it."}, []string{"It runs."}
	r, err := NewRoadmap("Projects", []Topic{testTopicOf("builds", "Builds", project)})
	if err != nil {
		t.Fatal(err)
	}
	b := &Bot{roadmap: r, intn: func(int) int { return 0 }}
	if p := b.dailyPost(1, 0, ""); !strings.Contains(p.Title, "Build it") {
		t.Errorf("day 1 = %q", p.Title)
	}
	p := b.dailyPost(2, 1, "") // past the last lesson, with no question anywhere to review
	if !strings.Contains(p.Text, "whole path is behind this channel") {
		t.Errorf("day 2 after the walk = %q %q", p.Title, p.Text)
	}
}
