package discord

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/data"
)

func TestEscapeShowsPlainTextAsTyped(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain words", "plain words"},
		{"a *bold* claim", `a \*bold\* claim`},
		{"snake_case and ~strike~", `snake\_case and \~strike\~`},
		{"`code` | pipe", "\\`code\\` \\| pipe"},
		{"[link](https://x.dev)", `\[link\](https://x.dev)`},
		{"# not a heading", `\# not a heading`},
		{"- not a list\n  > not a quote", "\\- not a list\n  \\> not a quote"},
		{"1 - 2 > 0 # ok mid-line", "1 - 2 > 0 # ok mid-line"},
		{`back\slash`, `back\\slash`},
		{"@everyone <@&1> stays text", "@everyone <@&1> stays text"},
	} {
		if got := escape(tc.in); got != tc.want {
			t.Errorf("escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestButtonsCarryTheirCommands(t *testing.T) {
	long := "topic " + strings.Repeat("x", 95)
	buttons := []bot.Button{
		{Label: "Mark done", Command: "done caching", Style: bot.StyleSuccess},
		{Label: "Again", Command: "done caching"}, // same command: one button is enough
		{Label: "Too long", Command: long},        // would not fit a custom_id
		{Label: "a", Command: "answer caching-1 a"},
		{Label: "b", Command: "answer caching-1 b"},
		{Label: "c", Command: "answer caching-1 c"},
		{Label: "d", Command: "answer caching-1 d"},
		{Label: "", Command: "next"},
	}
	rows := render(bot.Response{Text: "x", Buttons: buttons}, "")[0].components
	var got []discordgo.Button
	for _, r := range rows {
		row := r.(discordgo.ActionsRow)
		if len(row.Components) > maxButtonsPerRow {
			t.Errorf("a row of %d buttons", len(row.Components))
		}
		for _, c := range row.Components {
			got = append(got, c.(discordgo.Button))
		}
	}
	if len(rows) != 2 || len(got) != 6 {
		t.Fatalf("%d rows, %d buttons: %+v", len(rows), len(got), got)
	}
	if got[0].CustomID != "roadmap:done caching" || got[0].Style != discordgo.SuccessButton {
		t.Errorf("first button %+v", got[0])
	}
	if got[5].Label != "next" {
		t.Errorf("an unlabelled button shows %q, want its command", got[5].Label)
	}
	want := []string{"done caching", "answer caching-1 a", "answer caching-1 b", "answer caching-1 c", "answer caching-1 d", "next"}
	for i, b := range got {
		if cmd, guild, ok := parseButtonID(b.CustomID); !ok || guild != "" || cmd != want[i] {
			t.Errorf("button %d custom_id %q parses to %q, want %q", i, b.CustomID, cmd, want[i])
		}
	}
	dmRows := render(bot.Response{Text: "x", Buttons: buttons[:1]}, "600000000000000001")[0].components
	id := dmRows[0].(discordgo.ActionsRow).Components[0].(discordgo.Button).CustomID
	if cmd, guild, ok := parseButtonID(id); !ok || cmd != "done caching" || guild != "600000000000000001" {
		t.Errorf("DM button %q parses to %q %q %v", id, cmd, guild, ok)
	}
}

func TestForeignCustomIDsAreRefused(t *testing.T) {
	for _, id := range []string{"", "other:next", "roadmap:", "roadmap@guild:next", "roadmap@123", "roadmap@123:"} {
		if _, _, ok := parseButtonID(id); ok {
			t.Errorf("custom_id %q was accepted", id)
		}
	}
}

func TestEmbedStaysWithinDiscordLimits(t *testing.T) {
	huge := strings.Repeat("word ", 1200)
	r := bot.Response{Title: strings.Repeat("T", 300), Text: huge, Footer: strings.Repeat("f", 3000)}
	for range 30 {
		r.Fields = append(r.Fields, bot.Field{Name: "n", Value: huge})
	}
	r.Links = []bot.Link{{Title: "Docs [v2]", URL: "https://example.com/a_(b)"}}
	msgs := render(r, "")
	if len(msgs) != 1 {
		t.Fatalf("plain text made %d messages", len(msgs))
	}
	e := msgs[0].embeds[0]
	n := utf8.RuneCountInString
	total := n(e.Title) + n(e.Description) + n(e.Footer.Text)
	for _, f := range e.Fields {
		total += n(f.Name) + n(f.Value)
		if n(f.Value) > maxFieldValue || f.Value == "" {
			t.Errorf("field value of %d characters", n(f.Value))
		}
	}
	if n(e.Title) > maxEmbedTitle || n(e.Description) > maxEmbedDescription || len(e.Fields) > maxEmbedFields ||
		n(e.Footer.Text) > maxFooter || total > maxEmbedTotal {
		t.Errorf("embed over the limits: title %d, description %d, %d fields, footer %d, total %d",
			n(e.Title), n(e.Description), len(e.Fields), n(e.Footer.Text), total)
	}

	embeds := render(bot.Response{Text: "x", Links: r.Links}, "")[0].embeds
	if links := embeds[0].Fields[0].Value; links != "• [Docs v2](https://example.com/a_%28b%29)" {
		t.Errorf("links field %q", links)
	}
}

// opt, focus, sub and group build the options of an interaction as Discord sends them.
func opt(name, value string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: value}
}

func focus(name, value string) *discordgo.ApplicationCommandInteractionDataOption {
	o := opt(name, value)
	o.Focused = true
	return o
}

func sub(name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts}
}

