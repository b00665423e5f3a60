package bolt_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/data"
	bbolt "go.etcd.io/bbolt"
)

// recapMonday is Monday 30 Nov 2026; the recap posted then counts 23 to 29 Nov.
var recapMonday = bot.DayOf(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), time.UTC)

// legacyLearner is a record as the release before Streak.Days wrote it: ada studied the six
// days up to Sunday 29 Nov, kept in the Studied bit mask.
func legacyLearner(t *testing.T) []byte {
	t.Helper()
	l := bot.Learner{Version: 2, UserID: "ada", Name: "Ada", Updated: time.Date(2026, 11, 29, 18, 0, 0, 0, time.UTC),
		Streak: bot.Streak{Current: 6, Longest: 6, Last: recapMonday - 1, First: recapMonday - 6, Studied: 0b111111}}
	data, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fileOfEarlierRelease is a bbolt file at path holding what an earlier release left: a
// learner record in the old format, no pulses, and the file's schema version set to schema.
func fileOfEarlierRelease(t *testing.T, path string, schema int) {
	t.Helper()
	db := open(t, path)
	defer db.Close()
	err := db.Bolt().Update(func(tx *bbolt.Tx) error {
		b, err := bolt.CommunityBucket(tx, study, []byte("learners"))
		if err != nil {
			return err
		}
		if err := b.Put([]byte("ada"), legacyLearner(t)); err != nil {
			return err
		}
		meta := tx.Bucket([]byte("meta"))
		if err := meta.Delete([]byte("pulses")); err != nil {
			return err
		}
		return meta.Put([]byte("schema"), []byte{byte('0' + schema)})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func recapOf(t *testing.T, db *bolt.DB) bot.Response {
	t.Helper()
	roadmap, err := data.Default()
	if err != nil {
		t.Fatal(err)
	}
	at := recapMonday.Time(time.UTC).Add(9 * time.Hour)
	core, err := bot.New(bot.Config{Roadmap: roadmap, Store: db, Schedules: db, Clock: bot.NewManualClock(at),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	r, err := core.Recap(context.Background(), bot.Channel{Community: study, ID: "general"}, recapMonday, at)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestARecapCountsLearnersWhoseRecordsAnEarlierReleaseWrote(t *testing.T) {
	for _, tt := range []struct {
		name   string
		schema int // the file's: an older one is upgraded, a current one only opened
	}{
		{"upgraded from lessons", 2},
		{"upgraded from JSON records", bot.SchemaVersion},
		{"opened", bot.SchemaVersion + 1}, // this release's file version: see bolt.fileVersion
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			fileOfEarlierRelease(t, path, tt.schema)
			db := open(t, path)
			defer db.Close()
			roadmap, err := data.Default()
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := db.Upgrade(context.Background(), roadmap); err != nil {
				t.Fatal(err)
			}
			r := recapOf(t, db)
			if want := "1 learner studied last week, on 6 days in all"; !strings.Contains(r.Text, want) {
				t.Errorf("recap says %q, want %q", r.Text, want)
			}
			// Written once: the learner's own writes keep it from then on.
			db.Close()
			db = open(t, path)
			if r := recapOf(t, db); !strings.Contains(r.Text, "1 learner studied last week, on 6 days in all") {
				t.Errorf("after a restart the recap says %q", r.Text)
			}
		})
	}
}

func TestAnUnreadablePulseLeavesOnlyItsLearnerOutOfTheRecap(t *testing.T) {
	var logs bytes.Buffer
	db, err := bolt.Open(filepath.Join(t.TempDir(), "s.db"), bolt.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, user := range []string{"ada", "bo"} {
		err := db.UpdateLearner(context.Background(), study, user, func(l *bot.Learner) error {
			l.Version, l.UserID, l.Name = bot.SchemaVersion, user, user
			l.Streak = bot.Streak{Current: 2, Longest: 2, Last: recapMonday - 1, First: recapMonday - 2, Days: "00"}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	err = db.Bolt().Update(func(tx *bbolt.Tx) error {
		b := bolt.ExistingCommunityBucket(tx, study, []byte("pulses"))
		return b.Put([]byte("bo"), []byte("garbage"))
	})
	if err != nil {
		t.Fatal(err)
	}
	r := recapOf(t, db)
	if want := "1 learner studied last week, on 2 days in all"; !strings.Contains(r.Text, want) {
		t.Errorf("recap says %q, want %q (ada's week)", r.Text, want)
	}
	if !strings.Contains(logs.String(), "unreadable pulse") {
		t.Errorf("the bad pulse was not logged: %s", logs.String())
	}
}

func TestALearnerWhoseReminderRecordIsDamagedCanStillBeForgotten(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	ctx := context.Background()
	key := bot.RemindKey(study, "ada")
	if err := db.UpdateLearner(ctx, study, "ada", func(l *bot.Learner) error {
		l.Version, l.UserID = bot.SchemaVersion, "ada"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	next := time.Date(2026, 12, 1, 19, 0, 0, 0, time.UTC)
	if err := db.UpdateSchedule(ctx, key, func(sch *bot.Schedule) error {
		*sch = bot.Schedule{Version: bot.SchemaVersion, Kind: bot.KindRemind, At: bot.TimeOfDay{Hour: 19}, Zone: "UTC", Next: next}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, ok, err := db.FirstDue(ctx)
	if err != nil || !ok {
		t.Fatalf("the reminder is not due: %v, %v", ok, err)
	}
	err = db.Bolt().Update(func(tx *bbolt.Tx) error {
		return bolt.ExistingCommunityBucket(tx, study, []byte("reminders")).Put([]byte("ada"), []byte("{damaged"))
	})
	if err != nil {
		t.Fatal(err)
	}
	roadmap, err := data.Default()
	if err != nil {
		t.Fatal(err)
	}
	core, err := bot.New(bot.Config{Roadmap: roadmap, Store: db, Schedules: db, Clock: bot.NewManualClock(next.Add(-time.Hour)),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	r := core.Handle(ctx, bot.Request{Community: study, Channel: "general", UserID: "ada", UserName: "ada", Text: "forget confirm ada"})
	if r.Outcome != bot.OutcomeOK || !strings.Contains(r.Text, "Done: everything studybot kept about you") {
		t.Fatalf("forget confirm: %s: %s", r.Outcome, r.Text)
	}
	if l, err := db.Learner(ctx, study, "ada"); err != nil || l.UserID != "" {
		t.Errorf("ada's record after forget: %+v, %v", l, err)
	}
	if sch, err := db.Schedule(ctx, key); err != nil || sch.Version != 0 {
		t.Errorf("ada's reminder after forget: %+v, %v", sch, err)
	}
	// Nothing due names ada any more, at her old time or ever.
	if first, ok, err := db.FirstDue(ctx); err != nil || ok {
		t.Errorf("due index after forget: first %v, %v, %v; want empty", first, ok, err)
	}
}
