package discord_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt/bolttest"

	"github.com/studybot/studybot/bot/bottest"

	"github.com/studybot/studybot/adapters/cron"
	"github.com/studybot/studybot/adapters/discord"
	"github.com/studybot/studybot/adapters/discord/discordtest"
	"github.com/studybot/studybot/bot"
)

// The tests drive the real discordgo client against an in-process fake Discord (REST and
// gateway websocket), over the real core and scheduler (the adapter is its Discord poster),
// a real bbolt file and the embedded roadmap, on a clock the test moves.

const (
	token   = "MTAwMDAwMDAwMDAwMDAwMDAx.fake.s3cr3t-t0ken"
	guild   = "600000000000000001"
	channel = "700000000000000001"
	wait    = 10 * time.Second
)

// t0 is the harness clock's start: Monday 3 March 2025, 07:00 UTC (08:00 in Berlin).
var t0 = time.Date(2025, 3, 3, 7, 0, 0, 0, time.UTC)

var (
	learner = discordtest.User{ID: "400000000000000001", Username: "ada", GlobalName: "Ada L.",
		Permissions: 1<<10 | 1<<11 | 1<<31} // view channel, send messages, use application commands
	manager = discordtest.User{ID: "400000000000000002", Username: "grace", Nick: "Grace (mod)",
		Permissions: 1<<10 | 1<<11 | 1<<5} // manage server
)

// signalHandler passes records on and closes seen when a message containing match is logged.
type signalHandler struct {
	slog.Handler
	match string
	once  *sync.Once
	seen  chan struct{}
}

func (s signalHandler) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, s.match) {
		s.once.Do(func() { close(s.seen) })
	}
	return s.Handler.Handle(ctx, r)
}

func (s signalHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return signalHandler{s.Handler.WithAttrs(attrs), s.match, s.once, s.seen}
}

func (s signalHandler) WithGroup(name string) slog.Handler {
	return signalHandler{s.Handler.WithGroup(name), s.match, s.once, s.seen}
}

type harness struct {
	t        testing.TB
	fake     *discordtest.Server
	adapter  *discord.Adapter
	core     *bot.Bot
	store    bot.Store
	sched    *bot.Scheduler
	clock    *bot.ManualClock
	roadmap  *bot.Roadmap
	logs     *bottest.Buffer
	cancel   context.CancelFunc
	done     chan error
	stopping chan struct{} // closed once the adapter logs that it stopped taking commands
}

type setup struct {
	roadmap *bot.Roadmap
	config  func(*discord.Config)
	wrap    func(*bot.Bot) discord.Core // e.g. a core that waits before answering
	noRun   bool                        // only build the adapter (poster tests)
}

func defaultRoadmap(t testing.TB) *bot.Roadmap {
	t.Helper()
	return bolttest.ShortRoadmap(t)
}

// parallelTests are the tests start has made parallel (a second start in one test must not
// call Parallel again).
var parallelTests sync.Map // *testing.T -> true

// start runs a fake Discord and the adapter against it, and waits until /roadmap is
// registered. Cleanup stops the adapter and checks what must hold in every test: Run
// returned nil, every message sent set allowed_mentions to parse nothing, and the token
// never reached the logs.
func start(t testing.TB, s setup) *harness {
	t.Helper()
	// Each test has its own fake Discord, core and file, and stopping an adapter waits a
	// second (discordgo's close handshake): tests that start one run side by side.
	if pt, ok := t.(*testing.T); ok {
		if _, already := parallelTests.LoadOrStore(pt, true); !already {
			pt.Parallel()
		}
	}
	if s.roadmap == nil {
		s.roadmap = defaultRoadmap(t)
	}
	clock := bot.NewManualClock(t0)
	core, store := bolttest.Core(t, bot.Config{Roadmap: s.roadmap, Clock: clock})
	// The adapter joins the posters once it exists.
	posters := map[string]bot.Poster{}
	sched, err := bot.NewScheduler(bot.SchedulerConfig{Bot: core, Store: store,
		Deliverer: cron.NewDelivery(cron.DeliveryOptions{Posters: posters, Clock: clock})})
	if err != nil {
		t.Fatal(err)
	}
	fake := discordtest.Start(token)
	logs := &bottest.Buffer{}
	stopping := make(chan struct{})
	cfg := discord.Config{
		Token:  token,
		APIURL: fake.APIURL(),
		Core:   core,
		Logger: slog.New(signalHandler{slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}),
			"stopping", &sync.Once{}, stopping}),
	}
	if s.wrap != nil {
		cfg.Core = s.wrap(core)
	}
	if s.config != nil {
		s.config(&cfg)
	}
	a, err := discord.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	posters[bot.PlatformDiscord] = a
	h := &harness{t: t, fake: fake, adapter: a, core: core, store: store, sched: sched, clock: clock, roadmap: s.roadmap, logs: logs,
		done: make(chan error, 1), stopping: stopping}
	t.Cleanup(func() {
		h.stop()
		fake.Close()
		assertNoPings(t, fake.Requests())
		if strings.Contains(logs.String(), "s3cr3t") {
			t.Errorf("the token reached the logs:\n%s", logs.String())
		}
	})
	if s.noRun {
		return h
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- a.Run(ctx) }()
	if cfg.SkipRegistration {
		if !fake.AwaitSession(wait) {
			t.Fatalf("no gateway session; logs: %s", logs.String())
		}
		return h
	}
	if _, ok := fake.AwaitRequest(wait, func(r discordtest.Request) bool {
		return r.Method == http.MethodPut && strings.HasSuffix(r.Path, "/commands")
	}); !ok {
		t.Fatalf("/roadmap was not registered; requests: %v\nlogs: %s", paths(fake.Requests()), logs.String())
	}
	return h
}

// stop cancels Run and waits for it; Run must return nil.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run returned %v, want nil on shutdown", err)
		}
	case <-time.After(30 * time.Second):
		h.t.Errorf("Run did not return after its context ended")
	}
}

func paths(reqs []discordtest.Request) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// answer is an interaction callback as the fake received it.
type answer struct {
	Type int `json:"type"`
	Data struct {
		Flags      int             `json:"flags"`
		Embeds     []embed         `json:"embeds"`
		Components []row           `json:"components"`
		Choices    []choice        `json:"choices"`
		Mentions   json.RawMessage `json:"allowed_mentions"`
	} `json:"data"`
}

type embed struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Color       int    `json:"color"`
	Fields      []struct {
		Name   string `json:"name"`
		Value  string `json:"value"`
		Inline bool   `json:"inline"`
	} `json:"fields"`
	Footer *struct {
		Text string `json:"text"`
	} `json:"footer"`
}

type row struct {
	Components []struct {
		Type     int    `json:"type"`
		Label    string `json:"label"`
		Style    int    `json:"style"`
		CustomID string `json:"custom_id"`
	} `json:"components"`
}

type choice struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// text is everything the embed shows, for assertions on content.
func (e embed) text() string {
	parts := []string{e.Title, e.Description}
	for _, f := range e.Fields {
		parts = append(parts, f.Name, f.Value)
	}
	if e.Footer != nil {
		parts = append(parts, e.Footer.Text)
	}
	return strings.Join(parts, "\n")
}

func (a answer) text() string {
	var parts []string
	for _, e := range a.Data.Embeds {
		parts = append(parts, e.text())
	}
	return strings.Join(parts, "\n")
}

