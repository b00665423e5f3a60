package slack_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt/bolttest"

	"github.com/studybot/studybot/bot/bottest"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/adapters/bolt"
	slackadapter "github.com/studybot/studybot/adapters/slack"
	"github.com/studybot/studybot/adapters/slack/internal/fakeslack"
	"github.com/studybot/studybot/bot"
)

const (
	team    = "T0STUDY"
	channel = "C0GENERAL"
)

// start is a fixed moment, so days and cooldowns never depend on when the tests run.
var start = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

// world is one real core over a bbolt file, a fake Slack, and the adapter between them.
type world struct {
	t       testing.TB
	fake    *fakeslack.Server
	store   *bolt.DB
	core    *bot.Bot
	clock   *bot.ManualClock
	adapter *slackadapter.Adapter
	socket  *slackadapter.SocketMode // set by runSocket
	logs    *bottest.Buffer
	watch   *logWatch
	first   bot.Topic // the roadmap's first topic
}

type options struct {
	// ackWithin is the adapter's AckWithin. Unset, it is far longer than production's 2 s:
	// tests that expect the answer in the acknowledgement must not fail because a busy
	// machine took a moment longer.
	ackWithin     time.Duration
	signingSecret string
	wrap          func(slackadapter.Handler) slackadapter.Handler
	roadmap       *bot.Roadmap // nil: the short test roadmap
}

func newWorld(t testing.TB, opts options) *world {
	t.Helper()
	clock := bot.NewManualClock(start)
	logs := &bottest.Buffer{}
	watch := &logWatch{out: logs, waits: map[string]chan struct{}{}}
	log := slog.New(slog.NewTextHandler(watch, &slog.HandlerOptions{Level: slog.LevelDebug}))
	core, store := bolttest.Core(t, bot.Config{Clock: clock, Logger: log, Roadmap: opts.roadmap})
	roadmap := core.Roadmap()
	w := &world{t: t, fake: fakeslack.New(t), store: store, core: core, clock: clock, logs: logs,
		watch: watch, first: roadmap.Topics[0]}
	var h slackadapter.Handler = core
	if opts.wrap != nil {
		h = opts.wrap(core)
	}
	if opts.ackWithin == 0 {
		opts.ackWithin = 15 * time.Second
	}
	var err error
	w.adapter, err = slackadapter.New(slackadapter.Config{
		BotToken:      fakeslack.BotToken,
		AppToken:      fakeslack.AppToken,
		SigningSecret: opts.signingSecret,
		APIURL:        w.fake.APIURL(),
		Handler:       h,
		Clock:         clock,
		Logger:        log,
		AckWithin:     opts.ackWithin,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		out := logs.String()
		for _, secret := range []string{fakeslack.BotToken, fakeslack.AppToken, "/response/", "ticket="} {
			if strings.Contains(out, secret) {
				t.Errorf("a secret or credential URL (%q) reached the log:\n%s", secret, out)
			}
		}
		if bad := w.fake.BadTokens(); len(bad) > 0 {
			t.Errorf("Slack methods called with the wrong token: %v", bad)
		}
	})
	w.fake.SetUser(user("U0LEARNER", "Ada", false, false, ""))
	return w
}

func user(id, name string, admin, owner bool, tz string) slack.User {
	u := slack.User{ID: id, TeamID: team, Name: strings.ToLower(name), RealName: name, IsAdmin: admin, IsOwner: owner, TZ: tz}
	u.Profile.DisplayName = name
	return u
}

// runSocket starts Socket Mode and waits for the first connection. stop cancels Run and
// returns what it returned.
func (w *world) runSocket() (stop func() error) {
	w.t.Helper()
	sm, err := w.adapter.SocketMode()
	if err != nil {
		w.t.Fatal(err)
	}
	w.socket = sm
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sm.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(20 * time.Second):
				w.t.Fatal("socket mode did not stop")
			}
		})
		return runErr
	}
	w.t.Cleanup(func() { stop() })
	w.fake.WaitConnected(1)
	return stop
}

// command sends a slash command from the learner and returns its acknowledgement.
func (w *world) command(userID, text string) (fakeslack.Ack, fakeslack.Sent) {
	w.t.Helper()
	sent := w.fake.SendCommand(fakeslack.Command{Team: team, Channel: channel, User: userID, UserName: "handle", Text: text})
	return w.fake.WaitAck(sent.EnvelopeID), sent
}

