package discord

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
)

// Discord's message limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
const (
	maxEmbedTitle       = 256
	maxEmbedDescription = 4096
	maxEmbedFields      = 25
	maxFieldName        = 256
	maxFieldValue       = 1024
	maxFooter           = 2048
	maxEmbedTotal       = 6000
	maxButtonLabel      = 80
	maxCustomID         = 100
	maxButtonsPerRow    = 5
	maxRows             = 5
)

// Tone colours: Discord's own palette, so answers look at home.
var toneColours = map[bot.Tone]int{
	bot.ToneInfo:      0x5865F2, // blurple
	bot.ToneSuccess:   0x57F287, // green
	bot.ToneCelebrate: 0xFEE75C, // yellow
	bot.ToneError:     0xED4245, // red
}

var buttonStyles = map[bot.ButtonStyle]discordgo.ButtonStyle{
	bot.StyleSecondary: discordgo.SecondaryButton,
	bot.StylePrimary:   discordgo.PrimaryButton,
	bot.StyleSuccess:   discordgo.SuccessButton,
	bot.StyleDanger:    discordgo.DangerButton,
}

// noMentions is allowed_mentions with nothing to parse: whatever the text holds, nobody is
// pinged. It is set on every message, callback and edit.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// Button custom IDs carry the command a press runs. In a server the command runs in the
// interaction's guild; a direct message has no guild, so its buttons name theirs.
const (
	buttonPrefix   = "roadmap:"
	dmButtonPrefix = "roadmap@"
)

// buttonID is the custom_id for a button that runs command; guildID is set for buttons sent
// in direct messages. It reports false when the ID would not fit Discord's 100 characters.
func buttonID(command, guildID string) (string, bool) {
	id := buttonPrefix + command
	if guildID != "" {
		id = dmButtonPrefix + guildID + ":" + command
	}
	return id, len(id) <= maxCustomID
}

// parseButtonID reverses buttonID.
func parseButtonID(id string) (command, guildID string, ok bool) {
	if c, found := strings.CutPrefix(id, buttonPrefix); found {
		return c, "", c != ""
	}
	if rest, found := strings.CutPrefix(id, dmButtonPrefix); found {
		g, c, found := strings.Cut(rest, ":")
		return c, g, found && isSnowflake(g) && c != ""
	}
	return "", "", false
}

func isSnowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	return strings.Trim(s, "0123456789") == ""
}

// message is one Discord message: its embeds, rows of buttons and attached files.
type message struct {
	embeds     []*discordgo.MessageEmbed
	components []discordgo.MessageComponent
	files      []*discordgo.File
}

// maxEmbedsPerMessage is how many embeds one message may carry.
const maxEmbedsPerMessage = 10

