package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	slackadapter "github.com/studybot/studybot/adapters/slack"
	"github.com/studybot/studybot/adapters/slack/internal/fakeslack"
	"github.com/studybot/studybot/bot"
)

// The platform side of cards, exports and notes on Slack, through slack-go against the fake:
// files go through files upload v2 (privately into the learner's DM), modals open with
// views.open and come back as view_submission. A stand-in core answers a few lines with
// such responses and passes the rest on.

var card = []byte("\x89PNG\r\n\x1a\n a card")

// fileHandler answers "streak" with a private card, "share" with a public one, "note
// caching" with a modal, and tells the test every line that reaches it.
type fileHandler struct {
	next slackadapter.Handler
	seen chan string
}

func (h *fileHandler) Handle(ctx context.Context, req bot.Request) bot.Response {
	h.seen <- req.Text
	files := []bot.File{{Name: "streak.png", Type: "image/png", Data: card}}
	switch {
	case req.Text == "streak":
		return bot.Response{Title: "Your streak", Text: "5 days", Files: files, Image: "streak.png", Ephemeral: true}
	case req.Text == "share":
		return bot.Response{Title: "Ada's streak", Text: "5 days", Files: files, Image: "streak.png"}
	case req.Text == "note caching":
		return bot.Response{Text: "Your note on Caching", Ephemeral: true, Modal: &bot.Modal{
			Title: "Note on Caching and more words", Label: "Your note", Placeholder: "What to remember",
			Value: "old note", MaxLength: 1000, Submit: "note caching"}}
	case strings.HasPrefix(req.Text, "note caching "):
		return bot.Response{Text: "Saved.", Ephemeral: true}
	}
	return h.next.Handle(ctx, req)
}

func filesWorld(t *testing.T, opts options) (*world, *fileHandler) {
	fh := &fileHandler{seen: make(chan string, 16)}
	opts.wrap = func(next slackadapter.Handler) slackadapter.Handler { fh.next = next; return fh }
	return newWorld(t, opts), fh
}

func TestAPrivateCardGoesToTheLearnersDirectMessage(t *testing.T) {
	w, _ := filesWorld(t, options{})
	w.runSocket()
	m := w.answer("U0LEARNER", "streak")
	if got := w.fake.WaitOpened(); got != "U0LEARNER" {
		t.Errorf("conversations.open for %q", got)
	}
	up := w.fake.WaitUpload()
	if up.Channel != "DU0LEARNER" || up.Filename != "streak.png" || !bytes.Equal(up.Data, card) {
		t.Errorf("upload %+v, want the card shared in the learner's DM", up)
	}
	text := allText(t, m.Raw)
	if m.ResponseType != "ephemeral" || !strings.Contains(text, "5 days") || !strings.Contains(text, "streak.png: sent to you in a direct message") {
		t.Errorf("the private answer (%s) says %q, want its text and where the card went", m.ResponseType, text)
	}
}

func TestAPublicCardIsSharedInTheChannel(t *testing.T) {
	w, _ := filesWorld(t, options{})
	w.runSocket()
	m := w.answer("U0LEARNER", "share")
	up := w.fake.WaitUpload()
	if up.Channel != channel || !bytes.Equal(up.Data, card) {
		t.Errorf("upload %+v, want the card shared in %s", up, channel)
	}
	if m.ResponseType != "in_channel" || strings.Contains(allText(t, m.Raw), "direct message") {
		t.Errorf("public answer %s: %q", m.ResponseType, allText(t, m.Raw))
	}
}

func TestAButtonsCardIsPrivateToo(t *testing.T) {
	w, _ := filesWorld(t, options{})
	w.runSocket()
	sent := w.fake.SendPress(fakeslack.Press{Team: team, Channel: channel, User: "U0LEARNER", UserName: "ada",
		ActionID: slackadapter.ActionIDPrefix + "0", Value: "share", Label: "Share"})
	w.fake.WaitAck(sent.EnvelopeID)
	m := w.fake.WaitResponse(sent.ResponseID)
	if up := w.fake.WaitUpload(); up.Channel != "DU0LEARNER" {
		t.Errorf("a button's card was shared in %q, want the presser's DM", up.Channel)
	}
	if m.ResponseType != "ephemeral" || !strings.Contains(allText(t, m.Raw), "direct message") {
		t.Errorf("press answer %s: %q", m.ResponseType, allText(t, m.Raw))
	}
}

func TestScheduledPostsCarryTheirFiles(t *testing.T) {
	w, _ := filesWorld(t, options{})
	err := w.adapter.Post(context.Background(), bot.Channel{Community: bot.Community{Platform: bot.PlatformSlack, ID: team}, ID: channel},
		bot.Response{Title: "Week 12", Text: "Ada reached 30 days", Files: []bot.File{{Name: "recap.png", Type: "image/png", Data: card}},
			Image: "recap.png"})
	if err != nil {
		t.Fatal(err)
	}
	if p := w.fake.WaitPost(); p.Channel != channel || !strings.Contains(p.Text, "Week 12") {
		t.Errorf("post %+v", p)
	}
	if up := w.fake.WaitUpload(); up.Channel != channel || up.Filename != "recap.png" {
		t.Errorf("upload %+v", up)
	}
}

