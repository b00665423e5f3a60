package main

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/discord/discordtest"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// discordProcess is what `studybot run` starts for Discord in one process: a core (sharing
// Redis when the environment says so) and newDiscord's services, run in this test process.
type discordProcess struct {
	c    *core
	logs *bottest.Buffer
	stop func()
}

func startDiscordProcess(t *testing.T, vars map[string]string) *discordProcess {
	t.Helper()
	return startProcess(t, vars, newDiscord)
}

// startProcess runs the services wire builds for the environment vars in this test process,
// until the test ends or the process is stopped.
func startProcess(t *testing.T, vars map[string]string, wire func(context.Context, *core) ([]service, error)) *discordProcess {
	t.Helper()
	cfg := testConfig(t, vars)
	logs := &bottest.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	c, closeShared, err := openCoreShared(ctx, cfg, bot.SystemClock{}, log)
	if err != nil {
		t.Fatal(err)
	}
	services, err := wire(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, s := range services {
		wg.Go(func() {
			if err := s.Run(ctx); err != nil {
				t.Errorf("%s: %v", s.Name(), err)
			}
		})
	}
	p := &discordProcess{c: c, logs: logs}
	var once sync.Once
	p.stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			closeShared()
			c.Close()
		})
	}
	t.Cleanup(p.stop)
	return p
}

// connected says whether every shard of the process is up, as /readyz reports it.
func (p *discordProcess) connected() bool {
	return strings.HasPrefix(p.c.ready.report(context.Background()).Checks["discord"], "connected")
}

// shortIdentifyInterval makes the processes of a test and the fake Discord agree on a short
// spacing of session starts, so a test need not wait Discord's 5 s per start.
func shortIdentifyInterval(t *testing.T, fake *discordtest.Server, d time.Duration) {
	old := discordIdentifyInterval
	discordIdentifyInterval = d
	t.Cleanup(func() { discordIdentifyInterval = old })
	fake.SetIdentifyInterval(d) // an IDENTIFY sooner is answered with op 9, as Discord does
}

func registrations(fake *discordtest.Server) int {
	n := 0
	for _, r := range fake.Requests() {
		if r.Method == http.MethodPut && strings.HasSuffix(r.Path, "/commands") {
			n++
		}
	}
	return n
}

func identifies(fake *discordtest.Server) int {
	n := 0
	for _, f := range fake.Frames() {
		if f.Op == discordtest.OpIdentify {
			n++
		}
	}
	return n
}

// The shards of one process share its identify gate: each comes up on its first IDENTIFY,
// none answered with op 9, and shard 0 registers /roadmap once for all of them. A Redis that
// cannot be reached changes nothing but one warning: the process paces its own shards.
func TestDiscordShardsOfOneProcessTakeTurnsAndShardZeroRegistersOnce(t *testing.T) {
	const interval = 300 * time.Millisecond
	for _, tc := range []struct {
		name, redis string
		warnings    int
	}{
		{"without Redis", "", 0},
		{"with Redis unreachable", "redis://" + freeAddr(t) + "/0", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := discordtest.Start("tok")
			defer fake.Close()
			shortIdentifyInterval(t, fake, interval)
			vars := map[string]string{"DISCORD_TOKEN": "tok", "DISCORD_API_URL": fake.APIURL(),
				"DISCORD_SHARD_ID": "0", "DISCORD_SHARD_COUNT": "3", "DISCORD_SHARDS_PER_PROCESS": "3"}
			if tc.redis != "" {
				vars["REDIS_URL"] = tc.redis
			}
			p := startDiscordProcess(t, vars)
			waitFor(t, func() bool { return p.connected() && registrations(fake) > 0 })
			time.Sleep(2 * interval) // room for a second registration or a late re-identify
			p.stop()
			tookTurns(t, fake, 3)
			if n := strings.Count(p.logs.String(), "cannot claim Discord session starts"); n != tc.warnings {
				t.Errorf("%d warnings about claims, want %d; logs:\n%s", n, tc.warnings, p.logs.String())
			}
		})
	}
}

// Pods sharing Redis start sessions of one bucket apart, however they are started (here: at
// once), and only the pod holding shard 0 registers /roadmap; the other registers nothing.
func TestDiscordProcessesSharingRedisTakeTurnsAndOnlyShardZerosRegisters(t *testing.T) {
	const interval = 300 * time.Millisecond
	redisURL := bottest.RedisURL(t)
	fake := discordtest.Start("tok")
	defer fake.Close()
	shortIdentifyInterval(t, fake, interval)
	process := func(id string) map[string]string {
		return map[string]string{"DISCORD_TOKEN": "tok", "DISCORD_API_URL": fake.APIURL(),
			"DISCORD_SHARD_ID": id, "DISCORD_SHARD_COUNT": "4", "DISCORD_SHARDS_PER_PROCESS": "2",
			"REDIS_URL": redisURL, "STUDYBOT_REDIS_PREFIX": "studybot-test-" + rand.Text() + ":"}
	}
	vars0, vars1 := process("0"), process("1")
	vars1["STUDYBOT_REDIS_PREFIX"] = vars0["STUDYBOT_REDIS_PREFIX"] // one deployment
	pods := []*discordProcess{startDiscordProcess(t, vars0), startDiscordProcess(t, vars1)}
	waitFor(t, func() bool { return pods[0].connected() && pods[1].connected() && registrations(fake) > 0 })
	time.Sleep(2 * interval) // room for a second registration
	for _, p := range pods {
		p.stop()
	}
	tookTurns(t, fake, 4)
	for i, want := range []int{1, 0} {
		if n := strings.Count(pods[i].logs.String(), "registered /roadmap"); n != want {
			t.Errorf("pod %d registered /roadmap %d times, want %d; logs:\n%s", i, n, want, pods[i].logs.String())
		}
	}
}

// tookTurns checks what the gateway saw of shards that started their sessions in turn: one
// IDENTIFY each, none refused with op 9, and /roadmap registered once (by shard 0).
func tookTurns(t *testing.T, fake *discordtest.Server, shards int) {
	t.Helper()
	if n := fake.InvalidSessions(); n != 0 {
		t.Errorf("the gateway answered %d IDENTIFYs with op 9: the shards did not take turns", n)
	}
	if n := identifies(fake); n != shards {
		t.Errorf("%d IDENTIFYs for %d shards", n, shards)
	}
	if n := registrations(fake); n != 1 {
		t.Errorf("/roadmap registered %d times, want once, by shard 0", n)
	}
}
