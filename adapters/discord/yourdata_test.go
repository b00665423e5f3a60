package discord_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/discord/discordtest"
)

// Notes, export, forget and the weekly recap through the real core, as a Discord member
// meets them: the modal is the fake's, received and submitted as the Discord client would.

// another is a second learner of the test guild.
var another = discordtest.User{ID: "400000000000000009", Username: "linus", GlobalName: "Linus T.", Permissions: learner.Permissions}

// field is the value of the embed field called name in a, and whether there is one.
func (a answer) field(name string) (string, bool) {
	for _, e := range a.Data.Embeds {
		for _, f := range e.Fields {
			if f.Name == name {
				return f.Value, true
			}
		}
	}
	return "", false
}

// modal presses customID as u and returns the modal Discord was answered with (callback 9).
func (h *harness) modal(u discordtest.User, customID string) discordtest.Modal {
	h.t.Helper()
	id, err := h.fake.Press(guild, channel, u, customID)
	if err != nil {
		h.t.Fatal(err)
	}
	m, ok := h.fake.AwaitModal(id, wait)
	if !ok {
		h.t.Fatalf("pressing %q opened no modal; it answered %q\nlogs: %s", customID, h.await(id).text(), h.logs.String())
	}
	if a := h.await(id); a.Type != 9 {
		h.t.Fatalf("the modal came as callback type %d, want 9", a.Type)
	}
	return m
}

// submit submits m as u with text typed into its one input, and returns the answer.
func (h *harness) submit(u discordtest.User, m discordtest.Modal, text string) answer {
	h.t.Helper()
	if len(m.Inputs) != 1 {
		h.t.Fatalf("the modal has %d text inputs, want one: %+v", len(m.Inputs), m)
	}
	id, err := h.fake.SubmitModal(guild, channel, u, m, map[string]string{m.Inputs[0].CustomID: text})
	if err != nil {
		h.t.Fatal(err)
	}
	return h.await(id)
}

func TestANoteIsWrittenInAModalAndShowsUnderItsLessonForItsAuthorOnly(t *testing.T) {
	h := start(t, setup{})
	x := h.roadmap.Lessons()[0]
	lesson := func(u discordtest.User) answer {
		t.Helper()
		return h.command(u, discordtest.Sub("lesson", discordtest.Str("lesson", x.Slug)))
	}

	next := h.command(learner, discordtest.Sub("next"))
	add, ok := next.button("Add note")
	if !ok {
		t.Fatalf("the lesson from next has no Add note button: %+v", next.Data.Components)
	}
	m := h.modal(learner, add)
	if len(m.Inputs) != 1 {
		t.Fatalf("the note modal has %d inputs, want one", len(m.Inputs))
	}
	if in := m.Inputs[0]; in.Style != 2 || in.Value != "" || in.MaxLength != 1000 {
		t.Errorf("the note input is %+v, want an empty paragraph (style 2) of at most 1000 characters", in)
	}

	note := "Ports: 80 for HTTP, 443 for HTTPS.\nDNS answers are cached by resolvers."
	saved := h.submit(learner, m, note)
	if !saved.ephemeral() || !strings.Contains(saved.text(), "Saved your note on "+x.Title) {
		t.Errorf("submitting the modal answered %q (private: %v), want a private confirmation", saved.text(), saved.ephemeral())
	}

	shown := lesson(learner)
	if got, _ := shown.field("Your note"); got != note {
		t.Errorf("lesson %s shows the note as %q, want %q with its line break", x.Slug, got, note)
	}
	if _, ok := lesson(another).field("Your note"); ok {
		t.Error("another learner sees the note under the lesson")
	}
	edit, ok := shown.button("Edit note")
	if !ok {
		t.Fatalf("a lesson with a note has no Edit note button: %+v", shown.Data.Components)
	}
	if m := h.modal(learner, edit); len(m.Inputs) != 1 || m.Inputs[0].Value != note {
		t.Errorf("Edit note opened %+v, want the input prefilled with %q", m, note)
	}

	typed := "Replaced from the slash command"
	got := h.command(learner, discordtest.Sub("note", discordtest.Str("lesson", x.Slug), discordtest.Str("text", typed)))
	if !got.ephemeral() || !strings.Contains(got.text(), "Replaced your note on "+x.Title) {
		t.Errorf("/roadmap note with text answered %q (private: %v)", got.text(), got.ephemeral())
	}
	if got, _ := lesson(learner).field("Your note"); got != typed {
		t.Errorf("after /roadmap note, the lesson shows %q, want %q", got, typed)
	}

	long := strings.Repeat("a", 1001)
	got = h.command(learner, discordtest.Sub("note", discordtest.Str("lesson", x.Slug), discordtest.Str("text", long)))
	if !got.ephemeral() || !strings.Contains(got.text(), "at most 1,000 characters") {
		t.Errorf("a note of 1,001 characters answered %q (private: %v), want a private refusal", got.text(), got.ephemeral())
	}
	if got, _ := lesson(learner).field("Your note"); got != typed {
		t.Errorf("after a refused note, the lesson shows %q, want still %q", got, typed)
	}
	got = h.command(learner, discordtest.Sub("note", discordtest.Str("lesson", x.Slug), discordtest.Str("text", long[:1000])))
	if shown, _ := got.field("Your note"); shown != long[:1000] {
		t.Errorf("a note of exactly 1,000 characters answered %q, want it saved whole", got.text())
	}
}

