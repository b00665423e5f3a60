package cron_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/adapters/cron"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/data"
)

// inbox records every lesson post and reminder, in order.
type inbox struct {
	mu   sync.Mutex
	sent []string
}

func (p *inbox) Post(_ context.Context, ch bot.Channel, r bot.Response) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, "#"+ch.ID+" "+r.Title)
	return nil
}

func (p *inbox) DirectMessage(_ context.Context, _ bot.Community, user string, r bot.Response) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, "@"+user+" "+r.Title)
	return nil
}

func (p *inbox) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.sent)
}

// TestAPausedProcessCatchesUpLikeARestart: a host suspended (or a clock stepped forward) for
// two days hands the ticker one long window. It must not replay every lesson and reminder of
// those days in a burst: like after downtime, a post missed within six hours goes out once,
// older ones and reminders for days that are over are skipped.
func TestAPausedProcessCatchesUpLikeARestart(t *testing.T) {
	roadmap, err := data.Default()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store, err := bolt.Open(filepath.Join(t.TempDir(), "s.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	clock := bot.NewManualClock(t0) // 08:00 UTC
	b, err := bot.New(bot.Config{Roadmap: roadmap, Store: store, Clock: clock, Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	posts := &inbox{}
	sched, err := bot.NewScheduler(bot.SchedulerConfig{Bot: b, Store: store, Logger: discard,
		Posters: map[string]bot.Poster{bot.PlatformDiscord: posts}})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := cron.New(sched, cron.Options{Clock: clock, Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"nudge set 09:00 UTC", "timezone UTC", "remind 19:00"} {
		resp := b.Handle(ctx, bot.Request{Platform: bot.PlatformDiscord, Community: "guild", Channel: "c1",
			UserID: "ana", Admin: true, Text: text})
		if resp.Outcome != bot.OutcomeOK {
			t.Fatalf("%s: %s", text, resp.Text)
		}
	}
	clock.Advance(time.Minute)
	svc.Tick(ctx)
	// Paused from 08:01 on the 24th until 10:01 on the 26th: two lessons and two reminders
	// fell due unseen, and the 26th's lesson is an hour late.
	clock.Advance(50 * time.Hour)
	svc.Tick(ctx)
	want := []string{"#c1 📅 Day 1 · " + roadmap.Topics[0].Title}
	if got := posts.all(); !slices.Equal(got, want) {
		t.Fatalf("after the pause: %q, want only today's late lesson %q", got, want)
	}
	// Ticking on as usual, tomorrow's lesson is the next one and today's reminder comes.
	for end := clock.Now().Add(23 * time.Hour); clock.Now().Before(end); {
		clock.Advance(time.Minute)
		svc.Tick(ctx)
	}
	want = append(want, "@ana ⏰ Time to study", "#c1 📅 Day 2 · "+roadmap.Topics[1].Title)
	if got := posts.all(); !slices.Equal(got, want) {
		t.Errorf("a day later: %q, want %q", got, want)
	}
}
