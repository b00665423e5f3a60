package slack_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/adapters/slack/internal/fakeslack"
	"github.com/studybot/studybot/bot"
)

// Notes, export, forget and the weekly recap through the real core, as a learner on Slack
// meets them: the fake opens the modals and submits them, receives the uploads and the
// channel posts.

var slackCommunity = bot.Community{Platform: bot.PlatformSlack, ID: team}

// buttonLabelled is the button labelled label in m.
func buttonLabelled(t *testing.T, m fakeslack.Message, label string) button {
	t.Helper()
	for _, b := range buttons(t, m) {
		if b.Text.Text == label {
			return b
		}
	}
	t.Fatalf("no button %q in:\n%s", label, allText(t, m.Raw))
	return button{}
}

// pressAs sends userID's press of b with its own trigger_id and waits for its acknowledgement.
func (w *world) pressAs(userID string, b button, trigger string) fakeslack.Sent {
	w.t.Helper()
	sent := w.fake.SendPress(fakeslack.Press{Team: team, Channel: channel, User: userID, UserName: strings.ToLower(userID),
		ActionID: b.ActionID, Value: b.Value, Label: b.Text.Text, TriggerID: trigger})
	if ack := w.fake.WaitAck(sent.EnvelopeID); ack.HasPayload() {
		w.t.Errorf("a press was acknowledged with %s; its answer goes to the response_url", ack.Payload)
	}
	return sent
}

// noteInput is the modal's one text input.
func noteInput(t *testing.T, v fakeslack.View) *slack.PlainTextInputBlockElement {
	t.Helper()
	if len(v.View.Blocks.BlockSet) != 1 {
		t.Fatalf("the note modal has %d blocks, want its text input: %s", len(v.View.Blocks.BlockSet), v.Raw)
	}
	in, ok := v.View.Blocks.BlockSet[0].(*slack.InputBlock)
	if !ok {
		t.Fatalf("the note modal's block is %T", v.View.Blocks.BlockSet[0])
	}
	el, ok := in.Element.(*slack.PlainTextInputBlockElement)
	if !ok || !el.Multiline || el.MaxLength != bot.MaxTextLen {
		t.Fatalf("the note modal's input is %+v, want a multiline plain_text_input of at most %d characters", in.Element, bot.MaxTextLen)
	}
	return el
}

func (w *world) storedNote(userID, slug string) string {
	w.t.Helper()
	text, err := w.store.Note(context.Background(), slackCommunity, userID, slug)
	if err != nil {
		w.t.Fatal(err)
	}
	return text
}

