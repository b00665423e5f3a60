package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
)

// Direct-message buttons (a reminder's Check in, Quiz me, Stop reminders) name the guild they
// act in, but Discord delivers every direct-message interaction to shard 0. On a deployment
// whose shards run in several processes, each with its own store, the guild's data may live
// in another process. A press is therefore checked here before anything is looked up:
//
//  1. the presser's cooldown for direct-message presses, so a burst costs nothing further;
//  2. whether this process serves the guild's shard; if not, the press is handed over the
//     Relay (Redis) to the process that does, which answers it, or, with no Relay or nobody
//     listening, the presser is told to use the command in the server;
//  3. whether the presser is still a member of the guild (GET guild member, cached), except
//     for Stop reminders, which must work for a learner who has left.

// Relay hands messages between the studybot processes of one deployment; *redis.Store is one.
type Relay interface {
	// Publish sends msg to whoever listens on topic and says how many received it.
	Publish(ctx context.Context, topic string, msg []byte) (listeners int, err error)
	// Subscribe calls fn with every message published on topics until ctx ends. It returns
	// once listening has begun (or with why it has not yet).
	Subscribe(ctx context.Context, topics []string, fn func(topic string, msg []byte)) error
}

// dmPressLimit is each user's budget of direct-message button presses, spent before anything
// else is done for a press: what the core allows for state changes (10 per 10 s).
var dmPressLimit = bot.Limit{Rate: 10, Per: 10 * time.Second}

// Member lookups are cached, answers and refusals alike: a learner pressing reminder buttons
// costs one GET, and a guild that removed the bot does not earn one 403 per press (Discord
// counts those towards its invalid-request limit).
const (
	memberTTL        = 5 * time.Minute
	memberFailTTL    = 30 * time.Second // a 5xx or a network error: ask again soon
	maxCachedMembers = 10000
)

// stopReminders is the command of a reminder's Stop reminders button.
const stopReminders = "remind off"

// isStopReminders reports whether a button's command turns the presser's reminders off.
func isStopReminders(command string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(command), " "), stopReminders)
}

// shardOf is the shard Discord sends guildID's events to among count shards.
func shardOf(guildID string, count int) int {
	id, _ := strconv.ParseUint(guildID, 10, 64)
	return int((id >> 22) % uint64(max(count, 1)))
}

// relayTopic is where presses for shard are handed over.
func relayTopic(shard int) string { return "discord/dm-press/shard/" + strconv.Itoa(shard) }

// answerElsewhere tells a presser why a button of a server another studybot process serves
// did nothing, and what to do instead.
func answerElsewhere(command string) bot.Response {
	return bot.Response{
		Text: fmt.Sprintf("This button belongs to a server that another studybot instance looks after, and it could not "+
			"be reached just now; nothing was changed. Use /roadmap %s in that server instead.", command),
		Ephemeral: true,
		Tone:      bot.ToneError,
	}
}

func answerSlowDown(wait time.Duration) bot.Response {
	return bot.Response{
		Text:      fmt.Sprintf("Easy there! Try that button again in %d s.", int(wait.Round(time.Second)/time.Second)+1),
		Ephemeral: true,
		Tone:      bot.ToneError,
	}
}

// owns reports whether this process serves guildID's shard, and so holds its data.
func (a *Adapter) owns(guildID string) bool {
	return slices.Contains(a.shards, shardOf(guildID, a.s.ShardCount))
}

