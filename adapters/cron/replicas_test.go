package cron_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot/bottest"

	"github.com/studybot/studybot/adapters/redis"
	"github.com/studybot/studybot/bot"
)

// sharedPoster is one Discord as both replicas see it: it records every post.
type sharedPoster struct {
	mu    sync.Mutex
	posts map[string][]string // channel -> titles
	by    map[string]int      // replica -> posts made
}

type replicaPoster struct {
	name   string
	shared *sharedPoster
}

func (p replicaPoster) Post(_ context.Context, ch bot.Channel, r bot.Response) error {
	p.shared.mu.Lock()
	defer p.shared.mu.Unlock()
	p.shared.posts[ch.ID] = append(p.shared.posts[ch.ID], r.Title)
	p.shared.by[p.name]++
	return nil
}

func (p replicaPoster) DirectMessage(context.Context, bot.Community, string, bot.Response) error {
	return nil
}

func TestTwoReplicasSharingRedisPostOncePerChannelDay(t *testing.T) {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("REDIS_URL not set: CI must provide Redis")
		}
		t.Skip("REDIS_URL not set; run with: REDIS_URL=redis://127.0.0.1:6379/0 go test ./adapters/cron/")
	}
	ctx := context.Background()
	// A prefix no other run uses; claims expire minutes after the test instead of lingering.
	prefix := fmt.Sprintf("studybot-test:cron:%d:", time.Now().UnixNano())
	shared := &sharedPoster{posts: map[string][]string{}, by: map[string]int{}}
	const channels = 20

	var replicas []*rig
	for i := range 2 {
		claims, err := redis.Open(ctx, redis.Options{URL: url, Prefix: prefix, Logger: discard})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { claims.Close() })
		r := newRig(t, replicaPoster{fmt.Sprintf("replica-%d", i), shared}, func(c *bot.SchedulerConfig) {
			c.Claimer, c.ClaimTTL = claims, 10*time.Minute
		})
		// Both replicas serve the same guild, so both hold every channel's schedule.
		for c := range channels {
			resp := r.bot.Handle(ctx, bot.Request{Platform: bot.PlatformDiscord, Community: "guild", Channel: fmt.Sprintf("c%02d", c),
				UserID: fmt.Sprintf("admin%d", c), Admin: true, Text: "/roadmap nudge set 09:00 Europe/Berlin"})
			if resp.Outcome != bot.OutcomeOK {
				t.Fatalf("nudge set: %s", resp.Text)
			}
		}
		replicas = append(replicas, r)
	}
	roadmap := replicas[0].roadmap

	// Three days of minute ticks, both replicas ticking at the same moments.
	for end := t0.Add(72 * time.Hour); replicas[0].clock.Now().Before(end); {
		var wg sync.WaitGroup
		for _, r := range replicas {
			r.clock.Advance(time.Minute)
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.svc.Tick(ctx)
			}()
		}
		wg.Wait()
	}

	var want []string
	for d := range 3 {
		want = append(want, fmt.Sprintf("📅 Day %d · %s", d+1, roadmap.Topics[d].Title))
	}
	for c := range channels {
		ch := fmt.Sprintf("c%02d", c)
		if got := shared.posts[ch]; !slices.Equal(got, want) {
			t.Errorf("%s got %q, want one post a day: %q", ch, got, want)
		}
	}
	t.Logf("posts by replica: %v", shared.by)
	// Each replica knows the lessons went out, whoever posted them.
	for i, r := range replicas {
		resp := r.bot.Handle(ctx, bot.Request{Platform: bot.PlatformDiscord, Community: "guild", Channel: "c00",
			UserID: "learner", Text: "nudge status"})
		if !containsField(resp, "Day 3 so far") || !containsField(resp, "Day 4 · "+roadmap.Topics[3].Title) {
			t.Errorf("replica %d status: %+v", i, resp.Fields)
		}
	}
}

func containsField(r bot.Response, s string) bool {
	for _, f := range r.Fields {
		if strings.Contains(f.Value, s) {
			return true
		}
	}
	return false
}

// TestAnUnreachableRedisDoesNotLoseTheLesson: with Redis down the claim fails, and the
// post still goes out, once, on the process's own once-a-day marker.
func TestAnUnreachableRedisDoesNotLoseTheLesson(t *testing.T) {
	ctx := context.Background()
	// A real client for a Redis that is not there: nothing listens on this port.
	claims, err := redis.Open(ctx, redis.Options{URL: "redis://" + closedAddr(t) + "/0", Logger: discard, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { claims.Close() })
	posts := &sharedPoster{posts: map[string][]string{}, by: map[string]int{}}
	logs := &bottest.Buffer{}
	r := newRig(t, replicaPoster{"alone", posts}, func(c *bot.SchedulerConfig) {
		c.Claimer, c.Logger = claims, slog.New(slog.NewTextHandler(logs, nil))
	})
	resp := r.bot.Handle(ctx, bot.Request{Platform: bot.PlatformDiscord, Community: "guild", Channel: "c1",
		UserID: "admin", Admin: true, Text: "/roadmap nudge set 09:00 Europe/Berlin"})
	if resp.Outcome != bot.OutcomeOK {
		t.Fatalf("nudge set: %s", resp.Text)
	}
	clock, svc, roadmap := r.clock, r.svc, r.roadmap
	for end := t0.Add(54 * time.Hour); clock.Now().Before(end); {
		clock.Advance(time.Minute)
		svc.Tick(ctx)
	}
	want := []string{"📅 Day 1 · " + roadmap.Topics[0].Title, "📅 Day 2 · " + roadmap.Topics[1].Title}
	if got := posts.posts["c1"]; !slices.Equal(got, want) {
		t.Errorf("posts with Redis unreachable: %q, want %q", got, want)
	}
	if n := strings.Count(logs.String(), "claims unavailable"); n != 1 {
		t.Errorf("%d warnings about the claimer for one outage, want 1:\n%s", n, logs.String())
	}
}

func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
