package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/bot"
)

// botWideErrors are Slack Web API error codes that refuse the app itself, whatever the
// channel: its token is wrong, revoked or expired, its workspace or account is gone, it
// lacks a scope, or the network or enterprise stopped it calling. No channel is to blame,
// so the scheduler pauses posting instead of disabling every channel's lesson (once a second
// post is refused too: one refusal alone costs only that post).
var botWideErrors = map[string]bool{
	"invalid_auth":             true,
	"not_authed":               true,
	"token_revoked":            true,
	"token_expired":            true,
	"account_inactive":         true,
	"missing_scope":            true,
	"not_allowed_token_type":   true,
	"accesslimited":            true,
	"enterprise_is_restricted": true,
	"org_login_required":       true,
}

// permanentErrors are Slack Web API error codes that no retry can fix for this one target:
// the channel or user is gone or closed to the bot, or this message cannot be posted. Some
// concern more than one channel yet not the app as a whole, so they stop each schedule
// they hit, with the reason an admin reads in `nudge status`: no_permission (Slack: "make
// sure your app is a member of the conversation"), team_access_not_granted (an org-wide
// app not granted this workspace) and ekm_access_denied (administrators suspended posting,
// which Enterprise Key Management scopes to a channel, a workspace or the org).
var permanentErrors = map[string]bool{
	"channel_not_found":                        true,
	"not_in_channel":                           true,
	"no_permission":                            true,
	"team_access_not_granted":                  true,
	"ekm_access_denied":                        true,
	"is_archived":                              true,
	"access_denied":                            true,
	"user_not_found":                           true,
	"user_not_visible":                         true,
	"user_disabled":                            true,
	"cannot_dm_bot":                            true,
	"messages_tab_disabled":                    true,
	"restricted_action":                        true,
	"restricted_action_read_only_channel":      true,
	"restricted_action_thread_only_channel":    true,
	"restricted_action_non_threadable_channel": true,
	"invalid_blocks":                           true,
	"invalid_blocks_format":                    true,
	"msg_too_long":                             true,
	"too_many_attachments":                     true,
}

// Post sends a scheduled post (a daily lesson) into a channel with chat.postMessage. The
// bot must be a member of a private channel; Slack's refusal comes back as a permanent
// *bot.PostError. Its files follow it into the channel (see postFiles).
func (a *Adapter) Post(ctx context.Context, ch bot.Channel, r bot.Response) error {
	if err := a.postMessage(ctx, ch.Community.ID, ch.ID, r); err != nil {
		return classify(errf("chat.postMessage", err))
	}
	a.postFiles(ctx, ch.Community.ID, ch.ID, r.Files)
	return nil
}

// postFiles shares a scheduled message's files after it, with files upload v2. The
// message has gone out by then, so a failed upload is logged rather than returned: a
// retry of the whole post would repeat the message.
func (a *Adapter) postFiles(ctx context.Context, team, channel string, files []bot.File) {
	if len(files) == 0 {
		return
	}
	if err := a.upload(ctx, channel, files); err != nil {
		a.log.Warn("slack: a scheduled post went out without its file", "team", team, "err", redactErr(err))
	}
}

// DirectMessage sends a private message (a streak reminder) to a user: conversations.open
// finds or opens the direct message, then chat.postMessage posts into it.
func (a *Adapter) DirectMessage(ctx context.Context, c bot.Community, userID string, r bot.Response) error {
	ctx, cancel := context.WithTimeout(ctx, replyTimeout)
	defer cancel()
	im, _, _, err := a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{userID}})
	if err != nil {
		return classify(errf("conversations.open", err))
	}
	if im == nil || im.ID == "" {
		return &bot.PostError{Err: errors.New("slack conversations.open: no channel in the answer")}
	}
	if err := a.postMessage(ctx, c.ID, im.ID, r); err != nil {
		return classify(errf("chat.postMessage", err))
	}
	a.postFiles(ctx, c.ID, im.ID, r.Files)
	return nil
}

// postMessage posts r, made for workspace team, into channel.
func (a *Adapter) postMessage(ctx context.Context, team, channel string, r bot.Response) error {
	ctx, cancel := context.WithTimeout(ctx, replyTimeout)
	defer cancel()
	m := render(r, team)
	_, _, err := a.api.PostMessageContext(ctx, channel,
		slack.MsgOptionText(m.Text, false), // already escaped by Render
		slack.MsgOptionBlocks(m.Blocks...),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
		slack.MsgOptionLinkNames(false),
		slack.MsgOptionParse(false),
	)
	return err
}

// classify turns a Web API failure into a *bot.PostError: bot-wide or permanent for the
// errors above, with RetryAfter for a rate limit, transient for server errors and everything
// else. The Web API reports a channel's trouble in an ok:false answer, so an HTTP 4xx other
// than a timeout or a rate limit means the request never reached it as meant (a wrong
// SLACK_API_URL, a proxy refusing it): bot-wide too.
func classify(err error) error {
	pe := &bot.PostError{Err: err}
	var (
		limited  *slack.RateLimitedError
		apiErr   slack.SlackErrorResponse
		httpCode slack.StatusCodeError
	)
	switch {
	case errors.As(err, &limited):
		pe.RetryAfter = limited.RetryAfter
	case errors.As(err, &apiErr):
		pe.BotWide = botWideErrors[apiErr.Err]
		pe.Permanent = permanentErrors[apiErr.Err]
		if apiErr.Err == "not_in_channel" || apiErr.Err == "channel_not_found" || apiErr.Err == "no_permission" {
			// What an admin reads in `nudge status`: a private channel needs the bot invited
			// (chat:write.public covers public ones), and Slack hides private channels the
			// bot is not in behind channel_not_found.
			pe.Err = fmt.Errorf("%w: invite @studybot to the channel, then run /roadmap nudge set again", err)
		}
	case errors.As(err, &httpCode):
		code := httpCode.Code
		pe.BotWide = code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests
	}
	return pe
}
