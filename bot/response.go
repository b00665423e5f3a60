package bot

// Response is a platform-neutral answer. Chat adapters render it as a Discord embed with
// components, Slack Block Kit or console text. Text is plain: no markup, so each platform can
// escape it for itself.
type Response struct {
	Title     string
	Text      string
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

// Field is a labelled block of text.
type Field struct {
	Name   string
	Value  string
	Inline bool
}

// Link is a titled URL.
type Link struct {
	Title string
	URL   string
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