// button finds the custom_id of the button labelled label.
func (a answer) button(label string) (string, bool) {
	for _, r := range a.Data.Components {
		for _, c := range r.Components {
			if c.Label == label {
				return c.CustomID, true
			}
		}
	}
	return "", false
}

func (a answer) ephemeral() bool { return a.Data.Flags&64 != 0 }

// await waits for the accepted callback of interaction id and decodes it.
func (h *harness) await(id string) answer {
	h.t.Helper()
	r, ok := h.fake.AwaitAnswer(id, wait)
	if !ok {
		h.t.Fatalf("interaction %s was not answered; requests: %v\nlogs: %s", id, paths(h.fake.Requests()), h.logs.String())
	}
	var a answer
	if err := json.Unmarshal(r.Body, &a); err != nil {
		h.t.Fatalf("callback body %s: %v", r.Body, err)
	}
	return a
}

// command sends /roadmap <opt> from u in the test guild and returns the answer.
func (h *harness) command(u discordtest.User, opt discordtest.Option) answer {
	h.t.Helper()
	return h.commandIn(channel, u, opt)
}

// commandIn sends /roadmap <opt> from u in channel ch of the test guild.
func (h *harness) commandIn(ch string, u discordtest.User, opt discordtest.Option) answer {
	h.t.Helper()
	id, err := h.fake.Command(guild, ch, u, opt)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.await(id)
}

// advance moves the clock by d and runs the scheduler over that stretch, as the cron
// adapter does as time passes.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	from := h.clock.Now()
	if err := h.sched.RunDue(context.Background(), from, h.clock.Advance(d)); err != nil {
		h.t.Fatal(err)
	}
}

// posted is a message the adapter posted to a channel.
type posted struct {
	Embeds          []embed `json:"embeds"`
	Components      []row   `json:"components"`
	AllowedMentions *struct {
		Parse []string `json:"parse"`
	} `json:"allowed_mentions"`
}

// postsTo decodes the messages posted to channel ch.
func postsTo(t testing.TB, reqs []discordtest.Request, ch string) []posted {
	t.Helper()
	var out []posted
	for _, r := range reqs {
		if r.Method != http.MethodPost || r.Path != "/api/v9/channels/"+ch+"/messages" {
			continue
		}
		var p posted
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatalf("post body %s: %v", r.Body, err)
		}
		out = append(out, p)
	}
	return out
}

// pingsNobody says whether a post set allowed_mentions to parse nothing.
func (p posted) pingsNobody() bool {
	return p.AllowedMentions != nil && p.AllowedMentions.Parse != nil && len(p.AllowedMentions.Parse) == 0
}

// guildOn is a guild ID whose events Discord sends to shard of count shards.
func guildOn(shard, count int) string {
	for id := uint64(600000000000000001); ; id += 1 << 22 {
		g := strconv.FormatUint(id, 10)
		if discordtest.ShardOf(g, count) == shard {
			return g
		}
	}
}

func (h *harness) press(u discordtest.User, customID string) answer {
	h.t.Helper()
	id, err := h.fake.Press(guild, channel, u, customID)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.await(id)
}

// messages returns the message objects of every request that sends or edits a message:
// interaction callbacks (but autocomplete results), webhook edits and follow-ups, channel
// posts.
func messages(reqs []discordtest.Request) []map[string]any {
	var out []map[string]any
	for _, r := range reqs {
		body := r.JSON()
		switch {
		case r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/api/v9/interactions/"):
			if t, _ := body["type"].(float64); t == 4 || t == 5 || t == 7 {
				d, _ := body["data"].(map[string]any)
				out = append(out, d)
			}
		case strings.HasPrefix(r.Path, "/api/v9/webhooks/") && (r.Method == http.MethodPatch || r.Method == http.MethodPost):
			out = append(out, body)
		case r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/api/v9/channels/"):
			out = append(out, body)
		}
	}
	return out
}

// assertNoPings checks that every message sent set allowed_mentions.parse to an empty list.
func assertNoPings(t testing.TB, reqs []discordtest.Request) int {
	t.Helper()
	msgs := messages(reqs)
	for _, m := range msgs {
		am, ok := m["allowed_mentions"].(map[string]any)
		parse, isList := am["parse"].([]any)
		if !ok || !isList || len(parse) != 0 {
			t.Errorf("a message without allowed_mentions {parse: []}: %v", m)
		}
	}
	return len(msgs)
}

func TestRegistersOneRoadmapCommandGloballyOnStart(t *testing.T) {
	h := start(t, setup{})
	if _, ok := h.fake.AwaitRequest(0, func(r discordtest.Request) bool {
		return r.Method == http.MethodGet && r.Path == "/api/v9/gateway/bot" && r.Auth == "Bot "+token
	}); !ok {
		t.Errorf("no authenticated GET /gateway/bot through DISCORD_API_URL; requests: %v", paths(h.fake.Requests()))
	}
	if f, ok := h.fake.AwaitFrame(0, func(f discordtest.Frame) bool { return f.Op == discordtest.OpIdentify }); !ok {
		t.Error("the client never sent IDENTIFY")
	} else if strings.Contains(string(f.D), `"shard"`) {
		t.Errorf("IDENTIFY carries a shard without sharding configured: %s", f.D)
	}
	raw := h.fake.Commands("global")
	if raw == nil {
		t.Fatalf("no global bulk overwrite; requests: %v", paths(h.fake.Requests()))
	}
	var cmds []map[string]any
	if err := json.Unmarshal(raw, &cmds); err != nil || len(cmds) != 1 {
		t.Fatalf("bulk overwrite body %s: want one command", raw)
	}
	cmd := cmds[0]
	if cmd["name"] != "roadmap" {
		t.Errorf("command name %v, want roadmap", cmd["name"])
	}
	if v, set := cmd["default_member_permissions"]; set && v != nil {
		t.Errorf("default_member_permissions = %v: it would hide /roadmap from learners", v)
	}
	// Guild-only through contexts (0: GUILD; no 1: BOT_DM), guild installs only; the
	// deprecated dm_permission is not sent.
	if !slices.Equal(toList(cmd["contexts"]), []any{0.0}) || !slices.Equal(toList(cmd["integration_types"]), []any{0.0}) {
		t.Errorf("/roadmap should be guild-only: contexts %v, integration_types %v", cmd["contexts"], cmd["integration_types"])
	}
	if v, set := cmd["dm_permission"]; set {
		t.Errorf("dm_permission = %v is sent; contexts replaces it", v)
	}
	subs := map[string]map[string]any{}
	for _, o := range toList(cmd["options"]) {
		o := o.(map[string]any)
		subs[o["name"].(string)] = o
	}
	for _, v := range bot.Verbs {
		if _, ok := subs[v.Name]; !ok {
			t.Errorf("no subcommand %q", v.Name)
		}
	}
	if len(subs) != len(bot.Verbs) {
		t.Errorf("%d subcommands, want one per verb (%d)", len(subs), len(bot.Verbs))
	}
	option := func(sub, name string) map[string]any {
		for _, o := range toList(subs[sub]["options"]) {
			if o := o.(map[string]any); o["name"] == name {
				return o
			}
		}
		t.Errorf("subcommand %s has no option %s", sub, name)
		return map[string]any{}
	}
	for sub, name := range map[string]string{"topic": "topic", "lesson": "lesson", "start": "name", "done": "name", "skip": "name",
		"reset": "name", "quiz": "name"} {
		if o := option(sub, name); o["type"] != 3.0 || o["autocomplete"] != true {
			t.Errorf("%s %s option = %v, want an autocompleted string", sub, name, o)
		}
	}
	if o := option("topic", "topic"); o["required"] != true {
		t.Error("topic's topic option should be required")
	}
	if o := option("done", "name"); o["required"] == true {
		t.Error("done's topic option should be optional (default: the current topic)")
	}
	var letters []string
	for _, c := range toList(option("answer", "choice")["choices"]) {
		letters = append(letters, c.(map[string]any)["value"].(string))
	}
	if !slices.Equal(letters, []string{"a", "b", "c", "d", "e"}) {
		t.Errorf("answer choices %v, want a to e", letters)
	}
	option("timezone", "zone")
	option("remind", "time")
	nudge := subs["nudge"]
	if nudge["type"] != 2.0 {
		t.Errorf("nudge type %v, want a subcommand group (2)", nudge["type"])
	}
	var nudgeSubs []string
	for _, o := range toList(nudge["options"]) {
		nudgeSubs = append(nudgeSubs, o.(map[string]any)["name"].(string))
	}
	if !slices.Equal(nudgeSubs, []string{"set", "off", "status", "recap"}) {
		t.Errorf("nudge subcommands %v, want set off status recap", nudgeSubs)
	}
}

