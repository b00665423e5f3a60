package slack

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/bot"
)

// decoded is a rendered message as Slack reads it.
type decoded struct {
	Blocks []block `json:"blocks"`
}

type block struct {
	Type string `json:"type"`
	Text *struct {
		Type     string `json:"type"`
		Text     string `json:"text"`
		Verbatim bool   `json:"verbatim"`
	} `json:"text"`
	Fields []struct {
		Text string `json:"text"`
	} `json:"fields"`
	Elements []json.RawMessage `json:"elements"`
}

func decode(t *testing.T, m Message) decoded {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"blocks": m.Blocks})
	if err != nil {
		t.Fatal(err)
	}
	var d decoded
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestRenderEscapesEverythingAUserCouldHaveTyped(t *testing.T) {
	evil := "<!channel> <!here|here> <!everyone> <@U123> <#C1> <https://evil.example|click> & more"
	m := Render(bot.Response{
		Title:   evil,
		Text:    evil,
		Fields:  []bot.Field{{Name: evil, Value: evil, Inline: true}, {Name: evil, Value: evil}},
		Links:   []bot.Link{{Title: evil, URL: "https://go.dev/doc/"}, {Title: "bad", URL: "javascript:alert(1)|<!channel>"}},
		Buttons: []bot.Button{{Label: evil, Command: "topic x"}},
		Footer:  evil,
	})
	raw, _ := json.Marshal(slack.Blocks{BlockSet: m.Blocks})
	var v any
	json.Unmarshal(raw, &v)
	check := func(s string) {
		for i := 0; i < len(s); i++ {
			if s[i] == '<' && !strings.HasPrefix(s[i:], "<https://go.dev/doc/|") {
				t.Fatalf("markup reaches Slack: %q", s)
			}
		}
	}
	check(m.Text)
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			check(x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			if x["type"] == "mrkdwn" && x["verbatim"] != true {
				t.Errorf("mrkdwn without verbatim lets Slack guess mentions: %v", x)
			}
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	if !strings.Contains(string(raw), "\\u0026lt;!channel\\u0026gt;") {
		t.Errorf("the escaped text is missing: %s", raw)
	}
}

func TestRenderStaysWithinSlackLimits(t *testing.T) {
	longLine := strings.Repeat("a&b<c>d ", 900) // 7,200 raw bytes, more escaped
	manyFields := make([]bot.Field, 25)
	for i := range manyFields {
		manyFields[i] = bot.Field{Name: fmt.Sprintf("f%d", i), Value: "v", Inline: true}
	}
	tallFields := make([]bot.Field, 80)
	for i := range tallFields {
		tallFields[i] = bot.Field{Name: fmt.Sprintf("f%d", i), Value: "value"}
	}
	for _, tc := range []struct {
		name string
		r    bot.Response
		// kept is how many buttons survive (0: all) and shortened whether the message must
		// say it was shortened.
		kept      int
		shortened bool
	}{
		{"long text", bot.Response{Title: strings.Repeat("T", 400), Text: longLine + "\n\n" + longLine}, 0, false},
		{"one huge word", bot.Response{Text: strings.Repeat("&", 7000)}, 0, false},
		{"multibyte text", bot.Response{Text: strings.Repeat("日本語🙂", 1500)}, 0, false},
		{"many inline fields", bot.Response{Fields: manyFields}, 0, false},
		{"a long field", bot.Response{Fields: []bot.Field{{Name: "n", Value: longLine, Inline: true}, {Name: "m", Value: longLine}}}, 0, false},
		{"more blocks than allowed", bot.Response{Title: "t", Fields: tallFields, Footer: "foot",
			Buttons: []bot.Button{{Label: strings.Repeat("L", 200), Command: "next"}}}, 0, true},
		{"too many buttons", bot.Response{Buttons: make([]bot.Button, 60)}, 0, false},
		{"more buttons than fifty blocks hold", bot.Response{Title: "t", Text: "text", Footer: "foot",
			Buttons: make([]bot.Button, 1300)}, 48 * maxActionElements, true},
		{"more buttons than fifty blocks hold, nothing else", bot.Response{Buttons: make([]bot.Button, 1300)},
			49 * maxActionElements, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range tc.r.Buttons {
				if tc.r.Buttons[i].Command == "" {
					tc.r.Buttons[i] = bot.Button{Label: fmt.Sprint(i), Command: fmt.Sprintf("quiz %d", i)}
				}
			}
			m := Render(tc.r)
			d := decode(t, m)
			if len(d.Blocks) > maxBlocks {
				t.Errorf("%d blocks, Slack allows %d", len(d.Blocks), maxBlocks)
			}
			if len(m.Text) == 0 || len(m.Text) > maxFallbackText {
				t.Errorf("fallback text is %d bytes", len(m.Text))
			}
			buttons := 0
			for _, b := range d.Blocks {
				if b.Text != nil {
					limit := maxSectionText
					if b.Type == "header" {
						limit = maxHeaderText
					}
					if n := utf8.RuneCountInString(b.Text.Text); n > limit || !utf8.ValidString(b.Text.Text) {
						t.Errorf("%s text of %d characters (valid UTF-8: %v), limit %d", b.Type, n, utf8.ValidString(b.Text.Text), limit)
					}
					if brokenEntity(b.Text.Text) {
						t.Errorf("an entity was cut in half: %q", tail(b.Text.Text))
					}
				}
				if len(b.Fields) > maxSectionFields {
					t.Errorf("section with %d fields", len(b.Fields))
				}
				for _, f := range b.Fields {
					if n := utf8.RuneCountInString(f.Text); n > maxFieldText {
						t.Errorf("field of %d characters", n)
					}
				}
				if b.Type == "actions" {
					if len(b.Elements) > maxActionElements {
						t.Errorf("actions block with %d elements", len(b.Elements))
					}
					for _, e := range b.Elements {
						var btn struct {
							Text struct{ Text string } `json:"text"`
						}
						json.Unmarshal(e, &btn)
						if n := utf8.RuneCountInString(btn.Text.Text); n > maxButtonText {
							t.Errorf("button label of %d characters", n)
						}
						buttons++
					}
				}
			}
			want := len(tc.r.Buttons)
			if tc.kept != 0 {
				want = tc.kept
			}
			if buttons != want {
				t.Errorf("%d of %d buttons survived, want %d", buttons, len(tc.r.Buttons), want)
			}
			firstActions := slices.IndexFunc(d.Blocks, func(b block) bool { return b.Type == "actions" })
			if tc.r.Footer != "" && (firstActions < 1 || d.Blocks[firstActions-1].Type != "context") {
				t.Errorf("the footer was cut to make room")
			}
			said := slices.ContainsFunc(d.Blocks, func(b block) bool { return b.Text != nil && b.Text.Text == shortenedNote })
			if said != tc.shortened {
				t.Errorf("the message says it was shortened: %v, want %v", said, tc.shortened)
			}
		})
	}
}