func TestANoteIsAddedThroughAModalShownUnderItsLessonAndEditedWithItsText(t *testing.T) {
	w := newWorld(t, options{})
	w.runSocket()
	lesson := w.first.Lessons[0]

	// Add note under /roadmap next opens the modal with the press's trigger_id.
	press := w.pressAs("U0LEARNER", buttonLabelled(t, w.answer("U0LEARNER", "next"), "Add note"), "7001.1.add")
	v := w.fake.WaitView()
	if v.TriggerID != "7001.1.add" {
		t.Errorf("views.open with trigger %q, want the press's", v.TriggerID)
	}
	if el := noteInput(t, v); el.InitialValue != "" {
		t.Errorf("a first note's modal is prefilled with %q", el.InitialValue)
	}
	// Typed into a modal, text reaches studybot as typed: markup in it must stay text.
	note := "Cache the hot path first\nTTL lives in Cache-Control <!here> & *not bold*"
	shownAs := "Cache the hot path first\nTTL lives in Cache-Control &lt;!here&gt; &amp; *not bold*"
	sub := w.fake.SendViewSubmission(fakeslack.Submission{Team: team, User: "U0LEARNER", UserName: "ada", View: v,
		Values: map[string]string{"text": note}})
	if ack := w.fake.WaitAck(sub.EnvelopeID); ack.HasPayload() {
		t.Errorf("the submission was acknowledged with %s; an empty acknowledgement closes the modal", ack.Payload)
	}
	saved := w.fake.WaitResponse(press.ResponseID)
	if text := allText(t, saved.Raw); saved.ResponseType != "ephemeral" || !strings.Contains(text, "Saved your note on "+lesson.Title) ||
		!strings.Contains(text, shownAs) {
		t.Errorf("the submission was answered (%s):\n%s\nwant a private confirmation showing the note", saved.ResponseType, text)
	}
	assertNoMentions(t, saved.Raw)
	if got := w.storedNote("U0LEARNER", lesson.Slug); got != note {
		t.Fatalf("stored note %q, want %q, its line break kept", got, note)
	}

	// The lesson shows it, privately, with Edit note, whose modal holds it.
	shown := w.answer("U0LEARNER", "lesson "+lesson.Slug)
	if text := allText(t, shown.Raw); shown.ResponseType != "ephemeral" || !strings.Contains(text, "Your note") || !strings.Contains(text, shownAs) {
		t.Errorf("lesson %s (%s) does not show the learner's note privately, as typed:\n%s", lesson.Slug, shown.ResponseType, text)
	}
	assertNoMentions(t, shown.Raw)
	editPress := w.pressAs("U0LEARNER", buttonLabelled(t, shown, "Edit note"), "7001.2.edit")
	edit := w.fake.WaitView()
	if el := noteInput(t, edit); el.InitialValue != note {
		t.Errorf("Edit note's modal holds %q, want the note %q", el.InitialValue, note)
	}

	// Typed, it replaces the note.
	typed := "Vary splits the cache"
	if m := w.answer("U0LEARNER", "note "+lesson.Slug+" "+typed); m.ResponseType != "ephemeral" ||
		!strings.Contains(allText(t, m.Raw), "Replaced your note on "+lesson.Title) {
		t.Errorf("/roadmap note with text answered (%s):\n%s", m.ResponseType, allText(t, m.Raw))
	}
	if got := w.storedNote("U0LEARNER", lesson.Slug); got != typed {
		t.Errorf("after /roadmap note the stored note is %q, want %q", got, typed)
	}

	// Over 1,000 characters: refused privately, typed or submitted, and the note stays.
	long := strings.Repeat("a", bot.MaxTextLen) + "b"
	if m := w.answer("U0LEARNER", "note "+lesson.Slug+" "+long); m.ResponseType != "ephemeral" ||
		!strings.Contains(allText(t, m.Raw), "A note is at most 1,000 characters") {
		t.Errorf("a typed note of 1,001 characters was answered (%s):\n%.300s", m.ResponseType, allText(t, m.Raw))
	}
	sub = w.fake.SendViewSubmission(fakeslack.Submission{Team: team, User: "U0LEARNER", UserName: "ada", View: edit,
		Values: map[string]string{"text": long}})
	w.fake.WaitAck(sub.EnvelopeID)
	if m := w.fake.WaitResponse(editPress.ResponseID); m.ResponseType != "ephemeral" ||
		!strings.Contains(allText(t, m.Raw), "A note is at most 1,000 characters") {
		t.Errorf("a submitted note of 1,001 characters was answered (%s):\n%.300s", m.ResponseType, allText(t, m.Raw))
	}
	if got := w.storedNote("U0LEARNER", lesson.Slug); got != typed {
		t.Errorf("after a note of 1,001 characters the stored note is %q, want %q unchanged", got, typed)
	}
}

