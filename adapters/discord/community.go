package discord

import (
	"context"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
)

// Lifecycle is told when the bot is removed from a guild or is in one again; *bot.Bot is
// one. With a Core that is not one, guild events change nothing.
type Lifecycle interface {
	CommunityLeft(ctx context.Context, c bot.Community) error
	CommunityBack(ctx context.Context, c bot.Community) (back bool, err error)
}

// lifecycleTimeout bounds the store write of one guild event.
const lifecycleTimeout = 30 * time.Second

// guildIntents are the gateway intents the adapter asks for. Interactions need none;
// GUILDS brings GUILD_CREATE (the bot is in a guild: on connect, on joining, after an
// outage) and GUILD_DELETE (removed, or the guild is unavailable). It is not privileged.
const guildIntents = discordgo.IntentsGuilds

// watchGuilds subscribes to the guild events that tell the bot it left a guild or is back;
// the returned function unsubscribes.
func (a *Adapter) watchGuilds(ctx context.Context) func() {
	lc, ok := a.core.(Lifecycle)
	if !ok {
		return func() {}
	}
	removeDelete := a.s.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildDelete) {
		if g.Guild != nil {
			a.guildEvent(ctx, lc, g.ID, !g.Unavailable, g.Unavailable)
		}
	})
	removeCreate := a.s.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildCreate) {
		if g.Guild != nil && !g.Unavailable {
			a.guildEvent(ctx, lc, g.ID, false, false)
		}
	})
	return func() { removeDelete(); removeCreate() }
}

// guildEvent records that the bot left guild id (removed), or is in it (neither), and logs an
// outage (a GUILD_DELETE with unavailable set), which changes nothing: the guild comes back
// with a GUILD_CREATE and its schedules never stopped. It runs even while a shutdown drains,
// so a removal is never lost; the shutdown waits for it.
func (a *Adapter) guildEvent(ctx context.Context, lc Lifecycle, id string, removed, outage bool) {
	a.track.Enter()
	defer a.track.Leave()
	c := bot.Community{Platform: bot.PlatformDiscord, ID: id}
	if err := c.Validate(); err != nil {
		a.log.Warn("Discord guild event for a guild with no usable ID; ignored", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lifecycleTimeout)
	defer cancel()
	switch {
	case outage:
		a.log.Info("Discord guild unavailable (an outage, not a removal): nothing changes", "guild", id)
	case removed:
		if err := lc.CommunityLeft(ctx, c); err != nil {
			a.log.Error("the bot was removed from a guild but its schedules could not be stopped", "guild", id, "err", err)
			return
		}
		a.log.Info("removed from a Discord guild", "guild", id)
	default:
		back, err := lc.CommunityBack(ctx, c)
		if err != nil {
			a.log.Error("the bot is back in a guild but its schedules could not be resumed", "guild", id, "err", err)
			return
		}
		if back {
			a.log.Info("back in a Discord guild", "guild", id)
		}
	}
}
