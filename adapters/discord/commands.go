package discord

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
)

// CommandName is the one top-level slash command studybot registers.
const CommandName = "roadmap"

// grouped reports whether a command is a subcommand group on Discord (nudge set, nudge
// off): it has forms and each starts with its own word. A command whose forms are told apart
// by what follows it (remind 20:00, remind off) is one subcommand with their arguments.
func grouped(v bot.Verb) bool {
	return len(v.Subs) > 0 && !slices.ContainsFunc(v.Subs, func(s bot.Sub) bool { return s.Implied })
}

// flatArgs are the options of a command that is one subcommand: its arguments, or the
// arguments of all its forms, each optional, since what is typed in them (a time, or off)
// picks the form.
func flatArgs(v bot.Verb) []bot.Arg {
	if len(v.Subs) == 0 {
		return v.Args
	}
	var args []bot.Arg
	for _, s := range v.Subs {
		for _, a := range s.Args {
			if !slices.ContainsFunc(args, func(b bot.Arg) bool { return b.Name == a.Name }) {
				a.Optional = true
				args = append(args, a)
			}
		}
	}
	return args
}

// argsFor are the arguments of a subcommand path ("done", "nudge set"), in the order the
// core's grammar reads them; nil for a path /roadmap does not have.
func argsFor(path []string) []bot.Arg {
	for _, v := range bot.Verbs {
		if v.Name != path[0] || grouped(v) != (len(path) == 2) {
			continue
		}
		if len(path) == 1 {
			return flatArgs(v)
		}
		for _, s := range v.Subs {
			if s.Word == path[1] {
				return s.Args
			}
		}
	}
	return nil
}

func choiceLetters() []string {
	letters := make([]string, bot.MaxChoices)
	for i := range letters {
		letters[i] = string(rune('a' + i))
	}
	return letters
}

// roadmapCommand is /roadmap with one subcommand per bot.Verbs entry. It sets no
// default_member_permissions (that would hide the whole command from learners) and is
// available in servers only: progress belongs to a community. Where it may be used is said
// by contexts alone: Discord ignores the deprecated dm_permission once contexts is present.
func roadmapCommand(r *bot.Roadmap) *discordgo.ApplicationCommand {
	cmd := &discordgo.ApplicationCommand{
		Type:             discordgo.ChatApplicationCommand,
		Name:             CommandName,
		Description:      clip("Study the "+r.Name+" roadmap: topics, streaks, quizzes", 100),
		Contexts:         &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild},
		IntegrationTypes: &[]discordgo.ApplicationIntegrationType{discordgo.ApplicationIntegrationGuildInstall},
	}
	for _, v := range bot.Verbs {
		if grouped(v) {
			group := &discordgo.ApplicationCommandOption{
				Type:        discordgo.ApplicationCommandOptionSubCommandGroup,
				Name:        v.Name,
				Description: clip(v.Help, 100),
			}
			for _, s := range v.Subs {
				group.Options = append(group.Options, &discordgo.ApplicationCommandOption{
					Type:        discordgo.ApplicationCommandOptionSubCommand,
					Name:        s.Word,
					Description: clip(s.Help, 100),
					Options:     options(s.Args),
				})
			}
			cmd.Options = append(cmd.Options, group)
			continue
		}
		cmd.Options = append(cmd.Options, &discordgo.ApplicationCommandOption{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        v.Name,
			Description: clip(v.Help, 100),
			Options:     options(flatArgs(v)),
		})
	}
	return cmd
}

// options are a subcommand's typed options, one string option per argument: roadmap names
// and question IDs autocompleted, a choice picked from its letters.
func options(args []bot.Arg) []*discordgo.ApplicationCommandOption {
	var out []*discordgo.ApplicationCommandOption
	for _, a := range args {
		o := &discordgo.ApplicationCommandOption{
			Type:         discordgo.ApplicationCommandOptionString,
			Name:         a.Name,
			Description:  clip(a.Help, 100),
			Required:     !a.Optional,
			Autocomplete: a.Kind.Suggested(),
			MaxLength:    100,
		}
		if a.Kind == bot.ArgText {
			o.MaxLength = bot.MaxTextLen
		}
		words := a.Kind.Values()
		if a.Kind == bot.ArgChoice {
			words = choiceLetters()
		}
		for _, c := range words {
			o.Choices = append(o.Choices, &discordgo.ApplicationCommandOptionChoice{Name: c, Value: c})
		}
		out = append(out, o)
	}
	return out
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
	for _, a := range argsFor(path) {
		for _, o := range given {
			if o.Name != a.Name {
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

// focused finds the argument the user is typing in during autocomplete: its kind, as the
// command's spec declares it, and what has been typed so far. ok is false when no declared
// argument is focused.
func focused(data discordgo.ApplicationCommandInteractionData) (kind bot.ArgKind, input string, ok bool) {
	if len(data.Options) != 1 {
		return 0, "", false
	}
	sub := data.Options[0]
	path, given := []string{sub.Name}, sub.Options
	if sub.Type == discordgo.ApplicationCommandOptionSubCommandGroup && len(sub.Options) == 1 {
		path, given = append(path, sub.Options[0].Name), sub.Options[0].Options
	}
	for _, o := range given {
		if !o.Focused {
			continue
		}
		for _, a := range argsFor(path) {
			if a.Name == o.Name {
				return a.Kind, strings.TrimSpace(optionString(o)), true
			}
		}
	}
	return 0, "", false
}

// maxChoices is how many autocomplete suggestions Discord shows.
const maxChoices = 25

// autocompleteChoice is one suggestion; choices are always sent as an array, even empty.
type autocompleteChoice struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// suggestions answers autocomplete for an argument of kind: topics for a topic, lessons for
// a lesson, both for a lesson or topic (title shown, slug sent), question IDs for a question.
func suggestions(r *bot.Roadmap, kind bot.ArgKind, input string) []autocompleteChoice {
	out := []autocompleteChoice{}
	switch kind {
	case bot.ArgTopic, bot.ArgLesson, bot.ArgLessonWord, bot.ArgLessonOrTopic:
		topics := kind == bot.ArgTopic || kind == bot.ArgLessonOrTopic
		lessons := kind != bot.ArgTopic
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
	case bot.ArgQuestion:
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
