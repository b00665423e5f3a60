package bot

import (
	"cmp"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Response is a platform-neutral answer. Chat adapters render it as a Discord embed with
// components, Slack Block Kit or console text. Text is plain unless Markdown is set, so each
// platform can escape it for itself.
type Response struct {
	Title string
	Text  string
	// Markdown says Text is roadmap content in the lesson Markdown subset (paragraphs, "- "
	// lists, `code`, **bold** and fenced code blocks), which each platform renders in its own
	// markup and splits between paragraphs, never inside a code block, when it is longer than
	// one piece of a message. Text from users is never Markdown.
	Markdown  bool
	Fields    []Field
	Links     []Link
	Buttons   []Button
	Footer    string
	Ephemeral bool // only the asking user sees it
	Tone      Tone

	// Files go with the answer as attachments (a card, an export). Image names the one of
	// them, a PNG, JPEG or GIF, that the answer shows inline ("" for none); the others are
	// attached as they are. Where a platform cannot show a file in a private answer (Slack:
	// see adapters/slack), the adapter delivers it privately another way and says where.
	Files []File
	Image string

	// Modal, when set, asks the user for one piece of text instead of answering: the
	// platform shows a form and, once it is submitted, runs Modal.Submit + " " + the text
	// as a command of that user, as a button press would. A modal can only answer a slash
	// command or a button press, and only at once; where it cannot be shown (the console,
	// an answer that took too long, a platform refusal) the rest of the response is shown
	// instead, followed by ModalHint's line saying what to type.
	Modal *Modal

	// Command and Outcome say what was handled and how it ended (OutcomeOK or an error code),
	// for metrics and logs; they are not shown.
	Command string
	Outcome string
}

// File is an attachment: its name as users see it (no path), its MIME type and its bytes.
type File struct {
	Name string // e.g. "streak.png"; adapters drop path separators from it
	Type string // MIME type, e.g. "image/png" or "application/json"
	Data []byte
}

// Modal is a one-field text form.
type Modal struct {
	Title       string // the form's title; Slack shows at most 24 characters, Discord 45
	Label       string // what the field asks for, e.g. "Your note"
	Placeholder string // grey hint in the empty field
	Value       string // the field's initial text (the current note)
	MaxLength   int    // in characters; 0: the platform's own limit
	// Submit is the command (without /roadmap) the submitted text is appended to, e.g.
	// "note caching-basics"; a button carries its command the same way.
	Submit string
}

// Fit is m within a platform's limits, in characters: title, label and placeholder clipped
// with an ellipsis (an empty title or label named), the length limit at most the
// platform's, and the prefilled value within it.
func (m Modal) Fit(maxTitle, maxLabel, maxPlaceholder, maxLength int) Modal {
	fit := func(s string, n int) string {
		if utf8.RuneCountInString(s) <= n {
			return s
		}
		return string([]rune(s)[:n-1]) + "…"
	}
	m.Title, m.Label = fit(strings.TrimSpace(m.Title), maxTitle), fit(strings.TrimSpace(m.Label), maxLabel)
	m.Title, m.Label = cmp.Or(m.Title, "studybot"), cmp.Or(m.Label, "Text")
	if m.MaxLength <= 0 || m.MaxLength > maxLength {
		m.MaxLength = maxLength
	}
	m.Placeholder, m.Value = fit(m.Placeholder, maxPlaceholder), fit(m.Value, m.MaxLength)
	return m
}

// ModalHint is the line shown where a modal cannot be opened: what to type instead.
func ModalHint(m *Modal) string {
	what := strings.ToLower(strings.TrimSpace(m.Label))
	if what == "" {
		what = "text"
	}
	return fmt.Sprintf("Type: /roadmap %s <%s>", m.Submit, what)
}

// WithoutModal is r as shown where its modal cannot be opened: r's own text followed by
// ModalHint's line. A response without a modal is returned as it is.
func WithoutModal(r Response) Response {
	if r.Modal == nil {
		return r
	}
	hint := ModalHint(r.Modal)
	if r.Markdown {
		hint = "`" + strings.ReplaceAll(hint, "`", "") + "`"
	}
	if strings.TrimSpace(r.Text) == "" {
		r.Text = hint
	} else {
		r.Text += "\n\n" + hint
	}
	r.Modal = nil
	return r
}

// FileNamed returns the file of r named name.
func (r Response) FileNamed(name string) (File, bool) {
	for _, f := range r.Files {
		if f.Name == name {
			return f, true
		}
	}
	return File{}, false
}

// OutcomeOK is the Outcome of a command that did what was asked.
const OutcomeOK = "ok"

// OutcomePanic is the Outcome of a command whose handling panicked (see Bot.Handle).
const OutcomePanic = "panic"

// Field is a labelled block of text.
type Field struct {
	Name   string
	Value  string
	Inline bool
}

// Link is a titled URL, with a note on what to read there.
type Link struct {
	Title string
	URL   string
	Note  string
}

// Button runs Command (a `/roadmap` line without the prefix, e.g. "done caching") for
// whoever presses it.
type Button struct {
	Label   string
	Command string
	Style   ButtonStyle
}

// ButtonStyle hints how prominent a button is.
type ButtonStyle int

const (
	StyleSecondary ButtonStyle = iota
	StylePrimary
	StyleSuccess
	StyleDanger
)

// Tone sets the colour or emphasis of a response.
type Tone int

const (
	ToneInfo Tone = iota
	ToneSuccess
	ToneCelebrate
	ToneError
)
