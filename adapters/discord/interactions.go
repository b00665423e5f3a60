package discord

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/adapters/internal/inflight"
	"github.com/studybot/studybot/bot"
)

// Short answers the adapter gives on its own.
var (
	answerGuildOnly = bot.Response{Text: "studybot works inside a server: use /roadmap in a channel of your study group.", Ephemeral: true, Tone: bot.ToneError}
	answerStale     = bot.Response{Text: "That button no longer works. Try /roadmap help.", Ephemeral: true, Tone: bot.ToneError}
	answerUnread    = bot.Response{Text: "I could not read that command. Try /roadmap help.", Ephemeral: true, Tone: bot.ToneError}
	answerRestart   = bot.Response{Text: "studybot is restarting; try again in a few seconds.", Ephemeral: true, Tone: bot.ToneError}
	answerBroken    = bot.Response{Text: "Something went wrong on our side; nothing was changed. Please try again in a moment.", Ephemeral: true, Tone: bot.ToneError}
	answerLeft      = bot.Response{Text: "That message comes from a server you are no longer in (or studybot left it). Its Stop reminders button still works.", Ephemeral: true, Tone: bot.ToneError}
	answerShared    = bot.Response{Text: "✅ Posted in the channel for everyone.", Ephemeral: true, Tone: bot.ToneSuccess}
)

// callbackTimeout bounds one callback, edit or follow-up, 429 waits included.
const callbackTimeout = 15 * time.Second

// Permissions that make a member a studybot admin in their server: of its channels' daily
// posts (adminPermissions), and of the whole community, its time zone included
// (communityAdminPermissions).
const (
	adminPermissions          = discordgo.PermissionAdministrator | discordgo.PermissionManageGuild | discordgo.PermissionManageChannels
	communityAdminPermissions = discordgo.PermissionAdministrator | discordgo.PermissionManageGuild
)

// interaction answers one INTERACTION_CREATE. discordgo calls it on its own goroutine.
func (a *Adapter) interaction(ctx context.Context, i *discordgo.Interaction) { a.handle(ctx, i, false) }

// handle answers an interaction from this shard's gateway, or one another process handed
// over (relayed).
func (a *Adapter) handle(ctx context.Context, i *discordgo.Interaction, relayed bool) {
	admission := a.track.Enter()
	defer a.track.Leave()
	if admission == inflight.Dropped {
		return // the gateway is closed: an answer would not be wanted any more
	}
	ctx = context.WithoutCancel(ctx) // a shutdown must not abort a half-done command
	if admission == inflight.Refused {
		if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
			a.autocomplete(ctx, i, true)
		} else {
			a.respond(ctx, i, answerRestart, "")
		}
		return
	}
	switch i.Type {
	case discordgo.InteractionApplicationCommandAutocomplete:
		a.autocomplete(ctx, i, false)
	case discordgo.InteractionApplicationCommand:
		text, err := commandText(i.ApplicationCommandData())
		if err != nil {
			a.respond(ctx, i, answerUnread, "")
			return
		}
		a.run(ctx, i, text, "")
	case discordgo.InteractionMessageComponent:
		command, guildID, ok := parseButtonID(i.MessageComponentData().CustomID)
		if !ok {
			a.respond(ctx, i, answerStale, "")
			return
		}
		if i.GuildID == "" && guildID != "" && !a.dmPress(ctx, i, command, guildID, relayed) {
			return
		}
		a.run(ctx, i, command, guildID)
	case discordgo.InteractionModalSubmit:
		// A modal studybot opened, submitted: its command with the typed text appended,
		// run like the press of a button carrying that line.
		data := i.ModalSubmitData()
		command, guildID, ok := parseModalID(data.CustomID)
		if !ok {
			a.respond(ctx, i, answerStale, "")
			return
		}
		if text := strings.TrimSpace(modalText(data)); text != "" {
			command += " " + text
		}
		if i.GuildID == "" && guildID != "" && !a.dmPress(ctx, i, command, guildID, relayed) {
			return
		}
		a.run(ctx, i, command, guildID)
	}
}

// run answers a command line from a slash command or a button. dmGuild is the guild a
// direct-message button acts in.
func (a *Adapter) run(ctx context.Context, i *discordgo.Interaction, text, dmGuild string) {
	// An answer in a direct message has no guild to act in either: its buttons name the
	// guild the pressed button named, so the next press works too.
	buttonGuild := ""
	if i.GuildID == "" {
		buttonGuild = dmGuild
	}
	work := func(ctx context.Context) bot.Response {
		req, refusal := a.request(ctx, i, dmGuild, text)
		if refusal != nil {
			return *refusal
		}
		req.Text = text
		began := time.Now()
		resp := a.core.Handle(ctx, req)
		a.log.Debug("command answered", "guild", req.Community.ID, "command", resp.Command, "outcome", resp.Outcome,
			"took", time.Since(began))
		return resp
	}
	a.answer(ctx, i, buttonGuild, work)
}

