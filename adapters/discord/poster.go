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
	embeds, components := render(r, dmGuild)
	_, err := a.s.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{
		Embeds:          embeds,
		Components:      components,
		AllowedMentions: noMentions(),
	}, discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
	if err != nil {
		return postError("post to channel "+channelID, err)
	}
	return nil
}

// postError classifies a failed post for the scheduler: a rate limit says how long to wait;
// a channel that is gone or closed to the bot (403, 404) or a request Discord refuses (400,
// 401) is permanent; server trouble and network errors are worth another try.
func postError(what string, err error) error {
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) {
		return &bot.PostError{RetryAfter: rl.RetryAfter, Err: fmt.Errorf("%s: %w", what, restProblem(err))}
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		switch status := re.Response.StatusCode; {
		case status == http.StatusTooManyRequests, status >= 500:
		case status >= 400:
			return &bot.PostError{Permanent: true, Err: fmt.Errorf("%s: %w", what, restProblem(err))}
		}
	}
	return &bot.PostError{Err: fmt.Errorf("%s: %w", what, restProblem(err))}
}
