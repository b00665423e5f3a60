package bot

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxInputLen is the longest command text accepted, in characters. No valid command comes
// close; anything longer is refused before it is looked at.
const MaxInputLen = 200

// Command is one parsed `/roadmap` line. Buttons carry the same text, so a button press and a
// typed command are the same thing.
type Command struct {
	Name     string    // a verb from Verbs
	Sub      string    // nudge: "set", "off" or "status"; remind: "set" or "off"
	Target   string    // what the learner typed for a topic or lesson, unresolved
	Question string    // question ID for answer
	Order    int       // answer: which order the choices were shown in (0: as written)
	Choice   int       // 0-based choice index for answer, as shown
	At       TimeOfDay // remind set, nudge set
	Zone     string    // timezone, nudge set

	target   *Target // Target resolved against the roadmap, by the core before it dispatches
	forgiven bool    // the target was a misspelling the matcher forgave
}

// TimeOfDay is a local wall-clock time, HH:MM.
type TimeOfDay struct{ Hour, Minute int }

func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", t.Hour, t.Minute) }

// ParseTimeOfDay reads 24-hour "HH:MM" or "H:MM".
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	h, m, ok := strings.Cut(s, ":")
	if strings.Trim(h+m, "0123456789") != "" {
		ok = false
	}
	hour, errH := strconv.Atoi(h)
	minute, errM := strconv.Atoi(m)
	if !ok || errH != nil || errM != nil || len(h) < 1 || len(h) > 2 || len(m) != 2 ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return TimeOfDay{}, Errorf(EINVALID, "%q is not a time of day. Use 24-hour HH:MM, like 09:30 or 18:00.", clip(s, 20))
	}
	return TimeOfDay{hour, minute}, nil
}

// verb describes one command word: its usage line and help text, and whether it changes state
// (which decides its cooldown class).
type verb struct {
	Name  string
	Usage string
	Help  string
	Class CooldownClass
	Admin bool
}

// Verbs lists every command in the order help shows them.
var Verbs = []verb{
	{"next", "next", "the next lesson to study: body, example, exercise, resources and a quiz", ClassRead, false},
	{"topics", "topics", "every topic with its state, lessons done and your progress bar", ClassRead, false},
	{"topic", "topic <name>", "a topic's overview and its lessons (number, slug, title or a close spelling)", ClassRead, false},
	{"lesson", "lesson <name>", "one lesson in full (slug, title or a close spelling)", ClassRead, false},
	{"start", "start <lesson|topic>", "mark the lesson you are learning (a topic: its first lesson left)", ClassWrite, false},
	{"done", "done [lesson|topic]", "mark a lesson, or all of a topic, done (default: your current lesson); counts as study", ClassWrite, false},
	{"skip", "skip [lesson|topic]", "skip a lesson or a whole topic you already know (default: your current lesson)", ClassWrite, false},
	{"reset", "reset <lesson|topic>", "put a lesson, or every lesson of a topic, back to todo", ClassWrite, false},
	{"progress", "progress", "lessons done per topic, minutes studied, quiz score and what is next", ClassRead, false},
	{"checkin", "checkin", "log today's study; extends your streak once a day", ClassWrite, false},
	{"streak", "streak", "current, longest and previous streak, freezes, the last 4 weeks", ClassRead, false},
	{"quiz", "quiz [lesson|topic]", "a multiple-choice question, choices shuffled (default: from lessons you have studied)", ClassQuiz, false},
	{"answer", "answer <question> <choice>", "answer a quiz question with the ID it shows, e.g. answer caching-2/7 b; counts as study", ClassWrite, false},
	{"leaderboard", "leaderboard", "top current streaks in this community", ClassRead, false},
	{"timezone", "timezone <IANA name>", "set where your day starts and ends, e.g. Europe/Berlin", ClassWrite, false},
	{"remind", "remind <HH:MM> | remind off", "a private nudge at that local time on days you have not studied", ClassWrite, false},
	{"nudge", "nudge set <HH:MM> [zone] | nudge off | nudge status", "(admins) a daily lesson post in this channel", ClassNudge, true},
	{"help", "help", "this list", ClassRead, false},
}

func lookupVerb(name string) (verb, bool) {
	for _, v := range Verbs {
		if v.Name == name {
			return v, true
		}
	}
	return verb{}, false
}

