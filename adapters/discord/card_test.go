package discord_test

import (
	"bytes"
	"image/png"
	"strings"
	"testing"

	"github.com/studybot/studybot/adapters/bolt/bolttest"
	"github.com/studybot/studybot/adapters/card"
	"github.com/studybot/studybot/adapters/discord"
	"github.com/studybot/studybot/adapters/discord/discordtest"
	"github.com/studybot/studybot/bot"
)

// The real core with the real renderer, as studybot run wires them: /roadmap streak's card
// reaches Discord as files[0] of the interaction response, and the embed shows it.
func TestTheStreakCommandsCardIsUploadedAndShownInTheEmbed(t *testing.T) {
	h := start(t, setup{config: func(cfg *discord.Config) {
		cfg.Core, _ = bolttest.Core(t, bot.Config{Roadmap: defaultRoadmap(t), Clock: bot.NewManualClock(t0), Cards: card.Renderer{}})
	}})
	checkin, err := h.fake.Command(guild, channel, learner, discordtest.Sub("checkin"))
	if err != nil {
		t.Fatal(err)
	}
	h.await(checkin)
	id, err := h.fake.Command(guild, channel, learner, discordtest.Sub("streak"))
	if err != nil {
		t.Fatal(err)
	}
	r, ok := h.fake.AwaitAnswer(id, wait)
	if !ok {
		t.Fatal("no answer")
	}
	if len(r.Files) != 1 || r.Files[0].Index != 0 || r.Files[0].Name != "streak.png" || r.Files[0].ContentType != "image/png" {
		t.Fatalf("the callback uploaded %+v, want the card as files[0] streak.png", r.Files)
	}
	img, err := png.Decode(bytes.NewReader(r.Files[0].Data))
	if err != nil {
		t.Fatalf("files[0] is no PNG: %v", err)
	}
	if img.Bounds().Dx() < 400 || img.Bounds().Dy() < 200 {
		t.Errorf("the card is %v, too small to be the heatmap", img.Bounds().Size())
	}
	msg := h.sent(id, 1)[0]
	if f, ok := msg.EmbedImage(); !ok || !bytes.Equal(f.Data, r.Files[0].Data) {
		t.Errorf("the embed does not show attachment://streak.png: %s", msg.Body)
	}
	if !msg.Ephemeral {
		t.Error("the private streak answer went to the channel")
	}
	if a := h.await(id); !strings.Contains(a.text(), "Your study streak") || !strings.Contains(a.text(), "1 day") {
		t.Errorf("the text answer is lost: %q", a.text())
	}
}
