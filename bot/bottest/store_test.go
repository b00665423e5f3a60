package bottest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

func TestMemoryStoreContract(t *testing.T) {
	bottest.StoreContract(t, func(*testing.T) bottest.Stores {
		s := bottest.NewStore()
		return bottest.Stores{Store: s, Schedules: s}
	})
}

var memCommunity = bot.Community{Platform: bot.PlatformConsole, ID: "study"}

func TestAFailingStoreFailsOnlyWhatItIsToldTo(t *testing.T) {
	ctx := context.Background()
	s := bottest.NewStore()
	full := errors.New("disk full")
	s.Fail(func(op bottest.Op) error {
		if op.Write() && op.UserID == "ana" {
			return full
		}
		return nil
	})
	err := s.UpdateLearner(ctx, memCommunity, "ana", func(l *bot.Learner) error {
		t.Error("fn ran on a write that was to fail")
		return nil
	})
	if !errors.Is(err, full) {
		t.Errorf("UpdateLearner returned %v, want the failure", err)
	}
	if err := s.UpdateLearner(ctx, memCommunity, "bo", func(l *bot.Learner) error { l.UserID = "bo"; return nil }); err != nil {
		t.Errorf("another learner's write failed too: %v", err)
	}
	if _, err := s.Learner(ctx, memCommunity, "ana"); err != nil {
		t.Errorf("a read failed: %v", err)
	}

	s.Fail(func(op bottest.Op) error {
		if op.UserID == "bo" {
			panic("assertion failed: Page expected to be: 5")
		}
		return nil
	})
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), "Page expected") {
				t.Errorf("recovered %v, want the store's panic", r)
			}
		}()
		s.Learner(ctx, memCommunity, "bo")
	}()
	// The panic left no lock behind.
	if err := s.UpdateLearner(ctx, memCommunity, "cy", func(l *bot.Learner) error { l.UserID = "cy"; return nil }); err != nil {
		t.Fatal(err)
	}
	s.Fail(nil)
	if l, err := s.Learner(ctx, memCommunity, "bo"); err != nil || l.UserID != "bo" {
		t.Errorf("once healthy again: %+v, %v", l, err)
	}
}

func TestASnapshotIsTheStoreAsItStoodThen(t *testing.T) {
	ctx := context.Background()
	s := bottest.NewStore()
	key := bot.RemindKey(memCommunity, "ana")
	due := time.Date(2026, 11, 24, 19, 0, 0, 0, time.UTC)
	if err := s.UpdateSchedule(ctx, key, func(sch *bot.Schedule) error { sch.Version, sch.Next = bot.SchemaVersion, due; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateLearner(ctx, memCommunity, "ana", func(l *bot.Learner) error { l.UserID = "ana"; return nil }); err != nil {
		t.Fatal(err)
	}
	snap := s.Snapshot()
	if err := s.UpdateSchedule(ctx, key, func(sch *bot.Schedule) error { sch.Next = time.Time{}; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateLearner(ctx, memCommunity, "bo", func(l *bot.Learner) error { l.UserID = "bo"; return nil }); err != nil {
		t.Fatal(err)
	}
	if next, ok, err := snap.FirstDue(ctx); err != nil || !ok || !next.Equal(due) {
		t.Errorf("the snapshot's first due: %v %v %v, want %v", next, ok, err, due)
	}
	if l, _ := snap.Learner(ctx, memCommunity, "bo"); l.UserID != "" {
		t.Error("a learner written after the snapshot is in it")
	}
	if l, _ := snap.Learner(ctx, memCommunity, "ana"); l.UserID != "ana" {
		t.Error("a learner written before the snapshot is missing from it")
	}
	if _, ok, _ := s.FirstDue(ctx); ok {
		t.Error("the store kept a schedule turned off after the snapshot")
	}
}

// The port says fn must move Next past until: a schedule left due would be handed back on
// every call, so the store refuses it and saves nothing, rather than let the caller loop.
func TestTakeDueRefusesAScheduleLeftDue(t *testing.T) {
	ctx := context.Background()
	s := bottest.NewStore()
	due := time.Date(2026, 11, 24, 19, 0, 0, 0, time.UTC)
	key := bot.RemindKey(memCommunity, "ana")
	if err := s.UpdateSchedule(ctx, key, func(sch *bot.Schedule) error { sch.Next = due; return nil }); err != nil {
		t.Fatal(err)
	}
	_, err := s.TakeDue(ctx, due, 10, func(_ bot.ScheduleKey, sch *bot.Schedule) error {
		sch.Day = 1
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "not moved past") {
		t.Errorf("TakeDue returned %v, want a refusal", err)
	}
	if sch, _ := s.Schedule(ctx, key); sch.Day != 0 {
		t.Error("the refused change was saved")
	}
}