// ParseCommand reads a `/roadmap` line. The leading "/roadmap" is optional (Slack sends only
// the text after it). It never panics and never returns a half-filled command: on error the
// message says precisely what was wrong, short enough to show the user as is.
func ParseCommand(text string) (Command, error) {
	if !utf8.ValidString(text) {
		return Command{}, Errorf(EINVALID, "I could not read that: it is not valid text.")
	}
	if utf8.RuneCountInString(text) > MaxInputLen {
		return Command{}, Errorf(EINVALID, "That is too long: commands are at most %d characters.", MaxInputLen)
	}
	for _, r := range text {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return Command{}, Errorf(EINVALID, "I could not read that: it contains control characters.")
		}
	}
	words := strings.Fields(stripFormat(text))
	if len(words) > 0 && strings.EqualFold(words[0], "/roadmap") {
		words = words[1:]
	} else if len(words) > 0 && strings.HasPrefix(words[0], "/") {
		return Command{}, Errorf(EINVALID, "studybot only answers /roadmap. Try /roadmap help.")
	}
	if len(words) == 0 {
		return Command{}, Errorf(EINVALID, "Tell me what to do, e.g. /roadmap next. /roadmap help lists every command.")
	}
	name := strings.ToLower(words[0])
	if name == "check-in" {
		name = "checkin"
	}
	args := words[1:]
	v, ok := lookupVerb(name)
	if !ok {
		return Command{}, unknownVerb(name)
	}
	c := Command{Name: v.Name}
	rest := strings.Join(args, " ")
	switch v.Name {
	case "next", "topics", "progress", "checkin", "streak", "leaderboard", "help":
		if len(args) > 0 {
			return Command{}, Errorf(EINVALID, "/roadmap %s takes nothing after it.", v.Name)
		}
	case "topic":
		if rest == "" {
			return Command{}, Errorf(EINVALID, "Which topic? Usage: /roadmap %s. /roadmap topics lists them.", v.Usage)
		}
		c.Target = rest
	case "lesson", "start", "reset":
		if rest == "" {
			return Command{}, Errorf(EINVALID, "Which lesson? Usage: /roadmap %s. /roadmap topic <name> lists a topic's lessons.", v.Usage)
		}
		c.Target = rest
	case "done", "skip", "quiz":
		c.Target = rest
	case "answer":
		if len(args) != 2 {
			return Command{}, Errorf(EINVALID, "Usage: /roadmap answer <question> <choice>, with the question ID the quiz shows, e.g. /roadmap answer caching-2/7 b.")
		}
		id, order, err := parseQuestionToken(args[0])
		if err != nil {
			return Command{}, err
		}
		c.Question, c.Order = id, order
		choice, err := parseChoice(args[1])
		if err != nil {
			return Command{}, err
		}
		c.Choice = choice
	case "timezone":
		if len(args) > 1 {
			return Command{}, Errorf(EINVALID, "Usage: /roadmap timezone <IANA name>, e.g. Europe/Berlin or America/New_York.")
		}
		if len(args) == 1 {
			c.Zone = args[0]
		}
	case "remind":
		switch {
		case len(args) == 0:
			c.Sub = "status"
		case len(args) == 1 && strings.EqualFold(args[0], "off"):
			c.Sub = "off"
		case len(args) == 1:
			at, err := ParseTimeOfDay(args[0])
			if err != nil {
				return Command{}, err
			}
			c.Sub, c.At = "set", at
		default:
			return Command{}, Errorf(EINVALID, "Usage: /roadmap remind <HH:MM> or /roadmap remind off.")
		}
	case "nudge":
		return parseNudge(c, args)
	}
	return c, nil
}

func parseNudge(c Command, args []string) (Command, error) {
	usage := Errorf(EINVALID, "Usage: /roadmap nudge set <HH:MM> [IANA zone], /roadmap nudge off or /roadmap nudge status.")
	if len(args) == 0 {
		return Command{}, usage
	}
	c.Sub = strings.ToLower(args[0])
	switch {
	case (c.Sub == "off" || c.Sub == "status") && len(args) == 1:
		return c, nil
	case c.Sub == "set" && (len(args) == 2 || len(args) == 3):
		at, err := ParseTimeOfDay(args[1])
		if err != nil {
			return Command{}, err
		}
		c.At = at
		if len(args) == 3 {
			c.Zone = args[2]
		}
		return c, nil
	}
	return Command{}, usage
}

// parseQuestionToken reads a question ID as a quiz shows it: "caching-2/7" is question
// caching-2 shown in order 7 (see Permutation); a bare ID means the order as written, which
// is what buttons on messages from before shuffling carried.
func parseQuestionToken(s string) (id string, order int, err error) {
	id, o, shuffled := strings.Cut(strings.ToLower(s), "/")
	if !shuffled {
		return id, 0, nil
	}
	order, convErr := strconv.Atoi(o)
	if convErr != nil || order < 0 || order >= factorial(MaxChoices) || strings.Trim(o, "0123456789") != "" {
		return "", 0, Errorf(EINVALID, "%q is not a question ID. Use the ID the quiz shows, like caching-2/7.", clip(s, 40))
	}
	return id, order, nil
}

// parseChoice accepts a letter (a, B) or a 1-based number.
func parseChoice(s string) (int, error) {
	s = strings.ToLower(strings.TrimSuffix(s, ")"))
	if len(s) == 1 && s[0] >= 'a' && s[0] < 'a'+MaxChoices {
		return int(s[0] - 'a'), nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= MaxChoices {
		return n - 1, nil
	}
	return 0, Errorf(EINVALID, "%q is not a choice. Answer with a letter, like a or c.", clip(s, 10))
}

// stripFormat drops Unicode format characters (category Cf: zero-width spaces and joiners,
// bidi overrides, soft hyphens, byte order marks). They are invisible, so "cach\u200bing"
// looks like caching to the learner who pasted it; and echoed back, a bidi override would
// reorder the answer. No command word, name, time or zone needs one.
func stripFormat(s string) string {
	if !strings.ContainsFunc(s, isFormat) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isFormat(r) {
			return -1
		}
		return r
	}, s)
}

func isFormat(r rune) bool { return unicode.Is(unicode.Cf, r) }

func unknownVerb(name string) error {
	best, bestDist := "", 3
	for _, v := range Verbs {
		if d := editDistance(name, v.Name); d < bestDist {
			best, bestDist = v.Name, d
		}
	}
	if best != "" {
		return Errorf(EINVALID, "Unknown command %q. Did you mean /roadmap %s?", clip(name, 20), best)
	}
	return Errorf(EINVALID, "Unknown command %q. /roadmap help lists every command.", clip(name, 20))
}

// clip shortens user text before it is echoed back, so an answer never carries a wall of
// someone's input.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