func TestExportUploadsTheLearnersJSONToTheirDirectMessage(t *testing.T) {
	w := newWorld(t, options{})
	w.runSocket()
	lesson := w.first.Lessons[0]
	w.answer("U0LEARNER", "done "+lesson.Slug)
	w.answer("U0LEARNER", "note "+lesson.Slug+" TTL lives in Cache-Control")

	m := w.answer("U0LEARNER", "export")
	if got := w.fake.WaitOpened(); got != "U0LEARNER" {
		t.Errorf("conversations.open for %q, want the learner", got)
	}
	up := w.fake.WaitUpload() // completed: getUploadURLExternal, the upload, completeUploadExternal
	name := "studybot-export-slack-" + team + "-U0LEARNER.json"
	if up.Channel != "DU0LEARNER" || up.Filename != name {
		t.Errorf("upload of %q into %q, want %s into the learner's DM", up.Filename, up.Channel, name)
	}
	text := allText(t, m.Raw)
	if m.ResponseType != "ephemeral" || !strings.Contains(text, name+": sent to you in a direct message") {
		t.Errorf("the export was answered (%s):\n%s\nwant privately, saying where the file went", m.ResponseType, text)
	}
	var doc bot.Export
	if err := json.Unmarshal(up.Data, &doc); err != nil {
		t.Fatalf("the uploaded export is no JSON: %v\n%.300s", err, up.Data)
	}
	if doc.Format != bot.ExportFormat || doc.Community != "slack/"+team || doc.UserID != "U0LEARNER" || doc.DisplayName != "Ada" {
		t.Errorf("the export is %s v%d of %s, user %q (%q)", doc.Format, doc.Version, doc.Community, doc.UserID, doc.DisplayName)
	}
	if !slices.ContainsFunc(doc.Progress, func(l bot.ExportLesson) bool { return l.Lesson == lesson.Slug && l.State == bot.StateDone }) {
		t.Errorf("the export's progress %+v lacks %s done", doc.Progress, lesson.Slug)
	}
	if len(doc.Notes) != 1 || doc.Notes[0].Lesson != lesson.Slug || doc.Notes[0].Text != "TTL lives in Cache-Control" {
		t.Errorf("the export's notes are %+v, want the learner's one note", doc.Notes)
	}
	if more := w.fake.Uploads(); len(more) != 0 {
		t.Errorf("more files were uploaded: %+v", more)
	}
}

func TestForgetDeletesOnlyThePressingLearnersDataAndNoOneElseCanPressIt(t *testing.T) {
	w := newWorld(t, options{})
	w.runSocket()
	w.fake.SetUser(user("U0OTHER", "Linus", false, false, ""))
	lesson := w.first.Lessons[0]
	for _, u := range []string{"U0LEARNER", "U0OTHER"} {
		w.answer(u, "done "+lesson.Slug)
		w.answer(u, "note "+lesson.Slug+" kept by "+u)
	}

	m := w.answer("U0LEARNER", "forget")
	confirm := buttonLabelled(t, m, "Delete everything")
	if m.ResponseType != "ephemeral" || confirm.Style != "danger" {
		t.Errorf("/roadmap forget answered (%s) with a %q confirm button, want a private warning", m.ResponseType, confirm.Style)
	}

	// Someone else presses it: refused, privately, and everything stays.
	refused := w.fake.WaitResponse(w.pressAs("U0OTHER", confirm, "").ResponseID)
	if text := allText(t, refused.Raw); refused.ResponseType != "ephemeral" || !strings.Contains(text, "only they can press it") {
		t.Errorf("another learner's press was answered (%s):\n%s", refused.ResponseType, text)
	}
	for _, u := range []string{"U0LEARNER", "U0OTHER"} {
		if l := w.learner(u); l.Lessons[lesson.Slug] != bot.StateDone || w.storedNote(u, lesson.Slug) != "kept by "+u {
			t.Fatalf("after a refused press %s's progress is %v and note %q", u, l.Lessons, w.storedNote(u, lesson.Slug))
		}
	}

	// The learner presses it: their data goes, the other learner's stays.
	done := w.fake.WaitResponse(w.pressAs("U0LEARNER", confirm, "").ResponseID)
	if text := allText(t, done.Raw); done.ResponseType != "ephemeral" || !strings.Contains(text, "everything studybot kept about you in this community is deleted") {
		t.Errorf("the learner's press was answered (%s):\n%s", done.ResponseType, text)
	}
	if l := w.learner("U0LEARNER"); len(l.Lessons) != 0 || l.Streak.Longest != 0 || w.storedNote("U0LEARNER", lesson.Slug) != "" {
		t.Errorf("after forget the learner still has progress %v, streak %+v, note %q", l.Lessons, l.Streak, w.storedNote("U0LEARNER", lesson.Slug))
	}
	if where := w.holding("U0LEARNER"); len(where) != 0 {
		t.Errorf("after forget the bbolt file still names the learner at %q", where)
	}
	if l := w.learner("U0OTHER"); l.Lessons[lesson.Slug] != bot.StateDone || l.Streak.Longest != 1 || w.storedNote("U0OTHER", lesson.Slug) != "kept by U0OTHER" {
		t.Errorf("another learner's data after the forget: progress %v, streak %+v, note %q", l.Lessons, l.Streak, w.storedNote("U0OTHER", lesson.Slug))
	}
}

