package discord

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
)

// CommandName is the one top-level slash command studybot registers.
const CommandName = "roadmap"

// optionSpec is one typed option of a subcommand. Options are read back in the order
// listed, which is the order the core's grammar expects its words in.
type optionSpec struct {
	name         string
	description  string
	required     bool
	autocomplete bool
	choices      []string
}

var (
	topicRequired  = optionSpec{name: "topic", description: "Topic: number, slug, title or a close spelling", required: true, autocomplete: true}
	lessonRequired = optionSpec{name: "lesson", description: "Lesson: slug, title or a close spelling", required: true, autocomplete: true}
	nameRequired   = optionSpec{name: "name", description: "A lesson, or a topic for all its lessons", required: true, autocomplete: true}
	nameOptional   = optionSpec{name: "name", description: "A lesson, or a topic for all its lessons (default: your current lesson)", autocomplete: true}
)

// verbOptions gives each command word its typed options. A verb missing here (added to
// bot.Verbs later) still gets a subcommand, with one free-text option.
var verbOptions = map[string][]optionSpec{
	"next": nil, "topics": nil, "progress": nil, "checkin": nil, "streak": nil, "leaderboard": nil, "help": nil,
	"topic":  {topicRequired},
	"lesson": {lessonRequired},
	"start":  {nameRequired},
	"reset":  {nameRequired},
	"done":   {nameOptional},
	"skip":   {nameOptional},
	"quiz":   {{name: "name", description: "A lesson or a topic (default: lessons you have studied)", autocomplete: true}},
	"answer": {
		{name: "question", description: "Question ID the quiz shows, e.g. caching-2/7", required: true, autocomplete: true},
		{name: "choice", description: "Your answer", required: true, choices: choiceLetters()},
	},
	"timezone": {{name: "zone", description: "IANA time zone, e.g. Europe/Berlin (empty: show yours)"}},
	"remind":   {{name: "time", description: "HH:MM (24-hour, your time) or off; empty: show your reminder"}},
}

// nudgeSubs are the subcommands of the nudge group (admins only; the core checks).
var nudgeSubs = []struct {
	name, description string
	options           []optionSpec
}{
	{"set", "(admins) post the daily lesson in this channel at HH:MM", []optionSpec{
		{name: "time", description: "HH:MM, 24-hour", required: true},
		{name: "zone", description: "IANA time zone, e.g. Europe/Berlin (default: the community's)"},
	}},
	{"off", "(admins) stop the daily lesson post in this channel", nil},
	{"status", "(admins) when the daily lesson is posted here", nil},
}

var freeText = []optionSpec{{name: "text", description: "what follows the command word"}}

func choiceLetters() []string {
	letters := make([]string, bot.MaxChoices)
	for i := range letters {
		letters[i] = string(rune('a' + i))
	}
	return letters
}

// roadmapCommand is /roadmap with one subcommand per bot.Verbs entry. It sets no
// default_member_permissions (that would hide the whole command from learners) and is
// available in servers only: progress belongs to a community.
func roadmapCommand(r *bot.Roadmap) *discordgo.ApplicationCommand {
	dm := false
	cmd := &discordgo.ApplicationCommand{
		Type:             discordgo.ChatApplicationCommand,
		Name:             CommandName,
		Description:      clip("Study the "+r.Name+" roadmap: topics, streaks, quizzes", 100),
		DMPermission:     &dm,
		Contexts:         &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild},
		IntegrationTypes: &[]discordgo.ApplicationIntegrationType{discordgo.ApplicationIntegrationGuildInstall},
	}
	for _, v := range bot.Verbs {
		if v.Name == "nudge" {
			group := &discordgo.ApplicationCommandOption{
				Type:        discordgo.ApplicationCommandOptionSubCommandGroup,
				Name:        v.Name,
				Description: clip(v.Help, 100),
			}
			for _, s := range nudgeSubs {
				group.Options = append(group.Options, &discordgo.ApplicationCommandOption{
					Type:        discordgo.ApplicationCommandOptionSubCommand,
					Name:        s.name,
					Description: s.description,
					Options:     options(s.options),
				})
			}
			cmd.Options = append(cmd.Options, group)
			continue
		}
		specs, ok := verbOptions[v.Name]
		if !ok {
			specs = freeText
		}
		cmd.Options = append(cmd.Options, &discordgo.ApplicationCommandOption{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        v.Name,
			Description: clip(v.Help, 100),
			Options:     options(specs),
		})
	}
	return cmd
}

func options(specs []optionSpec) []*discordgo.ApplicationCommandOption {
	var out []*discordgo.ApplicationCommandOption
	for _, s := range specs {
		o := &discordgo.ApplicationCommandOption{
			Type:         discordgo.ApplicationCommandOptionString,
			Name:         s.name,
			Description:  s.description,
			Required:     s.required,
			Autocomplete: s.autocomplete,
			MaxLength:    100,
		}
		for _, c := range s.choices {
			o.Choices = append(o.Choices, &discordgo.ApplicationCommandOptionChoice{Name: c, Value: c})
		}
		out = append(out, o)
	}
	return out
}

