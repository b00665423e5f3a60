package bot_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

func TestDailyLessonFollowsTheLocalWallClock(t *testing.T) {
	tests := []struct {
		name       string
		set        string // the nudge command
		from, till string
		want       []string // UTC instants of the posts
	}{
		{"09:00 Berlin across spring forward", "nudge set 09:00 Europe/Berlin", "2026-03-27T12:00:00Z", "2026-03-31T12:00:00Z",
			[]string{"2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z", "2026-03-31T07:00:00Z"}},
		{"09:00 Berlin across fall back", "nudge set 09:00 Europe/Berlin", "2026-10-23T12:00:00Z", "2026-10-27T12:00:00Z",
			[]string{"2026-10-24T07:00:00Z", "2026-10-25T08:00:00Z", "2026-10-26T08:00:00Z", "2026-10-27T08:00:00Z"}},
		{"09:00 New York across spring forward", "nudge set 09:00 America/New_York", "2026-03-06T18:00:00Z", "2026-03-09T18:00:00Z",
			[]string{"2026-03-07T14:00:00Z", "2026-03-08T13:00:00Z", "2026-03-09T13:00:00Z"}},
		{"09:00 New York across fall back", "nudge set 09:00 America/New_York", "2026-10-31T18:00:00Z", "2026-11-02T18:00:00Z",
			[]string{"2026-11-01T14:00:00Z", "2026-11-02T14:00:00Z"}},
		{"02:30 Berlin in the spring gap posts at 03:00", "nudge set 02:30 Europe/Berlin", "2026-03-27T12:00:00Z", "2026-03-30T12:00:00Z",
			[]string{"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}},
		{"02:30 New York in the spring gap posts at 03:00", "nudge set 02:30 America/New_York", "2026-03-07T12:00:00Z", "2026-03-09T12:00:00Z",
			[]string{"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"}},
		{"02:30 Berlin repeated in fall back posts once", "nudge set 02:30 Europe/Berlin", "2026-10-23T12:00:00Z", "2026-10-26T12:00:00Z",
			[]string{"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
		{"01:30 New York repeated in fall back posts once", "nudge set 01:30 America/New_York", "2026-10-31T12:00:00Z", "2026-11-02T12:00:00Z",
			[]string{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, utc(tt.from))
			r.ok("ada", "general", tt.set)
			r.tickUntil(utc(tt.till))
			posts := daily(r.poster.To("general"))
			if got := times(posts); !slices.Equal(got, tt.want) {
				t.Errorf("posts at %v, want %v", got, tt.want)
			}
			for i, p := range posts {
				if want := fmt.Sprintf("Day %d ·", i+1); !strings.Contains(p.Resp.Title, want) {
					t.Errorf("post %d is %q, want %q", i+1, p.Resp.Title, want)
				}
			}
		})
	}
}

func TestEachPostIsTheNextLessonThenAReviewQuestionOnceThePathIsWalked(t *testing.T) {
	r := newRig(t, utc("2026-11-24T12:00:00Z"))
	r.ok("ada", "general", "nudge set 09:00 UTC")
	r.tickUntil(utc("2026-12-02T12:00:00Z"))
	roadmap := bot.TestRoadmap(t)
	want := []string{}
	for i, l := range roadmap.Lessons() {
		want = append(want, fmt.Sprintf("📅 Day %d · %s", i+1, l.Title))
	}
	want = append(want, "📅 Day 7 · Review: Internet basics", "📅 Day 8 · Review: Caching")
	posts := daily(r.poster.To("general"))
	if got := titles(posts); !slices.Equal(got, want) {
		t.Fatalf("posts:\n%v\nwant:\n%v", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	first, seventh := posts[0].Resp, posts[6].Resp
	if first.Ephemeral {
		t.Error("the daily lesson must be visible to the channel")
	}
	mustContain(t, first, "lesson 1 of 1 · Internet basics", "A lesson about Internet basics.", "**Exercise**",
		"Question 1 about Internet basics?", "a) Right", "[a=answer internet-basics-1/0 a]", "[c=answer internet-basics-1/0 c]",
		"Keep your streak", "/roadmap checkin")
	// After the last lesson the channel reviews: another question of each lesson, no lesson repeated.
	mustContain(t, seventh, "whole path is behind this channel", "Question 2 about Internet basics?", "[b=answer internet-basics-2/0 b]")
	if strings.Contains(everything(seventh), "A lesson about") {
		t.Errorf("a review post repeats the lesson:\n%s", everything(seventh))
	}
	// Pressing an answer button works like any command.
	if resp := r.ok("bo", "general", posts[0].Resp.Buttons[0].Command); !strings.Contains(resp.Title, "Right") {
		t.Errorf("answer button: %q", resp.Title)
	}
}

func TestANewScheduleDoesNotFireAtOnce(t *testing.T) {
	r := newRig(t, utc("2026-11-24T10:00:00Z"))
	r.ok("ada", "general", "nudge set 09:00 UTC")
	// Even a run covering 09:00 today, or a restart's catch-up, leaves today alone.
	if err := r.sched.RunDue(context.Background(), utc("2026-11-24T08:00:00Z"), r.clock.Now()); err != nil {
		t.Fatal(err)
	}
	r.startAt(r.clock.Now())
	r.tickUntil(utc("2026-11-25T08:59:00Z"))
	if got := r.poster.All(); len(got) != 0 {
		t.Fatalf("posted before the first 09:00 after setting it: %v", got)
	}
	r.tickUntil(utc("2026-11-25T09:01:00Z"))
	if got := times(r.poster.To("general")); !slices.Equal(got, []string{"2026-11-25T09:00:00Z"}) {
		t.Errorf("posts %v, want the next 09:00", got)
	}

	// Set a minute before the time: it posts a minute later.
	r2 := newRig(t, utc("2026-11-24T08:59:00Z"))
	r2.ok("ada", "general", "nudge set 09:00 UTC")
	r2.tickUntil(utc("2026-11-24T09:05:00Z"))
	if got := times(r2.poster.To("general")); !slices.Equal(got, []string{"2026-11-24T09:00:00Z"}) {
		t.Errorf("posts %v, want today's 09:00", got)
	}
}

func TestAPostMissedWithinSixHoursGoesOutOnceOnStartOlderOnesAreSkipped(t *testing.T) {
	tests := []struct {
		name   string
		up     string // when the scheduler starts again after being down since 08:00
		posted []string
	}{
		{"missed by 5h59m: sent on start", "2026-11-24T14:59:00Z", []string{"2026-11-24T14:59:00Z"}},
		{"missed by exactly 6h: sent on start", "2026-11-24T15:00:00Z", []string{"2026-11-24T15:00:00Z"}},
		{"missed by 6h01m: skipped", "2026-11-24T15:01:00Z", nil},
		{"missed by days: skipped", "2026-11-27T15:01:00Z", nil},
		{"missed days ago but today's is recent: today's only", "2026-11-27T10:00:00Z", []string{"2026-11-27T10:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, utc("2026-11-24T08:00:00Z"))
			r.ok("ada", "general", "nudge set 09:00 UTC")
			r.startAt(utc(tt.up))
			r.startAt(utc(tt.up)) // a second start changes nothing
			up := utc(tt.up)
			r.tickUntil(up.Add(time.Hour))
			if got := times(r.poster.To("general")); !slices.Equal(got, tt.posted) {
				t.Fatalf("posts %v, want %v", got, tt.posted)
			}
			// Whatever was skipped, the next day's lesson is the next one in line.
			nextNine := time.Date(up.Year(), up.Month(), up.Day()+1, 9, 1, 0, 0, time.UTC)
			r.tickUntil(nextNine)
			posts := r.poster.To("general")
			last := posts[len(posts)-1].Resp.Title
			if want := fmt.Sprintf("Day %d ·", len(tt.posted)+1); !strings.Contains(last, want) {
				t.Errorf("next day's post %q, want %q", last, want)
			}
		})
	}
}

func TestNoDoublePostAcrossARestart(t *testing.T) {
	r := newRig(t, utc("2026-11-24T08:00:00Z"))
	r.ok("ada", "general", "nudge set 09:00 UTC")
	r.tickUntil(utc("2026-11-24T09:01:00Z"))
	if n := len(r.poster.All()); n != 1 {
		t.Fatalf("%d posts before the restart, want 1", n)
	}
	r.restart()
	r.startAt(utc("2026-11-24T09:02:00Z"))
	if err := r.sched.RunDue(context.Background(), utc("2026-11-24T08:00:00Z"), r.clock.Now()); err != nil {
		t.Fatal(err)
	}
	r.tickUntil(utc("2026-11-24T18:00:00Z"))
	if n := len(r.poster.All()); n != 1 {
		t.Fatalf("%d posts after the restart, want still 1: %v", n, r.poster.All())
	}
	r.restart()
	r.tickUntil(utc("2026-11-25T09:01:00Z"))
	want := []string{"📅 Day 1 · Internet basics", "📅 Day 2 · Caching"}
	if got := titles(r.poster.To("general")); !slices.Equal(got, want) {
		t.Errorf("posts %v, want %v", got, want)
	}
}

func TestAPermanentFailureDisablesThatChannelOnly(t *testing.T) {
	r := newRig(t, utc("2026-11-24T08:00:00Z"))
	r.poster.Fail = func(target string, _ int) error {
		if target == "gone" {
			return &bot.PostError{Permanent: true, Err: errors.New("Unknown Channel")}
		}
		return nil
	}
	r.ok("ada", "general", "nudge set 09:00 UTC")
	r.ok("ada", "gone", "nudge set 09:00 UTC")
	r.tickUntil(utc("2026-11-25T09:01:00Z"))
	if got := titles(r.poster.To("general")); len(got) != 2 {
		t.Errorf("the healthy channel got %v, want two lessons", got)
	}
	if n := r.poster.Tries("gone"); n != 1 {
		t.Errorf("the gone channel was tried %d times, want once and never again", n)
	}
	if logLine(r.logs, "daily lesson disabled", "gone", "Unknown Channel") == "" {
		t.Errorf("no log line saying why the schedule stopped:\n%s", r.logs)
	}
	status := r.ok("bo", "gone", "nudge status")
	mustContain(t, status, "Paused", "Unknown Channel", "Day 1 · Internet basics")

	// An admin fixes the channel and turns it back on: it resumes with the lesson it missed.
	r.poster.Fail = nil
	r.ok("ada", "gone", "nudge set 09:00 UTC")
	r.tickUntil(utc("2026-11-26T09:01:00Z"))
	if got := titles(r.poster.To("gone")); !slices.Equal(got, []string{"📅 Day 1 · Internet basics"}) {
		t.Errorf("after re-enabling: %v", got)
	}
}

func TestATransientFailureIsRetriedWithBackoff(t *testing.T) {
	r := newRig(t, utc("2026-11-24T08:00:00Z"))
	r.poster.Fail = func(_ string, n int) error {
		switch n {
		case 1:
			return &bot.PostError{RetryAfter: 30 * time.Second, Err: errors.New("429 rate limited")}
		case 2:
			return &bot.PostError{Err: errors.New("502 bad gateway")}
		}
		return nil
	}
	r.ok("ada", "general", "nudge set 09:00 UTC")
	key := bot.NudgeKey(bot.Channel{Community: community, ID: "general"})
	r.runTo(utc("2026-11-24T08:59:00Z"), utc("2026-11-24T09:00:00Z"))
	// The platform's Retry-After wins over the shorter backoff; then the backoff (2s).
	if got, want := r.next(key), utc("2026-11-24T09:00:30Z"); !got.Equal(want) {
		t.Fatalf("after a 429 asking for 30s the retry is due %v, want %v", got, want)
	}
	r.runTo(utc("2026-11-24T09:00:00Z"), utc("2026-11-24T09:00:29Z"))
	if n := r.poster.Tries("general"); n != 1 {
		t.Fatalf("%d attempts before the Retry-After passed, want 1", n)
	}
	r.runTo(utc("2026-11-24T09:00:29Z"), utc("2026-11-24T09:00:30Z"))
	if got, want := r.next(key), utc("2026-11-24T09:00:32Z"); !got.Equal(want) {
		t.Fatalf("after a 502 the retry is due %v, want %v (2s of backoff)", got, want)
	}
	r.runTo(utc("2026-11-24T09:00:30Z"), utc("2026-11-24T09:00:32Z"))
	if got := stamped(r.poster.To("general")); !slices.Equal(got, []string{"2026-11-24T09:00:32Z 📅 Day 1 · Internet basics"}) {
		t.Fatalf("posts %v, want one Day 1 at 09:00:32", got)
	}
}

func TestTransientFailuresGiveUpForTheDayAndTheLessonComesTomorrow(t *testing.T) {
	r := newRig(t, utc("2026-11-24T08:00:00Z"), func(c *rigOptions) { c.delivery.Retry.Attempts = 3 })
	r.poster.Fail = func(_ string, _ int) error { return errors.New("connection reset") }
	r.ok("ada", "general", "nudge set 09:00 UTC")
	r.tickUntil(utc("2026-11-24T12:00:00Z"))
	if n := r.poster.Tries("general"); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
	if logLine(r.logs, "given up for the day", "connection reset") == "" {
		t.Errorf("no log line for the lost post:\n%s", r.logs)
	}
	r.poster.Fail = nil
	r.tickUntil(utc("2026-11-25T09:01:00Z"))
	if got := titles(r.poster.To("general")); !slices.Equal(got, []string{"📅 Day 1 · Internet basics"}) {
		t.Errorf("next day: %v, want the lesson that failed", got)
	}
}

func TestRetryWaitsDoNotHoldUpOtherChannels(t *testing.T) {
	r := newRig(t, utc("2026-11-24T08:00:00Z"), func(c *rigOptions) { c.delivery.Concurrency = 1 })
	r.poster.Fail = func(target string, n int) error {
		if target == "a-slow" && n == 1 {
			return &bot.PostError{RetryAfter: 5 * time.Minute, Err: errors.New("503")}
		}
		return nil
	}
	channels := []string{"a-slow"}
	for i := range 10 {
		channels = append(channels, fmt.Sprintf("ch%d", i))
	}
	for _, ch := range channels {
		r.ok("admin-"+ch, ch, "nudge set 09:00 UTC")
	}
	// a-slow waits for its retry; with one worker, everyone else gets through in the same run.
	r.runTo(utc("2026-11-24T08:59:00Z"), utc("2026-11-24T09:00:00Z"))
	for _, ch := range channels[1:] {
		if got := times(r.poster.To(ch)); !slices.Equal(got, []string{"2026-11-24T09:00:00Z"}) {
			t.Errorf("%s got posts at %v, want at 09:00 while a-slow waits", ch, got)
		}
	}
	r.tickUntil(utc("2026-11-24T10:00:00Z"))
	if got := times(r.poster.To("a-slow")); !slices.Equal(got, []string{"2026-11-24T09:05:00Z"}) {
		t.Errorf("a-slow got posts at %v, want one at 09:05, after its wait", got)
	}
}

func TestShutdownFinishesThePostInFlightAndLeavesTheRestForTheNextStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	r := newRig(t, utc("2026-11-24T08:00:00Z"), func(c *rigOptions) { c.delivery.Concurrency = 1 })
	r.poster.Hook = func(string) {
		once.Do(func() {
			close(entered)
			<-release
		})
	}
	for i := range 5 {
		r.ok(fmt.Sprintf("admin%d", i), fmt.Sprintf("ch%d", i), "nudge set 09:00 UTC")
	}
	r.clock.Set(utc("2026-11-24T09:00:00Z"))
	done := make(chan error)
	go func() { done <- r.sched.RunDue(ctx, utc("2026-11-24T08:59:00Z"), r.clock.Now()) }()
	<-entered
	cancel()
	close(release)
	<-done
	if n := len(r.poster.All()); n != 1 {
		t.Fatalf("%d posts by shutdown, want only the one in flight", n)
	}
	r.restart()
	r.startAt(utc("2026-11-24T09:05:00Z"))
	for i := range 5 {
		if n := len(r.poster.To(fmt.Sprintf("ch%d", i))); n != 1 {
			t.Errorf("ch%d got %d posts, want exactly 1", i, n)
		}
	}
}

// TestAKillMidDeliveryLosesNoLessonAndStatusStaysTruthful: a copy of the file taken while
// posts are on their way out is what a kill -9 leaves on disk. A new process on it sends
// every channel's lesson once, the ones the dead process had claimed included, and nudge
// status never says a lesson went out before it did.
func TestAKillMidDeliveryLosesNoLessonAndStatusStaysTruthful(t *testing.T) {
	// Claims outlive the process, as Redis's do: the new process must win its own again.
	claimer := bot.NewLocalClaimer(nil)
	shared := func(c *rigOptions) { c.delivery.Claimer, c.delivery.Concurrency = claimer, 2 }
	r := newRig(t, utc("2026-11-24T08:00:00Z"), shared)
	entered, release := make(chan struct{}, 10), make(chan struct{})
	r.poster.Hook = func(string) {
		entered <- struct{}{}
		<-release
	}
	const channels = 5
	for i := range channels {
		r.ok(fmt.Sprintf("admin%d", i), fmt.Sprintf("ch%d", i), "nudge set 09:00 UTC")
	}
	r.clock.Set(utc("2026-11-24T09:00:00Z"))
	done := make(chan error)
	go func() { done <- r.sched.RunDue(context.Background(), utc("2026-11-24T08:59:00Z"), r.clock.Now()) }()
	<-entered
	<-entered                    // two posts claimed and under way, three waiting for a worker; none delivered
	killed := r.store.Snapshot() // what kill -9 leaves
	defer func() {
		close(release)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	after := newRigOn(t, killed, utc("2026-11-24T09:05:00Z"), shared)
	before := after.ok("admin0", "ch0", "nudge status")
	mustContain(t, before, "not yet", "Day 1 · Internet basics, due Tue 24 Nov 09:00, not posted yet")
	after.startAt(utc("2026-11-24T09:05:00Z"))
	for i := range channels {
		ch := fmt.Sprintf("ch%d", i)
		if got := titles(after.poster.To(ch)); !slices.Equal(got, []string{"📅 Day 1 · Internet basics"}) {
			t.Errorf("%s got %v after the restart, want Day 1 once", ch, got)
		}
	}
	mustContain(t, after.ok("admin0", "ch0", "nudge status"), "2026-11-24 (Day 1 so far)", "Day 2 · Caching, Wed 25 Nov 09:00")
	after.tickUntil(utc("2026-11-25T09:01:00Z"))
	if got := titles(after.poster.To("ch4")); !slices.Equal(got, []string{"📅 Day 1 · Internet basics", "📅 Day 2 · Caching"}) {
		t.Errorf("the next day: %v", got)
	}
}

func TestARetryPendingAtShutdownIsSentOnTheNextStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := newRig(t, utc("2026-11-24T08:00:00Z"))
	r.poster.Fail = func(_ string, n int) error {
		if n == 1 {
			cancel() // SIGTERM arrives while the first attempt fails
			return &bot.PostError{Err: errors.New("503 service unavailable")}
		}
		return nil
	}
	r.ok("ada", "general", "nudge set 09:00 UTC")
	r.clock.Set(utc("2026-11-24T09:00:00Z"))
	if err := r.sched.RunDue(ctx, utc("2026-11-24T08:59:00Z"), r.clock.Now()); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if n := len(r.poster.All()); n != 0 {
		t.Fatalf("%d posts before the restart, want none (the only attempt failed)", n)
	}
	r.restart()
	r.startAt(utc("2026-11-24T09:03:00Z"))
	if got := titles(r.poster.To("general")); !slices.Equal(got, []string{"📅 Day 1 · Internet basics"}) {
		t.Errorf("after the restart: %v, want the lesson that was waiting for its retry", got)
	}
}

func TestTwoSchedulersSharingAClaimerPostOncePerChannelDay(t *testing.T) {
	claimer := bot.NewLocalClaimer(nil)
	shared := func(c *rigOptions) { c.delivery.Claimer = claimer }
	a := newRig(t, utc("2026-11-24T08:00:00Z"), shared)
	b := newRig(t, utc("2026-11-24T08:00:00Z"), shared)
	b.poster = a.poster
	b.restart()
	for _, r := range []*rig{a, b} {
		r.ok("ada", "general", "nudge set 09:00 UTC")
	}
	var wg sync.WaitGroup
	for _, r := range []*rig{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.tickUntil(utc("2026-11-26T09:01:00Z"))
		}()
	}
	wg.Wait()
	want := []string{"📅 Day 1 · Internet basics", "📅 Day 2 · Caching", "📅 Day 3 · API security"}
	if got := titles(a.poster.To("general")); !slices.Equal(got, want) {
		t.Errorf("posts %v, want %v", got, want)
	}
}

func TestLocalClaimerLetsTheFirstWinUntilTheClaimExpires(t *testing.T) {
	clock := bot.NewManualClock(utc("2026-11-24T09:00:00Z"))
	c := bot.NewLocalClaimer(clock)
	claim := func(key, token string) bool {
		won, err := c.Claim(context.Background(), key, token, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return won
	}
	if !claim("k", "a") || claim("k", "b") || !claim("other", "b") {
		t.Fatal("first claim must win, the second lose, another key win")
	}
	if !claim("k", "a") {
		t.Error("the winner's own token must win its claim again")
	}
	clock.Advance(time.Hour)
	if !claim("k", "b") {
		t.Error("an expired claim must be claimable again")
	}
}

// TestTicksWhileAPostWaitsForItsRetryDoNotSendItAgain: the retry waits longer than the
// post's in-flight lease while the cron keeps ticking; the post goes out once, when its
// wait is over.
func TestTicksWhileAPostWaitsForItsRetryDoNotSendItAgain(t *testing.T) {
	r := newRig(t, utc("2026-11-24T08:00:00Z"))
	r.poster.Fail = func(_ string, n int) error {
		if n == 1 {
			return &bot.PostError{RetryAfter: 5 * time.Minute, Err: errors.New("429 rate limited")}
		}
		return nil
	}
	r.ok("ada", "general", "nudge set 09:00 UTC")
	r.tickUntil(utc("2026-11-24T09:04:00Z")) // four ticks past the lease, before the retry
	if n := r.poster.Tries("general"); n != 1 {
		t.Errorf("%d attempts while the retry waits, want 1", n)
	}
	r.tickUntil(utc("2026-11-24T10:00:00Z"))
	if got := stamped(r.poster.To("general")); !slices.Equal(got, []string{"2026-11-24T09:05:00Z 📅 Day 1 · Internet basics"}) {
		t.Errorf("posts %v, want Day 1 once, at 09:05", got)
	}
}

// TestAPostLeftInFlightIsSentOnlyWithinTheCatchUpWindow: a process killed while posting
// leaves the post in flight; a start within 6 hours sends it, a later one skips the day.
func TestAPostLeftInFlightIsSentOnlyWithinTheCatchUpWindow(t *testing.T) {
	tests := []struct {
		restart string
		want    []string // the channel's posts by the next day's 09:01
	}{
		{"2026-11-24T14:30:00Z", []string{"2026-11-24T14:30:00Z 📅 Day 1 · Internet basics", "2026-11-25T09:00:00Z 📅 Day 2 · Caching"}},
		{"2026-11-24T15:30:00Z", []string{"2026-11-25T09:00:00Z 📅 Day 1 · Internet basics"}},
	}
	for _, tt := range tests {
		t.Run(tt.restart, func(t *testing.T) {
			r := newRig(t, utc("2026-11-24T08:00:00Z"))
			entered, release := make(chan struct{}), make(chan struct{})
			r.poster.Hook = func(string) {
				close(entered)
				<-release
			}
			r.ok("admin", "ch0", "nudge set 09:00 UTC")
			done := r.runInBackground(utc("2026-11-24T08:59:00Z"), utc("2026-11-24T09:00:00Z"))
			<-entered
			killed := r.store.Snapshot() // what kill -9 leaves
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}

			after := newRigOn(t, killed, utc(tt.restart))
			after.startAt(utc(tt.restart))
			after.tickUntil(utc("2026-11-25T09:01:00Z"))
			if got := stamped(after.poster.To("ch0")); !slices.Equal(got, tt.want) {
				t.Errorf("posts %v, want %v", got, tt.want)
			}
		})
	}
}

// unreachableClaimer is a shared claimer that never answers, as Redis while it is down.
type unreachableClaimer struct{}

func (unreachableClaimer) Claim(context.Context, string, string, time.Duration) (bool, error) {
	return false, errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
}

// TestAReminderCloseToMidnightDoesNotWaitForAnUnreachableClaimer: a post waits a few
// minutes for its claim, but not past the end of the reminder's day: a reminder at 23:50
// goes out unclaimed at once rather than never.
func TestAReminderCloseToMidnightDoesNotWaitForAnUnreachableClaimer(t *testing.T) {
	r := newRig(t, utc("2026-11-24T12:00:00Z"), func(c *rigOptions) { c.delivery.Claimer = unreachableClaimer{} })
	r.ok("bo", "general", "remind 23:50")
	r.tickUntil(utc("2026-11-25T01:00:00Z"))
	dms := r.poster.To("bo")
	if got := times(dms); !slices.Equal(got, []string{"2026-11-24T23:50:00Z"}) {
		t.Fatalf("reminders at %v, want the one of the 24th at 23:50", got)
	}
	mustContain(t, dms[0].Resp, "10m left before midnight")
}
