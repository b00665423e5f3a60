package slack

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/bot"
)

// Slack's documented Block Kit limits. Lengths are counted here in bytes of the escaped
// text, which is never fewer than the characters Slack counts, so staying under them in
// bytes keeps every message valid.
const (
	maxBlocks         = 50   // blocks in one message
	maxHeaderText     = 150  // header block text
	maxSectionText    = 3000 // section text
	maxFieldText      = 2000 // one section field
	maxSectionFields  = 10   // fields in one section
	maxContextText    = 2000 // one context element (kept at the field size to be safe)
	maxButtonText     = 75   // button label
	maxButtonValue    = 2000 // button value
	maxActionElements = 25   // elements in one actions block
	maxFallbackText   = 3000 // the top-level text we send for notifications (Slack allows 40,000)
	maxFieldName      = 200  // our own cap on a field's bold name, so its value keeps the room
)

// ActionIDPrefix starts the action_id of every button studybot renders; the number after it
// makes each button's action_id unique in its message. Presses of other actions are ignored.
const ActionIDPrefix = "roadmap-"

// escaper turns the three characters Slack treats as markup into entities, so user text can
// never become a <!channel>, <!here>, <!everyone>, <@U…> mention or a link.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// unescaper undoes Slack's own escaping of the command text it sends us, so the grammar
// sees what the learner typed ("a &amp; b" arrives for "a & b"). &amp; goes last so
// "&amp;lt;" becomes "&lt;", not "<".
var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// Escape makes plain text safe for any Slack text field.
func Escape(s string) string { return escaper.Replace(s) }

// Message is a rendered response: Block Kit blocks plus the plain fallback text Slack shows
// in notifications and clients without Block Kit.
type Message struct {
	Text   string
	Blocks []slack.Block
}

// Render turns a platform-neutral response into Block Kit: a header for the title, sections
// for the text, fields and resources, a context line for the footer and an actions block
// whose buttons carry their command as value. Every piece of text is escaped and every
// mrkdwn object is verbatim, so nothing in it is parsed into a mention. Plain text (all but
// lesson Markdown) goes out as plain_text, which Slack shows as it is: a display name such
// as "*bold* _x_" is never formatted. Slack's size limits are met by splitting long text
// over several sections and shortening what still does not fit. Buttons are kept before
// text; only past 1,200 of them (25 to an actions block, with a block left for the footer
// and one for the note saying the message was shortened) are the last ones dropped.
func Render(r bot.Response) Message { return render(r, "") }

// render is Render for a message made for workspace team: its buttons carry team, so a
// press is filed there even when Slack's payload names no workspace.
func render(r bot.Response, team string) Message {
	var content []slack.Block
	if title := clipBytes(Escape(oneLine(r.Title)), maxHeaderText); title != "" {
		content = append(content, slack.NewHeaderBlock(plain(title)))
	}
	if r.Markdown {
		for _, piece := range mrkdwnPieces(r.Text, maxSectionText/2) {
			content = append(content, section(piece))
		}
	} else {
		for _, chunk := range splitEscaped(r.Text, maxSectionText) {
			content = append(content, plainSection(chunk))
		}
	}
	content = append(content, renderFields(r.Fields)...)
	if len(r.Links) > 0 {
		lines := make([]string, 0, len(r.Links)+1)
		lines = append(lines, "*Resources*")
		for _, l := range r.Links {
			line := "• " + linkMrkdwn(l)
			if l.Note != "" {
				line += " — " + Escape(oneLine(l.Note))
			}
			lines = append(lines, line)
		}
		for _, chunk := range packLines(lines, maxSectionText) {
			content = append(content, section(chunk))
		}
	}

	var tail []slack.Block
	if footer := clipBytes(Escape(r.Footer), maxContextText); footer != "" {
		tail = append(tail, slack.NewContextBlock("", plain(footer)))
	}
	tail = append(tail, renderButtons(r.Buttons, team)...)
	// The tail leaves a block for the "shortened" note, so the learner is always told when
	// something is missing.
	shortened := false
	if len(tail) > maxBlocks-1 {
		tail, shortened = tail[:maxBlocks-1], true
	}
	if room := maxBlocks - len(tail); shortened || len(content) > room {
		keep := min(len(content), room-1)
		content = append(content[:keep], section(shortenedNote))
	}
	return Message{Text: fallback(r), Blocks: append(content, tail...)}
}

// shortenedNote ends the content of a message that had to lose blocks to fit.
const shortenedNote = "_…shortened to fit in one Slack message._"

