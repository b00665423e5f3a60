package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/studybot/studybot/bot"
)

func field(r bot.Response, name string) (string, bool) {
	for _, f := range r.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

func hasButton(r bot.Response, command string) bool {
	for _, b := range r.Buttons {
		if b.Command == command {
			return true
		}
	}
	return false
}

func note(t *testing.T, r *rig, user, lesson string) string {
	t.Helper()
	text, err := r.store.Note(context.Background(), community, user, lesson)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestANoteIsSavedShownUnderItsLessonAndPrivate(t *testing.T) {
	r := newRig(t, utc("2026-12-01T10:00:00Z"))
	typed := "max-age is in **seconds**\n\n  @everyone <@123> [x](https://evil.example)"
	resp := r.ok("ana", "c1", "/roadmap note caching "+typed)
	if !resp.Ephemeral || resp.Markdown {
		t.Errorf("saving a note: ephemeral %v, markdown %v; want a private plain answer", resp.Ephemeral, resp.Markdown)
	}
	if got := note(t, r, "ana", "caching"); got != typed {
		t.Errorf("stored note = %q, want it as typed (line breaks and spacing kept): %q", got, typed)
	}

	for _, cmd := range []string{"lesson caching", "next"} {
		if cmd == "next" {
			r.ok("ana", "c1", "skip internet-basics")
		}
		shown := r.ok("ana", "c1", cmd)
		got, ok := field(shown, "Your note")
		if !ok || got != typed {
			t.Errorf("%s: Your note field = %q (%v), want the note as typed", cmd, got, ok)
		}
		if !shown.Ephemeral || strings.Contains(shown.Text, "seconds") {
			t.Errorf("%s: the note must be in a field of a private answer, never in the lesson's Markdown text", cmd)
		}
		if !hasButton(shown, "note caching") {
			t.Errorf("%s: no Edit note button: %+v", cmd, shown.Buttons)
		}
	}

	// Another learner sees the lesson without ana's note, and has none of their own.
	other := r.ok("ben", "c1", "lesson caching")
	if _, ok := field(other, "Your note"); ok {
		t.Error("ben sees a note on a lesson he never wrote one on")
	}
	if list := r.ok("ben", "c1", "notes"); len(list.Fields) != 0 || !strings.Contains(list.Text, "/roadmap note") {
		t.Errorf("ben's notes = %+v, want none and how to add one", list)
	}
}

func TestNoteReplaceDeleteAndRefusals(t *testing.T) {
	r := newRig(t, utc("2026-12-01T10:00:00Z"))
	r.ok("ana", "c1", "note caching first")
	if resp := r.ok("ana", "c1", "note caching second thought"); !strings.Contains(resp.Text, "Replaced") {
		t.Errorf("replacing: %q", resp.Text)
	}
	if got := note(t, r, "ana", "caching"); got != "second thought" {
		t.Errorf("note = %q, want the replacement", got)
	}

	tooLong := strings.Repeat("é", bot.MaxTextLen+1)
	resp := r.as("ana", "c1", "note caching "+tooLong)
	if resp.Outcome != bot.EINVALID || !resp.Ephemeral || !strings.Contains(resp.Text, "1,000 characters") {
		t.Errorf("a note of 1,001 characters: %s %q; want a private refusal naming the limit", resp.Outcome, resp.Text)
	}
	if got := note(t, r, "ana", "caching"); got != "second thought" {
		t.Errorf("a refused note changed the saved one to %q", got)
	}
	if resp := r.as("ana", "c1", "note caching "+strings.Repeat("x ", 20000)); resp.Outcome != bot.EINVALID || !strings.Contains(resp.Text, "1,000 characters") {
		t.Errorf("a 40,000-character note: %s %q", resp.Outcome, resp.Text)
	}
	if resp := r.as("ana", "c1", "topic "+strings.Repeat("x", 300)); resp.Outcome != bot.EINVALID || strings.Contains(resp.Text, "note") {
		t.Errorf("a long line that is no note: %s %q; want the commands' own limit", resp.Outcome, resp.Text)
	}
	exactly := strings.Repeat("é", bot.MaxTextLen)
	r.ok("ana", "c1", "note caching "+exactly)
	if got := note(t, r, "ana", "caching"); got != exactly {
		t.Errorf("a note of exactly 1,000 characters was not saved whole (%d runes)", len([]rune(got)))
	}

	// A misspelt lesson is never guessed for a note.
	if resp := r.as("ana", "c1", "note cachign my note"); resp.Outcome != bot.ENOTFOUND || !strings.Contains(resp.Text, "caching") {
		t.Errorf("misspelt lesson: %s %q", resp.Outcome, resp.Text)
	}
	if got := note(t, r, "ana", "caching"); got != exactly {
		t.Error("a note on a misspelt lesson changed the note")
	}

	if resp := r.ok("ana", "c1", "note caching -"); !strings.Contains(resp.Text, "Deleted") {
		t.Errorf("deleting: %q", resp.Text)
	}
	if got := note(t, r, "ana", "caching"); got != "" {
		t.Errorf("after note caching -: %q is left", got)
	}
	if resp := r.ok("ana", "c1", "note caching -"); !strings.Contains(resp.Text, "nothing changed") {
		t.Errorf("deleting no note: %q", resp.Text)
	}
	help := r.ok("ana", "c1", "help")
	if !strings.Contains(help.Text, "/roadmap note <lesson> [text]") || !strings.Contains(help.Text, "- deletes it") {
		t.Errorf("help does not say how to write and delete a note:\n%s", help.Text)
	}
}

func TestNoteWithoutTextAsksWithAFormHoldingTheNote(t *testing.T) {
	r := newRig(t, utc("2026-12-01T10:00:00Z"))
	r.ok("ana", "c1", "note caching keep it short")
	resp := r.ok("ana", "c1", "note caching")
	m := resp.Modal
	if m == nil {
		t.Fatalf("note without text: no modal: %+v", resp)
	}
	if m.Value != "keep it short" || m.MaxLength != bot.MaxTextLen || m.Submit != "note caching" || m.Label == "" {
		t.Errorf("modal = %+v; want the current note, 1000 characters at most, submitted as note caching", m)
	}
	if !resp.Ephemeral {
		t.Error("the note form's answer is not private")
	}
	// What the form's submission runs is a note command of that learner.
	r.ok("ana", "c1", m.Submit+" "+"new text\nsecond line")
	if got := note(t, r, "ana", "caching"); got != "new text\nsecond line" {
		t.Errorf("after submitting the form: %q", got)
	}
	// Where no form can be shown (the console), the answer says what to type.
	if text := bot.WithoutModal(resp).Text; !strings.Contains(text, "/roadmap note caching <your note>") {
		t.Errorf("without the modal: %q", text)
	}
}

func TestNotesListsInRoadmapOrderAndByTopic(t *testing.T) {
	r := newRig(t, utc("2026-12-01T10:00:00Z"))
	r.ok("ana", "c1", "note testing last in the roadmap")
	r.ok("ana", "c1", "note internet-basics first in the roadmap")
	all := r.ok("ana", "c1", "notes")
	if len(all.Fields) != 2 || !strings.HasPrefix(all.Fields[0].Name, "Internet basics") || all.Fields[1].Value != "last in the roadmap" {
		t.Errorf("notes = %+v; want both, in roadmap order", all.Fields)
	}
	if !all.Ephemeral || all.Markdown {
		t.Error("notes list is not a private plain answer")
	}
	one := r.ok("ana", "c1", "notes testing")
	if len(one.Fields) != 1 || one.Fields[0].Value != "last in the roadmap" {
		t.Errorf("notes testing = %+v", one.Fields)
	}
	none := r.ok("ana", "c1", "notes caching")
	if len(none.Fields) != 0 || !strings.Contains(none.Text, "no notes on Caching") {
		t.Errorf("notes caching = %+v", none)
	}

	// Many long notes are clipped so the list stays one message; the lesson shows one whole.
	long := strings.Repeat("word ", 150)
	for _, l := range []string{"caching", "apis", "api-security", "containers"} {
		r.ok("ana", "c1", "note "+l+" "+long)
	}
	many := r.ok("ana", "c1", "notes")
	if len(many.Fields) != 6 {
		t.Fatalf("%d notes listed, want 6", len(many.Fields))
	}
	for _, f := range many.Fields {
		if len([]rune(f.Value)) > 251 {
			t.Errorf("%s: %d characters listed; long notes are clipped when several are listed", f.Name, len([]rune(f.Value)))
		}
	}
	if !strings.Contains(many.Footer, "/roadmap lesson") {
		t.Errorf("footer %q does not say where a clipped note is shown whole", many.Footer)
	}
}
