package bot

import (
	"strings"
	"unicode/utf8"
)

// SplitMarkdown cuts lesson Markdown into pieces of at most limit characters each, for
// platforms that cap a block of text (Discord embeds, Slack sections). It cuts between
// paragraphs where it can, else between lines, else between words; a fenced code block is
// never left open: one that must be cut is closed at a line end and reopened, with its
// language, in the next piece. Joining the pieces with blank lines gives back the same
// paragraphs.
func SplitMarkdown(text string, limit int) []string {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	if utf8.RuneCountInString(text) <= limit {
		return []string{text}
	}
	limit = max(limit, 40) // room for a fence and a few words
	var pieces []string
	var cur strings.Builder
	n := 0 // runes in cur
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			pieces = append(pieces, s)
		}
		cur.Reset()
		n = 0
	}
	add := func(block string) {
		size := utf8.RuneCountInString(block)
		sep := 0
		if n > 0 {
			sep = 2
		}
		if n+sep+size > limit {
			flush()
			sep = 0
		}
		if sep > 0 {
			cur.WriteString("\n\n")
		}
		cur.WriteString(block)
		n += sep + size
	}
	for _, block := range markdownBlocks(text) {
		if utf8.RuneCountInString(block) <= limit {
			add(block)
			continue
		}
		for _, part := range cutBlock(block, limit) {
			add(part)
		}
	}
	flush()
	return pieces
}

// markdownBlocks splits text at blank lines outside fenced code blocks: paragraphs, lists and
// whole code blocks. A code block is a block of its own even when prose touches its fences
// without a blank line, so cutting a block never has to cut through a fence.
func markdownBlocks(text string) []string {
	var blocks []string
	var cur []string
	end := func() {
		if len(cur) > 0 {
			blocks = append(blocks, strings.Join(cur, "\n"))
			cur = nil
		}
	}
	inFence := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			if !inFence {
				end() // the prose before the opening fence
			}
			cur = append(cur, line)
			if inFence {
				end() // the code block, closing fence included
			}
			inFence = !inFence
			continue
		}
		if !inFence && strings.TrimSpace(line) == "" {
			end()
			continue
		}
		cur = append(cur, line)
	}
	end()
	return blocks
}

// cutBlock cuts one block longer than limit: a code block between its lines, each part
// fenced; prose between lines, or words when a line alone is too long.
func cutBlock(block string, limit int) []string {
	lines := strings.Split(block, "\n")
	open, close := "", ""
	if strings.HasPrefix(strings.TrimSpace(lines[0]), "```") && len(lines) > 1 {
		open, close = lines[0], "```"
		lines = lines[1:]
		if strings.TrimSpace(lines[len(lines)-1]) == "```" {
			lines = lines[:len(lines)-1]
		}
	}
	room := limit
	if open != "" {
		room -= utf8.RuneCountInString(open) + len(close) + 2
	}
	var parts []string
	var cur []string
	size := 0
	emit := func() {
		if len(cur) == 0 {
			return
		}
		body := strings.Join(cur, "\n")
		if open != "" {
			body = open + "\n" + body + "\n" + close
		}
		parts = append(parts, body)
		cur, size = nil, 0
	}
	for _, line := range lines {
		for _, piece := range cutLine(line, room) {
			l := utf8.RuneCountInString(piece)
			if size > 0 && size+1+l > room {
				emit()
			}
			if size > 0 {
				size++
			}
			cur = append(cur, piece)
			size += l
		}
	}
	emit()
	return parts
}

// cutLine cuts a line longer than limit between words, and a word longer than limit anywhere.
func cutLine(line string, limit int) []string {
	if utf8.RuneCountInString(line) <= limit {
		return []string{line}
	}
	var out []string
	var cur strings.Builder
	n := 0
	for _, word := range strings.SplitAfter(line, " ") {
		w := utf8.RuneCountInString(word)
		if n > 0 && n+w > limit {
			out = append(out, strings.TrimRight(cur.String(), " "))
			cur.Reset()
			n = 0
		}
		for w > limit {
			r := []rune(word)
			out = append(out, string(r[:limit]))
			word = string(r[limit:])
			w -= limit
		}
		cur.WriteString(word)
		n += w
	}
	if n > 0 {
		out = append(out, strings.TrimRight(cur.String(), " "))
	}
	return out
}

// JoinSoftBreaks joins the lines of each paragraph into one line, as Markdown reads a single
// line break: chat platforms show every line break, so text wrapped at 80 columns in a file
// would arrive ragged. Code blocks, list items and blank lines stay as written; a list item's
// indented continuation lines join the item.
func JoinSoftBreaks(md string) string {
	lines := strings.Split(md, "\n")
	out := make([]string, 0, len(lines))
	inFence, joinable := false, false
	for _, line := range lines {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "```"):
			inFence = !inFence
			joinable = false
		case inFence:
		case trimmed == "":
			joinable = false
		case joinable && !startsListItem(trimmed):
			out[len(out)-1] += " " + trimmed
			continue
		default:
			joinable = true
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// startsListItem is true for "- item", "* item" and "1. item".
func startsListItem(line string) bool {
	if strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "* ") {
		return true
	}
	digits := len(line) - len(strings.TrimLeft(line, "0123456789"))
	return digits > 0 && strings.HasPrefix(line[digits:], ". ")
}