func toList(v any) []any {
	l, _ := v.([]any)
	return l
}

func TestRegistersInTheConfiguredGuildOnly(t *testing.T) {
	h := start(t, setup{config: func(c *discord.Config) { c.GuildID = guild }})
	if h.fake.Commands(guild) == nil {
		t.Fatalf("no bulk overwrite for guild %s; requests: %v", guild, paths(h.fake.Requests()))
	}
	if h.fake.Commands("global") != nil {
		t.Error("global commands were overwritten although DISCORD_GUILD_ID is set")
	}
}

func TestShardIsSentInIdentify(t *testing.T) {
	h := start(t, setup{config: func(c *discord.Config) { c.ShardID, c.ShardCount = 1, 2 }})
	f, ok := h.fake.AwaitFrame(wait, func(f discordtest.Frame) bool { return f.Op == discordtest.OpIdentify })
	if !ok {
		t.Fatal("no IDENTIFY")
	}
	var id struct {
		Shard []int `json:"shard"`
	}
	json.Unmarshal(f.D, &id)
	if !slices.Equal(id.Shard, []int{1, 2}) {
		t.Errorf("IDENTIFY shard %v, want [1 2]", id.Shard)
	}
}

func TestNextAnswersWithTheFirstTopicPrivately(t *testing.T) {
	h := start(t, setup{})
	a := h.command(learner, discordtest.Sub("next"))
	first := h.roadmap.Topics[0]
	if a.Type != 4 || !a.ephemeral() {
		t.Errorf("answer type %d flags %d, want an ephemeral message (4, 64)", a.Type, a.Data.Flags)
	}
	if len(a.Data.Embeds) != 1 || !strings.Contains(a.Data.Embeds[0].Title, first.Title) || first.Title != "Internet basics" {
		t.Fatalf("answer %q, want the first topic (Internet basics)", a.text())
	}
	if id, ok := a.button("Mark done"); !ok || id != "roadmap:done "+first.Slug {
		t.Errorf("Mark done button custom_id %q, want roadmap:done %s", id, first.Slug)
	}
	if !strings.Contains(a.text(), first.Lessons[0].Resources[0].URL) {
		t.Errorf("the topic's resources are not linked: %s", a.text())
	}
}

func TestButtonPressRunsItsCommandForThePresser(t *testing.T) {
	h := start(t, setup{})
	first, second := h.roadmap.Topics[0], h.roadmap.Topics[1]
	next := h.command(learner, discordtest.Sub("next"))
	markDone, ok := next.button("Mark done")
	if !ok {
		t.Fatalf("no Mark done button in %+v", next.Data.Components)
	}
	done := h.press(learner, markDone)
	if !strings.Contains(done.text(), first.Title+" is done") {
		t.Errorf("pressing Mark done answered %q", done.text())
	}
	if got := h.command(learner, discordtest.Sub("next")); !strings.Contains(got.Data.Embeds[0].Title, second.Title) {
		t.Errorf("after Mark done, next shows %q, want %s", got.Data.Embeds[0].Title, second.Title)
	}
	// The press counted for the presser only: another learner still starts at topic 1.
	other := discordtest.User{ID: "400000000000000009", Username: "linus", Permissions: learner.Permissions}
	if got := h.command(other, discordtest.Sub("next")); !strings.Contains(got.Data.Embeds[0].Title, first.Title) {
		t.Errorf("another learner's next shows %q, want %s", got.Data.Embeds[0].Title, first.Title)
	}
}

func TestTypedOptionsBecomeTheCommandLine(t *testing.T) {
	h := start(t, setup{})
	got := h.command(learner, discordtest.Sub("done", discordtest.Str("name", "caching")))
	if !strings.Contains(got.text(), "Caching is done") {
		t.Errorf("done caching answered %q", got.text())
	}
	got = h.command(learner, discordtest.Sub("topic", discordtest.Str("topic", "cachng")))
	if !strings.Contains(got.Data.Embeds[0].Title, "Caching") {
		t.Errorf("topic cachng (misspelt) answered %q", got.text())
	}
	q := h.roadmap.Topics[0].Lessons[0].Questions[0]
	right := string(rune('a' + q.Answer))
	// Options arrive in the order the learner filled them in; the command line follows the
	// grammar's order.
	got = h.command(learner, discordtest.Sub("answer", discordtest.Str("choice", right), discordtest.Str("question", q.ID)))
	if !strings.Contains(got.text(), "Right") {
		t.Errorf("answer %s %s answered %q", q.ID, right, got.text())
	}
	got = h.command(learner, discordtest.Sub("timezone", discordtest.Str("zone", "Mars/Olympus")))
	if !got.ephemeral() || !strings.Contains(got.text(), "Unknown time zone") {
		t.Errorf("a bad zone answered %q (ephemeral %v)", got.text(), got.ephemeral())
	}
}

