package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/bot"
)

// Files on Slack
//
// A file is uploaded with files upload v2 (slack-go's UploadFileContext: files.getUploadURLExternal,
// the bytes to the URL it returns, files.completeUploadExternal with the channel to share
// it in). A public answer's file is shared in the channel it answers in; a private answer's
// file goes to the learner's direct message with studybot, and the private answer says so.
//
// Why not show it in the private (ephemeral) answer itself: an image block can show an
// uploaded file through slack_file, but only one "the user posting these blocks" has access
// to (https://docs.slack.dev/reference/block-kit/composition-objects/slack-file-object), and
// an upload completed without a channel stays private to the uploader, the bot
// (https://docs.slack.dev/reference/methods/files.completeUploadExternal/: "If not specified
// the file will be private"). Sharing it into the channel to make it visible would show the
// learner's private card to everyone. Slack's SDK maintainers confirm that no ephemeral
// message can share a file and that a DM is the way to give one privately
// (https://github.com/slackapi/node-slack-sdk/issues/1790; an image block naming an
// unshared upload is refused as invalid_blocks,
// https://github.com/slackapi/bolt-python/issues/1251). The DM needs conversations.open
// (im:write, which reminders use already) and the upload files:write.

// fileName is name without any path: what the file is called in Slack.
func fileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return clipRunes(name, 100)
}

// clipRunes keeps s to n characters, an ellipsis marking a cut.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// upload shares files into channel, in order.
func (a *Adapter) upload(ctx context.Context, channel string, files []bot.File) error {
	for _, f := range files {
		if len(f.Data) == 0 {
			continue // Slack refuses an empty upload; there is nothing to show anyway
		}
		ctx, cancel := context.WithTimeout(ctx, replyTimeout)
		name := fileName(f.Name)
		_, err := a.api.UploadFileContext(ctx, slack.UploadFileParameters{
			Reader:   bytes.NewReader(f.Data),
			FileSize: len(f.Data),
			Filename: name,
			Title:    name,
			Channel:  channel,
		})
		cancel()
		if err != nil {
			return fmt.Errorf("slack files upload v2 of %s: %w", name, err)
		}
	}
	return nil
}

// openDM finds or opens the direct message between studybot and user.
func (a *Adapter) openDM(ctx context.Context, user string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, replyTimeout)
	defer cancel()
	im, _, _, err := a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
	if err != nil {
		return "", errf("conversations.open", err)
	}
	if im == nil || im.ID == "" {
		return "", errors.New("slack conversations.open: no channel in the answer")
	}
	return im.ID, nil
}

// deliverFiles sends an interactive answer's files where the answer's reader can see them:
// a public answer's into its channel, a private one's into the learner's direct message
// with studybot (see the note above), and returns the answer without its files, saying
// where they went when that is not beside the answer. private is true when the answer will
// be shown privately whatever it says (a button press).
func (a *Adapter) deliverFiles(ctx context.Context, in incoming, resp bot.Response, private bool) bot.Response {
	files := resp.Files
	resp.Files, resp.Image = nil, ""
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, fileName(f.Name))
	}
	list := strings.Join(names, ", ")
	if !resp.Ephemeral && !private && in.channel != "" {
		err := a.upload(ctx, in.channel, files)
		if err == nil {
			return resp
		}
		// Most often not_in_channel: /roadmap works in channels studybot was never
		// invited to, uploads do not. The learner's DM still works.
		a.log.Info("slack: could not share a file in the channel; sending it as a direct message", "team", in.team,
			"err", redactErr(err))
	}
	dm, err := a.openDM(ctx, in.user)
	if err == nil {
		err = a.upload(ctx, dm, files)
	}
	if err != nil {
		a.log.Warn("slack: could not deliver a file", "team", in.team, "command", resp.Command, "err", redactErr(err))
		return withLine(resp, fmt.Sprintf("⚠️ I could not send you %s just now; please try again in a moment.", list))
	}
	return withLine(resp, fmt.Sprintf("📎 %s: sent to you in a direct message from studybot (its Messages tab).", list))
}

// withLine adds a line under a response's text.
func withLine(r bot.Response, line string) bot.Response {
	if strings.TrimSpace(r.Text) == "" {
		r.Text = line
	} else {
		r.Text += "\n\n" + line
	}
	return r
}

// Modals
//
// A modal opens with views.open and the trigger_id of the slash command or button press
// it answers (valid for 3 seconds). Its private_metadata carries what the submission needs:
// the command the text is appended to, the channel and the response_url of the interaction
// that opened it, where the submitted command's answer goes (a view_submission has no
// response_url of its own).