// specsFor is the option order of a subcommand path ("done", "nudge set").
func specsFor(path []string) []optionSpec {
	if len(path) == 2 && path[0] == "nudge" {
		for _, s := range nudgeSubs {
			if s.name == path[1] {
				return s.options
			}
		}
		return nil
	}
	if specs, ok := verbOptions[path[0]]; ok {
		return specs
	}
	return freeText
}

var errUnreadable = errors.New("unreadable command")

// commandText turns a slash command into the core's command line: subcommand done with
// topic "caching" becomes "done caching"; nudge set 09:00 Europe/Berlin becomes
// "nudge set 09:00 Europe/Berlin". Options are read in the declared order, not the order
// the user filled them in.
func commandText(data discordgo.ApplicationCommandInteractionData) (string, error) {
	if data.Name != CommandName || len(data.Options) != 1 {
		return "", errUnreadable
	}
	sub := data.Options[0]
	path := []string{sub.Name}
	given := sub.Options
	switch sub.Type {
	case discordgo.ApplicationCommandOptionSubCommandGroup:
		if len(sub.Options) != 1 || sub.Options[0].Type != discordgo.ApplicationCommandOptionSubCommand {
			return "", errUnreadable
		}
		path = append(path, sub.Options[0].Name)
		given = sub.Options[0].Options
	case discordgo.ApplicationCommandOptionSubCommand:
	default:
		return "", errUnreadable
	}
	words := path
	for _, spec := range specsFor(path) {
		for _, o := range given {
			if o.Name != spec.name {
				continue
			}
			if v := strings.TrimSpace(optionString(o)); v != "" {
				words = append(words, v)
			}
		}
	}
	return strings.Join(words, " "), nil
}

func optionString(o *discordgo.ApplicationCommandInteractionDataOption) string {
	if s, ok := o.Value.(string); ok {
		return s
	}
	if o.Value == nil {
		return ""
	}
	return fmt.Sprint(o.Value)
}

// focusedOption finds the option the user is typing in during autocomplete.
func focusedOption(opts []*discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
	for _, o := range opts {
		if o.Focused {
			return o
		}
		if f := focusedOption(o.Options); f != nil {
			return f
		}
	}
	return nil
}

// maxChoices is how many autocomplete suggestions Discord shows.
const maxChoices = 25

// autocompleteChoice is one suggestion; choices are always sent as an array, even empty.
type autocompleteChoice struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// suggestions answers autocomplete: topics for a topic option, lessons for a lesson option,
// both for a name option (title shown, slug sent), question IDs for the answer's question.
func suggestions(r *bot.Roadmap, focused *discordgo.ApplicationCommandInteractionDataOption) []autocompleteChoice {
	out := []autocompleteChoice{}
	if focused == nil {
		return out
	}
	input := strings.TrimSpace(optionString(focused))
	switch focused.Name {
	case "topic", "lesson", "name":
		topics, lessons := focused.Name != "lesson", focused.Name != "topic"
		for _, t := range r.Suggest(input, maxChoices, topics, lessons) {
			label := t.Title()
			if t.Topic != nil && lessons {
				label = fmt.Sprintf("%s (topic, %d lessons)", label, len(t.Topic.Lessons))
				if len(t.Topic.Lessons) == 1 {
					label = label[:len(label)-2] + ")"
				}
			}
			out = append(out, autocompleteChoice{Name: clip(label, 100), Value: t.Slug()})
		}
	case "question":
		// A question ID is "<lesson slug>-<n>", maybe with "/<order>": suggest the questions
		// of the lessons the typed text points at, exact ID prefixes first.
		key, _, _ := strings.Cut(strings.ToLower(input), "/")
		slugPart := key
		if cut := strings.LastIndexByte(key, '-'); cut > 0 && strings.Trim(key[cut+1:], "0123456789") == "" {
			slugPart = key[:cut]
		}
		seen := map[string]bool{}
		add := func(q *bot.Question) {
			if len(out) < maxChoices && !seen[q.ID] {
				seen[q.ID] = true
				out = append(out, autocompleteChoice{Name: clip(q.ID+" · "+q.Text, 100), Value: q.ID})
			}
		}
		for _, l := range r.Lessons() {
			for i := range l.Questions {
				if key != "" && strings.HasPrefix(l.Questions[i].ID, key) {
					add(&l.Questions[i])
				}
			}
		}
		for _, t := range r.Suggest(slugPart, maxChoices, true, true) {
			for _, l := range t.Lessons() {
				for i := range l.Questions {
					add(&l.Questions[i])
				}
			}
		}
	}
	return out
}

// clip cuts s to at most n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n < 1 {
		return ""
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
