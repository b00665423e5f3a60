package bot

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

	// Command and Outcome say what was handled and how it ended (OutcomeOK or an error code),
	// for metrics and logs; they are not shown.
	Command string
	Outcome string
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