func TestNudgeIsForAdminsAndPostsTheDailyLessonInItsChannel(t *testing.T) {
	h := start(t, setup{})
	first := h.roadmap.Topics[0]
	set := discordtest.Group("nudge", discordtest.Sub("set", discordtest.Str("time", "09:00"), discordtest.Str("zone", "Europe/Berlin")))
	off := discordtest.Group("nudge", discordtest.Sub("off"))
	status := discordtest.Group("nudge", discordtest.Sub("status"))
	root := discordtest.User{ID: "400000000000000199", Username: "root", Permissions: 1 << 3}
	for i, tc := range []struct {
		name  string
		perms int64
		admin bool
	}{
		{"learner", learner.Permissions, false},
		{"manage messages and roles are not enough", 1<<13 | 1<<28, false},
		{"manage server", 1<<10 | 1<<11 | 1<<5, true},
		{"manage channels", 1 << 4, true},
		{"administrator", 1 << 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := fmt.Sprintf("70000000000000020%d", i)
			u := discordtest.User{ID: fmt.Sprintf("40000000000000010%d", i), Username: "u", Permissions: tc.perms}
			if !tc.admin {
				for _, opt := range []discordtest.Option{set, off, status} {
					got := h.commandIn(ch, u, opt)
					if !strings.Contains(got.text(), "Only community admins") || !got.ephemeral() {
						t.Errorf("nudge %s from permissions %b answered %q (ephemeral %v), want a private refusal",
							opt.Options[0].Name, tc.perms, got.text(), got.ephemeral())
					}
				}
				// The refused set changed nothing: no schedule, and a day passes without a post.
				if got := h.commandIn(ch, root, status); !strings.Contains(got.text(), "no daily lesson") {
					t.Errorf("after a refused nudge set, status says %q", got.text())
				}
				h.advance(24 * time.Hour)
				if posts := postsTo(t, h.fake.Requests(), ch); len(posts) != 0 {
					t.Errorf("a refused nudge set still posted %d lessons", len(posts))
				}
				return
			}
			got := h.commandIn(ch, u, set)
			if !strings.Contains(got.text(), "Daily lesson on") || !strings.Contains(got.text(), "Day 1 · "+first.Title) || !got.ephemeral() {
				t.Fatalf("nudge set answered %q (ephemeral %v)", got.text(), got.ephemeral())
			}
			got = h.commandIn(ch, u, status)
			if !strings.Contains(got.text(), "09:00 Europe/Berlin") || !strings.Contains(got.text(), "Day 1 · "+first.Title) {
				t.Errorf("nudge status answered %q, want the 09:00 Europe/Berlin schedule and Day 1", got.text())
			}
			h.advance(24 * time.Hour)
			posts := postsTo(t, h.fake.Requests(), ch)
			if len(posts) != 1 || len(posts[0].Embeds) != 1 {
				t.Fatalf("a day after nudge set, channel %s got %d posts, want the Day 1 lesson", ch, len(posts))
			}
			if title := posts[0].Embeds[0].Title; title != "📅 Day 1 · "+first.Title {
				t.Errorf("the lesson post is titled %q", title)
			}
			if !posts[0].pingsNobody() {
				t.Errorf("the lesson post does not set allowed_mentions to parse nothing: %+v", posts[0].AllowedMentions)
			}
			if len(posts[0].Components) == 0 || !strings.HasPrefix(posts[0].Components[0].Components[0].CustomID, "roadmap:answer ") {
				t.Errorf("the lesson post has no quiz answer buttons: %+v", posts[0].Components)
			}
			if got := h.commandIn(ch, u, off); !strings.Contains(got.text(), "Daily lesson off") {
				t.Errorf("nudge off answered %q", got.text())
			}
			h.advance(24 * time.Hour)
			if n := len(postsTo(t, h.fake.Requests(), ch)); n != 1 {
				t.Errorf("after nudge off the channel has %d posts, want still 1", n)
			}
		})
	}
}

func TestReminderArrivesAsADirectMessage(t *testing.T) {
	h := start(t, setup{})
	got := h.command(learner, discordtest.Sub("remind", discordtest.Str("time", "20:00")))
	if !strings.Contains(got.text(), "message you privately at 20:00") || !got.ephemeral() {
		t.Fatalf("remind 20:00 answered %q (ephemeral %v)", got.text(), got.ephemeral())
	}
	h.advance(14 * time.Hour) // 07:00 to 21:00 UTC, the learner's zone: nothing studied today
	var open, dm *discordtest.Request
	for _, r := range h.fake.Requests() {
		switch {
		case r.Method == http.MethodPost && r.Path == "/api/v9/users/@me/channels":
			open = &r
		case open != nil && dm == nil && r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/api/v9/channels/"):
			dm = &r
		}
	}
	if open == nil || open.JSON()["recipient_id"] != learner.ID {
		t.Fatalf("no DM channel opened for the learner; requests: %v", paths(h.fake.Requests()))
	}
	if dm == nil || strings.Contains(dm.Path, channel) {
		t.Fatalf("no message after opening the DM channel; requests: %v", paths(h.fake.Requests()))
	}
	var p posted
	json.Unmarshal(dm.Body, &p)
	if len(p.Embeds) != 1 || !strings.HasPrefix(p.Embeds[0].Title, "⏰") || p.Embeds[0].Footer == nil ||
		!strings.Contains(p.Embeds[0].Footer.Text, "20:00 reminder") {
		t.Errorf("the reminder DM is %s", dm.Body)
	}
	if !p.pingsNobody() {
		t.Errorf("the reminder DM does not set allowed_mentions to parse nothing: %s", dm.Body)
	}
	if !strings.Contains(string(dm.Body), `"custom_id":"roadmap@`+guild+`:checkin"`) {
		t.Errorf("the reminder's Check in button does not name the guild: %s", dm.Body)
	}
}

func TestAutocompleteSuggestsMatchingTopics(t *testing.T) {
	h := start(t, setup{})
	for _, tc := range []struct {
		name string
		opt  discordtest.Option
		want choice
		max  int
	}{
		{"prefix", discordtest.Sub("topic", discordtest.Focus("topic", "cach")), choice{"Caching", "caching"}, 25},
		{"empty input lists topics", discordtest.Sub("start", discordtest.Focus("name", "")), choice{"Internet basics (topic, 1 lesson)", h.roadmap.Topics[0].Slug}, 25},
		{"lessons", discordtest.Sub("lesson", discordtest.Focus("lesson", "cach")), choice{"Caching", "caching"}, 25},
		{"question ids", discordtest.Sub("answer", discordtest.Focus("question", "caching-"), discordtest.Str("choice", "a")), choice{Value: "caching-2"}, 25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := h.fake.Autocomplete(guild, channel, learner, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			a := h.await(id)
			if a.Type != 8 {
				t.Fatalf("autocomplete answered with type %d, want 8", a.Type)
			}
			if len(a.Data.Choices) == 0 || len(a.Data.Choices) > tc.max {
				t.Fatalf("%d choices: %v", len(a.Data.Choices), a.Data.Choices)
			}
			found := slices.ContainsFunc(a.Data.Choices, func(c choice) bool {
				return c.Value == tc.want.Value && (tc.want.Name == "" || c.Name == tc.want.Name)
			})
			if !found {
				t.Errorf("choices %v lack %v", a.Data.Choices, tc.want)
			}
		})
	}
}

func TestRateLimitedCallbackIsRetriedAfterRetryAfter(t *testing.T) {
	h := start(t, setup{})
	h.fake.RateLimitCallbacks(0.25)
	id, err := h.fake.Command(guild, channel, learner, discordtest.Sub("next"))
	if err != nil {
		t.Fatal(err)
	}
	a := h.await(id)
	if !strings.Contains(a.text(), "Internet basics") {
		t.Errorf("the answer after the 429 is %q", a.text())
	}
	var tries []discordtest.Request
	for _, r := range h.fake.Requests() {
		if strings.HasPrefix(r.Path, "/api/v9/interactions/"+id+"/") {
			tries = append(tries, r)
		}
	}
	if len(tries) != 2 || tries[0].Status != 429 || tries[1].Status != 204 {
		t.Fatalf("callback attempts: %v", tries)
	}
	if gap := tries[1].Time.Sub(tries[0].Time); gap < 250*time.Millisecond {
		t.Errorf("retried %s after the 429, before retry_after (250ms)", gap)
	}
}

