package bot_test

import (
	"testing"

	"github.com/studybot/studybot/bot"
)

// Format characters are part of what a learner writes: a zero-width joiner builds 👩‍💻 out of
// 👩 and 💻, Persian needs the zero-width non-joiner (می‌خواهم), and a right-to-left mark keeps
// punctuation where it belongs. A note keeps them; the command words around it do not need them.
func TestANoteKeepsItsJoinersAndDirectionMarks(t *testing.T) {
	r := newRig(t, utc("2026-12-01T10:00:00Z"))
	typed := "👩\u200d💻 cache it, می\u200cخواهم\u200f!"
	r.ok("ana", "c1", "/roadmap no\u200bte\u200b cach\u200bing "+typed)
	if got := note(t, r, "ana", "caching"); got != typed {
		t.Errorf("stored note = %+q, want it byte for byte as typed: %+q", got, typed)
	}

	// A word of invisible characters alone before the note is not part of it.
	r.ok("ana", "c1", "note caching \u200b second\u200dthought")
	if got := note(t, r, "ana", "caching"); got != "second\u200dthought" {
		t.Errorf("stored note = %+q, want %+q", got, "second\u200dthought")
	}

	// "-" deletes a note however it was pasted.
	if resp := r.ok("ana", "c1", "note caching -\u200b"); resp.Tone != bot.ToneSuccess {
		t.Errorf("deleting with a pasted -: %+v", resp)
	}
	if got := note(t, r, "ana", "caching"); got != "" {
		t.Errorf("the note is still there after deleting it: %+q", got)
	}
}
