package bolt_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/data"
)

// testdata/v1.db was made by studybot before lessons (schema 1) from the console session in
// testdata/v1-console-script.txt: alice finished two topics, started git, skipped relational
// databases, answered two questions and set a reminder and a zone; bob finished caching and
// skipped internet basics; carol started APIs; the channel's daily post had reached git.
func TestAVersion1DatabaseIsMigratedOnceWithNothingLost(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "v1.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "v1.db")
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	roadmap, err := data.Default()
	if err != nil {
		t.Fatal(err)
	}
	db := open(t, path)
	defer db.Close()
	ctx := context.Background()
	study := bot.Community{Platform: bot.PlatformConsole, ID: "study"}
	before := map[string]bot.Learner{}
	db.Learners(ctx, study, func(l bot.Learner) error { before[l.UserID] = l; return nil })
	nudge := bot.NudgeKey(bot.Channel{Community: study, ID: "general"})
	schedBefore, err := db.Schedule(ctx, nudge)
	if err != nil || len(before) != 3 || before["alice"].Version != 1 || schedBefore.Version != 1 {
		t.Fatalf("the fixture is not a version 1 file: %d learners, alice v%d, schedule %+v, %v", len(before), before["alice"].Version, schedBefore, err)
	}

	learners, schedules, err := db.Upgrade(ctx, roadmap)
	if err != nil || learners != 3 || schedules != 2 {
		t.Fatalf("Upgrade = %d learners, %d schedules, %v; want 3 and 2 (a nudge and a reminder)", learners, schedules, err)
	}
	if l, s, err := db.Upgrade(ctx, roadmap); l+s != 0 || err != nil {
		t.Errorf("a second Upgrade changed %d records (%v); migration runs once", l+s, err)
	}

	lessonsOf := func(slug string) []*bot.Lesson {
		topic, _ := roadmap.Topic(slug)
		return bot.Target{Topic: topic}.Lessons()
	}
	for user, old := range before {
		l, err := db.Learner(ctx, study, user)
		if err != nil {
			t.Fatal(err)
		}
		if l.Version != bot.SchemaVersion || l.V1Topics != nil || l.V1QuizNext != nil {
			t.Errorf("%s: version %d, leftovers %v %v", user, l.Version, l.V1Topics, l.V1QuizNext)
		}
		if l.Streak != old.Streak || l.QuizAnswered != old.QuizAnswered || l.QuizRight != old.QuizRight ||
			l.Zone != old.Zone || l.Name != old.Name {
			t.Errorf("%s: streak, quiz, zone or name changed:\nbefore %+v\nafter  %+v", user, old, l)
		}
		for slug, s := range old.V1Topics {
			lessons := lessonsOf(slug)
			for i, x := range lessons {
				want := s
				if s == bot.StateLearning && i > 0 {
					want = bot.StateTodo
				}
				if got := l.State(x.Slug); got != want {
					t.Errorf("%s: topic %s was %s; lesson %s is %s, want %s", user, slug, s, x.Slug, got, want)
				}
			}
			topic, _ := roadmap.Topic(slug)
			if got := l.TopicState(topic); got != s {
				t.Errorf("%s: topic %s is %s after migration, was %s", user, slug, got, s)
			}
		}
		if len(old.V1Topics) == 0 {
			t.Errorf("%s: the fixture has no progress to migrate", user)
		}
	}
	if got := before["alice"]; got.QuizAnswered != 2 || got.Zone != "America/New_York" {
		t.Errorf("fixture alice = %+v", got)
	}

	sch, err := db.Schedule(ctx, nudge)
	if err != nil {
		t.Fatal(err)
	}
	topic := roadmap.Topics[schedBefore.Cursor]
	if sch.Version != bot.SchemaVersion || sch.Day != schedBefore.Day || sch.Cursor != topic.Lessons[0].Index() || !sch.Next.Equal(schedBefore.Next) {
		t.Errorf("nudge after migration %+v; want day %d, cursor at the first lesson of %s (%d), next unchanged",
			sch, schedBefore.Day, topic.Slug, topic.Lessons[0].Index())
	}
	// The file says it is current: the next start does nothing.
	db.Close()
	again, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if l, s, err := again.Upgrade(ctx, roadmap); l+s != 0 || err != nil {
		t.Errorf("reopened: Upgrade changed %d records (%v)", l+s, err)
	}
}

// A file from before the streak index gets one when it is opened: the leaderboard of a
// community that existed before finds every learner with a streak, longest first.
func TestAVersion1DatabaseGetsTheStreakIndex(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "v1.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "v1.db")
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	db := open(t, path)
	defer db.Close()
	study := bot.Community{Platform: bot.PlatformConsole, ID: "study"}
	var want []string
	db.Learners(ctx, study, func(l bot.Learner) error {
		if l.Streak.Current > 0 {
			want = append(want, fmt.Sprintf("%s:%d", l.UserID, l.Streak.Current))
		}
		return nil
	})
	if len(want) == 0 {
		t.Fatal("the fixture has no streak to index")
	}
	got := streaksOf(t, db, study)
	byStreak := func(a, b string) int {
		n := func(s string) int { v, _ := strconv.Atoi(s[strings.IndexByte(s, ':')+1:]); return v }
		return n(b) - n(a)
	}
	if !slices.IsSortedFunc(got, byStreak) || !sameElements(got, want) {
		t.Errorf("by streak = %v; want %v, longest first", got, want)
	}
}

func sameElements(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