func TestCommandsWorkAfterGatewayReconnect(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		name := map[bool]string{false: "resume", true: "re-identify"}[refuse]
		t.Run(name, func(t *testing.T) {
			h := start(t, setup{})
			h.command(learner, discordtest.Sub("next")) // sequence moves past READY
			h.fake.RefuseResume(refuse)
			if err := h.fake.Reconnect(); err != nil {
				t.Fatal(err)
			}
			if refuse {
				if _, ok := h.fake.AwaitFrame(wait, func(f discordtest.Frame) bool { return f.Conn == 2 && f.Op == discordtest.OpIdentify }); !ok {
					t.Fatalf("no IDENTIFY after a refused RESUME; frames: %v", h.fake.Frames())
				}
			} else {
				f, ok := h.fake.AwaitFrame(wait, func(f discordtest.Frame) bool { return f.Conn == 2 && f.Op == discordtest.OpResume })
				if !ok {
					t.Fatalf("no RESUME on a new connection after op 7; frames: %v", h.fake.Frames())
				}
				var r struct {
					Seq int64 `json:"seq"`
				}
				json.Unmarshal(f.D, &r)
				if r.Seq != 2 {
					t.Errorf("RESUME seq %d, want 2 (READY, then one INTERACTION_CREATE)", r.Seq)
				}
			}
			if !h.fake.AwaitSession(wait) {
				t.Fatal("no gateway session after reconnecting")
			}
			if got := h.command(learner, discordtest.Sub("progress")); !strings.Contains(got.text(), "Your progress") {
				t.Errorf("after reconnecting, progress answered %q", got.text())
			}
		})
	}
}

func TestHeartbeatsCarryTheLastSequence(t *testing.T) {
	h := start(t, setup{})
	f, ok := h.fake.AwaitFrame(wait, func(f discordtest.Frame) bool { return f.Op == discordtest.OpHeartbeat })
	if !ok {
		t.Fatal("the client never sent a heartbeat")
	}
	if string(f.D) != "1" {
		t.Errorf("first heartbeat d=%s, want 1 (the READY's sequence)", f.D)
	}
}

func TestDirectMessageCommandGetsAShortPrivateNote(t *testing.T) {
	h := start(t, setup{})
	id, err := h.fake.Command("", channel, learner, discordtest.Sub("next"))
	if err != nil {
		t.Fatal(err)
	}
	a := h.await(id)
	if !a.ephemeral() || !strings.Contains(a.text(), "inside a server") {
		t.Errorf("a DM command answered %q (ephemeral %v)", a.text(), a.ephemeral())
	}
}

// gatedCore holds every command until the test releases it, like a slow store would.
type gatedCore struct {
	*bot.Bot
	entered chan string
	release chan struct{}
}

func (g *gatedCore) Handle(ctx context.Context, req bot.Request) bot.Response {
	g.entered <- req.Text
	<-g.release
	return g.Bot.Handle(ctx, req)
}

func gated(deferAfter time.Duration) (setup, *gatedCore) {
	g := &gatedCore{entered: make(chan string, 16), release: make(chan struct{})}
	return setup{
		config: func(c *discord.Config) { c.DeferAfter = deferAfter },
		wrap:   func(b *bot.Bot) discord.Core { g.Bot = b; return g },
	}, g
}

// deferred sends /roadmap sub to a core that holds it, checks the adapter defers it
// privately, then lets the core answer; it returns the interaction's ID. prepare, when set,
// runs on the harness before the command is sent.
func deferred(t *testing.T, deferAfter time.Duration, sub string, prepare func(*harness)) (*harness, string) {
	t.Helper()
	s, g := gated(deferAfter)
	h := start(t, s)
	if prepare != nil {
		prepare(h)
	}
	id, err := h.fake.Command(guild, channel, learner, discordtest.Sub(sub))
	if err != nil {
		t.Fatal(err)
	}
	if a := h.await(id); a.Type != 5 || !a.ephemeral() {
		t.Fatalf("a slow command was acknowledged with type %d flags %d, want a private deferral (5, 64)", a.Type, a.Data.Flags)
	}
	g.release <- struct{}{}
	return h, id
}

func TestSlowCommandIsDeferredThenEdited(t *testing.T) {
	h, _ := deferred(t, 20*time.Millisecond, "next", nil)
	edit, ok := h.fake.AwaitRequest(wait, func(r discordtest.Request) bool {
		return r.Method == http.MethodPatch && strings.HasSuffix(r.Path, "/messages/@original")
	})
	if !ok {
		t.Fatalf("the deferred answer was never edited in; requests: %v", paths(h.fake.Requests()))
	}
	var e struct {
		Embeds []embed `json:"embeds"`
	}
	json.Unmarshal(edit.Body, &e)
	if len(e.Embeds) != 1 || !strings.Contains(e.Embeds[0].Title, "Internet basics") {
		t.Errorf("the edit shows %s", edit.Body)
	}
}

// Discord's default deferral (1.5 s) answers a slow command inside the 3-second window the
// fake enforces, and the answer replaces the placeholder.
func TestASlowCommandIsAcknowledgedInsideDiscordsWindowByDefault(t *testing.T) {
	h, id := deferred(t, 0, "next", nil) // the adapter's default DeferAfter
	msgs, ok := h.fake.AwaitMessages(id, 1, wait)
	if !ok || len(msgs) != 1 || !msgs[0].Ephemeral || !strings.Contains(string(msgs[0].Body), "Internet basics") {
		t.Errorf("after the deferral the learner sees %+v, want the next topic privately", msgs)
	}
}

// A deferral's visibility is fixed when it is sent, and only the core's answer says whether
// it is for everyone. A slow command is deferred privately; a public answer (a first
// check-in) is posted in the channel after the placeholder says so, a private one (the
// second check-in of the day) stays in the placeholder, and the channel never sees it.
func TestADeferredAnswerIsPublicOnlyWhenTheCoreSaysSo(t *testing.T) {
	s, g := gated(20 * time.Millisecond)
	h := start(t, s)
	checkin := func(messages int) []discordtest.Message {
		t.Helper()
		id, err := h.fake.Command(guild, channel, learner, discordtest.Sub("checkin"))
		if err != nil {
			t.Fatal(err)
		}
		if a := h.await(id); a.Type != 5 || !a.ephemeral() {
			t.Fatalf("check-in deferred with type %d flags %d, want a private deferral", a.Type, a.Data.Flags)
		}
		g.release <- struct{}{}
		msgs, ok := h.fake.AwaitMessages(id, messages, wait)
		if !ok {
			t.Fatalf("the deferred answer left %+v; requests: %v", h.fake.Messages(id), paths(h.fake.Requests()))
		}
		return msgs
	}
	msgs := checkin(2)
	if len(msgs) != 2 || !msgs[0].Ephemeral || !strings.Contains(string(msgs[0].Body), "Posted in the channel") {
		t.Errorf("first check-in: the placeholder became %+v, want a private note", msgs[0])
	}
	if msgs[1].Ephemeral || !strings.Contains(string(msgs[1].Body), "checked in") {
		t.Errorf("first check-in: %+v, want the announcement for everyone", msgs[1])
	}
	msgs = checkin(1)
	if len(msgs) != 1 || !msgs[0].Ephemeral || !strings.Contains(string(msgs[0].Body), "already counted") {
		t.Errorf("second check-in left %+v, want only the private 'already counted' answer", msgs)
	}
}