func checkNoteModal(t *testing.T, v fakeslack.View) {
	t.Helper()
	if v.View.CallbackID == "" || v.View.Title == nil || v.View.Title.Text != "Note on Caching and mor…" {
		t.Errorf("modal title %+v (callback %q), want the title clipped to Slack's 24 characters", v.View.Title, v.View.CallbackID)
	}
	if len(v.View.Blocks.BlockSet) != 1 {
		t.Fatalf("modal blocks %s", v.Raw)
	}
	in, ok := v.View.Blocks.BlockSet[0].(*slack.InputBlock)
	if !ok {
		t.Fatalf("modal block %T", v.View.Blocks.BlockSet[0])
	}
	el, ok := in.Element.(*slack.PlainTextInputBlockElement)
	if !ok || !el.Multiline || el.InitialValue != "old note" || el.MaxLength != 1000 || in.Label.Text != "Your note" {
		t.Errorf("text input %+v, want a multiline input prefilled with the current note", in.Element)
	}
}

func TestASlashCommandOpensAModalAndItsSubmissionRunsTheCommand(t *testing.T) {
	w, fh := filesWorld(t, options{})
	w.runSocket()
	ack, sent := w.command("U0LEARNER", "note caching")
	<-fh.seen
	if ack.HasPayload() {
		t.Errorf("a command that opened a modal was acknowledged with %s, want nothing", ack.Payload)
	}
	v := w.fake.WaitView()
	checkNoteModal(t, v)

	note := "first line\n\n  second line"
	sub := w.fake.SendViewSubmission(fakeslack.Submission{Team: team, User: "U0LEARNER", UserName: "ada", View: v,
		Values: map[string]string{"text": note}})
	if a := w.fake.WaitAck(sub.EnvelopeID); a.HasPayload() {
		t.Errorf("the submission was acknowledged with %s; an empty acknowledgement closes the modal", a.Payload)
	}
	if got := <-fh.seen; got != "note caching "+note {
		t.Errorf("the submission ran %q", got)
	}
	// The answer goes where the command that opened the modal is answered.
	m := w.fake.WaitResponse(sent.ResponseID)
	if m.ResponseType != "ephemeral" || !strings.Contains(allText(t, m.Raw), "Saved.") {
		t.Errorf("answer to the submission: %s", m.Raw)
	}
}

func TestHTTPButtonOpensAModalAndItsSubmissionRunsTheCommand(t *testing.T) {
	w, fh := filesWorld(t, options{signingSecret: secret})
	base := w.serveHTTP()
	respURL, respID := w.fake.NewResponseURL()
	payload, _ := json.Marshal(fakeslack.BlockActionsPayload(fakeslack.Press{Team: team, Channel: channel,
		User: "U0LEARNER", UserName: "ada", ActionID: slackadapter.ActionIDPrefix + "0",
		Value: "note caching", Label: "Add a note", TriggerID: "42.1.abc"}, respURL))
	if resp, _ := w.post(signed{path: base + "/slack/interactions", body: url.Values{"payload": {string(payload)}}.Encode()}); resp.StatusCode != http.StatusOK {
		t.Fatalf("press: %d", resp.StatusCode)
	}
	<-fh.seen
	v := w.fake.WaitView()
	if v.TriggerID != "42.1.abc" {
		t.Errorf("views.open with trigger %q, want the press's", v.TriggerID)
	}
	checkNoteModal(t, v)

	sub, _ := json.Marshal(fakeslack.ViewSubmissionPayload(fakeslack.Submission{Team: team, User: "U0LEARNER", UserName: "ada",
		View: v, Values: map[string]string{"text": "cache\nthe hot path"}}))
	resp, out := w.post(signed{path: base + "/slack/interactions", body: url.Values{"payload": {string(sub)}}.Encode()})
	if resp.StatusCode != http.StatusOK || len(bytes.TrimSpace(out)) != 0 {
		t.Fatalf("submission acknowledged with %d %q, want an empty 200", resp.StatusCode, out)
	}
	if got := <-fh.seen; got != "note caching cache\nthe hot path" {
		t.Errorf("the submission ran %q", got)
	}
	if m := w.fake.WaitResponse(respID); !strings.Contains(allText(t, m.Raw), "Saved.") {
		t.Errorf("answer to the submission: %s", m.Raw)
	}
}

func TestAModalThatCannotOpenSaysWhatToType(t *testing.T) {
	w, fh := filesWorld(t, options{signingSecret: secret})
	base := w.serveHTTP()
	// Slack takes each trigger_id once; the second command reuses the first one's.
	for i := range 2 {
		body, _ := commandForm(w, "U0LEARNER", "note caching")
		resp, out := w.post(signed{path: base + "/slack/commands", body: body})
		<-fh.seen
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("command %d: %d", i, resp.StatusCode)
		}
		if i == 0 {
			if len(out) != 0 {
				t.Errorf("the command that opened a modal was answered %q, want an empty 200", out)
			}
			w.fake.WaitView()
			continue
		}
		m, err := fakeslack.ParseMessage(out)
		if err != nil {
			t.Fatalf("answer %q: %v", out, err)
		}
		if text := allText(t, m.Raw); !strings.Contains(text, "Your note on Caching") || !strings.Contains(text, "/roadmap note caching &lt;your note&gt;") {
			t.Errorf("with no modal, the answer says %q", text)
		}
	}
}