// modalCallbackID marks studybot's modals in view_submission payloads.
const modalCallbackID = "studybot-modal"

// The block and action IDs of a modal's text input.
const (
	modalBlockID  = "text"
	modalActionID = "text"
)

// Slack's limits (https://docs.slack.dev/reference/views/modal-views,
// https://docs.slack.dev/reference/block-kit/block-elements/plain-text-input-element).
const (
	maxViewTitle        = 24
	maxInputLabel       = 2000
	maxInputPlaceholder = 150
	maxInputLength      = 3000
	maxPrivateMetadata  = 3000
)

// modalMeta is a modal's private_metadata.
type modalMeta struct {
	Command     string `json:"c"`
	Channel     string `json:"ch,omitempty"`
	ResponseURL string `json:"r,omitempty"`
}

// openModal shows m to the user behind in.
func (a *Adapter) openModal(ctx context.Context, in incoming, m *bot.Modal) error {
	if in.triggerID == "" {
		return errors.New("no trigger_id to open a modal with")
	}
	meta, err := json.Marshal(modalMeta{Command: m.Submit, Channel: in.channel, ResponseURL: in.responseURL})
	if err != nil {
		return err
	}
	if len(meta) > maxPrivateMetadata {
		return fmt.Errorf("the modal's command does not fit Slack's %d-character private_metadata", maxPrivateMetadata)
	}
	f := m.Fit(maxViewTitle, maxInputLabel, maxInputPlaceholder, maxInputLength)
	title, label := f.Title, f.Label
	input := &slack.PlainTextInputBlockElement{
		Type: slack.METPlainTextInput, ActionID: modalActionID, Multiline: true, MaxLength: f.MaxLength,
		InitialValue: f.Value,
	}
	if f.Placeholder != "" {
		input.Placeholder = plain(f.Placeholder)
	}
	view := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      modalCallbackID,
		Title:           plain(title),
		Submit:          plain("Save"),
		Close:           plain("Cancel"),
		PrivateMetadata: string(meta),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			&slack.InputBlock{Type: slack.MBTInput, BlockID: modalBlockID, Label: plain(label), Element: input},
		}},
	}
	ctx, cancel := context.WithTimeout(ctx, replyTimeout)
	defer cancel()
	if _, err := a.api.OpenViewContext(ctx, in.triggerID, view); err != nil {
		return errf("views.open", err)
	}
	return nil
}

// viewSubmission turns the view_submission of one of studybot's modals into the command
// it carries, the typed text appended, run for the user who submitted it.
func viewSubmission(cb slack.InteractionCallback) (incoming, bool) {
	if cb.Type != slack.InteractionTypeViewSubmission || cb.View.CallbackID != modalCallbackID {
		return incoming{}, false
	}
	var meta modalMeta
	if json.Unmarshal([]byte(cb.View.PrivateMetadata), &meta) != nil || strings.TrimSpace(meta.Command) == "" {
		return incoming{}, false
	}
	text := ""
	if cb.View.State != nil {
		text = strings.TrimSpace(cb.View.State.Values[modalBlockID][modalActionID].Value)
	}
	command := meta.Command
	if text != "" {
		command += " " + text
	}
	enterprise := cb.Enterprise.ID
	if enterprise == "" {
		enterprise = cb.Team.EnterpriseID
	}
	return incoming{
		team: cb.Team.ID, enterprise: enterprise, channel: meta.Channel, user: cb.User.ID, userName: cb.User.Name,
		text: command, responseURL: meta.ResponseURL, private: true,
	}, true
}

// finish does what a response asks beyond a message: it opens its modal, or delivers its
// files. A response still carrying a modal after finish means the modal is open and
// nothing else is to be sent; one whose modal could not be opened says what to type.
func (a *Adapter) finish(ctx context.Context, in incoming, resp bot.Response) bot.Response {
	if resp.Modal != nil {
		err := a.openModal(ctx, in, resp.Modal)
		if err == nil {
			return resp
		}
		a.log.Info("slack: could not open a modal; answering with what to type instead", "team", in.team,
			"command", resp.Command, "err", redactErr(err))
		resp = bot.WithoutModal(resp)
	}
	if len(resp.Files) > 0 {
		resp = a.deliverFiles(ctx, in, resp, in.private)
	}
	resp.Image = ""
	return resp
}

// modalOpen reports whether finish opened resp's modal, so nothing is to be sent.
func modalOpen(resp bot.Response) bool { return resp.Modal != nil }