// The recap names learners by display name as text Slack never reads as a mention, however
// the name is spelled.
func TestTheWeeklyRecapGoesToTheChannelOnMondayWithNamesThatMentionNobody(t *testing.T) {
	w := newWorld(t, options{})
	w.runSocket()
	advance := w.withScheduler()
	w.fake.SetUser(user("U0ADMIN", "Grace", true, false, ""))
	w.fake.SetUser(user("U0CHAN", "<!channel>", false, false, ""))
	w.fake.SetUser(user("U0HERE", "@here", false, false, ""))
	// start is Monday 2025-03-10 09:00 UTC: the first recap is the next Monday's, at 08:00 UTC.
	if m := w.answer("U0ADMIN", "nudge set 09:00 Europe/Berlin"); !strings.Contains(allText(t, m.Raw), "Daily lesson on") {
		t.Fatalf("nudge set answered %s", allText(t, m.Raw))
	}
	learners := []string{"U0LEARNER", "U0CHAN", "U0HERE"}
	advance(5*24*time.Hour + 3*time.Hour) // Saturday 12:00 UTC
	for _, u := range learners {
		w.answer(u, "checkin")
	}
	advance(24 * time.Hour) // Sunday 12:00 UTC
	for _, u := range learners {
		w.answer(u, "checkin")
	}
	recapsPosted := func() []fakeslack.Post {
		var out []fakeslack.Post
		for _, p := range w.fake.TakePosts() {
			if strings.Contains(p.Text, "Weekly recap") {
				out = append(out, p)
			}
		}
		return out
	}
	advance(19*time.Hour + 59*time.Minute) // Monday 07:59 UTC, 08:59 in Berlin
	if early := recapsPosted(); len(early) != 0 {
		t.Fatalf("a recap went out before Monday's nudge time: %q", early[0].Text)
	}
	advance(2 * time.Minute)
	recaps := recapsPosted()
	if len(recaps) != 1 {
		t.Fatalf("%d weekly recaps were posted at Monday's nudge time, want one", len(recaps))
	}
	recap := recaps[0]
	if recap.Channel != channel {
		t.Errorf("the recap went to %q, want %s", recap.Channel, channel)
	}
	text := allText(t, recap.Blocks)
	for _, want := range []string{"3 learners studied last week", "Top streaks", "Ada — 2 days", "&lt;!channel&gt; — 2 days", "@here — 2 days"} {
		if !strings.Contains(text, want) {
			t.Errorf("the recap lacks %q:\n%s", want, text)
		}
	}
	assertNoMentions(t, recap.Blocks)
	if strings.Contains(recap.Text, "<!") {
		t.Errorf("the recap's notification text holds a mention: %q", recap.Text)
	}
	if ln, parse := recap.Form.Get("link_names"), recap.Form.Get("parse"); ln == "1" || ln == "true" || parse == "full" {
		t.Errorf("the recap was posted with link_names=%q parse=%q: Slack would turn @here into a mention", ln, parse)
	}

	advance(3 * 24 * time.Hour)
	if again := recapsPosted(); len(again) != 0 {
		t.Errorf("%d more recaps were posted in the same week", len(again))
	}
}
