package bot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxInputLen is the longest command text accepted, in characters, besides the free text of
// a command that takes some (a note): no valid command comes close; anything longer is
// refused before it is looked at.
const MaxInputLen = 200

// MaxTextLen is the longest free text (an ArgText argument: a note) accepted, in characters.
const MaxTextLen = 1000

// maxTextLine bounds a line with free text before it is read at all: text this far over
// MaxTextLen is refused by the same answer without counting it.
const maxTextLine = MaxInputLen + 4*MaxTextLen

// Command is one parsed `/roadmap` line. Buttons carry the same text, so a button press and a
// typed command are the same thing.
type Command struct {
	Name     string    // a verb from Verbs
	Sub      string    // the form's sub-command word: nudge "set", "off" or "status"; remind "set", "off" or "status"
	Target   string    // what the learner typed for a topic or lesson, unresolved
	Text     string    // free text (an ArgText argument)
	Question string    // question ID for answer
	Order    int       // answer: which order the choices were shown in (0: as written)
	Choice   int       // 0-based choice index for answer, as shown
	At       TimeOfDay // remind set, nudge set
	Zone     string    // timezone, nudge set
	Rating   Rating    // review rate: how the learner rates the recall of a right answer
	User     string    // forget confirm: the learner the confirm button was made for
	On       bool      // nudge recap: on (true) or off

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

// ArgKind is what an argument of a command holds. It decides how the typed word is read into
// the Command, what a usage line calls it, and what a platform offers while it is typed:
// Discord autocompletes topics, lessons and questions and lists the choice letters.
type ArgKind int

const (
	ArgText          ArgKind = iota + 1 // free text, the rest of the line as typed, at most MaxTextLen characters
	ArgTopic                            // a topic: number, slug, title, alias or a close spelling; the rest of the line
	ArgLesson                           // a lesson: slug, title or a close spelling; the rest of the line
	ArgLessonOrTopic                    // a lesson, or a topic for all its lessons; the rest of the line
	ArgQuestion                         // a question ID as the quiz shows it, caching-2/7 (see parseQuestionToken)
	ArgChoice                           // a choice: a letter (a, b…) or a 1-based number
	ArgTime                             // a local time of day, HH:MM
	ArgZone                             // an IANA time zone name, checked by the core before it runs
	ArgRating                           // how well a right answer was recalled: hard, good or easy
	// ArgLessonWord is a lesson named in one word, its slug or a close spelling of it, so
	// that free text can follow it (note caching-http-headers max-age is in seconds).
	ArgLessonWord
	ArgUser   // a user ID, as a button that only that user may press carries it; the rest of the line
	ArgSwitch // on or off
)

// kinds says of each kind what a usage line calls it, whether it takes the rest of the line
// ("topic api security"; such an argument comes last) and whether a platform suggests values
// while it is typed (a roadmap name or a question ID).
var kinds = [...]struct {
	placeholder     string
	rest, suggested bool
}{
	ArgText:          {"text", true, false},
	ArgTopic:         {"name", true, true},
	ArgLesson:        {"name", true, true},
	ArgLessonOrTopic: {"lesson|topic", true, true},
	ArgQuestion:      {"question", false, true},
	ArgChoice:        {"choice", false, false},
	ArgTime:          {"HH:MM", false, false},
	ArgZone:          {"IANA zone", false, false},
	ArgRating:        {"hard|good|easy", false, false},
	ArgLessonWord:    {"lesson", false, true},
	ArgUser:          {"user ID", true, false},
	ArgSwitch:        {"on|off", false, false},
}

// Values are the only words an argument of the kind accepts, when it has a fixed few (a
// platform may offer them as choices); nil when it takes open input.
func (k ArgKind) Values() []string {
	switch k {
	case ArgRating:
		return []string{RatingHard.String(), RatingGood.String(), RatingEasy.String()}
	case ArgSwitch:
		return []string{"on", "off"}
	}
	return nil
}

// Rest reports whether an argument of the kind takes the rest of the line.
func (k ArgKind) Rest() bool { return kinds[k].rest }

// Suggested reports whether a platform should suggest values while the argument is typed.
func (k ArgKind) Suggested() bool { return kinds[k].suggested }

// read puts one typed argument into c.
func (k ArgKind) read(c *Command, s string) (err error) {
	switch k {
	case ArgTopic, ArgLesson, ArgLessonOrTopic, ArgLessonWord:
		c.Target = s
	case ArgText:
		c.Text = s
	case ArgQuestion:
		c.Question, c.Order, err = parseQuestionToken(s)
	case ArgChoice:
		c.Choice, err = parseChoice(s)
	case ArgTime:
		c.At, err = ParseTimeOfDay(s)
	case ArgZone:
		c.Zone = s
	case ArgRating:
		c.Rating, err = parseRatingArg(s)
	case ArgUser:
		c.User = s
	case ArgSwitch:
		switch strings.ToLower(s) {
		case "on":
			c.On = true
		case "off":
			c.On = false
		default:
			err = Errorf(EINVALID, "%q is neither on nor off.", clip(s, 20))
		}
	}
	return err
}

// Arg is one argument of a command, in the order it is typed.
type Arg struct {
	Name     string // the option's name on Discord: topic, lesson, name, question, choice, zone, time
	Kind     ArgKind
	Optional bool   // may be left out; optional arguments come after required ones
	Help     string // what to put there, at most 100 characters (Discord's option description)
}

// Sub is one form of a command that has several, named by its sub-command word (nudge set,
// nudge off). The word is Command.Sub.
type Sub struct {
	Word string
	// Help describes the form where it is a subcommand of its own (Discord, when every
	// form starts with its word); at most 100 characters.
	Help string
	Args []Arg
	// Implied: the word is not typed; the form is the one whose arguments fit what follows
	// the command word (remind 20:00 is remind set; remind alone is remind status).
	Implied bool
	// Class, when set, is the form's cooldown class instead of the command's (nudge status
	// only reads).
	Class CooldownClass
}

// Verb is one command word and everything about it: its arguments (or its forms, for a
// command with sub-command words), its help line, its cooldown class and whether only
// admins may use it. The text grammar, the usage lines in help and in error answers, and
// each platform's registration (Discord's subcommands, options and autocomplete) are all
// read from it, so a command is declared once.
type Verb struct {
	Name    string
	Help    string        // one line for /roadmap help, at most 100 characters
	Args    []Arg         // for a command without forms
	Subs    []Sub         // for a command with sub-command words, in the order help lists them
	Example string        // a filled-in command line shown with its usage when it was mistyped
	Class   CooldownClass // the budget it spends from, unless its form names its own
	Admin   bool          // only channel or community admins may use it
}

// Usage is the command's usage line, every form of it: "done [lesson|topic]",
// "nudge set <HH:MM> [IANA zone] | nudge off | nudge status".
func (v Verb) Usage() string { return strings.Join(v.forms(), " | ") }

// forms are the usage lines of the command's forms. An implied form with no arguments (the
// command word alone) goes without saying, unless it comes first: then it is what the
// command is for (review), not a way to look at a setting (remind).
func (v Verb) forms() []string {
	if len(v.Subs) == 0 {
		return []string{usage(v.Name, v.Args)}
	}
	var forms []string
	for i, s := range v.Subs {
		switch {
		case !s.Implied:
			forms = append(forms, usage(v.Name+" "+s.Word, s.Args))
		case len(s.Args) > 0 || i == 0:
			forms = append(forms, usage(v.Name, s.Args))
		}
	}
	return forms
}

func usage(words string, args []Arg) string {
	for _, a := range args {
		if a.Optional {
			words += " [" + kinds[a.Kind].placeholder + "]"
		} else {
			words += " <" + kinds[a.Kind].placeholder + ">"
		}
	}
	return words
}

// usageError answers a command that does not fit any of its forms.
func (v Verb) usageError() error {
	forms := v.forms()
	for i := range forms {
		forms[i] = "/roadmap " + forms[i]
	}
	text := forms[len(forms)-1]
	if len(forms) > 1 {
		text = strings.Join(forms[:len(forms)-1], ", ") + " or " + text
	}
	if v.Example != "" {
		text += ", e.g. /roadmap " + v.Example
	}
	return Errorf(EINVALID, "Usage: %s.", text)
}

// missing answers a command that leaves out the required argument a.
func (v Verb) missing(a Arg) error {
	switch a.Kind {
	case ArgTopic:
		return Errorf(EINVALID, "Which topic? Usage: /roadmap %s. /roadmap topics lists them.", v.Usage())
	case ArgLesson, ArgLessonOrTopic, ArgLessonWord:
		return Errorf(EINVALID, "Which lesson? Usage: /roadmap %s. /roadmap topic <name> lists a topic's lessons.", v.Usage())
	}
	return v.usageError()
}

// Verbs lists every command in the order help shows them.
var Verbs = []Verb{
	{Name: "next", Help: "the next lesson to study: body, example, exercise, resources and a quiz", Class: ClassRead},
	{Name: "topics", Help: "every topic with its state, lessons done and your progress bar", Class: ClassRead},
	{Name: "topic", Help: "a topic's overview and its lessons (number, slug, title or a close spelling)", Class: ClassRead,
		Args: []Arg{{Name: "topic", Kind: ArgTopic, Help: "Topic: number, slug, title or a close spelling"}}},
	{Name: "lesson", Help: "one lesson in full (slug, title or a close spelling)", Class: ClassRead,
		Args: []Arg{{Name: "lesson", Kind: ArgLesson, Help: "Lesson: slug, title or a close spelling"}}},
	{Name: "start", Help: "mark the lesson you are learning (a topic: its first lesson left)", Class: ClassWrite,
		Args: []Arg{{Name: "name", Kind: ArgLessonOrTopic, Help: "A lesson, or a topic for all its lessons"}}},
	{Name: "done", Help: "mark a lesson, or all of a topic, done (default: your current lesson); counts as study", Class: ClassWrite,
		Args: []Arg{{Name: "name", Kind: ArgLessonOrTopic, Optional: true, Help: "A lesson, or a topic for all its lessons (default: your current lesson)"}}},
	{Name: "skip", Help: "skip a lesson or a whole topic you already know (default: your current lesson)", Class: ClassWrite,
		Args: []Arg{{Name: "name", Kind: ArgLessonOrTopic, Optional: true, Help: "A lesson, or a topic for all its lessons (default: your current lesson)"}}},
	{Name: "reset", Help: "put a lesson, or every lesson of a topic, back to todo", Class: ClassWrite,
		Args: []Arg{{Name: "name", Kind: ArgLessonOrTopic, Help: "A lesson, or a topic for all its lessons"}}},
	{Name: "progress", Help: "lessons done per topic, minutes studied, quiz score and what is next", Class: ClassRead},
	{Name: "checkin", Help: "log today's study; extends your streak once a day", Class: ClassWrite},
	{Name: "streak", Help: "current, longest and previous streak, freezes, the last 4 weeks", Class: ClassRead},
	{Name: "quiz", Help: "a multiple-choice question, choices shuffled (default: from lessons you have studied)", Class: ClassQuiz,
		Args: []Arg{{Name: "name", Kind: ArgLessonOrTopic, Optional: true, Help: "A lesson or a topic (default: lessons you have studied)"}}},
	{Name: "answer", Help: "answer a quiz question with the ID it shows, e.g. answer caching-http-headers-2/7 b; counts as study", Class: ClassWrite,
		Example: "answer caching-http-headers-2/7 b", Args: []Arg{
			{Name: "question", Kind: ArgQuestion, Help: "Question ID the quiz shows, e.g. caching-http-headers-2/7"},
			{Name: "choice", Kind: ArgChoice, Help: "Your answer"},
		}},
	{Name: "review", Help: "spaced review: the question due next (FSRS); review stats: your cards and retention", Class: ClassQuiz,
		Example: "review stats", Subs: []Sub{
			{Word: "next", Implied: true, Help: "the next review question due"},
			{Word: "stats", Help: "your review cards, how many are due and your retention", Class: ClassRead},
			// What the Hard, Good and Easy buttons after a right answer run: "review caching-2 hard".
			{Word: "rate", Implied: true, Help: "rate how well you recalled the question you just answered right", Class: ClassWrite,
				Args: []Arg{
					{Name: "question", Kind: ArgQuestion, Help: "The question you just answered right (the buttons fill it in), or: stats"},
					{Name: "rating", Kind: ArgRating, Help: "How well you recalled it: hard, good or easy"},
				}},
		}},
	{Name: "note", Help: "your private note on a lesson: save or replace it; without text, edit it; - deletes it", Class: ClassWrite,
		Args: []Arg{
			{Name: "lesson", Kind: ArgLessonWord, Help: "Lesson slug, e.g. caching-http-headers"},
			{Name: "text", Kind: ArgText, Optional: true, Help: "Your note, at most 1,000 characters; - deletes it; empty: edit it"},
		}},
	{Name: "notes", Help: "your notes, on every lesson or on one topic's", Class: ClassRead,
		Args: []Arg{{Name: "topic", Kind: ArgTopic, Optional: true, Help: "A topic (default: every topic)"}}},
	{Name: "leaderboard", Help: "top current streaks in this community", Class: ClassRead},
	{Name: "timezone", Help: "set where your day starts and ends, e.g. Europe/Berlin", Class: ClassWrite,
		Example: "timezone Europe/Berlin", Args: []Arg{{Name: "zone", Kind: ArgZone, Optional: true, Help: "IANA time zone, e.g. Europe/Berlin (empty: show yours)"}}},
	{Name: "remind", Help: "a private nudge at that local time on days you have not studied", Class: ClassWrite,
		Example: "remind 20:00", Subs: []Sub{
			{Word: "set", Implied: true, Args: []Arg{{Name: "time", Kind: ArgTime, Help: "HH:MM (24-hour, your time) or off; empty: show your reminder"}}},
			{Word: "off"},
			{Word: "status", Implied: true},
		}},
	{Name: "nudge", Help: "(admins) a daily lesson post in this channel", Class: ClassNudge, Admin: true,
		Example: "nudge set 09:00 Europe/Berlin", Subs: []Sub{
			{Word: "set", Help: "(admins) post the daily lesson in this channel at HH:MM", Args: []Arg{
				{Name: "time", Kind: ArgTime, Help: "HH:MM, 24-hour"},
				{Name: "zone", Kind: ArgZone, Optional: true, Help: "IANA time zone, e.g. Europe/Berlin (default: the community's)"},
			}},
			{Word: "off", Help: "(admins) stop the daily lesson post in this channel"},
			{Word: "status", Help: "(admins) when the daily lesson and the weekly recap are posted here", Class: ClassRead},
			{Word: "recap", Help: "(admins) the Monday recap of last week's study in this channel: on or off", Args: []Arg{
				{Name: "state", Kind: ArgSwitch, Help: "on or off"},
			}},
		}},
	{Name: "export", Help: "everything studybot keeps about you in this community, as a JSON file only you get", Class: ClassNudge},
	{Name: "forget", Help: "delete everything studybot keeps about you in this community (asks first)", Class: ClassNudge,
		Subs: []Sub{
			{Word: "ask", Implied: true, Help: "ask to delete everything kept about you here; a button confirms"},
			// What the confirm button runs: only the learner it names may run it.
			{Word: "confirm", Help: "what the confirm button runs: delete everything kept about you here", Args: []Arg{
				{Name: "user", Kind: ArgUser, Help: "Your user ID, as the confirm button carries it"},
			}},
		}},
	{Name: "help", Help: "this list", Class: ClassRead},
}

func lookupVerb(name string) (Verb, bool) {
	for _, v := range Verbs {
		if v.Name == name {
			return v, true
		}
	}
	return Verb{}, false
}

// ParseCommand reads a `/roadmap` line. The leading "/roadmap" is optional (Slack sends only
// the text after it). It never panics and never returns a half-filled command: on error the
// message says precisely what was wrong, short enough to show the user as is.
func ParseCommand(text string) (Command, error) {
	if !utf8.ValidString(text) {
		return Command{}, Errorf(EINVALID, "I could not read that: it is not valid text.")
	}
	if n := utf8.RuneCountInString(text); n > MaxInputLen {
		if !takesText(text) {
			return Command{}, Errorf(EINVALID, "That is too long: commands are at most %d characters.", MaxInputLen)
		}
		if n > maxTextLine {
			return Command{}, textTooLong(n)
		}
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
	v, ok := lookupVerb(name)
	if !ok {
		return Command{}, unknownVerb(name)
	}
	c := Command{Name: v.Name}
	var err error
	switch args := words[1:]; {
	case len(v.Subs) > 0:
		err = v.readForm(&c, args)
	case len(v.Args) == 0 && len(args) > 0:
		err = Errorf(EINVALID, "/roadmap %s takes nothing after it.", v.Name)
	default:
		err = v.readArgs(&c, v.Args, args)
	}
	if err != nil {
		return Command{}, err
	}
	if c.Text != "" && c.Text != deleteNote {
		// Free text (a note typed into a modal) keeps its line breaks, spacing and format
		// characters (the joiner inside 👩‍💻, Persian's non-joiner): it is the line's last
		// words, taken as typed rather than re-joined. A "-" that deletes stays one however
		// it was pasted.
		c.Text = lastFields(text, len(strings.Fields(c.Text)))
		if n := utf8.RuneCountInString(c.Text); n > MaxTextLen {
			return Command{}, textTooLong(n)
		}
	}
	return c, nil
}

// takesText reports whether the line's command word is one with free text (note), whose
// line may be longer than MaxInputLen. Only the first two words are looked at.
func takesText(line string) bool {
	words := strings.Fields(line[:min(len(line), 64)])
	if len(words) > 0 && strings.EqualFold(words[0], "/roadmap") {
		words = words[1:]
	}
	if len(words) == 0 {
		return false
	}
	v, ok := lookupVerb(strings.ToLower(words[0]))
	return ok && slices.ContainsFunc(v.Args, func(a Arg) bool { return a.Kind == ArgText })
}

func textTooLong(n int) error {
	return Errorf(EINVALID, "A note is at most %s characters; yours has %s. Nothing was saved: shorten it and send it again.",
		thousands(MaxTextLen), thousands(n))
}

// thousands writes n with a comma between thousands: 1,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// lastFields is the part of s from its n-th last whitespace-separated word to its last,
// with the whitespace and format characters between them as they were. A word of format
// characters alone is not counted (nor kept at the end): the parser, which strips them,
// never saw it.
func lastFields(s string, n int) string {
	start, end := len(s), -1
	for n > 0 {
		rest := strings.TrimRightFunc(s[:start], unicode.IsSpace)
		if rest == "" {
			break
		}
		start = 0
		if i := strings.LastIndexFunc(rest, unicode.IsSpace); i >= 0 {
			_, size := utf8.DecodeRuneInString(rest[i:])
			start = i + size
		}
		if stripFormat(rest[start:]) != "" {
			if end < 0 {
				end = len(rest)
			}
			n--
		}
	}
	if end < 0 {
		return ""
	}
	return s[start:end]
}

// readForm picks the form of a command with sub-command words: the one whose word comes
// first, else the first implied one whose arguments fit what follows.
func (v Verb) readForm(c *Command, words []string) error {
	if len(words) > 0 {
		for _, s := range v.Subs {
			if !s.Implied && strings.EqualFold(words[0], s.Word) {
				c.Sub = s.Word
				return v.readArgs(c, s.Args, words[1:])
			}
		}
	}
	for _, s := range v.Subs {
		if s.Implied && fits(s.Args, len(words)) {
			c.Sub = s.Word
			return v.readArgs(c, s.Args, words)
		}
	}
	return v.usageError()
}

// fits reports whether n typed words can fill args.
func fits(args []Arg, n int) bool {
	required := 0
	for _, a := range args {
		if !a.Optional {
			required++
		}
	}
	return n >= required && (n <= len(args) || len(args) > 0 && args[len(args)-1].Kind.Rest())
}

// readArgs reads the typed words into args, in order; an argument that takes the rest of the
// line gets every word left. A word too few or too many is answered before any is read.
func (v Verb) readArgs(c *Command, args []Arg, words []string) error {
	if !fits(args, len(words)) {
		if len(words) < len(args) && !args[len(words)].Optional {
			return v.missing(args[len(words)])
		}
		return v.usageError()
	}
	for i, a := range args {
		if i == len(words) {
			break
		}
		word := words[i]
		if a.Kind.Rest() {
			word = strings.Join(words[i:], " ")
		}
		if err := a.Kind.read(c, word); err != nil {
			return err
		}
	}
	return nil
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
		return "", 0, Errorf(EINVALID, "%q is not a question ID. Use the ID the quiz shows, like caching-http-headers-2/7.", clip(s, 40))
	}
	return id, order, nil
}

// parseRatingArg reads the rating of a right answer: hard, good or easy (Again is what a
// wrong answer gets, never a button).
func parseRatingArg(s string) (Rating, error) {
	if r, ok := ParseRating(s); ok && r != RatingAgain {
		return r, nil
	}
	return 0, Errorf(EINVALID, "%q is not a rating. Rate a right answer hard, good or easy.", clip(s, 10))
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
// reorder the answer. No command word, name, time or zone needs one; free text keeps them
// (see ParseCommand).
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
