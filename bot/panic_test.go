package bot_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

func TestAPanicInOneCommandIsAnsweredLoggedCountedAndOthersCarryOn(t *testing.T) {
	// One learner's record sits on a damaged page: the store panics, as bbolt does, whenever
	// it is touched, while everyone else's records are served as usual.
	store := bottest.NewStore()
	store.Fail(func(op bottest.Op) error {
		if op.UserID == "unlucky" {
			panic("assertion failed: Page expected to be: 5, but self identifies as 8391")
		}
		return nil
	})
	logs := &bottest.Buffer{}
	var mu sync.Mutex
	outcomes := map[string]string{} // user -> outcome observed
	b, err := bot.New(bot.Config{
		Roadmap: bot.TestRoadmap(t), Store: store,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Observe: func(req bot.Request, resp bot.Response, _ time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			outcomes[req.UserID] = resp.Command + " " + resp.Outcome
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ask := func(user string) bot.Response {
		return b.Handle(context.Background(), bot.Request{Community: bot.Community{Platform: bot.PlatformConsole, ID: "study"},
			Channel: "general", UserID: user, UserName: user, Text: "/roadmap checkin"})
	}

	got := ask("unlucky")
	if !strings.Contains(got.Text, "Something went wrong on our side") || !got.Ephemeral || got.Outcome != bot.OutcomePanic {
		t.Errorf("the command that panicked was answered %+v", got)
	}
	for _, want := range []string{"command panicked", "Page expected to be: 5", "command=checkin", "panic_test.go"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %q (the panic, with its stack):\n%s", want, logs.String())
		}
	}
	if outcomes["unlucky"] != "checkin panic" {
		t.Errorf("observed %q, want the panic counted as checkin's outcome", outcomes["unlucky"])
	}

	var wg sync.WaitGroup
	for _, user := range []string{"ana", "ben", "unlucky", "cho"} {
		wg.Go(func() {
			if r := ask(user); user != "unlucky" && r.Outcome != bot.OutcomeOK {
				t.Errorf("%s's check-in beside a panicking one: %+v", user, r)
			}
		})
	}
	wg.Wait()
}
