package discord_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt/bolttest"
	"github.com/studybot/studybot/adapters/discord"
	"github.com/studybot/studybot/adapters/discord/discordtest"
	"github.com/studybot/studybot/adapters/internal/chattest"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// dmChannel is the direct-message channel presses come from.
const dmChannel = "800000000000000001"

// recordingCore is the core with every request it gets recorded.
type recordingCore struct {
	*chattest.Recorder
	core *bot.Bot
}

func (r recordingCore) Roadmap() *bot.Roadmap { return r.core.Roadmap() }

func TestCommunityAdminMeansManageServerOrAdministrator(t *testing.T) {
	var rec *chattest.Recorder
	h := start(t, setup{wrap: func(b *bot.Bot) discord.Core {
		rec = &chattest.Recorder{Handler: b}
		return recordingCore{Recorder: rec, core: b}
	}})
	const base = 1<<10 | 1<<11 | 1<<31
	for _, tc := range []struct {
		name                  string
		permissions           int64
		admin, communityAdmin bool
	}{
		{"a learner", base, false, false},
		{"Manage Channels only (say, of one temporary voice channel)", base | 1<<4, true, false},
		{"Manage Server", base | 1<<5, true, true},
		{"Administrator", base | 1<<3, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := learner
			u.Permissions = tc.permissions
			h.command(u, discordtest.Group("nudge", discordtest.Sub("status")))
			req := rec.Last(t)
			if req.Admin != tc.admin || req.CommunityAdmin != tc.communityAdmin {
				t.Errorf("Admin=%v CommunityAdmin=%v, want %v and %v", req.Admin, req.CommunityAdmin, tc.admin, tc.communityAdmin)
			}
		})
	}
}

// dmPress presses a direct-message button with customID as u and returns the answer.
func (h *harness) dmPress(u discordtest.User, customID string) answer {
	h.t.Helper()
	id, err := h.fake.Press("", dmChannel, u, customID)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.await(id)
}

// memberLookups counts GET guild member calls for guildID.
func memberLookups(fake *discordtest.Server, guildID string) int {
	n := 0
	for _, r := range fake.Requests() {
		if r.Method == http.MethodGet && strings.HasPrefix(r.Path, "/api/v9/guilds/"+guildID+"/members/") {
			n++
		}
	}
	return n
}

func TestDirectMessagePressesSpendTheCooldownFirstAndLookMembersUpOnce(t *testing.T) {
	h := start(t, setup{})
	h.fake.AddMember(guild, learner.ID, "")
	stranger := discordtest.User{ID: "400000000000000077", Username: "mallory"}

	for range 3 {
		if a := h.dmPress(learner, "roadmap@"+guild+":topics"); !strings.Contains(a.text(), "Internet basics") {
			t.Fatalf("a member's press answered %q", a.text())
		}
	}
	if n := memberLookups(h.fake, guild); n != 1 {
		t.Errorf("three presses by one member made %d member lookups, want 1 (cached)", n)
	}

	// Someone who is not a member (or a guild that removed the bot): one lookup, then the
	// cached refusal, then the cooldown before anything at all.
	refused := 0
	for range 14 {
		a := h.dmPress(stranger, "roadmap@"+guild+":checkin")
		switch {
		case strings.Contains(a.text(), "no longer in"):
		case strings.Contains(a.text(), "Easy there"):
			refused++
		default:
			t.Fatalf("a non-member's press answered %q", a.text())
		}
	}
	if refused != 4 {
		t.Errorf("%d of 14 quick presses were refused by the cooldown, want 4 (10 per 10 s)", refused)
	}
	if n := memberLookups(h.fake, guild); n != 2 {
		t.Errorf("14 presses by a non-member made %d more member lookups, want 1", n-1)
	}
}

func TestAGuildThatRefusesTheBotIsAskedOnceForAllItsMembers(t *testing.T) {
	h := start(t, setup{})
	const gone = "600000000000000042"
	h.fake.FailGuild(gone, http.StatusForbidden, 50001, "Missing Access")
	for _, u := range []discordtest.User{learner, manager} {
		if a := h.dmPress(u, "roadmap@"+gone+":checkin"); !strings.Contains(a.text(), "no longer in") {
			t.Errorf("%s's press answered %q", u.Username, a.text())
		}
	}
	if n := memberLookups(h.fake, gone); n != 1 {
		t.Errorf("a guild that refuses the bot was asked %d times, want once", n)
	}
}

func TestStopRemindersWorksForALearnerWhoLeftTheGuild(t *testing.T) {
	h := start(t, setup{})
	h.command(learner, discordtest.Sub("remind", discordtest.Str("time", "20:00")))
	h.advance(14 * time.Hour) // the reminder goes out
	var dm []byte
	for _, r := range h.fake.Requests() {
		if r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/api/v9/channels/") && !strings.Contains(r.Path, channel) {
			dm = r.Body
		}
	}
	const stop = "roadmap@" + guild + ":remind off"
	if !strings.Contains(string(dm), `"custom_id":"`+stop+`"`) || !strings.Contains(string(dm), "Stop reminders") {
		t.Fatalf("the reminder DM has no Stop reminders button: %s", dm)
	}

	// The learner has left the guild: no AddMember. Stop reminders still works.
	a := h.dmPress(learner, stop)
	if strings.Contains(a.text(), "no longer in") || !a.ephemeral() {
		t.Fatalf("Stop reminders answered %q (ephemeral %v)", a.text(), a.ephemeral())
	}
	sch, err := h.store.(bot.ScheduleStore).Schedule(context.Background(), bot.RemindKey(bot.Community{Platform: bot.PlatformDiscord, ID: guild}, learner.ID))
	if err != nil {
		t.Fatal(err)
	}
	if sch.Active() {
		t.Errorf("after Stop reminders the learner's reminder is still on: %+v", sch)
	}
	if n := memberLookups(h.fake, guild); n != 0 {
		t.Errorf("Stop reminders looked the presser up %d times", n)
	}
	// Anything else from a learner who left is still refused.
	if a := h.dmPress(learner, "roadmap@"+guild+":checkin"); !strings.Contains(a.text(), "no longer in") {
		t.Errorf("a check-in from a learner who left answered %q", a.text())
	}
}

