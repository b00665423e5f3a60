package bolt_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/bot"
	bbolt "go.etcd.io/bbolt"
)

// streaksOf lists the community's learners as LearnersByStreak gives them, "user:streak".
func streaksOf(t *testing.T, db *bolt.DB, c bot.Community) []string {
	t.Helper()
	var got []string
	err := db.LearnersByStreak(ctx, c, func(l bot.Learner) (bool, error) {
		got = append(got, fmt.Sprintf("%s:%d", l.UserID, l.Streak.Current))
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func setStreak(t *testing.T, db *bolt.DB, c bot.Community, user string, current int) {
	t.Helper()
	err := db.UpdateLearner(ctx, c, user, func(l *bot.Learner) error {
		l.UserID, l.Streak.Current = user, current
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLearnersByStreakFollowsEveryWriteLongestFirst(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	other := bot.Community{Platform: bot.PlatformSlack, ID: "T1"}
	for user, n := range map[string]int{"ana": 3, "ben": 12, "cy": 1, "dee": 0, "eve": 300} {
		setStreak(t, db, study, user, n)
	}
	setStreak(t, db, other, "zed", 99)
	if got, want := streaksOf(t, db, study), []string{"eve:300", "ben:12", "ana:3", "cy:1"}; !slices.Equal(got, want) {
		t.Fatalf("by streak = %v, want %v (the learner without a streak left out)", got, want)
	}
	setStreak(t, db, study, "cy", 20)                                                              // moves up
	setStreak(t, db, study, "eve", 0)                                                              // leaves
	setStreak(t, db, study, "dee", 2)                                                              // joins
	db.UpdateLearner(ctx, study, "ben", func(l *bot.Learner) error { l.Name = "Ben"; return nil }) // stays
	refused := errors.New("refused")
	db.UpdateLearner(ctx, study, "ana", func(l *bot.Learner) error { l.Streak.Current = 50; return refused })
	if got, want := streaksOf(t, db, study), []string{"cy:20", "ben:12", "ana:3", "dee:2"}; !slices.Equal(got, want) {
		t.Errorf("after the changes, by streak = %v, want %v", got, want)
	}
	if got, want := streaksOf(t, db, other), []string{"zed:99"}; !slices.Equal(got, want) {
		t.Errorf("the other community = %v, want %v", got, want)
	}
	var first []string
	db.LearnersByStreak(ctx, study, func(l bot.Learner) (bool, error) {
		first = append(first, l.UserID)
		return len(first) < 2, nil
	})
	if !slices.Equal(first, []string{"cy", "ben"}) {
		t.Errorf("stopping after two gave %v", first)
	}
	stop := errors.New("stop")
	if err := db.LearnersByStreak(ctx, study, func(bot.Learner) (bool, error) { return true, stop }); !errors.Is(err, stop) {
		t.Errorf("an error from fn came back as %v", err)
	}
}

// A file written before the streak index (or by a release without it) gets the index when it
// is opened, once, and reopening does not build it twice.
func TestTheStreakIndexIsBuiltForAnOlderFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db := open(t, path)
	for user, n := range map[string]int{"ana": 3, "ben": 12, "cy": 0} {
		setStreak(t, db, study, user, n)
	}
	// Make it a file from before the index: no index buckets and no mark.
	err := db.Bolt().Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket([]byte("meta")).Delete([]byte("streak_index")); err != nil {
			return err
		}
		return tx.Bucket([]byte("communities")).Bucket([]byte(study.Key())).DeleteBucket([]byte("streaks"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := streaksOf(t, db, study); len(got) != 0 {
		t.Fatalf("without the index, by streak = %v", got)
	}
	db.Close()
	db = open(t, path)
	if got, want := streaksOf(t, db, study), []string{"ben:12", "ana:3"}; !slices.Equal(got, want) {
		t.Errorf("after reopening, by streak = %v, want %v", got, want)
	}
	setStreak(t, db, study, "cy", 5)
	setStreak(t, db, study, "ben", 0)
	db.Close()
	db = open(t, path) // reopening keeps the writes since in the index
	defer db.Close()
	if got, want := streaksOf(t, db, study), []string{"cy:5", "ana:3"}; !slices.Equal(got, want) {
		t.Errorf("after writes and another reopening, by streak = %v, want %v", got, want)
	}
}

// Writes made at once share transactions, yet one whose function fails fails alone: the
// others are committed and their callers hear nil.
func TestAFailingWriteInABatchFailsAlone(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	refused := errors.New("refused")
	const writers = 200
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			errs[i] = db.UpdateLearner(ctx, study, fmt.Sprint("u", i), func(l *bot.Learner) error {
				l.Name = "written"
				if i%10 == 3 {
					return refused
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		l, rerr := db.Learner(ctx, study, fmt.Sprint("u", i))
		if rerr != nil {
			t.Fatal(rerr)
		}
		switch {
		case i%10 == 3 && (!errors.Is(err, refused) || l.Name != ""):
			t.Errorf("u%d refused its write: error %v, name %q", i, err, l.Name)
		case i%10 != 3 && (err != nil || l.Name != "written"):
			t.Errorf("u%d: error %v, name %q", i, err, l.Name)
		}
	}
}

// A panic in one caller's function reaches that caller, and only it.
func TestAPanickingWriteReachesOnlyItsCaller(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	const writers = 50
	errs := make([]error, writers)
	panics := make([]any, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = db.UpdateLearner(ctx, study, fmt.Sprint("u", i), func(l *bot.Learner) error {
				if i == 7 {
					panic("boom")
				}
				l.Name = "written"
				return nil
			})
		})
	}
	wg.Wait()
	for i := range writers {
		l, _ := db.Learner(ctx, study, fmt.Sprint("u", i))
		if i == 7 {
			if panics[i] != "boom" || l.Name != "" {
				t.Errorf("the panicking caller got panic %v, name %q", panics[i], l.Name)
			}
			continue
		}
		if panics[i] != nil || errs[i] != nil || l.Name != "written" {
			t.Errorf("u%d: panic %v, error %v, name %q", i, panics[i], errs[i], l.Name)
		}
	}
}

// Settings are served from memory; every change, and no refused one, shows at once.
func TestSettingsChangesShowAtOnce(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	if s, _ := db.Settings(ctx, study); s.Zone != "" {
		t.Fatalf("zone = %q", s.Zone)
	}
	for _, zone := range []string{"Europe/Berlin", "Asia/Tokyo"} {
		if err := db.UpdateSettings(ctx, study, func(s *bot.Settings) error { s.Zone = zone; return nil }); err != nil {
			t.Fatal(err)
		}
		if s, err := db.Settings(ctx, study); err != nil || s.Zone != zone {
			t.Errorf("after setting %s: %+v, %v", zone, s, err)
		}
	}
	refused := errors.New("refused")
	db.UpdateSettings(ctx, study, func(s *bot.Settings) error { s.Zone = "UTC"; return refused })
	if s, _ := db.Settings(ctx, study); s.Zone != "Asia/Tokyo" {
		t.Errorf("after a refused change, zone = %q", s.Zone)
	}
}
