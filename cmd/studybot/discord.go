package main

import (
	"context"
	"fmt"
	"time"

	"github.com/studybot/studybot/adapters/discord"
	"github.com/studybot/studybot/bot"
)

func init() { chatAdapters = append(chatAdapters, newDiscord) }

// discordIdentifyInterval is Discord's spacing of session starts per rate-limit bucket;
// tests against the fake shorten it.
var discordIdentifyInterval = discord.IdentifyInterval

// newDiscord runs the Discord adapter when DISCORD_TOKEN is set: slash commands over the
// gateway, and the poster the scheduler uses for daily lessons and reminders.
func newDiscord(_ context.Context, c *core) ([]service, error) {
	if !c.cfg.discordEnabled() {
		return nil, nil
	}
	var shards []*discord.Adapter
	// The shards of this process take turns at starting their gateway sessions, and with
	// Redis (c.claimer) so do the processes sharing it: pods never identify one bucket
	// within Discord's interval of each other.
	gate := discord.NewIdentifyGate(discord.GateOptions{Interval: discordIdentifyInterval, Claimer: c.claimer, Logger: c.log})
	// With Redis (the claimer is then the Redis store, which also relays), a direct-message
	// button for a guild another process serves is handed to that process.
	relay, _ := c.claimer.(discord.Relay)
	for _, shard := range c.cfg.discordShards() {
		a, err := discord.New(discord.Config{
			Token:         c.cfg.DiscordToken,
			GuildID:       c.cfg.DiscordGuildID,
			APIURL:        c.cfg.DiscordAPIURL,
			ShardID:       shard,
			ShardCount:    c.cfg.DiscordShardCount,
			ProcessShards: c.cfg.discordShards(),
			Relay:         relay,
			// Every bulk overwrite replaces the same command: shard 0's process registers it
			// for the whole deployment.
			SkipRegistration: shard != 0,
			IdentifyGate:     gate,
			// Shutdown drains twice (before and after closing the gateway): both fit the grace.
			DrainTimeout: (shutdownGrace - 2*time.Second) / 2,
			Core:         c.bot,
			Logger:       c.log,
		})
		if err != nil {
			return nil, fmt.Errorf("DISCORD_TOKEN: %w", err)
		}
		shards = append(shards, a)
	}
	// Posting is REST, not gateway: any shard's session can deliver to any channel.
	c.posters[bot.PlatformDiscord] = shards[0]
	connected := func() bool {
		for _, a := range shards {
			if !a.Connected() {
				return false
			}
		}
		return true
	}
	c.ready.add("discord", func(context.Context) (string, bool) {
		if connected() {
			return fmt.Sprintf("connected (%s)", plural(len(shards), "shard")), true
		}
		return "not every shard is connected to the gateway", false
	})
	c.metrics.AdapterConnected("discord", connected)
	services := make([]service, len(shards))
	for i, a := range shards {
		services[i] = a
	}
	return services, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
