package bolt_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/adapters/cron"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
	"github.com/studybot/studybot/data"
	bbolt "go.etcd.io/bbolt"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func setNext(t *testing.T, db *bolt.DB, key bot.ScheduleKey, next time.Time) {
	t.Helper()
	err := db.UpdateSchedule(ctx, key, func(s *bot.Schedule) error {
		s.Version, s.Kind = bot.SchemaVersion, key.Kind
		s.At, s.Zone, s.Next = bot.TimeOfDay{Hour: next.Hour(), Minute: next.Minute()}, "UTC", next
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// take takes everything due until and moves each one a day on, returning the keys in order.
func take(t *testing.T, db *bolt.DB, until time.Time, limit int) []string {
	t.Helper()
	var keys []string
	_, err := db.TakeDue(ctx, until, limit, func(k bot.ScheduleKey, s *bot.Schedule) error {
		keys = append(keys, k.String())
		s.Next = s.Next.Add(24 * time.Hour)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestSchedulesAreFoundByWhenTheyAreDueAcrossCommunities(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	other := bot.Community{Platform: bot.PlatformSlack, ID: "T1"}
	a := bot.NudgeKey(bot.Channel{Community: study, ID: "general"})
	b := bot.RemindKey(other, "U1")
	c := bot.NudgeKey(bot.Channel{Community: other, ID: "C1"})
	setNext(t, db, a, t0.Add(2*time.Minute))
	setNext(t, db, b, t0)
	setNext(t, db, c, t0.Add(time.Hour))

	first, ok, err := db.FirstDue(ctx)
	if err != nil || !ok || !first.Equal(t0) {
		t.Fatalf("FirstDue = %v %v %v, want %v", first, ok, err, t0)
	}
	if got, want := take(t, db, t0.Add(5*time.Minute), 100), []string{b.String(), a.String()}; !slices.Equal(got, want) {
		t.Errorf("took %v, want %v (earliest first, nothing later than until)", got, want)
	}
	// Taken schedules were moved on and re-indexed: the hour-later one is first now.
	if first, _, _ := db.FirstDue(ctx); !first.Equal(t0.Add(time.Hour)) {
		t.Errorf("FirstDue after taking = %v", first)
	}
	if got := take(t, db, t0.Add(5*time.Minute), 100); len(got) != 0 {
		t.Errorf("took %v again", got)
	}
	s, err := db.Schedule(ctx, b)
	if err != nil || !s.Next.Equal(t0.Add(24*time.Hour)) || s.Version != bot.SchemaVersion || s.Kind != bot.KindRemind {
		t.Errorf("reminder after taking: %+v %v", s, err)
	}
	// Clearing Next takes the schedule out of the index.
	if err := db.UpdateSchedule(ctx, c, func(s *bot.Schedule) error { s.Next = time.Time{}; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := take(t, db, t0.Add(48*time.Hour), 100); !slices.Equal(got, []string{b.String(), a.String()}) {
		t.Errorf("took %v after clearing %s", got, c)
	}
}

func TestTakeDueTakesAtMostTheLimit(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	for _, ch := range []string{"a", "b", "c", "d", "e"} {
		setNext(t, db, bot.NudgeKey(bot.Channel{Community: study, ID: ch}), t0)
	}
	if got := take(t, db, t0, 2); len(got) != 2 {
		t.Errorf("took %d, want 2", len(got))
	}
	if got := take(t, db, t0, 10); len(got) != 3 {
		t.Errorf("took %d, want the other 3", len(got))
	}
}

func TestSchedulesSurviveAReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db := open(t, path)
	key := bot.NudgeKey(bot.Channel{Community: study, ID: "general"})
	setNext(t, db, key, t0)
	db.Close()
	db = open(t, path)
	defer db.Close()
	if got := take(t, db, t0, 10); !slices.Equal(got, []string{key.String()}) {
		t.Errorf("after reopening took %v", got)
	}
}

func TestAFailedScheduleUpdateChangesNothing(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	key := bot.NudgeKey(bot.Channel{Community: study, ID: "general"})
	setNext(t, db, key, t0)
	boom := errors.New("boom")
	err := db.UpdateSchedule(ctx, key, func(s *bot.Schedule) error { s.Next = time.Time{}; return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	if got := take(t, db, t0, 10); len(got) != 1 {
		t.Errorf("a failed update changed the index: took %v", got)
	}
}

func TestAnUnreadableScheduleIsSkippedWithoutBlockingTheOthers(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	good := bot.NudgeKey(bot.Channel{Community: study, ID: "good"})
	bad := bot.NudgeKey(bot.Channel{Community: study, ID: "bad"})
	setNext(t, db, good, t0)
	setNext(t, db, bad, t0)
	err := db.Bolt().Update(func(tx *bbolt.Tx) error {
		b, err := bolt.CommunityBucket(tx, study, []byte("nudges"))
		if err != nil {
			return err
		}
		return b.Put([]byte("bad"), []byte("{not json"))
	})
	if err != nil {
		t.Fatal(err)
	}
	var took []string
	n, err := db.TakeDue(ctx, t0, 10, func(k bot.ScheduleKey, s *bot.Schedule) error {
		took = append(took, k.Target)
		s.Next = time.Time{}
		return nil
	})
	if n != 2 || !slices.Equal(took, []string{"good"}) || err == nil || !strings.Contains(err.Error(), "bad") {
		t.Fatalf("TakeDue = %d %v, took %v", n, err, took)
	}
	if _, ok, _ := db.FirstDue(ctx); ok {
		t.Error("the unreadable schedule is still offered")
	}
}

func TestScheduleKeysNoAdapterCouldProduceAreRefused(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	for _, key := range []bot.ScheduleKey{
		bot.NudgeKey(bot.Channel{Community: study, ID: ""}),
		bot.NudgeKey(bot.Channel{Community: study, ID: "a\x00b"}),
		bot.RemindKey(bot.Community{Platform: "irc", ID: "x"}, "u"),
		{Kind: "other", Community: study, Target: "x"},
	} {
		if err := db.UpdateSchedule(context.Background(), key, func(*bot.Schedule) error { return nil }); err == nil {
			t.Errorf("UpdateSchedule(%q) accepted", key)
		}
	}
}

// TestARemindFromBeforeTheScheduleWasItsOnlyRecordStillComes: learner records of older
// releases also held the reminder's time ("remind"); the remind schedule, written beside it
// since reminders exist, is all the core reads now. alice set 20:00 in the version 1 file:
// after the upgrade her reminder is still on and comes at 20:00 on a day she has not studied.
func TestARemindFromBeforeTheScheduleWasItsOnlyRecordStillComes(t *testing.T) {
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
	if _, _, err := db.Upgrade(ctx, roadmap); err != nil {
		t.Fatal(err)
	}
	console := bot.Community{Platform: bot.PlatformConsole, ID: "study"}
	key := bot.RemindKey(console, "alice")
	sch, err := db.Schedule(ctx, key)
	if err != nil || !sch.Active() || sch.At.String() != "20:00" {
		t.Fatalf("alice's reminder after the upgrade: %+v %v", sch, err)
	}
	clock := bot.NewManualClock(sch.Next.Add(23 * time.Hour)) // a day later, before 20:00
	core, err := bot.New(bot.Config{Roadmap: roadmap, Store: db, Schedules: db, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	poster := &bottest.Poster{Clock: clock}
	sched, err := bot.NewScheduler(bot.SchedulerConfig{Bot: core,
		Deliverer: cron.NewDelivery(cron.DeliveryOptions{Clock: clock, Posters: map[string]bot.Poster{bot.PlatformConsole: poster}})})
	if err != nil {
		t.Fatal(err)
	}
	status := core.Handle(ctx, bot.Request{Community: console, Channel: "general", UserID: "alice", Text: "remind"})
	if !strings.Contains(status.Text, "Your reminder: 20:00 (America/New_York)") {
		t.Errorf("alice's remind status: %q", status.Text)
	}
	from := clock.Now()
	if err := sched.RunDue(ctx, from, from); err != nil { // the catch-up a start does
		t.Fatal(err)
	}
	to := clock.Advance(2 * time.Hour)
	if err := sched.RunDue(ctx, from, to); err != nil {
		t.Fatal(err)
	}
	if dms := poster.To("alice"); len(dms) != 1 || dms[0].Kind != "dm" {
		t.Errorf("alice got %v, want her 20:00 reminder", dms)
	}
}
