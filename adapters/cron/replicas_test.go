package cron_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot/bottest"

	"github.com/studybot/studybot/adapters/cron"
	"github.com/studybot/studybot/adapters/redis"
	"github.com/studybot/studybot/bot"
)

func TestTwoReplicasSharingRedisPostOncePerChannelDay(t *testing.T) {
	url := bottest.RedisURL(t)
	ctx := context.Background()
	// A prefix no other run uses; claims expire minutes after the test instead of lingering.
	prefix := fmt.Sprintf("studybot-test:cron:%d:", time.Now().UnixNano())
	shared := &bottest.Poster{}
	const channels = 20

	var replicas []*rig
	for range 2 {
		// A generous timeout: this test is about claims, and a claim that a loaded test machine
		// answers after the default 200 ms would count as a Redis outage.
		claims, err := redis.Open(ctx, redis.Options{URL: url, Prefix: prefix, Logger: discard, Timeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { claims.Close() })
		r := newRig(t, shared, func(o *cron.DeliveryOptions) { o.Claimer, o.ClaimTTL = claims, 10*time.Minute })
		// Both replicas serve the same guild, so both hold every channel's schedule.
		for c := range channels {
			resp := r.bot.Handle(ctx, bot.Request{Community: bot.Community{Platform: bot.PlatformDiscord, ID: "guild"}, Channel: fmt.Sprintf("c%02d", c),
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
		if got := bottest.Titles(shared.To(ch)); !slices.Equal(got, want) {
			t.Errorf("%s got %q, want one post a day: %q", ch, got, want)
		}
	}
	// Each replica knows the lessons went out, whoever posted them.
	for i, r := range replicas {
		resp := r.bot.Handle(ctx, bot.Request{Community: bot.Community{Platform: bot.PlatformDiscord, ID: "guild"}, Channel: "c00",
			UserID: "admin", Admin: true, Text: "nudge status"})
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

// TestAnUnreachableRedisDoesNotLoseTheLesson: with Redis down the claim fails, and the post
// waits a quarter of an hour for it, then goes out, once, a little late rather than never.
func TestAnUnreachableRedisDoesNotLoseTheLesson(t *testing.T) {
	ctx := context.Background()
	// A real client for a Redis that is not there: nothing listens on this port.
	claims, err := redis.Open(ctx, redis.Options{URL: "redis://" + closedAddr(t) + "/0", Logger: discard, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { claims.Close() })
	poster := &bottest.Poster{}
	logs := &bottest.Buffer{}
	r := newRig(t, poster, func(o *cron.DeliveryOptions) {
		o.Claimer, o.Logger = claims, slog.New(slog.NewTextHandler(logs, nil))
	})
	poster.Clock = r.clock
	resp := r.bot.Handle(ctx, bot.Request{Community: bot.Community{Platform: bot.PlatformDiscord, ID: "guild"}, Channel: "c1",
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
	if got := bottest.Titles(poster.To("c1")); !slices.Equal(got, want) {
		t.Errorf("posts with Redis unreachable: %q, want %q", got, want)
	}
	// Due at 08:00 UTC (09:00 Berlin); the claim is waited for 15 minutes.
	for i, sent := range poster.To("c1") {
		at := sent.At
		due := time.Date(2026, 11, 25+i, 8, 0, 0, 0, time.UTC)
		if at.Before(due.Add(15*time.Minute)) || at.After(due.Add(17*time.Minute)) {
			t.Errorf("post %d went out at %s; want it held back for the claim until %s", i+1, at, due.Add(15*time.Minute))
		}
	}
	if n := strings.Count(logs.String(), "claims unavailable"); n != 1 {
		t.Errorf("%d warnings about the claimer for one outage, want 1:\n%s", n, logs.String())
	}
}

// TestReplicasCutOffFromRedisPostOnceWhenItAnswersAgain: two replicas lose Redis before
// the lessons are due and get it back within the quarter of an hour a post waits for its
// claim. Neither posts without a claim meanwhile, so each channel gets its lesson once, from
// whichever wins the claim.
func TestReplicasCutOffFromRedisPostOnceWhenItAnswersAgain(t *testing.T) {
	url := bottest.RedisURL(t)
	ctx := context.Background()
	line := startLine(t, redisAddr(t, url))
	prefix := fmt.Sprintf("studybot-test:cron-cut:%d:", time.Now().UnixNano())
	poster := &bottest.Poster{}
	const channels = 5
	var replicas []*rig
	var stores []*redis.Store
	for range 2 {
		claims, err := redis.Open(ctx, redis.Options{URL: "redis://" + line.addr + "/0", Prefix: prefix, Logger: discard,
			ProbeInterval: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { claims.Close() })
		r := newRig(t, poster, func(o *cron.DeliveryOptions) { o.Claimer, o.ClaimTTL = claims, 10*time.Minute })
		for c := range channels {
			resp := r.bot.Handle(ctx, bot.Request{Community: bot.Community{Platform: bot.PlatformDiscord, ID: "guild"}, Channel: fmt.Sprintf("c%d", c),
				UserID: fmt.Sprintf("admin%d", c), Admin: true, Text: "/roadmap nudge set 09:00 Europe/Berlin"})
			if resp.Outcome != bot.OutcomeOK {
				t.Fatalf("nudge set: %s", resp.Text)
			}
		}
		replicas, stores = append(replicas, r), append(stores, claims)
	}
	poster.Clock = replicas[0].clock
	tickUntil := func(end time.Time) {
		for replicas[0].clock.Now().Before(end) {
			var wg sync.WaitGroup
			for _, r := range replicas {
				r.clock.Advance(time.Minute)
				wg.Go(func() { r.svc.Tick(ctx) })
			}
			wg.Wait()
		}
	}
	due := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC) // 09:00 Berlin
	tickUntil(due.Add(-time.Hour))
	line.cut()
	tickUntil(due.Add(10 * time.Minute))
	if n := len(poster.All()); n != 0 {
		t.Fatalf("%d posts while Redis was cut off, want none yet: they wait for the claim", n)
	}
	line.restore()
	for i, s := range stores {
		deadline := time.Now().Add(10 * time.Second)
		for s.Fallback() {
			if time.Now().After(deadline) {
				t.Fatalf("replica %d did not see Redis again", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	tickUntil(due.Add(4 * time.Hour))
	want := []string{"📅 Day 1 · " + replicas[0].roadmap.Topics[0].Title}
	for c := range channels {
		if got := bottest.Titles(poster.To(fmt.Sprintf("c%d", c))); !slices.Equal(got, want) {
			t.Errorf("c%d got %q, want one lesson once Redis answered", c, got)
		}
	}
	for i, r := range replicas {
		resp := r.bot.Handle(ctx, bot.Request{Community: bot.Community{Platform: bot.PlatformDiscord, ID: "guild"}, Channel: "c0",
			UserID: "admin", Admin: true, Text: "nudge status"})
		if !containsField(resp, "Day 1 so far") {
			t.Errorf("replica %d status: %+v", i, resp.Fields)
		}
	}
}

// line is a TCP relay to a real Redis that the test can cut and restore, as a network
// partition would: while cut, nothing listens on its address and open connections drop.
type line struct {
	t      *testing.T
	addr   string
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func startLine(t *testing.T, target string) *line {
	l := &line{t: t, target: target, addr: closedAddr(t)}
	l.restore()
	t.Cleanup(l.cut)
	return l
}

func (l *line) restore() {
	ln, err := net.Listen("tcp", l.addr)
	if err != nil {
		l.t.Fatalf("relay to Redis: %v", err)
	}
	l.mu.Lock()
	l.ln = ln
	l.mu.Unlock()
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", l.target)
			if err != nil {
				in.Close()
				continue
			}
			l.mu.Lock()
			l.conns = append(l.conns, in, out)
			l.mu.Unlock()
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
}

func (l *line) cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln != nil {
		l.ln.Close()
		l.ln = nil
	}
	for _, c := range l.conns {
		c.Close()
	}
	l.conns = nil
}

// redisAddr is host:port of a redis:// URL.
func redisAddr(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		t.Fatalf("REDIS_URL %q is not a redis://host:port URL", raw)
	}
	return u.Host
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