func TestShutdownFinishesCommandsInFlight(t *testing.T) {
	s, g := gated(time.Minute)
	h := start(t, s)
	h.fake.SetResponseWindow(0) // the command is held as long as the test needs
	id, err := h.fake.Command(guild, channel, learner, discordtest.Sub("next"))
	if err != nil {
		t.Fatal(err)
	}
	<-g.entered
	h.cancel()
	h.cancel = nil
	<-h.stopping
	// While draining, a new command is not started; it gets a short answer instead.
	late, err := h.fake.Command(guild, channel, learner, discordtest.Sub("topics"))
	if err != nil {
		t.Fatal(err)
	}
	if a := h.await(late); !strings.Contains(a.text(), "restarting") {
		t.Errorf("a command during shutdown answered %q", a.text())
	}
	select {
	case err := <-h.done:
		t.Fatalf("Run returned (%v) with a command still in flight", err)
	default:
	}
	g.release <- struct{}{}
	if a := h.await(id); !strings.Contains(a.text(), "Internet basics") {
		t.Errorf("the command in flight answered %q", a.text())
	}
	select {
	case err := <-h.done:
		if err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return after the command in flight finished")
	}
	if !h.fake.AwaitDisconnect(wait) {
		t.Error("the gateway connection is still open after Run returned")
	}
}

func TestUserTextNeverPings(t *testing.T) {
	r := defaultRoadmap(t)
	topics := slices.Clone(r.Topics)
	topics[0].Title = "@everyone study hour"
	topics[0].Lessons = slices.Clone(topics[0].Lessons)
	topics[0].Lessons[0].Title = topics[0].Title
	topics[0].Lessons[0].Body = "Hello @here and <@&123456789012345678>, meet <@400000000000000002>."
	custom, err := bot.NewRoadmap("pings", topics)
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, setup{roadmap: custom})
	a := h.command(discordtest.User{ID: "400000000000000003", Username: "@everyone", Nick: "@here", Permissions: learner.Permissions},
		discordtest.Sub("next"))
	if !strings.Contains(a.text(), "@everyone study hour") {
		t.Fatalf("the answer %q does not show the title as written", a.text())
	}
	if err := h.adapter.Post(context.Background(), bot.Channel{Community: bot.Community{Platform: bot.PlatformDiscord, ID: guild}, ID: channel},
		bot.Response{Title: "@everyone", Text: "@here <@&123456789012345678>"}); err != nil {
		t.Fatal(err)
	}
	for _, m := range messages(h.fake.Requests()) {
		if c, _ := m["content"].(string); c != "" {
			t.Errorf("a message has content %q; text belongs in the embed", c)
		}
	}
	if n := assertNoPings(t, h.fake.Requests()); n < 2 {
		t.Errorf("checked %d messages, want the answer and the post", n)
	}
}

// deferred sends a command that the gated core holds until the deferral arrives, then
// releases it and waits until the answer left n messages.
func (h *harness) deferred(g *gatedCore, opt discordtest.Option, n int) {
	h.t.Helper()
	id, err := h.fake.Command(guild, channel, learner, opt)
	if err != nil {
		h.t.Fatal(err)
	}
	if a := h.await(id); a.Type != 5 {
		h.t.Fatalf("answer type %d, want a deferral", a.Type)
	}
	g.release <- struct{}{}
	if _, ok := h.fake.AwaitMessages(id, n, wait); !ok {
		h.t.Fatalf("the deferred answer was not delivered; requests: %v", paths(h.fake.Requests()))
	}
}

func TestEveryMessageKindSetsAllowedMentions(t *testing.T) {
	s, g := gated(20 * time.Millisecond)
	h := start(t, s)
	h.deferred(g, discordtest.Sub("help"), 1)                                // deferral, edited
	h.deferred(g, discordtest.Sub("checkin"), 2)                             // deferral, edited into a note, public follow-up
	h.deferred(g, discordtest.Sub("checkin"), 1)                             // deferral, edited
	id, err := h.fake.Command("", channel, learner, discordtest.Sub("next")) // immediate answer
	if err != nil {
		t.Fatal(err)
	}
	h.await(id)
	ch := bot.Channel{Community: bot.Community{Platform: bot.PlatformDiscord, ID: guild}, ID: channel}
	if err := h.adapter.Post(context.Background(), ch, bot.Response{Text: "daily lesson"}); err != nil {
		t.Fatal(err)
	}
	if err := h.adapter.DirectMessage(context.Background(), ch.Community, learner.ID, bot.Response{Text: "reminder"}); err != nil {
		t.Fatal(err)
	}
	if n := assertNoPings(t, h.fake.Requests()); n < 10 {
		t.Errorf("checked %d messages, want at least 10: 3 deferrals, 3 edits, a follow-up, an answer, a post and a DM", n)
	}
}

func TestPosterSendsEmbedsAndButtons(t *testing.T) {
	h := start(t, setup{noRun: true})
	ch := bot.Channel{Community: bot.Community{Platform: bot.PlatformDiscord, ID: guild}, ID: channel}
	resp := bot.Response{Title: "Daily lesson", Text: "Caching *saves* time", Tone: bot.ToneSuccess,
		Buttons: []bot.Button{{Label: "Quiz me", Command: "quiz caching", Style: bot.StylePrimary}}}
	if err := h.adapter.Post(context.Background(), ch, resp); err != nil {
		t.Fatal(err)
	}
	post, ok := h.fake.AwaitRequest(0, func(r discordtest.Request) bool { return r.Path == "/api/v9/channels/"+channel+"/messages" })
	if !ok {
		t.Fatalf("no channel message; requests: %v", paths(h.fake.Requests()))
	}
	var msg struct {
		Embeds     []embed `json:"embeds"`
		Components []row   `json:"components"`
	}
	json.Unmarshal(post.Body, &msg)
	if len(msg.Embeds) != 1 || msg.Embeds[0].Title != "Daily lesson" || msg.Embeds[0].Description != `Caching \*saves\* time` {
		t.Errorf("posted embeds %+v", msg.Embeds)
	}
	if msg.Embeds[0].Color != 0x57F287 {
		t.Errorf("success colour %x", msg.Embeds[0].Color)
	}
	if len(msg.Components) != 1 || msg.Components[0].Components[0].CustomID != "roadmap:quiz caching" {
		t.Errorf("posted components %+v", msg.Components)
	}

	if err := h.adapter.DirectMessage(context.Background(), ch.Community, learner.ID, resp); err != nil {
		t.Fatal(err)
	}
	open, ok := h.fake.AwaitRequest(0, func(r discordtest.Request) bool { return r.Path == "/api/v9/users/@me/channels" })
	if !ok || !strings.Contains(string(open.Body), learner.ID) {
		t.Fatalf("no DM channel opened for the learner; requests: %v", paths(h.fake.Requests()))
	}
	dm, ok := h.fake.AwaitRequest(0, func(r discordtest.Request) bool {
		return strings.HasSuffix(r.Path, "/messages") && r.Path != "/api/v9/channels/"+channel+"/messages"
	})
	if !ok || !strings.Contains(string(dm.Body), `"custom_id":"roadmap@`+guild+`:quiz caching"`) {
		t.Errorf("DM message %s: its buttons should name the guild", dm.Body)
	}
}

func TestDirectMessageButtonActsInItsGuildForMembersOnly(t *testing.T) {
	h := start(t, setup{})
	h.fake.AddMember(guild, learner.ID, "")
	dm := func(u discordtest.User) answer {
		id, err := h.fake.Press("", "800000000000000001", u, "roadmap@"+guild+":next")
		if err != nil {
			t.Fatal(err)
		}
		return h.await(id)
	}
	if a := dm(learner); !strings.Contains(a.text(), "Internet basics") {
		t.Errorf("a member's DM button answered %q", a.text())
	}
	stranger := discordtest.User{ID: "400000000000000077", Username: "mallory"}
	if a := dm(stranger); !strings.Contains(a.text(), "no longer in") {
		t.Errorf("a non-member's DM button answered %q", a.text())
	}
}