func TestExportAnswersPrivatelyWithTheLearnersDataAsAJSONFile(t *testing.T) {
	h := start(t, setup{})
	x := h.roadmap.Lessons()[0]
	h.command(learner, discordtest.Sub("done", discordtest.Str("name", x.Slug)))
	h.command(learner, discordtest.Sub("note", discordtest.Str("lesson", x.Slug), discordtest.Str("text", "mine")))
	h.command(another, discordtest.Sub("note", discordtest.Str("lesson", x.Slug), discordtest.Str("text", "not hers")))

	id, err := h.fake.Command(guild, channel, learner, discordtest.Sub("export"))
	if err != nil {
		t.Fatal(err)
	}
	r, ok := h.fake.AwaitAnswer(id, wait)
	if !ok {
		t.Fatalf("export was not answered; logs: %s", h.logs.String())
	}
	if len(r.Files) != 1 || r.Files[0].Index != 0 || r.Files[0].ContentType != "application/json" ||
		!strings.HasSuffix(r.Files[0].Name, ".json") {
		t.Fatalf("the export callback uploaded %+v, want one JSON file as files[0]", r.Files)
	}
	if a := h.await(id); !a.ephemeral() {
		t.Error("the export went to the channel")
	}
	var doc struct {
		Format   string `json:"format"`
		UserID   string `json:"user_id"`
		Progress []struct {
			Lesson string `json:"lesson"`
			State  string `json:"state"`
		} `json:"progress"`
		Notes []struct {
			Lesson string `json:"lesson"`
			Text   string `json:"text"`
		} `json:"notes"`
	}
	if err := json.Unmarshal(r.Files[0].Data, &doc); err != nil {
		t.Fatalf("the export is no JSON: %v\n%s", err, r.Files[0].Data)
	}
	if doc.Format != "studybot-export" || doc.UserID != learner.ID {
		t.Errorf("the export is %q of user %q, want studybot-export of %s", doc.Format, doc.UserID, learner.ID)
	}
	if len(doc.Progress) != 1 || doc.Progress[0].Lesson != x.Slug || doc.Progress[0].State != "done" {
		t.Errorf("the export's progress is %+v, want %s done", doc.Progress, x.Slug)
	}
	if len(doc.Notes) != 1 || doc.Notes[0].Lesson != x.Slug || doc.Notes[0].Text != "mine" {
		t.Errorf("the export's notes are %+v, want the learner's own note on %s only", doc.Notes, x.Slug)
	}
}

