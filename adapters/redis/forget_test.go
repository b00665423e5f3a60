package redis_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt/bolttest"
	"github.com/studybot/studybot/adapters/cron"
	"github.com/studybot/studybot/adapters/redis"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// TestForgetLeavesNoKeyOfTheLearner is /roadmap forget over the real stores: afterwards no
// Redis key and no bbolt key or value names the learner in that community, while the same
// learner in another community and another learner in the same one keep theirs.
func TestForgetLeavesNoKeyOfTheLearner(t *testing.T) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	shared := open(t, redis.Options{URL: url, Prefix: prefix})
	clock := bot.NewManualClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	core, db := bolttest.Core(t, bot.Config{Clock: clock, Cooldowns: shared})
	const gone, stays = "480151623420", "271828182845"
	here := bot.Community{Platform: bot.PlatformDiscord, ID: "100"}
	there := bot.Community{Platform: bot.PlatformDiscord, ID: "200"}
	run := func(c bot.Community, user, text string) bot.Response {
		t.Helper()
		resp := core.Handle(context.Background(), bot.Request{Community: c, Channel: "c1", UserID: user, UserName: "name-" + user, Text: text})
		if resp.Outcome != bot.OutcomeOK {
			t.Fatalf("%s in %s: %q: %s", user, c.Key(), text, resp.Text)
		}
		return resp
	}
	for _, who := range []struct {
		c    bot.Community
		user string
	}{{here, gone}, {there, gone}, {here, stays}} {
		// Every cooldown class: a read, a write, a quiz and an export.
		run(who.c, who.user, "next")
		run(who.c, who.user, "checkin")
		run(who.c, who.user, "quiz")
		run(who.c, who.user, "note caching mine")
		run(who.c, who.user, "remind 20:00")
		run(who.c, who.user, "export")
	}
	// The next day nobody studies: each reminder goes out through the scheduler, which
	// claims the learner's day in Redis first.
	poster := &bottest.Poster{Clock: clock}
	sched, err := bot.NewScheduler(bot.SchedulerConfig{Bot: core, Deliverer: cron.NewDelivery(cron.DeliveryOptions{
		Posters: map[string]bot.Poster{bot.PlatformDiscord: poster}, Claimer: shared, Clock: clock,
		Logger: slog.New(slog.DiscardHandler)}), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 12, 2, 19, 59, 0, 0, time.UTC)
	clock.Set(from.Add(2 * time.Minute))
	if err := sched.RunDue(context.Background(), from, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if n := len(poster.All()); n != 3 {
		t.Fatalf("%d reminders sent, want 3: %v", n, poster.All())
	}
	rdb := rawClient(t, url)
	keysNaming := func(user string) []string {
		t.Helper()
		var keys []string
		iter := rdb.Scan(context.Background(), 0, prefix+"*", 100).Iterator()
		for iter.Next(context.Background()) {
			if strings.Contains(iter.Val(), user) {
				keys = append(keys, iter.Val())
			}
		}
		if err := iter.Err(); err != nil {
			t.Fatal(err)
		}
		return keys
	}
	if n := len(keysNaming(gone)); n != 10 {
		t.Fatalf("before forget: %d Redis keys name the learner, want 4 cooldown classes and a reminder's claim in 2 communities: %v",
			n, keysNaming(gone))
	}

	ask := run(here, gone, "forget")
	run(here, gone, ask.Buttons[0].Command)

	for _, k := range keysNaming(gone) {
		if !strings.Contains(k, "discord/200/") {
			t.Errorf("after forget, Redis still holds %s", k)
		}
	}
	if n := len(keysNaming(gone)); n != 5 {
		t.Errorf("the learner's keys in %s: %d, want the 5 they had", there.Key(), n)
	}
	if n := len(keysNaming(stays)); n != 5 {
		t.Errorf("another learner's keys: %d, want the 5 they had", n)
	}

	var left []string
	for _, place := range bolttest.Holding(t, db, gone) {
		if !strings.Contains(place, there.Key()) {
			left = append(left, place)
		}
	}
	if len(left) > 0 {
		t.Errorf("after forget, the file still names the learner in %s:\n%s", here.Key(), strings.Join(left, "\n"))
	}
	if doc, err := core.Export(context.Background(), there, gone, ""); err != nil || len(doc.Notes) != 1 || doc.Reminder == nil {
		t.Errorf("the learner in %s after being forgotten in %s: %+v, %v", there.Key(), here.Key(), doc, err)
	}
}

func TestForgetDropsOnlyTheGivenCooldowns(t *testing.T) {
	url := redisURL(t)
	s := open(t, redis.Options{URL: url, Prefix: testPrefix(t, url)})
	limit := bot.Limit{Rate: 1, Per: time.Minute}
	spend(t, s, "a", limit, 1)
	spend(t, s, "b", limit, 1)
	if err := s.Forget(context.Background(), "a", "never-used"); err != nil {
		t.Fatal(err)
	}
	if n := spend(t, s, "a", limit, 1); n != 1 {
		t.Error("a forgotten key still refuses its next use")
	}
	if n := spend(t, s, "b", limit, 1); n != 0 {
		t.Error("forgetting a dropped another key too")
	}
}
