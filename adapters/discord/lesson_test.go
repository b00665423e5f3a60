package discord_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/studybot/studybot/adapters/discord/discordtest"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/data"
)

// A real lesson is longer than one Discord message holds: it arrives whole, in order, as the
// interaction's answer and private follow-ups, every piece within Discord's limits, no code
// block cut open, and the buttons on the last message.
func TestALongLessonArrivesWholeAsAnAnswerAndPrivateFollowUps(t *testing.T) {
	roadmap, err := data.Default()
	if err != nil {
		t.Fatal(err)
	}
	longest := roadmap.Lessons()[0]
	size := func(l *bot.Lesson) int {
		n := utf8.RuneCountInString(l.Body) + utf8.RuneCountInString(l.Exercise)
		for _, p := range l.KeyPoints {
			n += utf8.RuneCountInString(p)
		}
		return n
	}
	for _, l := range roadmap.Lessons() {
		if size(l) > size(longest) {
			longest = l
		}
	}
	if size(longest) < 6200 {
		t.Fatalf("the longest lesson has %d characters; this test needs one over a message", size(longest))
	}
	h := start(t, setup{roadmap: roadmap})
	id, err := h.fake.Command(guild, channel, learner, discordtest.Sub("lesson", discordtest.Str("lesson", longest.Slug)))
	if err != nil {
		t.Fatal(err)
	}
	msgs, ok := h.fake.AwaitMessages(id, 2, wait)
	if !ok {
		t.Fatalf("the lesson did not arrive as two or more messages: %d", len(h.fake.Messages(id)))
	}
	var text strings.Builder
	for i, m := range msgs {
		var body struct {
			Embeds []struct {
				Title       string `json:"title"`
				Description string `json:"description"`
				Fields      []struct{ Name, Value string }
				Footer      *struct{ Text string }
			} `json:"embeds"`
			Components []json.RawMessage `json:"components"`
		}
		if err := json.Unmarshal(m.Body, &body); err != nil {
			t.Fatal(err)
		}
		if !m.Ephemeral {
			t.Errorf("message %d of a private answer is public", i+1)
		}
		total := 0
		for _, e := range body.Embeds {
			n := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
			for _, f := range e.Fields {
				n += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
			}
			if e.Footer != nil {
				n += utf8.RuneCountInString(e.Footer.Text)
			}
			total += n
			if utf8.RuneCountInString(e.Description) > 4096 || strings.Count(e.Description, "```")%2 != 0 {
				t.Errorf("message %d: an embed of %d characters, or one that leaves a code block open", i+1, utf8.RuneCountInString(e.Description))
			}
			text.WriteString(e.Description + "\n")
		}
		if total > 6000 {
			t.Errorf("message %d carries %d characters of embeds, over Discord's 6000", i+1, total)
		}
		if last := i == len(msgs)-1; last != (len(body.Components) > 0) {
			t.Errorf("message %d of %d has %d button rows; buttons go on the last one only", i+1, len(msgs), len(body.Components))
		}
	}
	for _, line := range strings.Split(longest.Body, "\n") {
		if line = strings.TrimSpace(line); len(line) > 20 && !strings.Contains(text.String(), line) {
			t.Fatalf("the answer lost a line of the lesson: %q", line)
		}
	}
}