// request builds the core request for the member behind an interaction running text. In a
// server that is the interaction's member; a direct-message button names its guild, and the
// presser must still be a member there, unless the button stops their reminders: a learner
// who has left must be able to do that.
func (a *Adapter) request(ctx context.Context, i *discordgo.Interaction, dmGuild, text string) (bot.Request, *bot.Response) {
	req := bot.Request{Community: bot.Community{Platform: bot.PlatformDiscord}, Channel: i.ChannelID}
	switch {
	case i.GuildID != "" && i.Member != nil && i.Member.User != nil:
		req.Community.ID = i.GuildID
		req.UserID = i.Member.User.ID
		req.UserName = displayName(i.Member, i.Member.User)
		req.Admin = i.Member.Permissions&adminPermissions != 0
		req.CommunityAdmin = i.Member.Permissions&communityAdminPermissions != 0
	case i.GuildID == "" && dmGuild != "" && i.User != nil && isStopReminders(text):
		req.Community.ID = dmGuild
		req.UserID = i.User.ID
		req.UserName = displayName(nil, i.User)
	case i.GuildID == "" && dmGuild != "" && i.User != nil:
		m, err := a.member(ctx, dmGuild, i.User.ID)
		if err != nil {
			a.log.Info("direct-message button from a non-member", "guild", dmGuild, "err", restProblem(err))
			return req, &answerLeft
		}
		req.Community.ID = dmGuild
		req.UserID = i.User.ID
		req.UserName = displayName(m, i.User)
		// Admin stays false: permissions in a DM cannot be checked, and no DM offers admin commands.
	default:
		return req, &answerGuildOnly
	}
	return req, nil
}

// displayName is what the leaderboard shows: server nickname, else global name, else username.
func displayName(m *discordgo.Member, u *discordgo.User) string {
	switch {
	case m != nil && m.Nick != "":
		return m.Nick
	case u.GlobalName != "":
		return u.GlobalName
	}
	return u.Username
}

// answer runs work and delivers its response inside Discord's 3-second window: at once when
// it is quick, else as a deferred response ("thinking…") that becomes the answer once it is
// ready. dmGuild is the guild the answer's buttons name ("" in a server).
//
// Discord fixes a deferral's visibility when it is sent: an edit of it, and the first
// follow-up after it, show where the deferral showed, whatever flags they carry. Whether an
// answer is private is known only once the core has answered (a first check-in is announced,
// a second one the same day is not), so the deferral is always private. A public answer then
// goes out as a follow-up, once the private placeholder has been edited into a short note
// (see answerPublicly): nothing private can reach the channel, whatever the core answers.
func (a *Adapter) answer(ctx context.Context, i *discordgo.Interaction, dmGuild string, work func(context.Context) bot.Response) {
	result := inflight.Go(func() (resp bot.Response) {
		defer func() {
			// One broken command must not take the bot down for every server.
			if v := recover(); v != nil {
				a.log.Error("command panicked", "interaction", i.ID, "guild", i.GuildID, "panic", fmt.Sprint(v),
					"stack", string(debug.Stack()))
				resp = answerBroken
			}
		}()
		return work(ctx)
	})
	if resp, ok := result.Within(a.deferAfter); ok {
		a.respond(ctx, i, resp, dmGuild)
		return
	}

	deferErr := a.callback(ctx, i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()},
	})
	// A modal can only be the first answer to an interaction, and this one has been
	// deferred: the answer says what to type instead.
	resp := bot.WithoutModal(result.Wait())
	if deferErr != nil {
		a.logFailure(i, "defer", resp, deferErr)
		return
	}
	// A private answer, or any in a direct message (nobody else reads along), replaces the
	// placeholder.
	if !resp.Ephemeral && i.GuildID != "" {
		a.answerPublicly(ctx, i, resp, dmGuild)
		return
	}
	if err := a.editOriginal(ctx, i, resp, dmGuild); err != nil {
		a.logFailure(i, "edit", resp, err)
	}
}

// answerPublicly delivers a public answer to a deferred interaction: the private placeholder
// becomes a short note, and the answer goes to the channel as a follow-up. Each step is tried
// whatever the last did, so the answer is not lost to one failed request: when the note
// cannot be written, the follow-up resolves the placeholder itself (privately, as Discord
// shows the first follow-up after a private deferral); when the follow-up fails, the note,
// which would claim a post that never happened, is replaced by the answer itself, privately.
func (a *Adapter) answerPublicly(ctx context.Context, i *discordgo.Interaction, resp bot.Response, dmGuild string) {
	if err := a.editOriginal(ctx, i, answerShared, dmGuild); err != nil {
		a.logFailure(i, "edit", resp, err)
	}
	err := a.followUp(ctx, i, render(resp, dmGuild), false)
	if err == nil {
		return
	}
	a.logFailure(i, "public follow-up", resp, err)
	if err := a.editOriginal(ctx, i, resp, dmGuild); err != nil {
		a.logFailure(i, "private fallback", resp, err)
	}
}

