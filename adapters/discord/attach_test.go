package discord_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/studybot/studybot/adapters/discord"
	"github.com/studybot/studybot/adapters/discord/discordtest"
	"github.com/studybot/studybot/bot"
)

// The platform side of cards, exports and notes: a core answer that carries a file, or asks
// for a modal, as Discord receives it through discordgo. The core here is a stand-in that
// answers a few lines with such responses and passes everything else to the real core.

// pngBytes is a small real PNG.
func pngBytes(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 3, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fileCore answers "streak" with a private card, "share" with a public one, "export" with a
// JSON file, "note caching" with a modal, and records the lines that reach it. A line in
// hold waits for release.
type fileCore struct {
	*bot.Bot
	card    []byte
	seen    chan string
	hold    map[string]bool
	release chan struct{}
}

func (c *fileCore) Handle(ctx context.Context, req bot.Request) bot.Response {
	c.seen <- req.Text
	if c.hold[req.Text] {
		<-c.release
	}
	card := []bot.File{{Name: "streak.png", Type: "image/png", Data: c.card}}
	switch {
	case req.Text == "streak":
		return bot.Response{Title: "Your streak", Text: "5 days", Files: card, Image: "streak.png", Ephemeral: true}
	case req.Text == "share":
		return bot.Response{Title: "Ada's streak", Text: "5 days", Files: card, Image: "streak.png"}
	case req.Text == "export":
		return bot.Response{Text: "Everything stored about you is attached.", Ephemeral: true,
			Files: []bot.File{{Name: "../studybot-export.json", Type: "application/json", Data: []byte(`{"streak":5}`)}}}
	case req.Text == "note caching", req.Text == "note":
		return bot.Response{Text: "Your note on Caching", Ephemeral: true, Modal: &bot.Modal{
			Title: "Note on Caching", Label: "Your note", Placeholder: "What to remember", Value: "old note",
			MaxLength: 1000, Submit: "note caching",
		}}
	case req.Text == "longnote":
		return bot.Response{Text: "Your note", Ephemeral: true, Modal: &bot.Modal{Title: "Note", Label: "Your note",
			Submit: "note " + strings.Repeat("x", 100)}}
	case strings.HasPrefix(req.Text, "note caching "):
		return bot.Response{Text: "Saved.", Ephemeral: true}
	}
	return c.Bot.Handle(ctx, req)
}

func startFiles(t *testing.T, hold ...string) (*harness, *fileCore) {
	c := &fileCore{card: pngBytes(t), seen: make(chan string, 16), hold: map[string]bool{}, release: make(chan struct{})}
	for _, h := range hold {
		c.hold[h] = true
	}
	h := start(t, setup{
		config: func(cfg *discord.Config) {
			if len(hold) > 0 {
				cfg.DeferAfter = 20 // nanoseconds: held lines are always deferred
			}
		},
		wrap: func(b *bot.Bot) discord.Core { c.Bot = b; return c },
	})
	return h, c
}

func (h *harness) sent(id string, n int) []discordtest.Message {
	h.t.Helper()
	msgs, ok := h.fake.AwaitMessages(id, n, wait)
	if !ok {
		h.t.Fatalf("interaction %s left %d messages, want %d; requests %v\nlogs: %s", id, len(h.fake.Messages(id)), n,
			paths(h.fake.Requests()), h.logs.String())
	}
	return msgs
}

func TestAPrivateCardIsUploadedWithTheAnswerAndShownInItsEmbed(t *testing.T) {
	h, c := startFiles(t)
	id, err := h.fake.Command(guild, channel, learner, discordtest.Sub("streak"))
	if err != nil {
		t.Fatal(err)
	}
	r, ok := h.fake.AwaitAnswer(id, wait)
	if !ok {
		t.Fatal("no answer")
	}
	if len(r.Files) != 1 || r.Files[0].Index != 0 || r.Files[0].Name != "streak.png" || r.Files[0].ContentType != "image/png" ||
		!bytes.Equal(r.Files[0].Data, c.card) {
		t.Fatalf("the callback uploaded %+v, want the card as files[0] streak.png", r.Files)
	}
	msg := h.sent(id, 1)[0]
	if !msg.Ephemeral {
		t.Error("the card of a private answer went to the channel")
	}
	if f, ok := msg.EmbedImage(); !ok || !bytes.Equal(f.Data, c.card) {
		t.Errorf("the embed does not show the uploaded card: %s", msg.Body)
	}
	if a := h.await(id); !strings.Contains(a.text(), "5 days") {
		t.Errorf("the answer's text is lost: %q", a.text())
	}
}

func TestAFileThatIsNoImageIsAttachedUnderASafeName(t *testing.T) {
	h, _ := startFiles(t)
	id, err := h.fake.Command(guild, channel, learner, discordtest.Sub("export"))
	if err != nil {
		t.Fatal(err)
	}
	msg := h.sent(id, 1)[0]
	if len(msg.Files) != 1 || strings.ContainsAny(msg.Files[0].Name, `/\`) || !strings.HasSuffix(msg.Files[0].Name, "studybot-export.json") ||
		string(msg.Files[0].Data) != `{"streak":5}` {
		t.Fatalf("the export arrived as %+v", msg.Files)
	}
	if _, ok := msg.EmbedImage(); ok || strings.Contains(string(msg.Body), "attachment://") {
		t.Errorf("a file that is not the answer's image is shown as one: %s", msg.Body)
	}
	if !msg.Ephemeral {
		t.Error("a private export went to the channel")
	}
}

func TestADeferredPrivateAnswerKeepsItsCardInTheEdit(t *testing.T) {
	h, c := startFiles(t, "streak")
	id, err := h.fake.Command(guild, channel, learner, discordtest.Sub("streak"))
	if err != nil {
		t.Fatal(err)
	}
	<-c.seen
	if a := h.await(id); a.Type != 5 {
		t.Fatalf("answered with type %d, want the deferral first", a.Type)
	}
	c.release <- struct{}{}
	msgs := h.sent(id, 1)
	if len(msgs) != 1 || !msgs[0].Ephemeral {
		t.Fatalf("the deferred card left %d messages (first private: %v)", len(msgs), len(msgs) > 0 && msgs[0].Ephemeral)
	}
	if f, ok := msgs[0].EmbedImage(); !ok || !bytes.Equal(f.Data, c.card) {
		t.Errorf("the edited answer does not show the card: %s (files %d)", msgs[0].Body, len(msgs[0].Files))
	}
}

func TestADeferredPublicAnswerPostsItsCardForEveryone(t *testing.T) {
	h, c := startFiles(t, "share")
	id, err := h.fake.Command(guild, channel, learner, discordtest.Sub("share"))
	if err != nil {
		t.Fatal(err)
	}
	<-c.seen
	c.release <- struct{}{}
	msgs := h.sent(id, 2)
	if !msgs[0].Ephemeral || len(msgs[0].Files) != 0 {
		t.Errorf("the placeholder should become a private note without files: %+v", msgs[0])
	}
	if msgs[1].Ephemeral {
		t.Error("the public card was sent privately")
	}
	if f, ok := msgs[1].EmbedImage(); !ok || !bytes.Equal(f.Data, c.card) {
		t.Errorf("the public follow-up does not show the card: %s", msgs[1].Body)
	}
}

func TestAScheduledPostCarriesItsCard(t *testing.T) {
	h := start(t, setup{noRun: true})
	card := pngBytes(t)
	err := h.adapter.Post(context.Background(), bot.Channel{Community: bot.Community{Platform: bot.PlatformDiscord, ID: guild}, ID: channel},
		bot.Response{Title: "Week 12", Text: "Ada reached 30 days", Files: []bot.File{{Name: "streak.png", Type: "image/png", Data: card}},
			Image: "streak.png"})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := h.fake.AwaitRequest(wait, func(r discordtest.Request) bool {
		return r.Method == http.MethodPost && r.Path == "/api/v9/channels/"+channel+"/messages"
	})
	if !ok || r.Status != http.StatusOK {
		t.Fatalf("no accepted channel post: %+v", r)
	}
	if f, ok := r.EmbedImage(); !ok || !bytes.Equal(f.Data, card) {
		t.Errorf("the post does not show the card: %s (files %d)", r.Body, len(r.Files))
	}
}

func TestAButtonOpensAModalAndItsSubmissionRunsTheCommandWithTheText(t *testing.T) {
	h, c := startFiles(t)
	id, err := h.fake.Press(guild, channel, learner, "roadmap:note caching")
	if err != nil {
		t.Fatal(err)
	}
	if got := <-c.seen; got != "note caching" {
		t.Fatalf("the press ran %q", got)
	}
	m, ok := h.fake.AwaitModal(id, wait)
	if !ok {
		t.Fatalf("no modal; requests %v\nlogs: %s", paths(h.fake.Requests()), h.logs.String())
	}
	if m.Title != "Note on Caching" || len(m.Inputs) != 1 {
		t.Fatalf("modal %+v", m)
	}
	in := m.Inputs[0]
	if in.Style != 2 || in.Label != "Your note" || in.Value != "old note" || in.MaxLength != 1000 || in.Placeholder != "What to remember" {
		t.Errorf("text input %+v, want a paragraph prefilled with the current note, at most 1000 characters", in)
	}

	note := "first line\n\n  second line"
	sub, err := h.fake.SubmitModal(guild, channel, learner, m, map[string]string{in.CustomID: note})
	if err != nil {
		t.Fatal(err)
	}
	if got := <-c.seen; got != "note caching "+note {
		t.Errorf("the submission ran %q, want the command with the text as typed", got)
	}
	if a := h.await(sub); a.Type != 4 || !a.ephemeral() || !strings.Contains(a.text(), "Saved.") {
		t.Errorf("the submission was answered with type %d %q", a.Type, a.text())
	}
}

func TestASlashCommandCanOpenAModalToo(t *testing.T) {
	h, c := startFiles(t)
	id, err := h.fake.Command(guild, channel, learner, discordtest.Sub("note"))
	if err != nil {
		t.Fatal(err)
	}
	<-c.seen
	m, ok := h.fake.AwaitModal(id, wait)
	if !ok {
		t.Fatalf("no modal; logs: %s", h.logs.String())
	}
	sub, err := h.fake.SubmitModal(guild, channel, learner, m, nil) // the prefilled note, unchanged
	if err != nil {
		t.Fatal(err)
	}
	if got := <-c.seen; got != "note caching old note" {
		t.Errorf("the submission ran %q", got)
	}
	h.await(sub)
}

func TestAModalAfterADeferralSaysWhatToTypeInstead(t *testing.T) {
	h, c := startFiles(t, "note caching")
	id, err := h.fake.Press(guild, channel, learner, "roadmap:note caching")
	if err != nil {
		t.Fatal(err)
	}
	<-c.seen
	c.release <- struct{}{}
	msg := h.sent(id, 1)[0]
	var body answer
	json.Unmarshal(msg.Body, &body.Data)
	if !msg.Ephemeral || !strings.Contains(body.text(), "Your note on Caching") ||
		!strings.Contains(body.text(), "/roadmap note caching <your note>") {
		t.Errorf("a deferred modal answered %q (private: %v), want the text and what to type", body.text(), msg.Ephemeral)
	}
	if _, ok := h.fake.AwaitModal(id, 0); ok {
		t.Error("a modal answered a deferred interaction")
	}
}

func TestAModalWhoseCommandDoesNotFitACustomIDIsNotShown(t *testing.T) {
	h, c := startFiles(t)
	id, err := h.fake.Command(guild, channel, learner, discordtest.Sub("longnote"))
	if err != nil {
		t.Fatal(err)
	}
	<-c.seen
	a := h.await(id)
	if a.Type != 4 || !strings.Contains(a.text(), "/roadmap note "+strings.Repeat("x", 100)) {
		t.Errorf("answered with type %d %q, want what to type instead of a modal", a.Type, a.text())
	}
	if !strings.Contains(h.logs.String(), "custom_id") {
		t.Errorf("the refusal was not logged: %s", h.logs.String())
	}
}

func TestAModalFromADirectMessageButtonActsInTheButtonsGuild(t *testing.T) {
	h, c := startFiles(t)
	h.fake.AddMember(guild, learner.ID, "")
	dm := "800000000000000001"
	id, err := h.fake.Press("", dm, learner, "roadmap@"+guild+":note caching")
	if err != nil {
		t.Fatal(err)
	}
	<-c.seen
	m, ok := h.fake.AwaitModal(id, wait)
	if !ok {
		t.Fatalf("no modal; logs: %s", h.logs.String())
	}
	if !strings.Contains(m.CustomID, guild) {
		t.Errorf("the modal's custom_id %q does not name the guild its submission acts in", m.CustomID)
	}
	sub, err := h.fake.SubmitModal("", dm, learner, m, map[string]string{m.Inputs[0].CustomID: "from my DMs"})
	if err != nil {
		t.Fatal(err)
	}
	if got := <-c.seen; got != "note caching from my DMs" {
		t.Errorf("the submission ran %q", got)
	}
	if a := h.await(sub); !strings.Contains(a.text(), "Saved.") {
		t.Errorf("the submission was answered %q", a.text())
	}
}