// brokenEntity reports an '&' that does not start one of the three entities.
func brokenEntity(s string) bool {
	for i := strings.IndexByte(s, '&'); i >= 0; {
		rest := s[i:]
		if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
			return true
		}
		j := strings.IndexByte(s[i+1:], '&')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

func tail(s string) string {
	if len(s) > 40 {
		return "…" + s[len(s)-40:]
	}
	return s
}

func TestRenderKeepsTheTextWhole(t *testing.T) {
	text := strings.Repeat("word & <word>\n", 700)
	var got strings.Builder
	for _, b := range decode(t, Render(bot.Response{Text: text})).Blocks {
		got.WriteString(unescaper.Replace(b.Text.Text))
		got.WriteString("\n")
	}
	if strings.TrimSpace(got.String()) != strings.TrimSpace(text) {
		t.Error("splitting the text into sections lost or changed some of it")
	}
}

func TestButtonsCarryTheirCommandAndAUniqueActionID(t *testing.T) {
	m := Render(bot.Response{Buttons: []bot.Button{
		{Label: "Mark done", Command: "done caching", Style: bot.StyleSuccess},
		{Label: "Skip", Command: "skip caching"},
		{Label: "Delete", Command: "reset caching", Style: bot.StyleDanger},
		{Label: "Too long", Command: "topic " + strings.Repeat("x", maxButtonValue)},
	}})
	var got []string
	for _, b := range m.Blocks {
		a, ok := b.(*slack.ActionBlock)
		if !ok {
			continue
		}
		for _, e := range a.Elements.ElementSet {
			btn := e.(*slack.ButtonBlockElement)
			got = append(got, fmt.Sprintf("%s|%s|%s|%s", btn.ActionID, btn.Value, btn.Text.Text, btn.Style))
		}
	}
	want := []string{
		"roadmap-0|done caching|Mark done|primary",
		"roadmap-1|skip caching|Skip|",
		"roadmap-2|reset caching|Delete|danger",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("buttons:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestIncomingCommandTextIsUnescapedOnce(t *testing.T) {
	for in, want := range map[string]string{
		"topic a &amp; b":     "topic a & b",
		"topic &lt;!here&gt;": "topic <!here>",
		"topic &amp;lt;":      "topic &lt;",
		"next":                "next",
	} {
		if got := commandText(in); got != want {
			t.Errorf("commandText(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzRenderNeverLetsMarkupThrough(f *testing.F) {
	for _, s := range []string{"<!channel>", "a & b", "<@U1|x>", "&lt;!here&gt;", strings.Repeat("<", 4000), "日本\n<"} {
		f.Add(s, uint8(1))
	}
	f.Add("<!here> many buttons", uint8(255))
	f.Add("", uint8(254)) // no footer
	f.Fuzz(func(t *testing.T, s string, n uint8) {
		// Most inputs carry one to three buttons; the top values of n carry 1,170 to 1,250,
		// across the 1,200 and 1,225 at which actions blocks alone would fill a message.
		// Only the first is labelled s, so the fuzzer's time goes to inputs, not copies.
		count := 1 + int(n)%3
		if n > 250 {
			count = 1150 + 20*(int(n)-250)
		}
		buttons := make([]bot.Button, count)
		for i := range buttons {
			buttons[i] = bot.Button{Label: fmt.Sprint(i), Command: "next"}
		}
		buttons[0].Label = s
		m := Render(bot.Response{Title: s, Text: s, Fields: []bot.Field{{Name: s, Value: s}}, Footer: s,
			Buttons: buttons})
		raw, err := json.Marshal(slack.Blocks{BlockSet: m.Blocks})
		if err != nil {
			t.Fatal(err)
		}
		var d any
		json.Unmarshal(raw, &d)
		for _, str := range append(strings_(d), m.Text) {
			if strings.ContainsAny(str, "<>") {
				t.Fatalf("markup character reaches Slack: %q", str)
			}
		}
		if len(m.Blocks) > maxBlocks {
			t.Fatalf("%d blocks", len(m.Blocks))
		}
	})
}

func strings_(v any) []string {
	var out []string
	switch x := v.(type) {
	case string:
		out = append(out, x)
	case []any:
		for _, e := range x {
			out = append(out, strings_(e)...)
		}
	case map[string]any:
		for _, e := range x {
			out = append(out, strings_(e)...)
		}
	}
	return out
}

func TestSignatureMatchesSlacksDocumentedExample(t *testing.T) {
	const (
		secret = "8f742231b10e8888abcd99yyyzzz85a5"
		ts     = "1531420618"
		body   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
		want   = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
	)
	if got := sign([]byte(secret), ts, []byte(body)); got != want {
		t.Fatalf("sign = %s, want %s", got, want)
	}
	if !validSignature([]byte(secret), ts, []byte(body), want) {
		t.Error("the documented signature does not verify")
	}
	if validSignature([]byte(secret), ts, []byte(body+"&x=1"), want) {
		t.Error("a changed body still verifies")
	}
	at := time.Unix(1531420618, 0)
	for _, tc := range []struct {
		now time.Time
		ok  bool
	}{
		{at, true},
		{at.Add(5 * time.Minute), true},
		{at.Add(-5 * time.Minute), true},
		{at.Add(5*time.Minute + time.Second), false},
		{at.Add(-5*time.Minute - time.Second), false},
	} {
		if _, err := checkTimestamp(ts, tc.now); (err == nil) != tc.ok {
			t.Errorf("timestamp %s at %s: accepted = %v, want %v", ts, tc.now.UTC(), err == nil, tc.ok)
		}
	}
	if _, err := checkTimestamp("not-a-number", at); err == nil {
		t.Error("a non-numeric timestamp is accepted")
	}
}