// render turns a response into messages, most often one: an embed with the title and text,
// the fields, resources and footer, and rows of buttons. Lesson Markdown longer than one
// embed is split between paragraphs over several embeds, and those over several messages
// when one message cannot hold them; the buttons go with the last. dmGuild is the guild a
// direct message's buttons act in ("" for channel messages and interaction answers).
func render(r bot.Response, dmGuild string) []message {
	colour := toneColours[r.Tone]
	var embeds []*discordgo.MessageEmbed
	if r.Markdown {
		for _, piece := range bot.SplitMarkdown(r.Text, maxEmbedDescription) {
			embeds = append(embeds, &discordgo.MessageEmbed{Type: discordgo.EmbedTypeRich, Description: piece, Color: colour})
		}
	}
	if len(embeds) == 0 {
		text := ""
		if !r.Markdown {
			text = clip(escape(r.Text), maxEmbedDescription)
		}
		embeds = []*discordgo.MessageEmbed{{Type: discordgo.EmbedTypeRich, Description: text, Color: colour}}
	}
	embeds[0].Title = clip(escape(r.Title), maxEmbedTitle)

	// Fields, resources and the footer close the last embed, or one of their own when the
	// last one has no room left for them.
	tail := &discordgo.MessageEmbed{Type: discordgo.EmbedTypeRich, Color: colour}
	for _, f := range r.Fields {
		if len(tail.Fields) == maxEmbedFields {
			break
		}
		name, value := orDash(clip(escape(f.Name), maxFieldName)), escape(f.Value)
		if utf8.RuneCountInString(value) > maxFieldValue && len(tail.Fields)+2 <= maxEmbedFields {
			// Escaping can double plain text (a note of my_var and `code`), so a value that
			// was short enough as typed continues in a second field rather than lose its end:
			// a note of bot.MaxTextLen characters always shows whole.
			head, rest := splitField(f.Value, maxFieldValue)
			both := &discordgo.MessageEmbed{Fields: []*discordgo.MessageEmbedField{
				{Name: name, Value: head}, {Name: continued, Value: clip(escape(rest), maxFieldValue)}}}
			if strings.TrimSpace(rest) != "" && embedSize(tail)+embedSize(both) <= maxEmbedTotal {
				tail.Fields = append(tail.Fields, both.Fields...)
				continue
			}
		}
		tail.Fields = append(tail.Fields, &discordgo.MessageEmbedField{
			Name:   name,
			Value:  orDash(clip(value, maxFieldValue)),
			Inline: f.Inline,
		})
	}
	if links := renderLinks(r.Links); links != "" && len(tail.Fields) < maxEmbedFields {
		tail.Fields = append(tail.Fields, &discordgo.MessageEmbedField{Name: "Resources", Value: links})
	}
	if r.Footer != "" {
		// Footers show text as is: no markdown, so no escaping.
		tail.Footer = &discordgo.MessageEmbedFooter{Text: clip(r.Footer, maxFooter)}
	}
	last := embeds[len(embeds)-1]
	if len(tail.Fields) > 0 || tail.Footer != nil {
		// Plain text is cut to make room; a lesson is not: its fields follow in an embed
		// (and so a message) of their own.
		if (len(embeds) == 1 && !r.Markdown) || embedSize(last)+embedSize(tail) <= maxEmbedTotal {
			last.Fields, last.Footer = tail.Fields, tail.Footer
		} else {
			embeds = append(embeds, tail)
		}
	}
	for _, e := range embeds {
		fitTotal(e)
	}
	if e := embeds[0]; len(embeds) == 1 && e.Title == "" && e.Description == "" && len(e.Fields) == 0 {
		e.Description = "…"
	}

	// Pack the embeds into as few messages as Discord's per-message limits allow.
	var msgs []message
	size := 0
	for _, e := range embeds {
		n := len(msgs)
		if n == 0 || len(msgs[n-1].embeds) == maxEmbedsPerMessage || size+embedSize(e) > maxEmbedTotal {
			msgs = append(msgs, message{})
			n++
			size = 0
		}
		msgs[n-1].embeds = append(msgs[n-1].embeds, e)
		size += embedSize(e)
	}
	msgs[len(msgs)-1].components = renderButtons(r.Buttons, dmGuild)
	msgs[0].files = renderFiles(r.Files)
	if name, ok := imageName(r); ok {
		// The embed shows the uploaded file itself: Discord resolves attachment://<name>
		// against the files of the same message.
		msgs[0].embeds[0].Image = &discordgo.MessageEmbedImage{URL: "attachment://" + name}
	}
	return msgs
}

// maxFiles is how many files one Discord message carries.
const maxFiles = 10

// renderFiles turns a response's files into uploads for the first message, under names
// Discord keeps as they are.
func renderFiles(files []bot.File) []*discordgo.File {
	var out []*discordgo.File
	for _, f := range files {
		if len(out) == maxFiles {
			break
		}
		out = append(out, &discordgo.File{Name: fileName(f.Name), ContentType: f.Type, Reader: bytes.NewReader(f.Data)})
	}
	return out
}

// imageName is the upload name of the file r shows inline, when it names one of its files.
func imageName(r bot.Response) (string, bool) {
	if r.Image == "" {
		return "", false
	}
	if _, ok := r.FileNamed(r.Image); !ok {
		return "", false
	}
	return fileName(r.Image), true
}