// dmPress decides whether a direct-message press of a button naming guildID is run here. When
// it is not, the press has been answered (or handed to the process that will answer it).
// relayed says the press came over the Relay; it is never handed on again.
func (a *Adapter) dmPress(ctx context.Context, i *discordgo.Interaction, command, guildID string, relayed bool) bool {
	if i.User == nil {
		a.respond(ctx, i, answerGuildOnly, "")
		return false
	}
	wait, err := a.dmPresses.Allow(ctx, "dm-press/"+i.User.ID, dmPressLimit)
	if err == nil && wait > 0 {
		a.respond(ctx, i, answerSlowDown(wait), "")
		return false
	}
	if relayed || a.owns(guildID) {
		return true
	}
	shard := shardOf(guildID, a.s.ShardCount)
	// Only a button press crosses the Relay: a modal submission carries typed text the
	// relayed form has no room for, so its presser is told to use the command in the server.
	if a.relay != nil && i.Type == discordgo.InteractionMessageComponent {
		msg, err := json.Marshal(relayedPress{ID: i.ID, AppID: i.AppID, Token: i.Token, ChannelID: i.ChannelID,
			UserID: i.User.ID, Username: i.User.Username, GlobalName: i.User.GlobalName, CustomID: i.MessageComponentData().CustomID})
		if err == nil {
			var n int
			if n, err = a.relay.Publish(ctx, relayTopic(shard), msg); err == nil && n > 0 {
				a.log.Debug("direct-message button handed to the process serving its guild", "guild", guildID, "shard", shard)
				return false
			} else if err == nil {
				err = fmt.Errorf("no process listens for shard %d", shard)
			}
		}
		a.log.Warn("direct-message button for a guild another process serves could not be handed over",
			"guild", guildID, "shard", shard, "err", err)
	} else {
		a.log.Info("direct-message button for a guild another process serves; no relay (REDIS_URL) to hand it over",
			"guild", guildID, "shard", shard)
	}
	a.respond(ctx, i, answerElsewhere(command), "")
	return false
}

// relayedPress is what crosses the Relay: enough of the interaction to answer it (its ID and
// token are a credential for 15 minutes, so the Relay must be the deployment's own Redis).
type relayedPress struct {
	ID         string `json:"id"`
	AppID      string `json:"application_id"`
	Token      string `json:"token"`
	ChannelID  string `json:"channel_id"`
	UserID     string `json:"user_id"`
	Username   string `json:"username"`
	GlobalName string `json:"global_name,omitempty"`
	CustomID   string `json:"custom_id"`
}

// fromRelay answers a press another process handed over, as if this shard had received it.
func (a *Adapter) fromRelay(ctx context.Context, msg []byte) {
	var p relayedPress
	if err := json.Unmarshal(msg, &p); err != nil || p.ID == "" || p.Token == "" || p.UserID == "" {
		a.log.Warn("ignored a relayed direct-message press that does not parse")
		return
	}
	i := &discordgo.Interaction{
		ID: p.ID, AppID: p.AppID, Type: discordgo.InteractionMessageComponent, Token: p.Token, ChannelID: p.ChannelID,
		Version: 1, User: &discordgo.User{ID: p.UserID, Username: p.Username, GlobalName: p.GlobalName},
		Data: discordgo.MessageComponentInteractionData{CustomID: p.CustomID, ComponentType: discordgo.ButtonComponent},
	}
	go a.handle(ctx, i, true)
}

// members caches who is a member of which guild.
type members struct {
	mu      sync.Mutex
	entries map[string]memberEntry // "guild/user", or "guild/" for the whole guild
}

type memberEntry struct {
	m       *discordgo.Member // nil: not a member (or the bot cannot see the guild)
	err     error
	expires time.Time
}

// member returns guildID's member userID, asking Discord only when the cache has no fresh
// answer. A guild that refuses the bot (403) is remembered for every user of it.
func (a *Adapter) member(ctx context.Context, guildID, userID string) (*discordgo.Member, error) {
	now := time.Now()
	if e, ok := a.members.get(guildID+"/", now); ok {
		return nil, e.err
	}
	if e, ok := a.members.get(guildID+"/"+userID, now); ok {
		return e.m, e.err
	}
	m, err := a.s.GuildMember(guildID, userID, discordgo.WithContext(ctx))
	e := memberEntry{m: m, err: err, expires: now.Add(memberTTL)}
	var re *discordgo.RESTError
	switch {
	case err == nil:
	case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusForbidden:
		a.members.put(guildID+"/", e)
		return nil, err
	case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusNotFound:
	default:
		e.expires = now.Add(memberFailTTL)
	}
	a.members.put(guildID+"/"+userID, e)
	return m, err
}

func (c *members) get(key string, now time.Time) (memberEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !now.Before(e.expires) {
		return memberEntry{}, false
	}
	return e, true
}

func (c *members) put(key string, e memberEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]memberEntry{}
	}
	if _, ok := c.entries[key]; !ok && len(c.entries) >= maxCachedMembers {
		now := time.Now()
		for k, old := range c.entries {
			if !now.Before(old.expires) {
				delete(c.entries, k)
			}
		}
		// Still full: drop a tenth, in map order, so the sweep is not paid on every insert.
		for k := range c.entries {
			if len(c.entries) < maxCachedMembers*9/10 {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[key] = e
}
