package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
)

// Post sends r to a channel as an embed with buttons; a press runs the button's command in
// the channel's guild for whoever presses it. It needs no gateway connection.
func (a *Adapter) Post(ctx context.Context, ch bot.Channel, r bot.Response) error {
	if ch.Community.Platform != bot.PlatformDiscord || !isSnowflake(ch.ID) {
		return &bot.PostError{Permanent: true, Err: fmt.Errorf("not a Discord channel: %s/%s", ch.Community.Key(), ch.ID)}
	}
	return a.send(ctx, ch.ID, r, "")
}

// DirectMessage opens (or reuses) the DM channel with the user and sends r there. Its
// buttons carry the guild, so a press acts in the community the message is about.
func (a *Adapter) DirectMessage(ctx context.Context, c bot.Community, userID string, r bot.Response) error {
	if c.Platform != bot.PlatformDiscord || !isSnowflake(c.ID) || !isSnowflake(userID) {
		return &bot.PostError{Permanent: true, Err: fmt.Errorf("not a Discord user: %s user %q", c.Key(), userID)}
	}
	dm, err := a.s.UserChannelCreate(userID, discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
	if err != nil {
		return postError("open a direct message", err)
	}
	return a.send(ctx, dm.ID, r, c.ID)
}

func (a *Adapter) send(ctx context.Context, channelID string, r bot.Response, dmGuild string) error {
	for _, m := range render(r, dmGuild) {
		_, err := a.s.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{
			Embeds:          m.embeds,
			Components:      m.components,
			Files:           m.files, // discordgo sends them as multipart files[n]
			AllowedMentions: noMentions(),
		}, discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
		if err != nil {
			return postError("post to channel "+channelID, err)
		}
	}
	return nil
}

// botWideCodes are Discord JSON error codes that refuse the bot itself, whatever the channel.
var botWideCodes = map[int]bool{
	40001: true, // Unauthorized: the token is not valid
	40002: true, // the bot's account must be verified first
	20001: true, // bots cannot use this endpoint
}

// postError classifies a failed post for the scheduler:
//   - a rate limit says how long to wait; server trouble and network errors are transient;
//   - 401, a bot-wide JSON code, or a 403 or 404 that names no Discord resource (a proxy or
//     Cloudflare answering, a wrong DISCORD_API_URL) refuse the bot itself: bot-wide, so
//     the scheduler stops posting instead of spending one refused request per channel,
//     which Discord counts towards its invalid-request ban;
//   - any other 4xx is about this channel or user (50001 Missing Access, 50013 Missing
//     Permissions, 10003 Unknown Channel, 50007 cannot message the user) or this message,
//     and permanent: that one schedule stops.
func postError(what string, err error) error {
	pe := &bot.PostError{Err: fmt.Errorf("%s: %w", what, restProblem(err))}
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) {
		pe.RetryAfter = rl.RetryAfter
		return pe
	}
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Response == nil {
		return pe
	}
	code := 0
	if re.Message != nil {
		code = re.Message.Code
	}
	switch status := re.Response.StatusCode; {
	case status == http.StatusTooManyRequests, status >= 500, status == http.StatusRequestTimeout:
	case status == http.StatusUnauthorized, botWideCodes[code]:
		pe.BotWide = true
	case (status == http.StatusForbidden || status == http.StatusNotFound) && code == 0:
		pe.BotWide = true
	case status >= 400:
		pe.Permanent = true
	}
	return pe
}
