package slack

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/adapters/slack/internal/fakeslack"
	"github.com/studybot/studybot/bot"
)

// cacheOverFake is a user cache whose users.info goes through slack-go to a fake Slack that
// knows one admin.
func cacheOverFake(t *testing.T) (*userCache, *fakeslack.Server) {
	t.Helper()
	fake := fakeslack.New(t)
	u := slack.User{ID: "U0GRACE", TeamID: "T0STUDY", RealName: "Grace Hopper", IsAdmin: true, TZ: "America/New_York"}
	u.Profile.DisplayName = "grace"
	fake.SetUser(u)
	api := slack.New(fakeslack.BotToken, slack.OptionAPIURL(fake.APIURL()))
	clock := bot.NewManualClock(time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC))
	c := newUserCache(api, clock, time.Minute, slog.New(slog.NewTextHandler(io.Discard, nil)))
	c.timeout = time.Minute // the held call must not time out on a busy machine
	return c, fake
}

// eventually polls cond until it holds; real goroutines are being waited for, not time.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestABurstOfFirstCommandsFromOneUserMakesOneUsersInfoCall(t *testing.T) {
	c, fake := cacheOverFake(t)
	release := fake.HoldUsersInfo()

	const burst = 8
	got := make([]userInfo, burst)
	var wg sync.WaitGroup
	for i := range burst {
		wg.Go(func() { got[i] = c.get(context.Background(), "T0STUDY", "U0GRACE") })
	}
	// Every command has missed the cache and waits on the one users.info call that has
	// reached Slack, before Slack answers any of them.
	eventually(t, "every command to miss the cache", func() bool {
		return fake.UsersInfoCalls() == 1 && c.waiting.Load() == burst
	})
	release()
	wg.Wait()

	if n := fake.UsersInfoCalls(); n != 1 {
		t.Errorf("%d commands arriving together made %d users.info calls, want 1", burst, n)
	}
	want := userInfo{team: "T0STUDY", admin: true, zone: "America/New_York", name: "grace"}
	for i, info := range got {
		if info != want {
			t.Errorf("command %d saw %+v, want %+v", i, info, want)
		}
	}
	if c.get(context.Background(), "T0STUDY", "U0GRACE") != want || fake.UsersInfoCalls() != 1 {
		t.Error("the shared answer was not cached")
	}
}

func TestACommandWhoseContextEndsStopsWaitingForAnotherCommandsLookup(t *testing.T) {
	c, fake := cacheOverFake(t)
	release := fake.HoldUsersInfo()
	first := make(chan userInfo, 1)
	go func() { first <- c.get(context.Background(), "T0STUDY", "U0GRACE") }()
	eventually(t, "users.info to be called", func() bool { return fake.UsersInfoCalls() == 1 })

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if info := c.get(ctx, "T0STUDY", "U0GRACE"); info != (userInfo{}) {
		t.Errorf("a command that gave up waiting got %+v, want no information (a non-admin)", info)
	}
	release()
	if info := <-first; !info.admin {
		t.Errorf("the command making the call got %+v", info)
	}
}
