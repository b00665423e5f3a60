package discord_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/studybot/studybot/adapters/discord/discordtest"
	"github.com/studybot/studybot/bot"
)

// A note may be bot.MaxTextLen characters, and lesson shows it in full. On Discord every
// Markdown character in it costs a backslash, so a note of my_var and `code` is longer
// escaped than a field holds: it must still show whole, within every Discord limit, and so
// must the lesson it is written under, even one that nearly fills an embed by itself.
func TestANoteOfFullLengthShowsWholeUnderItsLessonWhateverItHolds(t *testing.T) {
	r := defaultRoadmap(t)
	topics := slices.Clone(r.Topics)
	topics[0].Lessons = slices.Clone(topics[0].Lessons)
	var body strings.Builder
	for body.Len() < 3850 {
		body.WriteString(strings.Repeat("Caches keep copies close to the reader. ", 6) + "\n\n")
	}
	body.WriteString("The last line of a long lesson.")
	topics[0].Lessons[0].Body = body.String()
	custom, err := bot.NewRoadmap("long", topics)
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, setup{roadmap: custom})

	markup := strings.Repeat("_*`", bot.MaxTextLen/3+1)[:bot.MaxTextLen]
	words := strings.Repeat("my_var *is* `set`\n> - # ", bot.MaxTextLen/24+1)[:bot.MaxTextLen-1] + "x"
	long, short := custom.Lessons()[0], custom.Lessons()[1]
	for _, c := range []struct {
		what     string
		x        *bot.Lesson
		note     string
		messages int
	}{
		{"markup alone", short, markup, 1},
		{"words and lines", short, words, 1},
		// The lesson fills most of a message: the note comes whole in a follow-up.
		{"markup alone under a long lesson", long, markup, 2},
	} {
		saved := h.command(learner, discordtest.Sub("note", discordtest.Str("lesson", c.x.Slug), discordtest.Str("text", c.note)))
		if !strings.Contains(saved.text(), "your note on") {
			t.Fatalf("%s: saving the note answered %q", c.what, saved.text())
		}
		id, err := h.fake.Command(guild, channel, learner, discordtest.Sub("lesson", discordtest.Str("lesson", c.x.Slug)))
		if err != nil {
			t.Fatal(err)
		}
		msgs, ok := h.fake.AwaitMessages(id, c.messages, wait)
		if !ok {
			t.Fatalf("%s: %d messages, want %d", c.what, len(h.fake.Messages(id)), c.messages)
		}
		shown, text := readNote(t, msgs)
		if shown != c.note {
			t.Errorf("%s: the lesson shows %d characters of the note's %d:\n%q", c.what,
				utf8.RuneCountInString(shown), utf8.RuneCountInString(c.note), shown)
		}
		if c.x == long && !strings.Contains(text, "The last line of a long lesson.") {
			t.Errorf("%s: the lesson was cut to make room for the note", c.what)
		}
	}
}

// readNote checks msgs against Discord's limits and returns the note they show (the
// "Your note" field and the nameless ones continuing it, unescaped) and their descriptions.
func readNote(t *testing.T, msgs []discordtest.Message) (note, text string) {
	t.Helper()
	var shown, desc strings.Builder
	in := false
	for i, m := range msgs {
		var body struct {
			Embeds []struct {
				Title, Description string
				Fields             []struct{ Name, Value string }
				Footer             *struct{ Text string }
			}
		}
		if err := json.Unmarshal(m.Body, &body); err != nil {
			t.Fatal(err)
		}
		n := utf8.RuneCountInString
		total := 0
		for _, e := range body.Embeds {
			total += n(e.Title) + n(e.Description)
			desc.WriteString(e.Description + "\n")
			if n(e.Description) > 4096 || len(e.Fields) > 25 {
				t.Errorf("message %d: an embed of %d characters of description and %d fields", i+1, n(e.Description), len(e.Fields))
			}
			for _, f := range e.Fields {
				total += n(f.Name) + n(f.Value)
				if n(f.Value) > 1024 || n(f.Name) > 256 || strings.TrimSpace(f.Value) == "" || f.Name == "" {
					t.Errorf("message %d: field %q of %d characters", i+1, f.Name, n(f.Value))
				}
				switch {
				case f.Name == "Your note":
					in = true
				case f.Name != "\u200b":
					in = false
				}
				if in {
					shown.WriteString(f.Value)
				}
			}
			if e.Footer != nil {
				total += n(e.Footer.Text)
			}
		}
		if total > 6000 {
			t.Errorf("message %d carries %d characters of embeds, over Discord's 6000", i+1, total)
		}
	}
	return unescape(shown.String()), desc.String()
}

// unescape is what Discord shows of escaped text: each backslash hides itself and shows the
// character after it as typed.
func unescape(s string) string {
	var b strings.Builder
	escaped := false
	for _, r := range s {
		if r == '\\' && !escaped {
			escaped = true
			continue
		}
		escaped = false
		b.WriteRune(r)
	}
	return b.String()
}