// renderFields puts runs of inline fields side by side (up to ten per section) and gives
// every other field a section of its own. A field's name is bold when nothing in the field
// could be read as mrkdwn; otherwise the field goes out as plain text, name and all, so what
// a user typed is shown as typed.
func renderFields(fields []bot.Field) []slack.Block {
	var blocks []slack.Block
	var row []*slack.TextBlockObject
	flush := func() {
		if len(row) > 0 {
			blocks = append(blocks, slack.NewSectionBlock(nil, row, nil))
			row = nil
		}
	}
	for _, f := range fields {
		name := clipBytes(Escape(oneLine(f.Name)), maxFieldName)
		bold := inert(name) && inert(Escape(f.Value))
		text := plain
		if bold {
			name, text = "*"+name+"*", mrkdwn
		}
		if f.Inline {
			row = append(row, text(clipBytes(name+"\n"+Escape(f.Value), maxFieldText)))
			if len(row) == maxSectionFields {
				flush()
			}
			continue
		}
		flush()
		chunks := splitEscaped(f.Value, maxSectionText-len(name)-1)
		if len(chunks) == 0 {
			chunks = []string{""}
		}
		for i, chunk := range chunks {
			if i == 0 {
				chunk = strings.TrimSuffix(name+"\n"+chunk, "\n")
			}
			if chunk == "" {
				continue // Slack refuses an empty text object
			}
			blocks = append(blocks, slack.NewSectionBlock(text(chunk), nil, nil))
		}
	}
	flush()
	return blocks
}

// inert reports whether escaped text reads the same as mrkdwn and as plain text: no
// character that mrkdwn could take for bold, italics, strikethrough or code, and no line
// that it could take for a quote.
func inert(escaped string) bool {
	if strings.ContainsAny(escaped, "*_~`") {
		return false
	}
	for _, line := range strings.Split(escaped, "\n") {
		if strings.HasPrefix(strings.TrimLeft(line, " \t"), "&gt;") {
			return false
		}
	}
	return true
}

// renderButtons makes one actions block per 25 buttons. A button's value is its command,
// which is run for whoever presses it, stamped with team when given (see buttonValue); a
// command too long for Slack's value limit is dropped rather than cut, since a cut command
// would do something else.
func renderButtons(buttons []bot.Button, team string) []slack.Block {
	var blocks []slack.Block
	var row []slack.BlockElement
	for i, b := range buttons {
		value := buttonValue(team, b.Command)
		if b.Command == "" || len(value) > maxButtonValue {
			continue
		}
		label := clipBytes(Escape(oneLine(b.Label)), maxButtonText)
		if label == "" {
			label = clipBytes(Escape(oneLine(b.Command)), maxButtonText)
		}
		btn := slack.NewButtonBlockElement(fmt.Sprintf("%s%d", ActionIDPrefix, i), value, plain(label))
		switch b.Style {
		case bot.StylePrimary, bot.StyleSuccess:
			btn.WithStyle(slack.StylePrimary)
		case bot.StyleDanger:
			btn.WithStyle(slack.StyleDanger)
		}
		row = append(row, btn)
		if len(row) == maxActionElements {
			blocks = append(blocks, slack.NewActionBlock("", row...))
			row = nil
		}
	}
	if len(row) > 0 {
		blocks = append(blocks, slack.NewActionBlock("", row...))
	}
	return blocks
}

// A button's value is its command, stamped with the workspace the message was made for:
// "@T0STUDY:done caching". In an org-wide install Slack's block_actions payload names no
// workspace (its team is null), so the stamp is what files a press under the workspace
// where it was pressed rather than under the presser's own. A value without a stamp (a
// message from before stamping, or one rendered for no workspace) is the bare command;
// commands never begin with "@".
func buttonValue(team, command string) string {
	if team == "" {
		return command
	}
	return "@" + team + ":" + command
}

// parseButtonValue reverses buttonValue; team is "" for a bare command.
func parseButtonValue(v string) (team, command string) {
	if rest, ok := strings.CutPrefix(v, "@"); ok {
		if t, c, ok := strings.Cut(rest, ":"); ok && isSlackID(t) {
			return t, c
		}
	}
	return "", v
}

