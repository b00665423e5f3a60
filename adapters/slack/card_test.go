package slack_test

import (
	"bytes"
	"image/png"
	"strings"
	"testing"

	"github.com/studybot/studybot/adapters/bolt/bolttest"
	cards "github.com/studybot/studybot/adapters/card"
	slackadapter "github.com/studybot/studybot/adapters/slack"
	"github.com/studybot/studybot/bot"
)

// The real core with the real renderer, as studybot run wires them: /roadmap streak's card
// goes up through files upload v2 into the learner's DM, and the private answer says so.
func TestTheStreakCommandsCardIsUploadedToTheLearner(t *testing.T) {
	w := newWorld(t, options{wrap: func(slackadapter.Handler) slackadapter.Handler {
		core, _ := bolttest.Core(t, bot.Config{Clock: bot.NewManualClock(start), Cards: cards.Renderer{}})
		return core
	}})
	w.runSocket()
	w.answer("U0LEARNER", "checkin")
	m := w.answer("U0LEARNER", "streak")
	up := w.fake.WaitUpload() // completed: getUploadURLExternal, the upload, completeUploadExternal
	if up.Channel != "DU0LEARNER" || up.Filename != "streak.png" {
		t.Errorf("upload %+v, want streak.png shared in the learner's DM", up)
	}
	img, err := png.Decode(bytes.NewReader(up.Data))
	if err != nil {
		t.Fatalf("the upload is no PNG: %v", err)
	}
	if img.Bounds().Dx() < 400 || img.Bounds().Dy() < 200 {
		t.Errorf("the card is %v, too small to be the heatmap", img.Bounds().Size())
	}
	text := allText(t, m.Raw)
	if m.ResponseType != "ephemeral" || !strings.Contains(text, "Your study streak") || !strings.Contains(text, "streak.png: sent to you in a direct message") {
		t.Errorf("the private answer (%s) says %q, want the streak and where its card went", m.ResponseType, text)
	}
}
