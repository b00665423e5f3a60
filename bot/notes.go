package bot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Notes, as learners see them:
//   - `/roadmap note <lesson> <text>` saves the learner's note on a lesson, replacing the one
//     there; `note <lesson>` alone opens a form holding the current note (where no form can
//     be shown, it shows the note and what to type); `note <lesson> -` deletes it.
//   - `/roadmap notes [topic]` lists them in roadmap order; a lesson shown with `lesson` or
//     `next` carries its learner's note under it.
//   - A note is private: every answer that shows one is seen by its author alone, and it is
//     never read as Markdown, so nothing typed in it can format, link or mention anyone.
//   - The lesson is named by its slug when text follows it: a note is never saved on a lesson
//     guessed from a misspelling.

// deleteNote is the text that deletes a note instead of saving one.
const deleteNote = "-"

// noteField is the field that shows a learner their own note.
const noteField = "Your note"

// Listing many notes clips each, so the answer stays one readable message.
const (
	notesShown    = 15  // notes listed in one answer
	notesClipped  = 250 // characters of each, when several are listed
	notesFullUpTo = 3   // this many or fewer are shown whole
)

func (b *Bot) note(ctx context.Context, c Community, req Request, cmd Command) (Response, error) {
	t := cmd.target
	if t.Lesson == nil {
		return Response{}, Errorf(EINVALID, "Notes belong to a lesson, and %s is a topic: /roadmap topic %s lists its lessons.",
			t.Topic.Title, t.Topic.Slug)
	}
	x := t.Lesson
	if cmd.forgiven && cmd.Text != "" {
		return Response{}, Errorf(ENOTFOUND, "No lesson is called %q. Did you mean %s? Nothing was saved: /roadmap note %s <text> saves it there.",
			clip(cmd.Target, 40), x.Title, x.Slug)
	}
	current, err := b.store.Note(ctx, c, req.UserID, x.Slug)
	if err != nil {
		return Response{}, fmt.Errorf("note: %w", err)
	}
	text := strings.TrimSpace(cmd.Text)
	switch {
	case text == "":
		return noteForm(x, current), nil
	case text == deleteNote:
		if current == "" {
			return Response{Text: fmt.Sprintf("You have no note on %s; nothing changed.", x.Title), Ephemeral: true}, nil
		}
		if err := b.store.SetNote(ctx, c, req.UserID, x.Slug, ""); err != nil {
			return Response{}, fmt.Errorf("note: delete: %w", err)
		}
		return Response{
			Text:      fmt.Sprintf("🗑️ Deleted your note on %s.", x.Title),
			Buttons:   []Button{{Label: "My notes", Command: "notes"}},
			Ephemeral: true,
			Tone:      ToneSuccess,
		}, nil
	}
	if err := b.store.SetNote(ctx, c, req.UserID, x.Slug, text); err != nil {
		return Response{}, fmt.Errorf("note: save: %w", err)
	}
	what := "Saved"
	if current != "" {
		what = "Replaced"
	}
	return Response{
		Text:   fmt.Sprintf("📝 %s your note on %s. Only you see it; it shows under the lesson.", what, x.Title),
		Fields: []Field{{Name: noteField, Value: text}},
		Buttons: []Button{
			{Label: "Edit note", Command: "note " + x.Slug},
			{Label: "My notes", Command: "notes"},
			{Label: "Lesson", Command: "lesson " + x.Slug},
		},
		Footer:    fmt.Sprintf("/roadmap note %s %s deletes it", x.Slug, deleteNote),
		Ephemeral: true,
		Tone:      ToneSuccess,
	}, nil
}