// editOriginal replaces an interaction's original response (its deferral) with resp; the
// rest of an answer too long for one message follows it.
func (a *Adapter) editOriginal(ctx context.Context, i *discordgo.Interaction, resp bot.Response, dmGuild string) error {
	msgs := render(resp, dmGuild)
	editCtx, cancel := context.WithTimeout(ctx, callbackTimeout)
	edit := struct {
		*discordgo.WebhookEdit
		Attachments []upload `json:"attachments,omitempty"`
	}{&discordgo.WebhookEdit{Embeds: &msgs[0].embeds, Components: &msgs[0].components, AllowedMentions: noMentions()},
		uploads(msgs[0].files)}
	err := a.interactionRequest(editCtx, "PATCH", discordgo.EndpointWebhookMessage(i.AppID, i.Token, "@original"), edit,
		msgs[0].files)
	cancel()
	if err != nil {
		return err
	}
	return a.followUp(ctx, i, msgs[1:], resp.Ephemeral)
}

// followUp sends messages as follow-ups of an interaction, in order.
func (a *Adapter) followUp(ctx context.Context, i *discordgo.Interaction, msgs []message, ephemeral bool) error {
	for _, m := range msgs {
		params := &discordgo.WebhookParams{Embeds: m.embeds, Components: m.components, AllowedMentions: noMentions()}
		if ephemeral {
			params.Flags = discordgo.MessageFlagsEphemeral
		}
		body := struct {
			*discordgo.WebhookParams
			Attachments []upload `json:"attachments,omitempty"`
		}{params, uploads(m.files)}
		postCtx, cancel := context.WithTimeout(ctx, callbackTimeout)
		err := a.interactionRequest(postCtx, "POST", discordgo.EndpointWebhookToken(i.AppID, i.Token), body, m.files)
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

// respond answers an interaction at once with a message (callback type 4), and the rest of
// an answer too long for one message as follow-ups; dmGuild is the guild its buttons name
// ("" in a server).
//
// A response with a modal opens it instead (callback type 9), when the interaction is a
// slash command or a button press: Discord lets a modal answer nothing else (not a modal
// submission, not a deferred interaction), so elsewhere the answer says what to type.
func (a *Adapter) respond(ctx context.Context, i *discordgo.Interaction, resp bot.Response, dmGuild string) {
	if resp.Modal != nil {
		if i.Type == discordgo.InteractionApplicationCommand || i.Type == discordgo.InteractionMessageComponent {
			modal, err := modalResponse(resp.Modal, dmGuild)
			if err == nil {
				if err = a.callback(ctx, i, modal); err == nil {
					return
				}
				// Refused (or lost): the written answer is tried instead; should the modal
				// have arrived after all, Discord refuses that second answer, harmlessly.
				a.logFailure(i, "modal", resp, err)
			} else {
				a.log.Error("a modal cannot be shown on Discord; answering with what to type instead",
					"command", resp.Command, "err", err)
			}
		}
		resp = bot.WithoutModal(resp)
	}
	msgs := render(resp, dmGuild)
	data := messageData(msgs[0], resp.Ephemeral)
	err := a.callback(ctx, i, messageCallback{discordgo.InteractionResponseChannelMessageWithSource,
		callbackData{data, uploads(msgs[0].files)}}, msgs[0].files...)
	if err == nil {
		err = a.followUp(ctx, i, msgs[1:], resp.Ephemeral)
	}
	if err != nil {
		a.logFailure(i, "respond", resp, err)
	}
}

func (a *Adapter) callback(ctx context.Context, i *discordgo.Interaction, r any, files ...*discordgo.File) error {
	ctx, cancel := context.WithTimeout(ctx, callbackTimeout)
	defer cancel()
	return a.interactionRequest(ctx, "POST", discordgo.EndpointInteractionResponse(i.ID, i.Token), r, files)
}

// autocomplete answers with up to 25 matching topics (or questions). While shutting down
// it answers with no suggestions, which Discord shows as "no options match".
func (a *Adapter) autocomplete(ctx context.Context, i *discordgo.Interaction, empty bool) {
	choices := []autocompleteChoice{}
	if !empty && i.GuildID != "" {
		if kind, input, ok := focused(i.ApplicationCommandData()); ok {
			choices = suggestions(a.core.Roadmap(), kind, input)
		}
	}
	type data struct {
		Choices []autocompleteChoice `json:"choices"`
	}
	err := a.callback(ctx, i, struct {
		Type discordgo.InteractionResponseType `json:"type"`
		Data data                              `json:"data"`
	}{discordgo.InteractionApplicationCommandAutocompleteResult, data{choices}})
	if err != nil && !errors.Is(err, context.Canceled) {
		a.log.Info("autocomplete answer failed", "interaction", i.ID, "err", restProblem(err))
	}
}

// logFailure logs a failed delivery without the interaction token, which is a credential
// for 15 minutes.
func (a *Adapter) logFailure(i *discordgo.Interaction, step string, resp bot.Response, err error) {
	msg := strings.ReplaceAll(restProblem(err).Error(), i.Token, "[token]")
	a.log.Warn("could not deliver a Discord answer", "step", step, "interaction", i.ID, "guild", i.GuildID,
		"command", resp.Command, "err", msg)
}
