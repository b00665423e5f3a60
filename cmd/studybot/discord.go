package main

import (
	"context"
	"fmt"

	"github.com/studybot/studybot/adapters/discord"
	"github.com/studybot/studybot/bot"
)

func init() { chatAdapters = append(chatAdapters, newDiscord) }

// newDiscord runs the Discord adapter when DISCORD_TOKEN is set: slash commands over the
// gateway, and the poster the scheduler uses for daily lessons and reminders.
func newDiscord(_ context.Context, c *core) ([]service, error) {
	if !c.cfg.discordEnabled() {
		return nil, nil
	}
	a, err := discord.New(discord.Config{
		Token:      c.cfg.DiscordToken,
		GuildID:    c.cfg.DiscordGuildID,
		APIURL:     c.cfg.DiscordAPIURL,
		ShardID:    c.cfg.DiscordShardID,
		ShardCount: c.cfg.DiscordShardCount,
		Core:       c.bot,
		Logger:     c.log,
	})
	if err != nil {
		return nil, fmt.Errorf("DISCORD_TOKEN: %w", err)
	}
	c.posters[bot.PlatformDiscord] = a
	c.ready.add("discord", func(context.Context) (string, bool) {
		if a.Connected() {
			return "connected", true
		}
		return "not connected to the gateway", false
	})
	c.metrics.Gauge("studybot_adapter_connected", "1 while the chat adapter's connection is up.",
		map[string]string{"adapter": "discord"}, a.Connected)
	return []service{a}, nil
}