// noteForm asks for the learner's note on x in a form holding the current one. Where no
// form can be shown, the answer itself shows the note and ModalHint says what to type.
func noteForm(x *Lesson, current string) Response {
	r := Response{
		Title: "Your note on " + x.Title,
		Text:  "You have no note on this lesson yet.",
		Modal: &Modal{
			Title:       clip("Note: "+x.Title, 45),
			Label:       noteField,
			Placeholder: "What to remember about this lesson. A single - deletes the note.",
			Value:       current,
			MaxLength:   MaxTextLen,
			Submit:      "note " + x.Slug,
		},
		Footer:    fmt.Sprintf("At most %s characters · /roadmap note %s %s deletes it", thousands(MaxTextLen), x.Slug, deleteNote),
		Ephemeral: true,
	}
	if current != "" {
		r.Text = "Send new text to replace it."
		r.Fields = []Field{{Name: noteField, Value: current}}
	}
	return r
}

// notes lists the learner's notes in roadmap order, on one topic's lessons when one is named
// (or on one lesson); notes on lessons the roadmap no longer has come last, by slug.
func (b *Bot) notes(ctx context.Context, c Community, req Request, cmd Command) (Response, error) {
	type entry struct {
		order int
		title string
		slug  string
		text  string
	}
	var only map[string]bool // the lessons asked about; nil: all
	scope := ""
	if t := cmd.target; t != nil {
		only = map[string]bool{}
		for _, x := range t.Lessons() {
			only[x.Slug] = true
		}
		scope = t.Title()
	}
	var entries []entry
	total := 0
	err := b.store.Notes(ctx, c, req.UserID, func(slug, text string) error {
		if only != nil && !only[slug] {
			return nil
		}
		total++
		e := entry{order: len(b.roadmap.lessons), title: slug, slug: slug, text: text}
		if x, ok := b.roadmap.Lesson(slug); ok {
			e.order, e.title = x.index, x.Title
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return Response{}, fmt.Errorf("notes: %w", err)
	}
	title := "Your notes"
	if scope != "" {
		title += ": " + scope
	}
	if len(entries) == 0 {
		text := "You have no notes yet. Add one with /roadmap note <lesson> <text>, or press Add note under a lesson."
		if scope != "" {
			text = fmt.Sprintf("You have no notes on %s yet. Add one with /roadmap note <lesson> <text>, or press Add note under a lesson.", scope)
		}
		return Response{Title: title, Text: text, Buttons: []Button{{Label: "Next lesson", Command: "next", Style: StylePrimary}},
			Ephemeral: true}, nil
	}
	// The store hands notes out by slug; the roadmap's order is the learner's.
	slices.SortStableFunc(entries, func(a, b entry) int { return cmp.Compare(a.order, b.order) })
	limit := MaxTextLen
	if len(entries) > notesFullUpTo {
		limit = notesClipped
	}
	r := Response{Title: title, Ephemeral: true}
	clipped := false
	for _, e := range entries[:min(len(entries), notesShown)] {
		name := e.title
		if e.slug != e.title {
			name += " (" + e.slug + ")"
		}
		clipped = clipped || utf8.RuneCountInString(e.text) > limit
		r.Fields = append(r.Fields, Field{Name: name, Value: clip(e.text, limit)})
	}
	r.Footer = plural(total, "note")
	if total > notesShown {
		r.Footer = fmt.Sprintf("%d of %s shown: /roadmap notes <topic> shows one topic's", notesShown, plural(total, "note"))
	}
	if clipped {
		r.Footer += " · long notes are cut short: /roadmap lesson <name> shows one in full"
	}
	return r, nil
}

// withNote puts the learner's note on x under the lesson r shows, with a button to add or
// edit it. A note that cannot be read leaves the lesson as it is: the lesson matters more.
func (b *Bot) withNote(ctx context.Context, c Community, userID string, r Response, x *Lesson) Response {
	text, err := b.store.Note(ctx, c, userID, x.Slug)
	if err != nil {
		b.log.Error("could not read a learner's note", "community", c.Key(), "lesson", x.Slug, "err", err)
		return r
	}
	label := "Add note"
	if text != "" {
		label = "Edit note"
		r.Fields = append(r.Fields, Field{Name: noteField, Value: text})
	}
	r.Buttons = append(r.Buttons, Button{Label: label, Command: "note " + x.Slug})
	return r
}