// fileName keeps the letters, digits, dots, dashes and underscores of name and turns the
// rest into underscores: Discord rewrites other characters in uploaded file names, and an
// embed's attachment://<name> must match the name Discord keeps. Path separators go too.
func fileName(name string) string {
	out := []rune{}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			out = append(out, r)
		default:
			out = append(out, '_')
		}
		if len(out) == 100 {
			break
		}
	}
	if s := strings.Trim(string(out), "."); s != "" {
		return s
	}
	return "file"
}

// upload is one entry of a message's attachments array: the file sent as files[ID].
type upload struct {
	ID       int    `json:"id"`
	Filename string `json:"filename"`
}

// messageCallback is an interaction callback with a message (type 4): discordgo's, with the
// attachments array for its files (discordgo's own attachment type would send every field).
type messageCallback struct {
	Type discordgo.InteractionResponseType `json:"type"`
	Data callbackData                      `json:"data"`
}

type callbackData struct {
	*discordgo.InteractionResponseData
	Attachments []upload `json:"attachments,omitempty"`
}

func uploads(files []*discordgo.File) []upload {
	var out []upload
	for n, f := range files {
		out = append(out, upload{ID: n, Filename: f.Name})
	}
	return out
}

// embedSize counts the characters Discord counts toward its 6000 per message.
func embedSize(e *discordgo.MessageEmbed) int {
	n := utf8.RuneCountInString
	total := n(e.Title) + n(e.Description)
	for _, f := range e.Fields {
		total += n(f.Name) + n(f.Value)
	}
	if e.Footer != nil {
		total += n(e.Footer.Text)
	}
	return total
}

// renderLinks lists links as masked links, one a line, as many as fit in a field.
func renderLinks(links []bot.Link) string {
	var b strings.Builder
	for _, l := range links {
		line := "• [" + escape(strings.NewReplacer("[", "", "]", "").Replace(l.Title)) + "](" + linkURL(l.URL) + ")"
		if l.Note != "" {
			line += " — " + escape(l.Note)
		}
		if b.Len() > 0 {
			line = "\n" + line
		}
		if utf8.RuneCountInString(b.String()+line) > maxFieldValue {
			break
		}
		b.WriteString(line)
	}
	return b.String()
}

// linkURL keeps a URL from ending its masked link early.
func linkURL(u string) string {
	return strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E").Replace(u)
}

// fitTotal keeps one embed within Discord's 6000-character total: the description is cut
// first, and trailing fields go only when cutting it cannot make room.
func fitTotal(e *discordgo.MessageEmbed) {
	n := utf8.RuneCountInString
	for len(e.Fields) > 0 && embedSize(e)-maxEmbedTotal >= n(e.Description) {
		e.Fields = e.Fields[:len(e.Fields)-1]
	}
	if over := embedSize(e) - maxEmbedTotal; over > 0 {
		e.Description = clip(e.Description, n(e.Description)-over)
	}
}

func renderButtons(buttons []bot.Button, dmGuild string) []discordgo.MessageComponent {
	rows := []discordgo.MessageComponent{}
	var row []discordgo.MessageComponent
	seen := map[string]bool{}
	count := 0
	for _, b := range buttons {
		id, ok := buttonID(b.Command, dmGuild)
		if !ok || seen[id] || count == maxButtonsPerRow*maxRows {
			continue // a button that cannot work is left out, not sent broken
		}
		seen[id] = true
		count++
		label := clip(strings.TrimSpace(b.Label), maxButtonLabel)
		if label == "" {
			label = clip(b.Command, maxButtonLabel)
		}
		row = append(row, discordgo.Button{Label: label, Style: buttonStyles[b.Style], CustomID: id})
		if len(row) == maxButtonsPerRow {
			rows = append(rows, discordgo.ActionsRow{Components: row})
			row = nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, discordgo.ActionsRow{Components: row})
	}
	return rows
}

// continued names a field that goes on with the one before it: Discord needs a name, and a
// zero-width space shows none.
const continued = "\u200b"