func TestPostErrorsTellTheSchedulerWhatToDo(t *testing.T) {
	h := start(t, setup{noRun: true})
	for i, tc := range []struct {
		name       string
		status     int
		code       int
		msg        string
		retryAfter float64
		permanent  bool
		wait       time.Duration
		botWide    bool // the bot itself is refused: no channel is to blame
	}{
		{"missing access", 403, 50001, "Missing Access", 0, true, 0, false},
		{"missing permissions", 403, 50013, "Missing Permissions", 0, true, 0, false},
		{"cannot message the user", 403, 50007, "Cannot send messages to this user", 0, true, 0, false},
		{"unknown channel", 404, 10003, "Unknown Channel", 0, true, 0, false},
		{"rate limited", 429, 0, "You are being rate limited.", 1.5, false, 1500 * time.Millisecond, false},
		{"server error", 500, 0, "Internal Server Error", 0, false, 0, false},
		{"token refused", 401, 0, "401: Unauthorized", 0, false, 0, true},
		{"account not verified", 403, 40002, "You need to verify your account in order to perform this action.", 0, false, 0, true},
		{"forbidden naming no resource", 403, 0, "Forbidden", 0, false, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := fmt.Sprintf("7000000000000010%02d", i)
			h.fake.FailChannel(ch, tc.status, tc.code, tc.msg, tc.retryAfter)
			err := h.adapter.Post(context.Background(), bot.Channel{Community: bot.Community{Platform: bot.PlatformDiscord, ID: guild}, ID: ch},
				bot.Response{Text: "hi"})
			var pe *bot.PostError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *bot.PostError", err)
			}
			if pe.Permanent != tc.permanent || pe.BotWide != tc.botWide || pe.RetryAfter != tc.wait {
				t.Errorf("PostError{Permanent: %v, BotWide: %v, RetryAfter: %s}, want {%v, %v, %s} (%v)",
					pe.Permanent, pe.BotWide, pe.RetryAfter, tc.permanent, tc.botWide, tc.wait, err)
			}
		})
	}
}

