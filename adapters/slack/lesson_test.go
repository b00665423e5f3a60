package slack_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/studybot/studybot/data"
)

// A real lesson arrives whole in one Slack message: split over sections of at most 3000
// characters between paragraphs, code blocks never cut open and shown without a language
// tag (Slack would print it), lesson **bold** as Slack's *bold*, within 50 blocks.
func TestALongLessonIsSplitOverSectionsWithinSlackLimits(t *testing.T) {
	roadmap, err := data.Default()
	if err != nil {
		t.Fatal(err)
	}
	longest := roadmap.Lessons()[0]
	for _, l := range roadmap.Lessons() {
		if len(l.Body) > len(longest.Body) {
			longest = l
		}
	}
	w := newWorld(t, options{roadmap: roadmap})
	w.runSocket()
	m := w.answer("U0LEARNER", "lesson "+longest.Slug)
	var msg struct {
		Blocks []struct {
			Type string `json:"type"`
			Text *struct {
				Text string `json:"text"`
			} `json:"text"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(m.Raw, &msg); err != nil {
		t.Fatal(err)
	}
	if len(msg.Blocks) > 50 {
		t.Fatalf("%d blocks, over Slack's 50", len(msg.Blocks))
	}
	var all strings.Builder
	sections := 0
	for _, b := range msg.Blocks {
		if b.Type != "section" || b.Text == nil {
			continue
		}
		sections++
		if len(b.Text.Text) > 3000 || strings.Count(b.Text.Text, "```")%2 != 0 {
			t.Errorf("a section of %d bytes, or one that leaves a code block open:\n%s", len(b.Text.Text), b.Text.Text)
		}
		all.WriteString(b.Text.Text + "\n")
	}
	text := all.String()
	if sections < 3 || strings.Contains(text, "```go") || strings.Contains(text, "```sql") || strings.Contains(text, "**Exercise**") {
		t.Errorf("%d sections; the lesson Markdown was not turned into Slack mrkdwn:\n%s", sections, text)
	}
	if !strings.Contains(text, "*Exercise*") || !strings.Contains(text, longest.Heading()) {
		t.Errorf("the lesson lacks its heading or exercise:\n%s", text)
	}
	for _, line := range strings.Split(longest.Body, "\n") {
		line = strings.TrimSpace(line)
		if len(line) > 20 && !strings.ContainsAny(line, "&<>*`") && !strings.HasPrefix(line, "- ") && !strings.Contains(text, line) {
			t.Fatalf("the answer lost a line of the lesson: %q", line)
		}
	}
}