// splitField cuts plain text s in two whose escaped forms each fit in limit characters when
// they can: at the last space or line break that lets the second fit, else where the first
// is full. Each half is escaped on its own, so a marker at the start of the second is
// escaped as the start of a value. The first half's escaped form is returned.
func splitField(s string, limit int) (head, rest string) {
	starts := make([]int, 0, len(s))
	for i := range s {
		starts = append(starts, i)
	}
	starts = append(starts, len(s))
	// Escaping rune by rune, each prefix's escaped form is a prefix of the whole one's.
	k := sort.Search(len(starts), func(k int) bool { return utf8.RuneCountInString(escape(s[:starts[k]])) > limit }) - 1
	cut := starts[max(k, 1)]
	if i := strings.LastIndexAny(s[:cut], " \n"); i > 0 && utf8.RuneCountInString(escape(s[i+1:])) <= limit {
		cut = i + 1
	}
	return escape(s[:cut]), s[cut:]
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// escape makes plain text show as typed under Discord markdown: inline markers get a
// backslash everywhere, block markers (quote, heading, list) at the start of a line.
// Mentions need no escaping: allowed_mentions stops every ping.
func escape(s string) string {
	if s == "" {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	lineStart := true
	for _, r := range s {
		switch {
		case strings.ContainsRune("\\*_~`|[]", r):
			b.WriteByte('\\')
		case lineStart && strings.ContainsRune(">#-+", r):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		switch {
		case r == '\n':
			lineStart = true
		case r != ' ' && r != '\t':
			lineStart = false
		}
	}
	return b.String()
}

// messageData is one message as an interaction answer (callback type 4 or a follow-up).
func messageData(m message, ephemeral bool) *discordgo.InteractionResponseData {
	d := &discordgo.InteractionResponseData{Embeds: m.embeds, Components: m.components, AllowedMentions: noMentions(),
		Files: m.files}
	if ephemeral {
		d.Flags = discordgo.MessageFlagsEphemeral
	}
	return d
}

// Modal custom IDs carry the command a submission runs, the submitted text appended, the
// way button IDs do (a direct message's modal names its guild).
const modalPrefix = "modal:"

// Discord's limits on a modal (https://discord.com/developers/docs/components/reference#text-input).
const (
	maxModalTitle       = 45
	maxInputLabel       = 45
	maxInputPlaceholder = 100
	maxInputLength      = 4000
)

// modalInputID is the custom_id of a modal's one text input.
const modalInputID = "text"

// modalResponse is the callback (type 9) that opens m. It fails when m's command does not
// fit a custom_id: the submission could not run it, so the form must not be shown at all.
func modalResponse(m *bot.Modal, dmGuild string) (*discordgo.InteractionResponse, error) {
	id, ok := buttonID(m.Submit, dmGuild)
	id = modalPrefix + id
	if !ok || len(id) > maxCustomID || strings.TrimSpace(m.Submit) == "" {
		return nil, fmt.Errorf("modal command %q does not fit Discord's %d-character custom_id", clip(m.Submit, 40), maxCustomID)
	}
	f := m.Fit(maxModalTitle, maxInputLabel, maxInputPlaceholder, maxInputLength)
	title, label, limit := f.Title, f.Label, f.MaxLength
	return &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseModal,
		Data: &discordgo.InteractionResponseData{
			CustomID: id,
			Title:    title,
			Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				discordgo.TextInput{
					CustomID:    modalInputID,
					Label:       label,
					Style:       discordgo.TextInputParagraph,
					Placeholder: f.Placeholder,
					Value:       f.Value,
					Required:    true,
					MaxLength:   limit,
				},
			}}},
		},
	}, nil
}

// parseModalID reverses modalResponse's custom_id.
func parseModalID(id string) (command, guildID string, ok bool) {
	rest, found := strings.CutPrefix(id, modalPrefix)
	if !found {
		return "", "", false
	}
	return parseButtonID(rest)
}

// modalText is what was typed into a submitted modal's text input.
func modalText(d discordgo.ModalSubmitInteractionData) string {
	for _, row := range d.Components {
		r, ok := row.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		for _, c := range r.Components {
			if in, ok := c.(*discordgo.TextInput); ok && in.CustomID == modalInputID {
				return in.Value
			}
		}
	}
	return ""
}
