package discord_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/adapters/bolt/bolttest"
	"github.com/studybot/studybot/adapters/discord/discordtest"
	"github.com/studybot/studybot/bot"
)

const (
	otherGuild   = "600000000000000002"
	otherChannel = "700000000000000002"
)

var nudgeAt9 = discordtest.Group("nudge", discordtest.Sub("set", discordtest.Str("time", "09:00"), discordtest.Str("zone", "Europe/Berlin")))

// awaitLog waits until the adapter has logged a line holding every one of parts: the guild
// event it names has been handled.
func (h *harness) awaitLog(parts ...string) {
	h.t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		for line := range strings.SplitSeq(h.logs.String(), "\n") {
			found := true
			for _, p := range parts {
				found = found && strings.Contains(line, p)
			}
			if found {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("no log line with %q; logs:\n%s", parts, h.logs.String())
}

// dmOpens counts the direct-message channels opened (one per private message sent), to
// anyone when to is "", else to that user.
func dmOpens(reqs []discordtest.Request, to string) int {
	n := 0
	for _, r := range reqs {
		if r.Method == http.MethodPost && r.Path == "/api/v9/users/@me/channels" && (to == "" || r.JSON()["recipient_id"] == to) {
			n++
		}
	}
	return n
}

// holding lists where in the harness's bbolt file needle appears.
func holding(t *testing.T, store bot.Store, needle string) []string {
	t.Helper()
	db, ok := store.(*bolt.DB)
	if !ok {
		t.Fatalf("the harness store is a %T, not the bbolt file", store)
	}
	return bolttest.Holding(t, db, needle)
}

func TestRemovalFromAGuildStopsItsPostsUntilItComesBack(t *testing.T) {
	h := start(t, setup{})
	if got := h.command(manager, nudgeAt9); !strings.Contains(got.text(), "Daily lesson on") {
		t.Fatalf("nudge set answered %q", got.text())
	}
	h.command(learner, discordtest.Sub("remind", discordtest.Str("time", "20:00")))
	h.command(learner, discordtest.Sub("checkin"))

	if err := h.fake.RemoveFromGuild(guild); err != nil {
		t.Fatal(err)
	}
	h.awaitLog("removed from a Discord guild", guild)
	dms, reminders := dmOpens(h.fake.Requests(), ""), dmOpens(h.fake.Requests(), learner.ID)
	h.advance(72 * time.Hour) // Monday's recap and three days of lessons and reminders
	if n := len(postsTo(t, h.fake.Requests(), channel)); n != 0 {
		t.Errorf("three days after the bot was removed, the guild got %d lesson posts", n)
	}
	if n := dmOpens(h.fake.Requests(), "") - dms; n != 0 {
		t.Errorf("three days after the bot was removed, %d private messages went out for the guild", n)
	}

	if err := h.fake.AddToGuild(guild); err != nil {
		t.Fatal(err)
	}
	h.awaitLog("back in a Discord guild", guild)
	h.advance(24 * time.Hour)
	posts := postsTo(t, h.fake.Requests(), channel)
	if len(posts) != 1 {
		t.Fatalf("a day after coming back the channel got %d posts, want one: the missed days are not sent", len(posts))
	}
	if title := posts[0].Embeds[0].Title; !strings.Contains(title, "Day 1 ·") {
		t.Errorf("the first post after coming back is %q, want Day 1: nothing was posted while away", title)
	}
	// Thursday: the learner's reminder and nothing else, not Monday's recap either.
	if n, all := dmOpens(h.fake.Requests(), learner.ID)-reminders, dmOpens(h.fake.Requests(), "")-dms; n != 1 || all != 1 {
		t.Errorf("a day after coming back %d private messages went out, %d of them reminders; want the learner's reminder alone", all, n)
	}
	l, err := h.store.Learner(context.Background(), bot.Community{Platform: bot.PlatformDiscord, ID: guild}, learner.ID)
	if err != nil || l.Streak.Longest != 1 {
		t.Errorf("the learner's record after coming back: streak %+v, %v; want the day studied before leaving", l.Streak, err)
	}
}

func TestAGuildOutageChangesNothing(t *testing.T) {
	h := start(t, setup{})
	h.command(manager, nudgeAt9)
	if err := h.fake.GuildOutage(guild); err != nil {
		t.Fatal(err)
	}
	h.awaitLog("guild unavailable", guild)
	h.advance(24 * time.Hour)
	if n := len(postsTo(t, h.fake.Requests(), channel)); n != 1 {
		t.Errorf("a day after an outage the channel got %d posts, want its daily lesson", n)
	}
	if back, err := h.core.CommunityBack(context.Background(), bot.Community{Platform: bot.PlatformDiscord, ID: guild}); err != nil || back {
		t.Errorf("after an outage the guild reads as left (%v, %v)", back, err)
	}
}

func TestAGuildLeftLongerThanTheRetentionIsDeletedAndNoOtherIs(t *testing.T) {
	h := start(t, setup{})
	h.command(manager, nudgeAt9)
	h.command(learner, discordtest.Sub("remind", discordtest.Str("time", "20:00")))
	h.command(learner, discordtest.Sub("checkin"))
	id, err := h.fake.Command(otherGuild, otherChannel, learner, discordtest.Sub("checkin"))
	if err != nil {
		t.Fatal(err)
	}
	h.await(id)
	if len(holding(t, h.store, guild)) == 0 {
		t.Fatal("the guild's data is not in the file to begin with")
	}

	if err := h.fake.RemoveFromGuild(guild); err != nil {
		t.Fatal(err)
	}
	h.awaitLog("removed from a Discord guild", guild)
	ctx := context.Background()
	h.clock.Advance(bot.DefaultCommunityRetention - time.Hour)
	if n, err := h.core.PurgeLeft(ctx, h.clock.Now().Add(-bot.DefaultCommunityRetention)); err != nil || n != 0 {
		t.Fatalf("purge within the retention deleted %d communities (%v)", n, err)
	}
	if len(holding(t, h.store, guild)) == 0 {
		t.Fatal("the guild's data is gone within the retention")
	}
	h.clock.Advance(2 * time.Hour)
	if n, err := h.core.PurgeLeft(ctx, h.clock.Now().Add(-bot.DefaultCommunityRetention)); err != nil || n != 1 {
		t.Fatalf("purge after the retention deleted %d communities (%v), want 1", n, err)
	}
	if where := holding(t, h.store, guild); len(where) != 0 {
		t.Errorf("after the retention the file still holds the guild at %q", where)
	}
	other := bot.Community{Platform: bot.PlatformDiscord, ID: otherGuild}
	if l, err := h.store.Learner(ctx, other, learner.ID); err != nil || l.UserID != learner.ID || l.Streak.Longest != 1 {
		t.Errorf("the other guild's learner after the purge: %+v, %v", l, err)
	}
}
