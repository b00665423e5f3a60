package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/discord/discordtest"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// guildOfShard is a guild ID whose events Discord sends to shard of count.
func guildOfShard(shard, count int) string {
	for id := uint64(600000000000000001); ; id += 1 << 22 {
		if g := strconv.FormatUint(id, 10); discordtest.ShardOf(g, count) == shard {
			return g
		}
	}
}

// answerText is everything an interaction's first answer shows.
func answerText(t *testing.T, fake *discordtest.Server, id string) string {
	t.Helper()
	r, ok := fake.AwaitAnswer(id, 15*time.Second)
	if !ok {
		t.Fatalf("interaction %s was not answered", id)
	}
	var a struct {
		Data struct {
			Embeds []struct{ Title, Description string } `json:"embeds"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.Body, &a); err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, e := range a.Data.Embeds {
		parts = append(parts, e.Title, e.Description)
	}
	return strings.Join(parts, "\n")
}

// startPod runs what `studybot run` runs for the environment vars (wireServices: the chat
// adapters and the scheduler), in this test process, until the test ends.
func startPod(t *testing.T, vars map[string]string) *discordProcess {
	t.Helper()
	return startProcess(t, vars, wireServices)
}

// Two pods of one deployment, each with its own bbolt file, sharing Redis: pod 0 runs shards 0
// and 1, pod 1 runs shards 2 and 3. Discord sends every direct-message interaction to shard 0,
// so a reminder's buttons for a guild of shard 2 reach pod 0, which hands them to pod 1.
func TestDirectMessageButtonsReachThePodThatKeepsTheirGuild(t *testing.T) {
	redisURL := bottest.RedisURL(t)
	fake := discordtest.Start("tok")
	defer fake.Close()
	shortIdentifyInterval(t, fake, 100*time.Millisecond)
	prefix := "studybot-test-" + rand.Text() + ":"
	pod := func(id string) *discordProcess {
		return startPod(t, map[string]string{"DISCORD_TOKEN": "tok", "DISCORD_API_URL": fake.APIURL(),
			"DISCORD_SHARD_ID": id, "DISCORD_SHARD_COUNT": "4", "DISCORD_SHARDS_PER_PROCESS": "2",
			"REDIS_URL": redisURL, "STUDYBOT_REDIS_PREFIX": prefix})
	}
	pods := []*discordProcess{pod("0"), pod("1")}
	waitFor(t, func() bool { return pods[0].connected() && pods[1].connected() })

	g := guildOfShard(2, 4)
	community := bot.Community{Platform: bot.PlatformDiscord, ID: g}
	ada := discordtest.User{ID: "400000000000000001", Username: "ada"}
	bo := discordtest.User{ID: "400000000000000002", Username: "bo"}
	fake.AddMember(g, ada.ID, "")
	learner := func(p *discordProcess, u discordtest.User) bot.Learner {
		l, err := p.c.store.Learner(context.Background(), community, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	reminder := func(p *discordProcess, u discordtest.User) bot.Schedule {
		sch, err := p.c.store.Schedule(context.Background(), bot.RemindKey(community, u.ID))
		if err != nil {
			t.Fatal(err)
		}
		return sch
	}

	// Bo set a reminder in the server (shard 2, pod 1), then left the server.
	id, err := fake.Command(g, "700000000000000001", discordtest.User{ID: bo.ID, Username: "bo", Permissions: 1<<10 | 1<<11 | 1<<31},
		discordtest.Sub("remind", discordtest.Str("time", "20:00")))
	if err != nil {
		t.Fatal(err)
	}
	if got, sch := answerText(t, fake, id), reminder(pods[1], bo); !sch.Active() || sch.At.String() != "20:00" {
		t.Fatalf("the reminder was not set in the guild's pod: %q (%+v)", got, sch)
	}

	for _, tc := range []struct {
		user     discordtest.User
		button   string
		answered string
	}{
		{ada, "checkin", "checked in"},
		{bo, "remind off", ""},
	} {
		id, err := fake.Press("", "800000000000000001", tc.user, "roadmap@"+g+":"+tc.button)
		if err != nil {
			t.Fatal(err)
		}
		if got := answerText(t, fake, id); !strings.Contains(got, tc.answered) || strings.Contains(got, "another studybot instance") {
			t.Errorf("%s's %s press answered %q", tc.user.Username, tc.button, got)
		}
	}
	if l := learner(pods[1], ada); l.Streak.Current != 1 {
		t.Errorf("in the guild's own pod Ada's streak is %d, want 1 from the reminder's Check in", l.Streak.Current)
	}
	if sch := reminder(pods[1], bo); sch.Active() {
		t.Errorf("Bo's reminder is still on after Stop reminders: %+v", sch)
	}
	for _, u := range []discordtest.User{ada, bo} {
		if l := learner(pods[0], u); l.Version != 0 {
			t.Errorf("pod 0 wrote a shadow record for %s in a guild it does not keep", u.Username)
		}
	}
}
