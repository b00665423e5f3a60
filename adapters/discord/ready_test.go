package discord_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/discord"
	"github.com/studybot/studybot/adapters/discord/discordtest"
	"github.com/studybot/studybot/bot"
)

// leftCommunities is which Discord guilds the store records the bot as having left.
func leftCommunities(t *testing.T, core *bot.Bot) map[string]bool {
	t.Helper()
	left := map[string]bool{}
	err := core.KnownCommunities(context.Background(), bot.PlatformDiscord, func(c bot.Community, gone bool) error {
		if gone {
			left[c.ID] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return left
}

// awaitReadyChecks waits until the adapter has checked n READYs for guilds missing from
// them.
func (h *harness) awaitReadyChecks(n int) {
	h.t.Helper()
	deadline := time.Now().Add(wait)
	for strings.Count(h.logs.String(), "READY checked for guilds left while disconnected") < n {
		if time.Now().After(deadline) {
			h.t.Fatalf("fewer than %d READYs checked; logs:\n%s", n, h.logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// nudgeBoth sets the daily lesson at 09:00 in the test guild's channel and in the other
// guild's.
func nudgeBoth(t *testing.T, h *harness) {
	t.Helper()
	if got := h.command(manager, nudgeAt9); !strings.Contains(got.text(), "Daily lesson on") {
		t.Fatalf("nudge set in the guild answered %q", got.text())
	}
	id, err := h.fake.Command(otherGuild, otherChannel, manager, nudgeAt9)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.await(id); !strings.Contains(got.text(), "Daily lesson on") {
		t.Fatalf("nudge set in the other guild answered %q", got.text())
	}
}

// reidentify drops the gateway connection and refuses to resume, so the session starts
// anew with a READY on websocket connection conn, as after studybot was stopped or a long
// outage.
func reidentify(t *testing.T, h *harness, conn int) {
	t.Helper()
	h.fake.RefuseResume(true)
	if err := h.fake.Reconnect(); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.fake.AwaitFrame(wait, func(f discordtest.Frame) bool { return f.Conn == conn && f.Op == discordtest.OpIdentify }); !ok {
		t.Fatalf("no IDENTIFY after a refused RESUME; frames: %v", h.fake.Frames())
	}
	if !h.fake.AwaitSession(wait) {
		t.Fatal("no gateway session after identifying again")
	}
}

func TestAGuildMissingFromReadyIsLeftUntilItComesBack(t *testing.T) {
	h := start(t, setup{})
	nudgeBoth(t, h)

	// The bot is removed from the other guild while no session listens: no GUILD_DELETE,
	// and the next READY lists the test guild alone.
	h.fake.SetGuilds(guild)
	reidentify(t, h, 2)
	h.awaitReadyChecks(2)
	if left := leftCommunities(t, h.core); !left[otherGuild] || left[guild] {
		t.Fatalf("guilds recorded as left %v, want the other guild only", left)
	}
	h.advance(24 * time.Hour)
	if n := len(postsTo(t, h.fake.Requests(), otherChannel)); n != 0 {
		t.Errorf("the guild the bot was removed from got %d lesson posts", n)
	}
	if n := len(postsTo(t, h.fake.Requests(), channel)); n != 1 {
		t.Errorf("the guild READY listed got %d lesson posts in a day, want its daily lesson", n)
	}
	// Missing from the next READY too: already left, it is not left (nor logged) again.
	reidentify(t, h, 3)
	h.awaitReadyChecks(3)
	if n := strings.Count(h.logs.String(), "removed from a Discord guild while disconnected"); n != 1 {
		t.Errorf("the removal was logged %d times, want once:\n%s", n, h.logs.String())
	}

	// Listed in READY while recorded as left is not back yet; its GUILD_CREATE is.
	h.fake.SetGuilds(guild, otherGuild)
	reidentify(t, h, 4)
	h.awaitReadyChecks(4)
	if left := leftCommunities(t, h.core); !left[otherGuild] {
		t.Errorf("READY alone brought the other guild back: left %v", left)
	}
	if err := h.fake.AddToGuild(otherGuild); err != nil {
		t.Fatal(err)
	}
	h.awaitLog("back in a Discord guild", otherGuild)
	h.advance(24 * time.Hour)
	if n := len(postsTo(t, h.fake.Requests(), otherChannel)); n != 1 {
		t.Errorf("a day after coming back the other guild got %d lesson posts, want one", n)
	}
	if n := len(postsTo(t, h.fake.Requests(), channel)); n != 2 {
		t.Errorf("the test guild got %d lesson posts in two days, want two", n)
	}
}

// A resumed session lists no guilds: a guild missing from Discord's side stays as it was.
func TestAResumedSessionLeavesNoGuild(t *testing.T) {
	h := start(t, setup{})
	nudgeBoth(t, h)
	h.fake.SetGuilds(guild)
	if err := h.fake.Reconnect(); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.fake.AwaitFrame(wait, func(f discordtest.Frame) bool { return f.Conn == 2 && f.Op == discordtest.OpResume }); !ok {
		t.Fatalf("no RESUME after op 7; frames: %v", h.fake.Frames())
	}
	if !h.fake.AwaitSession(wait) {
		t.Fatal("no gateway session after resuming")
	}
	h.command(learner, discordtest.Sub("next"))
	h.advance(24 * time.Hour)
	if n := len(postsTo(t, h.fake.Requests(), otherChannel)); n != 1 {
		t.Errorf("after a resume the other guild got %d lesson posts, want its daily lesson", n)
	}
	if left := leftCommunities(t, h.core); len(left) != 0 {
		t.Errorf("after a resume guilds are recorded as left: %v", left)
	}
}

// A READY lists its own shard's guilds only: a guild of another shard is not judged by it,
// and a guild the bot keeps settings for alone is left like any other.
func TestReadyJudgesOnlyItsShardsGuilds(t *testing.T) {
	const (
		settingsOnly = "600000000008388608" // shard 0 of 2
		otherShard   = "600000000004194304" // shard 1 of 2
	)
	if discordtest.ShardOf(guild, 2) != 0 || discordtest.ShardOf(settingsOnly, 2) != 0 || discordtest.ShardOf(otherShard, 2) != 1 {
		t.Fatal("the guild IDs are not on the shards this test needs")
	}
	h := start(t, setup{config: func(c *discord.Config) { c.ShardID, c.ShardCount = 0, 2 }})
	h.command(manager, nudgeAt9)
	for _, id := range []string{settingsOnly, otherShard} {
		err := h.store.UpdateSettings(context.Background(), bot.Community{Platform: bot.PlatformDiscord, ID: id},
			func(st *bot.Settings) error { st.Zone = "Europe/Berlin"; return nil })
		if err != nil {
			t.Fatal(err)
		}
	}
	h.fake.SetGuilds(guild)
	reidentify(t, h, 2)
	h.awaitReadyChecks(2)
	if left := leftCommunities(t, h.core); len(left) != 1 || !left[settingsOnly] {
		t.Errorf("guilds recorded as left %v, want only the one with settings, of this shard", left)
	}
}
