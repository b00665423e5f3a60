package discord

import (
	"context"
	"sync"
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

// Roster lists the communities studybot keeps data for, with whether the bot left each;
// *bot.Bot is one. With a Core that is not one, a READY changes nothing.
type Roster interface {
	KnownCommunities(ctx context.Context, platform string, fn func(c bot.Community, left bool) error) error
}

// lifecycleTimeout bounds the store write of one guild event.
const lifecycleTimeout = 30 * time.Second

// guildIntents are the gateway intents the adapter asks for. Interactions need none;
// GUILDS brings GUILD_CREATE (the bot is in a guild: on connect, on joining, after an
// outage) and GUILD_DELETE (removed, or the guild is unavailable). It is not privileged.
const guildIntents = discordgo.IntentsGuilds

// watchGuilds subscribes to the guild events that tell the bot it left a guild or is back,
// and to READY, whose guild list tells of removals no event was sent for; the returned
// function unsubscribes.
func (a *Adapter) watchGuilds(ctx context.Context) func() {
	lc, ok := a.core.(Lifecycle)
	if !ok {
		return func() {}
	}
	// Per Run, which is called once per adapter.
	joined := &recentJoins{}
	removeDelete := a.s.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildDelete) {
		if g.Guild != nil {
			a.guildEvent(ctx, lc, g.ID, !g.Unavailable, g.Unavailable)
		}
	})
	removeCreate := a.s.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildCreate) {
		if g.Guild != nil && !g.Unavailable {
			joined.mark(g.ID)
			a.guildEvent(ctx, lc, g.ID, false, false)
		}
	})
	removeReady := func() {}
	if roster, ok := a.core.(Roster); ok {
		// Only READY: it lists every guild of the shard. RESUMED lists none, and replays
		// the events missed meanwhile, removals included.
		removeReady = a.s.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) {
			a.missedRemovals(ctx, lc, roster, joined, r.Guilds)
		})
	}
	return func() { removeDelete(); removeCreate(); removeReady() }
}

// joinGrace is how long after its GUILD_CREATE a guild is taken to be one the bot is in,
// whatever a READY lists. Each event runs on a goroutine of its own, so the READY sweep can
// run after the GUILD_CREATE of a guild the bot joined just after connecting.
const joinGrace = time.Minute

// recentJoins holds when each guild's last GUILD_CREATE was handled. Its lock is held
// from that mark to the sweep's leaving a guild, so a guild the sweep reads as missing is
// either left before its GUILD_CREATE (which then brings it back) or skipped.
type recentJoins struct {
	sweep sync.Mutex // one READY sweep at a time, so the next sees what the last left
	mu    sync.Mutex
	at    map[string]time.Time
}

func (r *recentJoins) mark(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.at == nil {
		r.at = map[string]time.Time{}
	}
	r.at[id] = time.Now()
}

// prune forgets the joins older than joinGrace; the sweep calls it, not mark, which runs
// for every guild of the shard on connecting.
func (r *recentJoins) prune() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for g, at := range r.at {
		if time.Since(at) > joinGrace {
			delete(r.at, g)
		}
	}
}

// unlessJoined runs leave with the lock held, unless id had a GUILD_CREATE within joinGrace.
func (r *recentJoins) unlessJoined(id string, leave func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if at, ok := r.at[id]; ok && time.Since(at) <= joinGrace {
		return
	}
	leave()
}

// missedRemovals marks left each guild of this shard that studybot keeps data for, not
// recorded as left, that a READY does not list: the bot was removed from it while no
// session listened (studybot stopped, or a gateway outage that ended in a new session),
// so no GUILD_DELETE came. A guild READY lists that is recorded as left is not resumed
// here: its GUILD_CREATE, which follows, does that.
func (a *Adapter) missedRemovals(ctx context.Context, lc Lifecycle, roster Roster, joined *recentJoins, guilds []*discordgo.Guild) {
	a.track.Enter()
	defer a.track.Leave()
	joined.sweep.Lock()
	defer joined.sweep.Unlock()
	if guilds == nil {
		// An empty list arrives as an empty slice; nil is a READY that carried none, which
		// proves nothing.
		a.log.Warn("Discord READY without a guild list: guilds left while disconnected stay as they are")
		return
	}
	in := make(map[string]bool, len(guilds))
	for _, g := range guilds {
		if g != nil {
			in[g.ID] = true
		}
	}
	shard, count := a.s.ShardID, a.s.ShardCount
	var missing []bot.Community
	listCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lifecycleTimeout)
	err := roster.KnownCommunities(listCtx, bot.PlatformDiscord, func(c bot.Community, left bool) error {
		// Other shards' guilds are theirs to judge: this READY does not list them.
		if !left && !in[c.ID] && shardOf(c.ID, count) == shard {
			missing = append(missing, c)
		}
		return nil
	})
	cancel()
	if err != nil {
		a.log.Error("could not check for guilds the bot was removed from while disconnected", "shard", shard, "err", err)
		return
	}
	joined.prune()
	newlyLeft := 0
	for _, c := range missing {
		if ctx.Err() != nil {
			return // shutting down: the next READY looks again
		}
		joined.unlessJoined(c.ID, func() {
			// Its own bound, and not cut by a shutdown: a started write finishes.
			leaveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lifecycleTimeout)
			defer cancel()
			if err := lc.CommunityLeft(leaveCtx, c); err != nil {
				a.log.Error("the bot was removed from a guild while disconnected but its schedules could not be stopped",
					"guild", c.ID, "err", err)
				return
			}
			newlyLeft++
			a.log.Info("removed from a Discord guild while disconnected (not in READY)", "guild", c.ID)
		})
	}
	a.log.Debug("READY checked for guilds left while disconnected", "shard", shard, "listed", len(in), "newly_left", newlyLeft)
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