// answer sends a slash command and returns the answer carried by its acknowledgement.
func (w *world) answer(userID, text string) fakeslack.Message {
	w.t.Helper()
	ack, _ := w.command(userID, text)
	if !ack.HasPayload() {
		w.t.Fatalf("/roadmap %s: the acknowledgement carried no answer", text)
	}
	m, err := fakeslack.ParseMessage(ack.Payload)
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

func (w *world) learner(userID string) *bot.Learner {
	w.t.Helper()
	l, err := w.store.Learner(context.Background(), bot.Community{Platform: bot.PlatformSlack, ID: team}, userID)
	if err != nil {
		w.t.Fatal(err)
	}
	return &l
}

// button is a rendered Block Kit button.
type button struct {
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
	Style    string `json:"style"`
	Text     struct {
		Text string `json:"text"`
	} `json:"text"`
}

func buttons(t testing.TB, m fakeslack.Message) []button {
	t.Helper()
	var out []button
	for _, raw := range m.Blocks {
		var kind struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(raw, &kind); err != nil {
			t.Fatal(err)
		}
		if kind.Type != "actions" {
			continue
		}
		var b struct {
			Elements []button `json:"elements"`
		}
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatal(err)
		}
		out = append(out, b.Elements...)
	}
	return out
}

// markDone is the Mark done button on userID's /roadmap next.
func (w *world) markDone(t testing.TB, userID string) button {
	t.Helper()
	for _, b := range buttons(t, w.answer(userID, "next")) {
		if b.Text.Text == "Mark done" {
			return b
		}
	}
	t.Fatal("no Mark done button on /roadmap next")
	return button{}
}

// texts is every string in a message, decoded, the way Slack reads them.
func texts(t testing.TB, raw json.RawMessage) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// allText joins every string in a message.
func allText(t testing.TB, raw json.RawMessage) string {
	return strings.Join(texts(t, raw), "\n")
}

// assertNoMentions fails when any string Slack would read holds markup that is not one of
// our own resource links: a '<' may only open "<http".
func assertNoMentions(t testing.TB, raw json.RawMessage) {
	t.Helper()
	for _, s := range texts(t, raw) {
		for i := strings.IndexByte(s, '<'); i >= 0; i = next(s, i) {
			if !strings.HasPrefix(s[i:], "<http") {
				t.Fatalf("unescaped markup reaches Slack: %q", s)
			}
		}
	}
	assertVerbatim(t, raw)
}

func next(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '<')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// assertVerbatim fails when a mrkdwn text object lets Slack guess mentions and links.
func assertVerbatim(t testing.TB, raw json.RawMessage) {
	t.Helper()
	for _, o := range jsonObjects(t, raw) {
		if o["type"] == "mrkdwn" && o["verbatim"] != true {
			t.Fatalf("mrkdwn text without verbatim: %v", o)
		}
	}
}

// jsonObjects is every JSON object in raw, however deeply nested.
func jsonObjects(t testing.TB, raw json.RawMessage) []map[string]any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			out = append(out, x)
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// gate holds every command until released, to make a command slow without sleeping.
type gate struct {
	h        slackadapter.Handler
	started  chan struct{}
	release  chan struct{}
	finished chan struct{}
}

func newGate(h slackadapter.Handler) *gate {
	return &gate{h: h, started: make(chan struct{}, 16), release: make(chan struct{}), finished: make(chan struct{}, 16)}
}

func (g *gate) Handle(ctx context.Context, req bot.Request) bot.Response {
	g.started <- struct{}{}
	<-g.release
	resp := g.h.Handle(ctx, req)
	g.finished <- struct{}{}
	return resp
}

func waitFor(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// logWatch passes log lines on to a buffer and signals when a line holding a watched text
// is written, so a test can wait for the adapter to reach a point without sleeping.
type logWatch struct {
	out   *bottest.Buffer
	mu    sync.Mutex
	waits map[string]chan struct{}
}

func (l *logWatch) Write(p []byte) (int, error) {
	l.mu.Lock()
	for text, ch := range l.waits {
		if strings.Contains(string(p), text) {
			close(ch)
			delete(l.waits, text)
		}
	}
	l.mu.Unlock()
	return l.out.Write(p)
}

// logged returns a channel closed once a line holding text is logged from now on.
func (l *logWatch) logged(text string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := make(chan struct{})
	l.waits[text] = ch
	return ch
}