// linkMrkdwn renders a resource as <url|title>. A URL that is not plain http(s), or that
// holds a character that would end the link markup early, is shown as text instead.
func linkMrkdwn(l bot.Link) string {
	title := Escape(oneLine(l.Title))
	u, err := url.Parse(l.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		strings.ContainsAny(l.URL, "<>| \t\r\n") {
		if title == "" {
			return Escape(l.URL)
		}
		return title + " — " + Escape(l.URL)
	}
	if title == "" {
		return "<" + Escape(l.URL) + ">"
	}
	return "<" + Escape(l.URL) + "|" + title + ">"
}

// fallback is the plain text shown in notifications: the title and the start of the text.
func fallback(r bot.Response) string {
	parts := make([]string, 0, 2)
	if r.Title != "" {
		parts = append(parts, oneLine(r.Title))
	}
	if r.Text != "" {
		parts = append(parts, r.Text)
	}
	if len(parts) == 0 && len(r.Fields) > 0 {
		parts = append(parts, r.Fields[0].Name+": "+r.Fields[0].Value)
	}
	text := clipBytes(Escape(strings.Join(parts, "\n")), maxFallbackText)
	if text == "" {
		text = "studybot"
	}
	return text
}

// mrkdwnPieces cuts lesson Markdown into sections of Slack mrkdwn of at most maxSectionText
// bytes. Pieces are cut at limit characters; one that grows past the section limit once
// escaped and encoded (& becomes &amp;, a Cyrillic letter is two bytes) is cut again,
// smaller, between paragraphs and lines like the first cut, so no code block is clipped open.
func mrkdwnPieces(md string, limit int) []string {
	var out []string
	for _, piece := range bot.SplitMarkdown(md, limit) {
		m := markdownToMrkdwn(piece)
		switch {
		case len(m) <= maxSectionText:
			out = append(out, m)
		case limit > 100:
			out = append(out, mrkdwnPieces(piece, limit/2)...)
		default:
			out = append(out, clipBytes(m, maxSectionText)) // not reached by any text: 100 characters escape to at most 600 bytes
		}
	}
	return out
}

// boldMarkdown is **bold** in lesson Markdown; Slack's mrkdwn writes it *bold*.
var boldMarkdown = regexp.MustCompile(`\*\*([^*\n]+)\*\*`)

// markdownToMrkdwn turns roadmap content in the lesson Markdown subset into Slack mrkdwn:
// code fences lose their language (Slack shows it as code otherwise), **bold** becomes
// *bold*, "- " list items become bullets, and &, < and > are escaped everywhere, so no
// content can form a mention or a link.
func markdownToMrkdwn(md string) string {
	lines := strings.Split(md, "\n")
	inFence := false
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			if !inFence {
				lines[i] = "```"
			}
			inFence = !inFence
			continue
		}
		line = Escape(line)
		if !inFence {
			line = boldMarkdown.ReplaceAllString(line, "*$1*")
			if rest, ok := strings.CutPrefix(line, "- "); ok {
				line = "• " + rest
			}
		}
		lines[i] = line
	}
	return strings.Join(lines, "\n")
}

func plain(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, text, true, false)
}

// mrkdwn is always verbatim: Slack then skips its own guessing of links, channel names and
// @-mentions in the text, so a bare "@here" stays text.
func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, true)
}

func section(text string) slack.Block { return slack.NewSectionBlock(mrkdwn(text), nil, nil) }

// plainSection is a section of plain text, which Slack shows without reading any markup.
func plainSection(text string) slack.Block { return slack.NewSectionBlock(plain(text), nil, nil) }

// splitEscaped escapes raw and cuts it into pieces of at most limit bytes, at line breaks
// where it can, else at spaces, else between characters; never inside an entity.
func splitEscaped(raw string, limit int) []string {
	raw = strings.TrimRight(raw, "\n ")
	if raw == "" {
		return nil
	}
	var lines []string
	for _, line := range strings.Split(raw, "\n") {
		lines = append(lines, hardSplit(line, limit)...)
	}
	return packLines(lines, limit)
}

// packLines joins escaped lines with newlines into as few pieces of at most limit bytes as
// it can. Every line must already fit.
func packLines(lines []string, limit int) []string {
	var out []string
	var cur strings.Builder
	for _, line := range lines {
		if cur.Len() > 0 && cur.Len()+1+len(line) > limit {
			out = append(out, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(clipBytes(line, limit))
	}
	if s := cur.String(); strings.TrimSpace(s) != "" {
		out = append(out, s)
	}
	return out
}

// hardSplit escapes one raw line into pieces of at most limit bytes, preferring to cut
// after a space.
func hardSplit(raw string, limit int) []string {
	esc := Escape(raw)
	if len(esc) <= limit {
		return []string{esc}
	}
	var out []string
	var cur strings.Builder
	lastSpace := -1 // byte offset in cur just after the last space
	for _, r := range raw {
		piece := Escape(string(r))
		if cur.Len() > 0 && cur.Len()+len(piece) > limit {
			s := cur.String()
			if lastSpace > 0 {
				out = append(out, s[:lastSpace])
				rest := s[lastSpace:]
				cur.Reset()
				cur.WriteString(rest)
			} else {
				out = append(out, s)
				cur.Reset()
			}
			lastSpace = -1
		}
		cur.WriteString(piece)
		if unicode.IsSpace(r) {
			lastSpace = cur.Len()
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// clipBytes shortens escaped text to at most n bytes, ending with "…", without cutting a
// character or an entity in half.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := n - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if amp := strings.LastIndexByte(s[:cut], '&'); amp >= 0 && !strings.Contains(s[amp:cut], ";") {
		cut = amp // do not leave half an entity such as "&am"
	}
	return s[:cut] + ellipsis
}

// oneLine folds line breaks into spaces for places that show a single line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