func group(name string, s *discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionSubCommandGroup,
		Options: []*discordgo.ApplicationCommandInteractionDataOption{s}}
}

func TestCommandTextFollowsTheGrammarOrder(t *testing.T) {
	for _, tc := range []struct {
		opt  *discordgo.ApplicationCommandInteractionDataOption
		want string
	}{
		{sub("next"), "next"},
		{sub("done"), "done"},
		{sub("done", opt("name", "  Git and GitHub ")), "done Git and GitHub"},
		{sub("answer", opt("choice", "b"), opt("question", "apis-2")), "answer apis-2 b"},
		{sub("remind", opt("time", "off")), "remind off"},
		{sub("remind", opt("time", "20:00")), "remind 20:00"},
		{sub("remind"), "remind"},
		{sub("timezone", opt("zone", "Europe/Berlin"), opt("unknown", "x")), "timezone Europe/Berlin"},
		{group("nudge", sub("set", opt("zone", "Europe/Berlin"), opt("time", "09:00"))), "nudge set 09:00 Europe/Berlin"},
		{group("nudge", sub("status")), "nudge status"},
	} {
		got, err := commandText(discordgo.ApplicationCommandInteractionData{Name: "roadmap",
			Options: []*discordgo.ApplicationCommandInteractionDataOption{tc.opt}})
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.opt.Name, got, err, tc.want)
		}
	}
	if _, err := commandText(discordgo.ApplicationCommandInteractionData{Name: "other"}); err == nil {
		t.Error("a command other than /roadmap was read")
	}
}

// Autocomplete offers what the focused argument's declared kind holds, whatever its option
// is called.
func TestAutocompleteFollowsTheArgumentsKind(t *testing.T) {
	r, err := data.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opt  *discordgo.ApplicationCommandInteractionDataOption
		kind bot.ArgKind // 0: nothing to suggest
		want string      // a value among the suggestions
		not  string      // a value that must not be among them
	}{
		{"topic", sub("topic", focus("topic", "cach")), bot.ArgTopic, "caching", "caching-http-headers"},
		{"lesson", sub("lesson", focus("lesson", "caching http")), bot.ArgLesson, "caching-http-headers", "caching"},
		{"lesson or topic", sub("done", focus("name", "caching")), bot.ArgLessonOrTopic, "caching", ""},
		{"question", sub("answer", focus("question", "caching-http-headers-"), opt("choice", "a")), bot.ArgQuestion, "caching-http-headers-1", ""},
		{"choice letters are not suggested", sub("answer", opt("question", "caching-1"), focus("choice", "")), bot.ArgChoice, "", ""},
		{"zone in a group", group("nudge", sub("set", opt("time", "09:00"), focus("zone", "Eur"))), bot.ArgZone, "", ""},
		{"undeclared option", sub("done", focus("topic", "cach")), 0, "", ""},
		{"unknown subcommand", sub("frobnicate", focus("name", "cach")), 0, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kind, input, ok := focused(discordgo.ApplicationCommandInteractionData{Name: CommandName,
				Options: []*discordgo.ApplicationCommandInteractionDataOption{tc.opt}})
			if ok != (tc.kind != 0) || kind != tc.kind {
				t.Fatalf("focused argument of kind %d (found %v), want %d", kind, ok, tc.kind)
			}
			values := map[string]bool{}
			for _, c := range suggestions(r, kind, input) {
				values[c.Value] = true
			}
			if tc.want == "" && len(values) > 0 {
				t.Errorf("suggested %v for an argument with nothing to suggest", values)
			}
			if tc.want != "" && !values[tc.want] || values[tc.not] {
				t.Errorf("suggestions %v: want %q among them and not %q", values, tc.want, tc.not)
			}
		})
	}
}

var namePattern = regexp.MustCompile(`^[-_a-z0-9]{1,32}$`)

