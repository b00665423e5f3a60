package slack

import (
	"fmt"
	"strings"
	"testing"

	"github.com/studybot/studybot/bot"
)

// Lesson Markdown in a script of more than one byte a character, and code full of the
// characters Slack needs escaped, still arrives whole: no section is clipped, so none is
// left with its code block open.
func TestLessonMarkdownThatGrowsWhenEscapedIsSplitNotClipped(t *testing.T) {
	var code strings.Builder
	code.WriteString("```html\n")
	for i := range 60 {
		fmt.Fprintf(&code, "<ж>&<ж>&<ж>&<ж> строка %02d <ж>&<ж>&<ж>\n", i)
	}
	code.WriteString("```")
	prose := strings.Repeat("Это абзац урока, который читает ученик. ", 30)
	text := prose + "\n\n" + code.String() + "\n\n" + prose
	d := decode(t, Render(bot.Response{Title: "Списки", Text: text, Markdown: true}))
	var all strings.Builder
	for i, b := range d.Blocks {
		if b.Type != "section" || b.Text == nil {
			continue
		}
		s := b.Text.Text
		if len(s) > maxSectionText || strings.HasSuffix(s, "…") || strings.Count(s, "```")%2 != 0 {
			t.Errorf("section %d: %d bytes, clipped or with a code block left open:\n%s", i, len(s), s)
		}
		all.WriteString(s + "\n")
	}
	for i := range 60 {
		if line := fmt.Sprintf("&lt;ж&gt;&amp;&lt;ж&gt; строка %02d &lt;ж&gt;", i); !strings.Contains(all.String(), line) {
			t.Fatalf("line %d of the code is lost", i)
		}
	}
}