func TestWrongTokenFailsStartWithoutLeakingIt(t *testing.T) {
	fake := discordtest.Start("the-real-token")
	defer fake.Close()
	logs := &bottest.Buffer{}
	a, err := discord.New(discord.Config{Token: token, APIURL: fake.APIURL(), Core: mustCore(t),
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	err = a.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("Run with a wrong token returned %v, want a 401 error", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(logs.String(), "s3cr3t") {
		t.Errorf("the token leaked: %v\n%s", err, logs.String())
	}
}

func mustCore(t testing.TB) *bot.Bot {
	b, _ := bolttest.Core(t, bot.Config{})
	return b
}

func TestConnectedFollowsTheGatewaySession(t *testing.T) {
	h := start(t, setup{})
	// Registration comes after READY, so the session is up by now.
	if !h.adapter.Connected() {
		t.Fatal("not connected after READY")
	}
	h.stop()
	if h.adapter.Connected() {
		t.Error("still connected after shutdown")
	}
}

func TestButtonsInADirectMessageAnswerKeepActingInTheGuild(t *testing.T) {
	h := start(t, setup{})
	h.fake.AddMember(guild, learner.ID, "")
	dm := "800000000000000001"
	press := func(customID string) answer {
		id, err := h.fake.Press("", dm, learner, customID)
		if err != nil {
			t.Fatal(err)
		}
		return h.await(id)
	}
	// A reminder's "Next topic" button, then the answer's own "Mark done" button.
	next := press("roadmap@" + guild + ":next")
	first := h.roadmap.Topics[0]
	markDone, ok := next.button("Mark done")
	if !ok || markDone != "roadmap@"+guild+":done "+first.Slug {
		t.Fatalf("the DM answer's Mark done button has custom_id %q, want it to name guild %s", markDone, guild)
	}
	if done := press(markDone); !strings.Contains(done.text(), first.Title+" is done") {
		t.Errorf("pressing Mark done in a DM answered %q", done.text())
	}
}

// A custom_id naming a guild only counts in a direct message: pressed in a server, the
// command acts in that server, whatever guild the ID names.
func TestAButtonInAServerIgnoresTheGuildItsIDNames(t *testing.T) {
	h := start(t, setup{})
	other := "600000000000000099"
	h.fake.AddMember(other, learner.ID, "")
	first, second := h.roadmap.Topics[0], h.roadmap.Topics[1]
	if a := h.press(learner, "roadmap@"+other+":done "+first.Slug); !strings.Contains(a.text(), first.Title+" is done") {
		t.Fatalf("the press answered %q", a.text())
	}
	if got := h.command(learner, discordtest.Sub("next")); !strings.Contains(got.Data.Embeds[0].Title, second.Title) {
		t.Errorf("after the press, next in the server shows %q, want %s", got.Data.Embeds[0].Title, second.Title)
	}
	for _, r := range h.fake.Requests() {
		if strings.Contains(r.Path, "/guilds/"+other+"/") {
			t.Errorf("the press looked up guild %s: %s %s", other, r.Method, r.Path)
		}
	}
}

func TestAShardThatLeavesRegistrationToAnotherStillAnswers(t *testing.T) {
	h := start(t, setup{config: func(c *discord.Config) {
		c.ShardID, c.ShardCount, c.SkipRegistration = 3, 4, true
	}})
	id, err := h.fake.Command(guildOn(3, 4), channel, learner, discordtest.Sub("next"))
	if err != nil {
		t.Fatal(err)
	}
	if got := h.await(id); !strings.Contains(got.text(), "Internet basics") {
		t.Errorf("next answered %q", got.text())
	}
	for _, r := range h.fake.Requests() {
		if strings.HasSuffix(r.Path, "/commands") {
			t.Errorf("shard registered /roadmap although another does: %s %s", r.Method, r.Path)
		}
	}
	if got := h.adapter.Name(); got != "discord-shard-3" {
		t.Errorf("service name %q, want one per shard", got)
	}
}

// Discord lets one IDENTIFY per rate-limit bucket through every 5 seconds and answers the
// others with op 9. Shards of one process share a gate, so all of them come up on their first
// IDENTIFY, each answering the interactions of its own guilds.
func TestShardsOfOneProcessAllReachReadyWithoutInvalidSessions(t *testing.T) {
	const shards, interval = 3, 300 * time.Millisecond
	fake := discordtest.Start(token)
	defer fake.Close()
	fake.SetIdentifyInterval(interval)
	fake.SetStartLimit(discordtest.StartLimit{Total: 1000, Remaining: 1000, MaxConcurrency: 1})
	core := mustCore(t)
	logs := &bottest.Buffer{}
	gate := discord.NewIdentifyGate(discord.GateOptions{Interval: interval})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, shards)
	for shard := range shards {
		a, err := discord.New(discord.Config{Token: token, APIURL: fake.APIURL(), Core: core,
			ShardID: shard, ShardCount: shards, SkipRegistration: shard != 0, IdentifyGate: gate,
			Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		if err != nil {
			t.Fatal(err)
		}
		go func() { done <- a.Run(ctx) }()
	}
	defer func() {
		cancel()
		for range shards {
			if err := <-done; err != nil {
				t.Errorf("Run returned %v", err)
			}
		}
	}()
	if !fake.AwaitSessions(wait, shards) {
		t.Fatalf("not every shard has a session; frames: %v\nlogs: %s", fake.Frames(), logs.String())
	}
	if n := fake.InvalidSessions(); n != 0 {
		t.Errorf("the gateway answered %d IDENTIFYs with op 9 INVALID_SESSION", n)
	}
	identifies := 0
	for _, f := range fake.Frames() {
		if f.Op == discordtest.OpIdentify {
			identifies++
		}
	}
	if identifies != shards {
		t.Errorf("%d IDENTIFYs for %d shards", identifies, shards)
	}
	for shard := range shards {
		id, err := fake.Command(guildOn(shard, shards), channel, learner, discordtest.Sub("next"))
		if err != nil {
			t.Fatal(err)
		}
		r, ok := fake.AwaitAnswer(id, wait)
		if !ok || !strings.Contains(string(r.Body), "Internet basics") {
			t.Errorf("shard %d did not answer next; logs: %s", shard, logs.String())
		}
	}
	if _, ok := fake.AwaitRequest(wait, func(r discordtest.Request) bool { return r.Method == http.MethodPut }); !ok {
		t.Error("shard 0 did not register /roadmap")
	}
}

func TestSessionStartLimitIsHeeded(t *testing.T) {
	for _, tc := range []struct {
		name      string
		remaining int
		refused   bool
		warning   string
	}{
		{"plenty left", 900, false, ""},
		{"few left", 40, false, "few Discord gateway session starts left"},
		{"none left", 0, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := discordtest.Start(token)
			defer fake.Close()
			fake.SetStartLimit(discordtest.StartLimit{Total: 1000, Remaining: tc.remaining, ResetAfter: 3 * time.Hour, MaxConcurrency: 1})
			logs := &bottest.Buffer{}
			a, err := discord.New(discord.Config{Token: token, APIURL: fake.APIURL(), Core: mustCore(t), SkipRegistration: true,
				Logger: slog.New(slog.NewTextHandler(logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- a.Run(ctx) }()
			if tc.refused {
				err := <-done
				cancel()
				if err == nil || !strings.Contains(err.Error(), "no gateway session starts left") || !strings.Contains(err.Error(), "in 3h0m0s") {
					t.Errorf("Run with no session starts left returned %v, want a refusal saying when they reset", err)
				}
				if len(fake.Frames()) != 0 {
					t.Errorf("the refused start still spoke to the gateway: %v", fake.Frames())
				}
				return
			}
			if !fake.AwaitSession(wait) {
				t.Fatalf("no session; logs: %s", logs.String())
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run returned %v", err)
			}
			warned := strings.Contains(logs.String(), "few Discord gateway session starts left")
			if warned != (tc.warning != "") {
				t.Errorf("warned=%v with %d of 1000 left; logs: %s", warned, tc.remaining, logs.String())
			}
		})
	}
}

// A public answer to a deferred command is not lost to one failed webhook call. When the
// placeholder cannot become the "posted for everyone" note, the follow-up still goes out
// and resolves the placeholder (privately, as Discord shows the first follow-up after a
// private deferral); when the follow-up fails, the note would claim a post that never
// happened, so the answer itself replaces it, privately.
func TestADeferredPublicAnswerSurvivesOneFailedWebhookCall(t *testing.T) {
	for _, tc := range []struct {
		name, fail string // the webhook method that fails once
	}{
		{"the note cannot be written", http.MethodPatch},
		{"the follow-up cannot be sent", http.MethodPost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, id := deferred(t, 20*time.Millisecond, "checkin", func(h *harness) { h.fake.FailWebhooks(tc.fail, 1) })
			// The last request the answer needs: the follow-up (the note failed), or the edit
			// putting the answer itself in place of the note (the follow-up failed).
			last := func(r discordtest.Request) bool {
				return r.Status/100 == 2 && strings.Contains(string(r.Body), "checked in") &&
					strings.Contains(r.Path, "/webhooks/") && r.Method != tc.fail
			}
			if _, ok := h.fake.AwaitRequest(wait, last); !ok {
				t.Fatalf("the answer was never delivered after a failed %s; requests: %v\nlogs: %s",
					tc.fail, paths(h.fake.Requests()), h.logs.String())
			}
			msgs := h.fake.Messages(id)
			if len(msgs) != 1 || msgs[0].Loading || !msgs[0].Ephemeral || !strings.Contains(string(msgs[0].Body), "checked in") {
				t.Errorf("the learner sees %+v, want the check-in answer, privately, and nothing else", msgs)
			}
			if strings.Contains(string(msgs[0].Body), "Posted in the channel") {
				t.Errorf("the placeholder claims a post that never happened: %s", msgs[0].Body)
			}
		})
	}
}

// A gateway that accepts the websocket and then says nothing (not even HELLO) must not hold
// a shard, nor the shards queued behind it at the identify gate: each connection fails
// ConnectTimeout after its dial, and Run says why.
func TestASilentGatewayFailsTheStartInsteadOfHoldingTheGate(t *testing.T) {
	const shards = 2
	fake := discordtest.Start(token)
	defer fake.Close()
	fake.StallGateway(true)
	gate := discord.NewIdentifyGate(discord.GateOptions{Interval: 50 * time.Millisecond})
	logs := &bottest.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, shards)
	for shard := range shards {
		a, err := discord.New(discord.Config{Token: token, APIURL: fake.APIURL(), Core: mustCore(t),
			ShardID: shard, ShardCount: shards, SkipRegistration: true, IdentifyGate: gate,
			ConnectTimeout: 300 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		go func() { done <- a.Run(ctx) }()
	}
	for range shards {
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "no READY within 300ms") {
				t.Errorf("Run against a silent gateway returned %v, want it to say no READY came", err)
			}
		case <-time.After(wait):
			t.Fatalf("Run still waits on a silent gateway after %s (ConnectTimeout 300ms); %d connections; logs: %s",
				wait, fake.Connections(), logs.String())
		}
	}
	if n := fake.Connections(); n != shards {
		t.Errorf("%d gateway connections, want one per shard: the second shard must get its turn", n)
	}
}

// A shutdown while a shard waits on a silent gateway, and another shard waits behind it at
// the identify gate, is prompt: it does not wait out ConnectTimeout.
func TestShutdownDoesNotWaitOutASilentGateway(t *testing.T) {
	const shards = 2
	fake := discordtest.Start(token)
	defer fake.Close()
	fake.StallGateway(true)
	gate := discord.NewIdentifyGate(discord.GateOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, shards)
	for shard := range shards {
		a, err := discord.New(discord.Config{Token: token, APIURL: fake.APIURL(), Core: mustCore(t),
			ShardID: shard, ShardCount: shards, SkipRegistration: true, IdentifyGate: gate,
			ConnectTimeout: time.Hour, Logger: slog.New(slog.NewTextHandler(&bottest.Buffer{}, nil))})
		if err != nil {
			t.Fatal(err)
		}
		go func() { done <- a.Run(ctx) }()
	}
	if !fake.AwaitConnections(wait, 1) {
		t.Fatal("no shard dialled the gateway")
	}
	cancel()
	for range shards {
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v at shutdown, want nil", err)
			}
		case <-time.After(wait):
			t.Fatalf("Run still waits on a silent gateway %s after its context ended", wait)
		}
	}
}