// Discord refuses a whole registration over one bad name or description; the fake does not
// check, so this does.
func TestRoadmapCommandFitsDiscordRules(t *testing.T) {
	r, err := data.Default()
	if err != nil {
		t.Fatal(err)
	}
	cmd := roadmapCommand(r)
	var check func(path string, opts []*discordgo.ApplicationCommandOption)
	check = func(path string, opts []*discordgo.ApplicationCommandOption) {
		if len(opts) > 25 {
			t.Errorf("%s has %d options, Discord allows 25", path, len(opts))
		}
		required := true
		for _, o := range opts {
			p := path + " " + o.Name
			if !namePattern.MatchString(o.Name) {
				t.Errorf("%s: bad name", p)
			}
			if d := utf8.RuneCountInString(o.Description); d < 1 || d > 100 {
				t.Errorf("%s: description of %d characters", p, d)
			}
			if o.Required && !required {
				t.Errorf("%s: a required option after an optional one", p)
			}
			required = o.Required
			if len(o.Choices) > 0 && o.Autocomplete {
				t.Errorf("%s: choices and autocomplete together", p)
			}
			check(p, o.Options)
		}
	}
	if !namePattern.MatchString(cmd.Name) || utf8.RuneCountInString(cmd.Description) > 100 {
		t.Errorf("command %q %q", cmd.Name, cmd.Description)
	}
	check("/roadmap", cmd.Options)
	if cmd.DefaultMemberPermissions != nil {
		t.Error("default_member_permissions is set")
	}
}

func TestRebaseMovesDiscordEndpointsOntoTheAPIURL(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Host+" "+r.URL.RequestURI())
		io.WriteString(w, "{}")
	}))
	defer srv.Close()
	base, _ := url.Parse(srv.URL + "/proxy/discord")
	client := &http.Client{Transport: rebase{to: base, next: http.DefaultTransport}}
	for _, u := range []string{
		discordgo.EndpointGatewayBot,
		discordgo.EndpointChannelMessages("700000000000000001"),
		discordgo.EndpointGuildMembers("1") + "?limit=5",
		discordgo.EndpointWebhookMessage("1", "tok", "@original"),
	} {
		resp, err := client.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		resp.Body.Close()
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	want := []string{
		host + " /proxy/discord/gateway/bot",
		host + " /proxy/discord/channels/700000000000000001/messages",
		host + " /proxy/discord/guilds/1/members?limit=5",
		host + " /proxy/discord/webhooks/1/tok/messages/@original",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests arrived as\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestALongLessonIsSplitOverEmbedsAndMessagesWithinDiscordLimits(t *testing.T) {
	code := "```sql\n" + strings.Repeat("SELECT title FROM books WHERE id = 1;\n", 25) + "```"
	para := strings.Repeat("A sentence of the lesson that a learner reads. ", 40)
	text := strings.Join([]string{para, code, para, para, code, para, para}, "\n\n")
	r := bot.Response{Title: "Joins", Text: text, Markdown: true, Fields: []bot.Field{{Name: "Key points", Value: "• one"}},
		Links:   []bot.Link{{Title: "Docs", URL: "https://www.postgresql.org/docs/current/tutorial-join.html", Note: "Read the whole page"}},
		Buttons: []bot.Button{{Label: "Mark done", Command: "done sql-joins"}}, Footer: "sql-joins"}
	msgs := render(r, "")
	if len(msgs) < 2 {
		t.Fatalf("%d characters of lesson fit one message", len(text))
	}
	var all strings.Builder
	for i, m := range msgs {
		total := 0
		for _, e := range m.embeds {
			total += embedSize(e)
			if n := utf8.RuneCountInString(e.Description); n > maxEmbedDescription {
				t.Errorf("message %d: a description of %d characters", i, n)
			}
			if strings.Count(e.Description, "```")%2 != 0 {
				t.Errorf("message %d: an embed leaves a code block open", i)
			}
			all.WriteString(e.Description + "\n")
		}
		if total > maxEmbedTotal || len(m.embeds) > maxEmbedsPerMessage {
			t.Errorf("message %d: %d embeds, %d characters", i, len(m.embeds), total)
		}
		if (len(m.components) > 0) != (i == len(msgs)-1) {
			t.Errorf("message %d has %d button rows; the buttons belong to the last message only", i, len(m.components))
		}
	}
	if got := strings.Count(all.String(), "SELECT title"); got != 50 {
		t.Errorf("%d lines of code arrived, want 50", got)
	}
	if strings.Contains(all.String(), "\\`") {
		t.Error("lesson Markdown was escaped")
	}
	last := msgs[len(msgs)-1].embeds
	e := last[len(last)-1]
	if e.Footer == nil || e.Footer.Text != "sql-joins" || !strings.Contains(e.Fields[len(e.Fields)-1].Value, "— Read the whole page") {
		t.Errorf("the last embed lacks the footer or the resources with their section: %+v", e)
	}
	if msgs[0].embeds[0].Title != "Joins" {
		t.Errorf("first embed title %q", msgs[0].embeds[0].Title)
	}
}