// memRelay is a Relay inside the test process: what the Redis store does between processes.
type memRelay struct {
	mu   sync.Mutex
	subs map[string][]*listener
}

type listener = func(string, []byte)

func (r *memRelay) Publish(_ context.Context, topic string, msg []byte) (int, error) {
	r.mu.Lock()
	subs := append([]*listener(nil), r.subs[topic]...)
	r.mu.Unlock()
	for _, fn := range subs {
		(*fn)(topic, msg)
	}
	return len(subs), nil
}

func (r *memRelay) Subscribe(ctx context.Context, topics []string, fn func(string, []byte)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.subs == nil {
		r.subs = map[string][]*listener{}
	}
	f := &fn
	for _, t := range topics {
		r.subs[t] = append(r.subs[t], f)
	}
	context.AfterFunc(ctx, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, t := range topics {
			for i, g := range r.subs[t] {
				if g == f {
					r.subs[t] = append(r.subs[t][:i], r.subs[t][i+1:]...)
					break
				}
			}
		}
	})
	return nil
}

// pod is one process of a sharded deployment: its own store and core, one shard.
type pod struct {
	core  *bot.Bot
	store bot.Store
	logs  *bottest.Buffer
}

// startPods runs one adapter per shard of count against fake, each over a store of its own
// (as pods with their own bbolt files), sharing relay (nil: none).
func startPods(t *testing.T, fake *discordtest.Server, count int, relay discord.Relay) []*pod {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, count)
	pods := make([]*pod, count)
	gate := discord.NewIdentifyGate(discord.GateOptions{Interval: 100 * time.Millisecond}) // the fake does not pace starts
	for shard := range count {
		core, store := bolttest.Core(t, bot.Config{Roadmap: defaultRoadmap(t), Clock: bot.NewManualClock(t0)})
		p := &pod{core: core, store: store, logs: &bottest.Buffer{}}
		pods[shard] = p
		cfg := discord.Config{Token: token, APIURL: fake.APIURL(), Core: core, ShardID: shard, ShardCount: count,
			SkipRegistration: shard != 0, IdentifyGate: gate,
			Logger: slog.New(slog.NewTextHandler(p.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
		if relay != nil {
			cfg.Relay = relay
		}
		a, err := discord.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		go func() { done <- a.Run(ctx) }()
	}
	t.Cleanup(func() {
		cancel()
		for range count {
			if err := <-done; err != nil {
				t.Errorf("Run returned %v", err)
			}
		}
	})
	if !fake.AwaitSessions(wait, count) {
		t.Fatalf("not every shard has a session; frames: %v", fake.Frames())
	}
	return pods
}

func (p *pod) learner(t *testing.T, guildID string) bot.Learner {
	t.Helper()
	l, err := p.store.Learner(context.Background(), bot.Community{Platform: bot.PlatformDiscord, ID: guildID}, learner.ID)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func awaitText(t *testing.T, fake *discordtest.Server, id string) string {
	t.Helper()
	r, ok := fake.AwaitAnswer(id, wait)
	if !ok {
		t.Fatalf("interaction %s was not answered; requests: %v", id, paths(fake.Requests()))
	}
	var a answer
	if err := json.Unmarshal(r.Body, &a); err != nil {
		t.Fatal(err)
	}
	return a.text()
}

// Discord sends every direct-message interaction to shard 0. A reminder's button for a guild
// of shard 1 must act on shard 1's data, which lives in another process (another store).
func TestADirectMessagePressIsAnsweredWhereItsGuildsDataLives(t *testing.T) {
	g1 := guildOn(1, 2)
	for _, tc := range []struct {
		name    string
		relay   discord.Relay
		handed  bool // the press reaches shard 1's process
		message string
	}{
		{"handed over the relay to the process serving the guild", &memRelay{}, true, "checked in"},
		{"without a relay the presser is told where to go", nil, false, "Use /roadmap checkin in that server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := discordtest.Start(token)
			defer fake.Close()
			pods := startPods(t, fake, 2, tc.relay)
			fake.AddMember(g1, learner.ID, "")

			id, err := fake.Press("", dmChannel, learner, "roadmap@"+g1+":checkin")
			if err != nil {
				t.Fatal(err)
			}
			if got := awaitText(t, fake, id); !strings.Contains(got, tc.message) {
				t.Errorf("the press answered %q, want %q", got, tc.message)
			}
			if l := pods[0].learner(t, g1); l.Version != 0 {
				t.Errorf("shard 0's process wrote a shadow record for a guild it does not serve: %+v", l.Streak)
			}
			if got, want := pods[1].learner(t, g1).Streak.Current, map[bool]int{true: 1, false: 0}[tc.handed]; got != want {
				t.Errorf("in the guild's own store the streak is %d, want %d", got, want)
			}
			if n := memberLookups(fake, g1); n > 1 || (n == 1) != tc.handed {
				t.Errorf("%d member lookups; want one only where the press was run", n)
			}
		})
	}
}