func TestForgetDeletesOnlyThePressersDataAndOnlyWhenTheyConfirm(t *testing.T) {
	h := start(t, setup{})
	x := h.roadmap.Lessons()[0]
	done := x.Title + " 1/1"
	for _, u := range []discordtest.User{learner, another} {
		h.command(u, discordtest.Sub("done", discordtest.Str("name", x.Slug)))
		h.command(u, discordtest.Sub("note", discordtest.Str("lesson", x.Slug), discordtest.Str("text", "note of "+u.Username)))
	}
	kept := func(u discordtest.User) bool {
		t.Helper()
		progress := h.command(u, discordtest.Sub("progress"))
		notes := h.command(u, discordtest.Sub("notes"))
		return strings.Contains(progress.text(), done) && strings.Contains(notes.text(), "note of "+u.Username)
	}

	ask := h.command(learner, discordtest.Sub("forget"))
	confirm, ok := ask.button("Delete everything")
	if !ok || !ask.ephemeral() {
		t.Fatalf("forget answered %q (private: %v), want a private question with a Delete everything button", ask.text(), ask.ephemeral())
	}
	mallory := discordtest.User{ID: "400000000000000077", Username: "mallory", Permissions: 1 << 3} // even an administrator
	if got := h.press(mallory, confirm); !got.ephemeral() || !strings.Contains(got.text(), "only they can press it") {
		t.Errorf("another member pressing the button answered %q (private: %v), want a private refusal", got.text(), got.ephemeral())
	}
	if !kept(learner) {
		t.Fatal("another member's press deleted the learner's data")
	}

	if got := h.press(learner, confirm); !got.ephemeral() || !strings.Contains(got.text(), "is deleted") {
		t.Errorf("confirming answered %q (private: %v)", got.text(), got.ephemeral())
	}
	if got := h.command(learner, discordtest.Sub("progress")); !strings.Contains(got.text(), x.Title+" 0/1") {
		t.Errorf("after forget, progress does not show %s undone:\n%s", x.Title, got.text())
	}
	if got := h.command(learner, discordtest.Sub("notes")); !strings.Contains(got.text(), "You have no notes yet") {
		t.Errorf("after forget, notes shows %q", got.text())
	}
	if !kept(another) {
		t.Error("forgetting one learner changed another's progress or notes")
	}
}

func TestTheWeeklyRecapIsPostedInTheChannelNamingLearnersWithoutMentions(t *testing.T) {
	h := start(t, setup{})
	shouter := discordtest.User{ID: "400000000000000003", Username: "loud", Nick: "@everyone", Permissions: learner.Permissions}
	set := discordtest.Group("nudge", discordtest.Sub("set", discordtest.Str("time", "09:00"), discordtest.Str("zone", "Europe/Berlin")))
	if got := h.command(manager, set); !strings.Contains(got.text(), "Daily lesson on") {
		t.Fatalf("nudge set answered %q", got.text())
	}
	recaps := func() []posted {
		var out []posted
		for _, p := range postsTo(t, h.fake.Requests(), channel) {
			if len(p.Embeds) > 0 && strings.Contains(p.Embeds[0].Title, "Weekly recap") {
				out = append(out, p)
			}
		}
		return out
	}
	checkin := func() {
		for _, u := range []discordtest.User{learner, shouter} {
			if got := h.command(u, discordtest.Sub("checkin")); !strings.Contains(got.text(), "checked in") {
				t.Fatalf("check-in answered %q", got.text())
			}
		}
	}

	checkin()                     // Monday 3 March, 08:00 in Berlin
	h.advance(6 * 24 * time.Hour) // Sunday 9 March, 08:00
	checkin()
	if n := len(recaps()); n != 0 {
		t.Fatalf("%d recaps before the Monday", n)
	}
	h.advance(26 * time.Hour) // Monday 10 March, 10:00 in Berlin: past the 09:00 recap
	got := recaps()
	if len(got) != 1 {
		t.Fatalf("%d recaps in the channel after the Monday's nudge time, want 1; requests: %v", len(got), paths(h.fake.Requests()))
	}
	recap := got[0]
	if !recap.pingsNobody() {
		t.Errorf("the recap does not set allowed_mentions to parse nothing: %+v", recap.AllowedMentions)
	}
	text := recap.Embeds[0].text()
	if !strings.Contains(text, "2 learners studied last week, on 4 days") {
		t.Errorf("the recap does not count both learners and their days:\n%s", text)
	}
	var top string
	for _, f := range recap.Embeds[0].Fields {
		if f.Name == "Top streaks" {
			top = f.Value
		}
	}
	for _, line := range []string{"@everyone — 1 day", "Ada L. — 1 day"} {
		if !strings.Contains(top, line) {
			t.Errorf("the recap's top streaks lack %q, the display name as text:\n%s", line, text)
		}
	}
	for _, r := range h.fake.Requests() {
		switch {
		case r.Method == http.MethodPost && r.Path == "/api/v9/users/@me/channels":
			t.Errorf("a DM channel was opened: the recap belongs to the channel")
		case strings.Contains(string(r.Body), "Weekly recap") &&
			(strings.Contains(string(r.Body), "<@") || strings.Contains(string(r.Body), shouter.ID) || strings.Contains(string(r.Body), learner.ID)):
			t.Errorf("the recap names a learner by mention or ID: %s", r.Body)
		}
	}
	h.advance(6 * time.Hour)
	if n := len(recaps()); n != 1 {
		t.Errorf("%d recaps after the Monday, want still 1", n)
	}
}
