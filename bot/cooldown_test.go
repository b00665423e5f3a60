package bot

import (
	"context"
	"testing"
	"time"
)

func TestLocalCooldownsAllowABurstThenSpaceUses(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	c := NewLocalCooldowns(clock)
	ctx := context.Background()
	read := CooldownLimits[ClassRead] // 5 per 10s
	for i := range read.Rate {
		if wait, _ := c.Allow(ctx, "alice/next", read); wait != 0 {
			t.Fatalf("use %d of the burst refused (wait %v)", i+1, wait)
		}
	}
	wait, _ := c.Allow(ctx, "alice/next", read)
	if wait != 2*time.Second {
		t.Fatalf("6th use: wait %v, want 2s", wait)
	}
	if wait, _ := c.Allow(ctx, "bob/next", read); wait != 0 {
		t.Errorf("another learner was refused: wait %v", wait)
	}
	if wait, _ := c.Allow(ctx, "alice/topics", read); wait != 0 {
		t.Errorf("another command was refused: wait %v", wait)
	}
	clock.Advance(2 * time.Second)
	if wait, _ := c.Allow(ctx, "alice/next", read); wait != 0 {
		t.Errorf("after waiting as told: still refused for %v", wait)
	}
	if wait, _ := c.Allow(ctx, "alice/next", read); wait == 0 {
		t.Errorf("one use regained, two taken")
	}
}

func TestLocalCooldownsForgetIdleKeys(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	c := NewLocalCooldowns(clock)
	for _, user := range []string{"a", "b", "c"} {
		c.Allow(context.Background(), user, CooldownLimits[ClassRead])
	}
	clock.Advance(2 * time.Minute)
	c.Allow(context.Background(), "d", CooldownLimits[ClassRead])
	if n := c.Len(); n != 1 {
		t.Errorf("holding %d keys after the others went idle, want 1", n)
	}
}

func TestGCRATable(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	quiz := Limit{Rate: 3, Per: 30 * time.Second} // one every 10s
	tests := []struct {
		name     string
		tat      time.Time
		wantWait time.Duration
	}{
		{"fresh key", time.Time{}, 0},
		{"burst not used up", now.Add(10 * time.Second), 0},
		{"last of the burst", now.Add(20 * time.Second), 0},
		{"burst used up", now.Add(30 * time.Second), 10 * time.Second},
		{"deep in debt", now.Add(35 * time.Second), 15 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, wait := GCRA(tt.tat, now, quiz)
			if wait != tt.wantWait {
				t.Errorf("wait = %v, want %v", wait, tt.wantWait)
			}
		})
	}
}
