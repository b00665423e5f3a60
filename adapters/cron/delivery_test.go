package cron_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt/bolttest"
	"github.com/studybot/studybot/adapters/cron"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// deliveryRig is the core, its scheduler and a Delivery over a real bbolt file, posting to
// a platform that records what reaches it, on a clock the test moves from t0.
type deliveryRig struct {
	t      *testing.T
	bot    *bot.Bot
	sched  *bot.Scheduler
	clock  *bot.ManualClock
	poster *bottest.Poster
	logs   *bottest.Buffer
}

func newDeliveryRig(t *testing.T, configure func(*cron.DeliveryOptions)) *deliveryRig {
	t.Helper()
	r := &deliveryRig{t: t, clock: bot.NewManualClock(t0), logs: &bottest.Buffer{}}
	r.poster = &bottest.Poster{Clock: r.clock}
	log := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r.bot, _ = bolttest.Core(t, bot.Config{Clock: r.clock, Logger: log})
	opts := cron.DeliveryOptions{Clock: r.clock, Logger: log, Posters: map[string]bot.Poster{bot.PlatformDiscord: r.poster}}
	if configure != nil {
		configure(&opts)
	}
	sched, err := bot.NewScheduler(bot.SchedulerConfig{Bot: r.bot, Deliverer: cron.NewDelivery(opts), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	r.sched = sched
	return r
}

// ok runs a command as an admin of the guild in channel, and fails the test unless it succeeded.
func (r *deliveryRig) ok(user, channel, text string) bot.Response {
	r.t.Helper()
	resp := r.bot.Handle(context.Background(), bot.Request{Community: bot.Community{Platform: bot.PlatformDiscord, ID: "guild"},
		Channel: channel, UserID: user, Admin: true, CommunityAdmin: true, Text: text})
	if resp.Outcome != bot.OutcomeOK {
		r.t.Fatalf("%s in #%s: %q failed (%s): %s", user, channel, text, resp.Outcome, resp.Text)
	}
	return resp
}

// tickUntil moves the clock minute by minute up to end, running the scheduler on every tick.
func (r *deliveryRig) tickUntil(end time.Time) {
	r.t.Helper()
	for r.clock.Now().Before(end) {
		from := r.clock.Now()
		r.runTo(from, r.clock.Now().Add(min(time.Minute, end.Sub(from))))
	}
}

// runTo moves the clock to t and runs the scheduler over (from, t], as one tick.
func (r *deliveryRig) runTo(from, t time.Time) {
	r.t.Helper()
	r.clock.Set(t)
	if err := r.sched.RunDue(context.Background(), from, t); err != nil {
		r.t.Fatal(err)
	}
}

// logLine is the first log line containing every part, or "".
func logLine(b *bottest.Buffer, parts ...string) string {
	for _, line := range strings.Split(b.String(), "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			return line
		}
	}
	return ""
}

// everything is an answer's text and fields, as one string.
func everything(r bot.Response) string {
	all := r.Title + "\n" + r.Text + "\n"
	for _, f := range r.Fields {
		all += f.Name + ": " + f.Value + "\n"
	}
	return all
}

// mustContain fails the test unless the answer's text or fields mention every part.
func mustContain(t *testing.T, r bot.Response, parts ...string) {
	t.Helper()
	all := everything(r)
	for _, p := range parts {
		if !strings.Contains(all, p) {
			t.Errorf("answer does not mention %q:\n%s", p, all)
		}
	}
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestPostsDueTogetherGoOutConcurrentlyWithinTheLimit(t *testing.T) {
	const limit = 4
	var inFlight, peak atomic.Int32
	started, gate := make(chan struct{}, 100), make(chan struct{})
	r := newDeliveryRig(t, func(c *cron.DeliveryOptions) { c.Concurrency = limit })
	r.poster.Hook = func(string) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		started <- struct{}{}
		<-gate
		inFlight.Add(-1)
	}
	for i := range 40 {
		r.ok(fmt.Sprintf("admin%d", i), fmt.Sprintf("ch%02d", i), "nudge set 09:00 UTC")
	}
	r.clock.Set(utc("2026-11-24T09:00:00Z"))
	done := make(chan error)
	go func() { done <- r.sched.RunDue(context.Background(), utc("2026-11-24T08:59:00Z"), r.clock.Now()) }()
	for range limit {
		<-started // the limit's worth of posts are in flight at once
	}
	close(gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p != limit {
		t.Errorf("peak posts in flight %d, want %d", p, limit)
	}
	if n := len(r.poster.All()); n != 40 {
		t.Errorf("%d posts, want 40", n)
	}
}

func TestABotWideFailurePausesThePlatformAndDisablesNoChannel(t *testing.T) {
	const conc, channels = 3, 12
	r := newDeliveryRig(t, func(c *cron.DeliveryOptions) { c.Concurrency = conc })
	var broken atomic.Bool
	broken.Store(true)
	r.poster.Fail = func(string, int) error {
		if broken.Load() {
			return &bot.PostError{BotWide: true, Err: errors.New("401: Unauthorized")}
		}
		return nil
	}
	for i := range channels {
		r.ok(fmt.Sprintf("admin%d", i), fmt.Sprintf("ch%02d", i), "nudge set 09:00 UTC")
	}
	r.tickUntil(utc("2026-11-24T09:01:00Z"))
	// Two refusals show the bot is refused; only the posts under way by the second (one more
	// than the pool, when the first refusal's worker took the next post) reached the platform.
	if n := r.poster.TotalTries(); n < 2 || n > conc+1 {
		t.Errorf("%d requests on the first day, want between 2 and %d: the rest must not be sent", n, conc+1)
	}
	// The next day the platform still refuses the bot: two posts, one after the other, find
	// that out.
	tried := r.poster.TotalTries()
	r.tickUntil(utc("2026-11-25T09:01:00Z"))
	if n := r.poster.TotalTries() - tried; n != 2 {
		t.Errorf("%d requests on the second day, want 2", n)
	}
	if n := strings.Count(r.logs.String(), "level=ERROR"); n != 1 {
		t.Errorf("%d error lines for one bot-wide outage, want 1:\n%s", n, r.logs)
	}
	if logLine(r.logs, "level=ERROR", "posting paused", "platform=discord", "community=guild", "channel=ch", "401") == "" {
		t.Errorf("the error line does not say what happened:\n%s", r.logs)
	}
	status := r.ok("admin0", "ch00", "nudge status")
	if strings.Contains(everything(status), "Paused") {
		t.Errorf("a bot-wide failure disabled a channel: %s", everything(status))
	}
	mustContain(t, status, "Day 1 · Internet basics, Thu 26 Nov 09:00")

	// The operator fixes the token: every channel gets the lesson it missed.
	broken.Store(false)
	r.tickUntil(utc("2026-11-26T09:01:00Z"))
	for i := range channels {
		ch := fmt.Sprintf("ch%02d", i)
		if got := bottest.Titles(r.poster.To(ch)); !slices.Equal(got, []string{"📅 Day 1 · Internet basics"}) {
			t.Errorf("%s got %v once the platform took the bot again", ch, got)
		}
	}
	if logLine(r.logs, "takes the bot's posts again", "platform=discord") == "" {
		t.Errorf("no log line that posting works again:\n%s", r.logs)
	}
}

// TestOneChannelRefusedLikeTheBotCostsOnlyItsOwnPost: a platform may word one channel's
// trouble as a refusal of the bot (Slack's no_permission once was). A single refusal gives up
// that post only; every other channel gets its lesson, day after day, and the error names
// the channel.
func TestOneChannelRefusedLikeTheBotCostsOnlyItsOwnPost(t *testing.T) {
	r := newDeliveryRig(t, func(c *cron.DeliveryOptions) { c.Concurrency = 3 })
	r.poster.Fail = func(target string, _ int) error {
		if target == "ch00" {
			return &bot.PostError{BotWide: true, Err: errors.New("no_permission")}
		}
		return nil
	}
	const channels = 12
	for i := range channels {
		r.ok(fmt.Sprintf("admin%d", i), fmt.Sprintf("ch%02d", i), "nudge set 09:00 UTC")
	}
	r.tickUntil(utc("2026-11-25T09:01:00Z"))
	for i := 1; i < channels; i++ {
		ch := fmt.Sprintf("ch%02d", i)
		if got := bottest.Titles(r.poster.To(ch)); !slices.Equal(got, []string{"📅 Day 1 · Internet basics", "📅 Day 2 · Programming languages"}) {
			t.Errorf("%s got %v, want Day 1 and Day 2", ch, got)
		}
	}
	if n := r.poster.Tries("ch00"); n != 2 {
		t.Errorf("the refused channel was tried %d times in two days, want once a day", n)
	}
	if n := strings.Count(r.logs.String(), "level=ERROR"); n != 2 {
		t.Errorf("%d error lines, want one a day for the refused post:\n%s", n, r.logs)
	}
	if logLine(r.logs, "level=ERROR", "platform=discord", "community=guild", "channel=ch00", "no_permission") == "" {
		t.Errorf("the error does not name the refused channel:\n%s", r.logs)
	}
	if logLine(r.logs, "posting paused") != "" {
		t.Errorf("one refused channel paused the platform:\n%s", r.logs)
	}
	mustContain(t, r.ok("admin5", "ch05", "nudge status"), "Day 3 · Git and GitHub")
	mustContain(t, r.ok("admin0", "ch00", "nudge status"), "Day 1 · Internet basics, Thu 26 Nov 09:00")
}

// TestOnlyTwoRefusalsInARowStopThePlatformsPosts: posts go out one at a time (in the store's
// order, ch00 first); a refusal is the bot's only when the next post is refused too.
func TestOnlyTwoRefusalsInARowStopThePlatformsPosts(t *testing.T) {
	tests := []struct {
		name    string
		refused []string
		posted  int // channels of 8 that get their lesson
	}{
		{"one refused", []string{"ch00"}, 7},
		{"two refused with a post between", []string{"ch00", "ch02"}, 6},
		{"two refused in a row", []string{"ch00", "ch01"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newDeliveryRig(t, func(c *cron.DeliveryOptions) { c.Concurrency = 1 })
			r.poster.Fail = func(target string, _ int) error {
				if slices.Contains(tt.refused, target) {
					return &bot.PostError{BotWide: true, Err: errors.New("401: Unauthorized")}
				}
				return nil
			}
			for i := range 8 {
				r.ok(fmt.Sprintf("admin%d", i), fmt.Sprintf("ch%02d", i), "nudge set 09:00 UTC")
			}
			r.tickUntil(utc("2026-11-24T09:01:00Z"))
			if n := len(r.poster.All()); n != tt.posted {
				t.Errorf("%d channels got their lesson, want %d", n, tt.posted)
			}
			if paused := logLine(r.logs, "level=ERROR", "posting paused", "channel=ch00") != ""; paused != (tt.posted == 0) {
				t.Errorf("paused %v, want %v:\n%s", paused, tt.posted == 0, r.logs)
			}
		})
	}
}

// TestAPostGoingThroughAfterTwoRefusalsClosesTheBreaker: a post already under way when the
// second refusal came goes through after all, so the refusals were those channels' own:
// the platform is not paused and the next day's posts go out at full speed.
func TestAPostGoingThroughAfterTwoRefusalsClosesTheBreaker(t *testing.T) {
	// ch00 and ch01 are refused while ch02 is under way; ch02 goes through once both were
	// given up (the ones after them may or may not have been taken meanwhile).
	var failures atomic.Int32
	underWay, gaveUp := make(chan struct{}), make(chan struct{})
	r := newDeliveryRig(t, func(c *cron.DeliveryOptions) {
		c.Concurrency = 3
		c.Observe = func(_ bot.ScheduleKind, _ string, err error) {
			if err != nil && failures.Add(1) == 2 {
				close(gaveUp)
			}
		}
	})
	firstDay := func() bool { return r.clock.Now().Before(utc("2026-11-25T00:00:00Z")) }
	r.poster.Fail = func(target string, _ int) error {
		if target == "ch00" || target == "ch01" && firstDay() {
			return &bot.PostError{BotWide: true, Err: errors.New("no_permission")}
		}
		return nil
	}
	r.poster.Hook = func(target string) {
		switch {
		case !firstDay():
		case target == "ch02":
			close(underWay)
			<-gaveUp
		default:
			<-underWay
		}
	}
	for i := range 6 {
		r.ok(fmt.Sprintf("admin%d", i), fmt.Sprintf("ch%02d", i), "nudge set 09:00 UTC")
	}
	r.tickUntil(utc("2026-11-24T09:01:00Z"))
	if got := bottest.Titles(r.poster.To("ch02")); len(got) != 1 {
		t.Fatalf("the post under way got %v, want it sent", got)
	}
	if logLine(r.logs, "posting paused") != "" {
		t.Errorf("a post went through, yet the log says posting is paused:\n%s", r.logs)
	}
	for _, ch := range []string{"ch00", "ch01"} {
		if logLine(r.logs, "level=ERROR", "given up for the day", "channel="+ch) == "" {
			t.Errorf("no error naming %s:\n%s", ch, r.logs)
		}
	}
	// Each post given up meanwhile is logged in one warning, and goes out the next day.
	missed := 3 - len(r.poster.To("ch03")) - len(r.poster.To("ch04")) - len(r.poster.To("ch05"))
	if warned := logLine(r.logs, "level=WARN", "seemed to refuse the bot", fmt.Sprintf("posts_given_up=%d", missed)) != ""; warned != (missed > 0) {
		t.Errorf("%d posts given up, warned %v:\n%s", missed, warned, r.logs)
	}
	r.tickUntil(utc("2026-11-25T09:01:00Z"))
	for _, ch := range []string{"ch02", "ch03", "ch04", "ch05"} {
		if got := bottest.Titles(r.poster.To(ch)); len(got) == 0 || got[0] != "📅 Day 1 · Internet basics" {
			t.Errorf("%s got %v by the next day, want Day 1 first", ch, got)
		}
	}
}

// TestAPausedPlatformProbesFromAfterTheLastRefusedPost: while the platform refuses the bot,
// each day's first posts are the ones after those refused the day before, so one troubled
// channel is not the probe every day, and it cannot hold back the others once the bot's
// trouble is fixed.
func TestAPausedPlatformProbesFromAfterTheLastRefusedPost(t *testing.T) {
	r := newDeliveryRig(t, func(c *cron.DeliveryOptions) { c.Concurrency = 1 })
	var day atomic.Int32
	tried := map[int32][]string{}
	var mu sync.Mutex
	r.poster.Fail = func(target string, _ int) error {
		mu.Lock()
		tried[day.Load()] = append(tried[day.Load()], target)
		mu.Unlock()
		if day.Load() < 3 || target == "ch04" {
			return &bot.PostError{BotWide: true, Err: errors.New("invalid_auth")}
		}
		return nil
	}
	const channels = 8
	for i := range channels {
		r.ok(fmt.Sprintf("admin%d", i), fmt.Sprintf("ch%02d", i), "nudge set 09:00 UTC")
	}
	for d, end := range []string{"2026-11-24T09:01:00Z", "2026-11-25T09:01:00Z", "2026-11-26T09:01:00Z"} {
		day.Store(int32(d + 1))
		r.tickUntil(utc(end))
	}
	want := map[int32][]string{
		1: {"ch00", "ch01"},
		2: {"ch02", "ch03"},
		// The bot's token works again, ch04 alone still refuses: the rest follow.
		3: {"ch04", "ch05", "ch06", "ch07", "ch00", "ch01", "ch02", "ch03"},
	}
	for d, w := range want {
		if got := tried[d]; !slices.Equal(got, w) {
			t.Errorf("day %d tried %v, want %v", d, got, w)
		}
	}
	for i := range channels {
		ch := fmt.Sprintf("ch%02d", i)
		if n := len(r.poster.To(ch)); n != 1 && ch != "ch04" {
			t.Errorf("%s got %d lessons once the bot was taken again, want 1", ch, n)
		}
	}
}

// TestAPausedPlatformGetsNoRequestUntilThePauseEnds: posts falling due while the platform is
// paused (two refusals in a row a moment before) are given up without a request; the
// schedule stays on and the next day's post is tried.
func TestAPausedPlatformGetsNoRequestUntilThePauseEnds(t *testing.T) {
	r := newDeliveryRig(t, func(c *cron.DeliveryOptions) { c.Concurrency = 1 })
	r.poster.Fail = func(string, int) error { return &bot.PostError{BotWide: true, Err: errors.New("401: Unauthorized")} }
	r.ok("admin", "ch00", "nudge set 09:00 UTC")
	r.ok("admin", "ch01", "nudge set 09:00 UTC")
	r.ok("admin", "late", "nudge set 09:01 UTC")
	// One run over two minutes (a slow start): 09:00's posts are refused, then 09:01's falls
	// due inside the pause.
	r.runTo(utc("2026-11-24T08:59:00Z"), utc("2026-11-24T09:02:00Z"))
	if n := r.poster.Tries("late"); n != 0 {
		t.Errorf("the post due during the pause was tried %d times, want 0", n)
	}
	if logLine(r.logs, "posting still paused", "posts_given_up=1") == "" {
		t.Errorf("no log line for the post given up while paused:\n%s", r.logs)
	}
	mustContain(t, r.ok("admin", "late", "nudge status"), "Day 1 · Internet basics, Wed 25 Nov 09:01")
	r.poster.Fail = nil
	r.tickUntil(utc("2026-11-25T09:02:00Z"))
	if got := bottest.Titles(r.poster.To("late")); !slices.Equal(got, []string{"📅 Day 1 · Internet basics"}) {
		t.Errorf("the next day the channel got %v, want Day 1", got)
	}
}
