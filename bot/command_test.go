package bot

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in   string
		want Command
	}{
		{"/roadmap next", Command{Name: "next"}},
		{"next", Command{Name: "next"}},
		{"  /ROADMAP   Next  ", Command{Name: "next"}},
		{"/roadmap topic api security", Command{Name: "topic", Target: "api security"}},
		{"done", Command{Name: "done"}},
		{"done caching", Command{Name: "done", Target: "caching"}},
		{"check-in", Command{Name: "checkin"}},
		{"answer caching-2 B", Command{Name: "answer", Question: "caching-2", Choice: 1}},
		{"answer Caching-2 3", Command{Name: "answer", Question: "caching-2", Choice: 2}},
		{"answer caching-2/23 a", Command{Name: "answer", Question: "caching-2", Order: 23, Choice: 0}},
		{"lesson sql joins", Command{Name: "lesson", Target: "sql joins"}},
		{"timezone Europe/Berlin", Command{Name: "timezone", Zone: "Europe/Berlin"}},
		{"timezone", Command{Name: "timezone"}},
		{"remind 7:05", Command{Name: "remind", Sub: "set", At: TimeOfDay{7, 5}}},
		{"remind off", Command{Name: "remind", Sub: "off"}},
		{"nudge set 09:00 Europe/Berlin", Command{Name: "nudge", Sub: "set", At: TimeOfDay{9, 0}, Zone: "Europe/Berlin"}},
		{"nudge set 23:59", Command{Name: "nudge", Sub: "set", At: TimeOfDay{23, 59}}},
		{"nudge status", Command{Name: "nudge", Sub: "status"}},
		{"nudge SET 07:30", Command{Name: "nudge", Sub: "set", At: TimeOfDay{7, 30}}},
		{"nudge off", Command{Name: "nudge", Sub: "off"}},
		{"remind", Command{Name: "remind", Sub: "status"}},
		{"remind OFF", Command{Name: "remind", Sub: "off"}},
		{"skip  git   and  github ", Command{Name: "skip", Target: "git and github"}},
		{"quiz", Command{Name: "quiz"}},
		{"review", Command{Name: "review", Sub: "next"}},
		{"review Stats", Command{Name: "review", Sub: "stats"}},
		{"review caching-2 hard", Command{Name: "review", Sub: "rate", Question: "caching-2", Rating: RatingHard}},
		{"review caching-2/7 EASY", Command{Name: "review", Sub: "rate", Question: "caching-2", Order: 7, Rating: RatingEasy}},
		{"review stats-1 good", Command{Name: "review", Sub: "rate", Question: "stats-1", Rating: RatingGood}},
		// Zero-width characters pasted into words are dropped from what is parsed, and kept in
		// free text, where they join emoji and Persian letters.
		{"nud\u200bge set\u200b 09:\u200b00", Command{Name: "nudge", Sub: "set", At: TimeOfDay{9, 0}}},
		{"\u200bno\u200bte cach\u200bing \u200b 👩\u200d💻  می\u200cخواهم \u200b", Command{Name: "note", Target: "caching", Text: "👩\u200d💻  می\u200cخواهم"}},
		{"note caching -\u200b", Command{Name: "note", Target: "caching", Text: "-"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseCommand(tt.in)
			if err != nil {
				t.Fatalf("ParseCommand(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseCommand(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseCommandRefusesBadInputWithASpecificAnswer(t *testing.T) {
	tests := []struct {
		in      string
		mention string // a piece of the answer that makes it specific
	}{
		{"", "Tell me what to do"},
		{"/roadmap", "Tell me what to do"},
		{"/roadmap nxt", "Did you mean /roadmap next"},
		{"/roadmap frobnicate", "Unknown command"},
		{"/weather", "only answers /roadmap"},
		{"topic", "Which topic"},
		{"next please", "takes nothing after it"},
		{"answer caching-2", "Usage: /roadmap answer"},
		{"answer caching-2 z", "is not a choice"},
		{"remind 25:00", "is not a time of day"},
		{"remind 9am", "is not a time of day"},
		{"nudge set", "Usage: /roadmap nudge"},
		{"nudge dance", "Usage: /roadmap nudge"},
		{"timezone Europe/Berlin extra", "Usage: /roadmap timezone"},
		{"start", "Which lesson"},
		{"answer caching-2 z extra", "Usage: /roadmap answer"}, // the count is checked before the words
		{"remind set 07:00", "Usage: /roadmap remind"},         // set is implied, never typed
		{"remind off now", "Usage: /roadmap remind"},
		{"nudge", "Usage: /roadmap nudge"},
		{"nudge off now", "Usage: /roadmap nudge"},
		{"review caching-2", "Usage: /roadmap review, /roadmap review stats or /roadmap review <question> <hard|good|easy>"},
		{"review caching-2 again", "is not a rating"}, // Again is a wrong answer's, never a button's
		{"review caching-2 great", "is not a rating"},
		{"review stats now", "Usage: /roadmap review"},
		{strings.Repeat("a", 10000), "too long"},
		{"next \xff\xfe", "not valid text"},
		{"next \x00\x01", "control characters"},
	}
	for _, tt := range tests {
		t.Run(clip(tt.in, 20), func(t *testing.T) {
			_, err := ParseCommand(tt.in)
			if err == nil {
				t.Fatalf("ParseCommand(%q) accepted bad input", clip(tt.in, 30))
			}
			if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("answer %q (code %s), want it to mention %q", err, ErrorCode(err), tt.mention)
			}
			if n := utf8.RuneCountInString(err.Error()); n > 200 {
				t.Errorf("answer is %d characters; keep it short", n)
			}
		})
	}
}

func TestUsageLinesComeFromTheDeclaredArguments(t *testing.T) {
	for name, want := range map[string]string{
		"next":     "next",
		"topic":    "topic <name>",
		"lesson":   "lesson <name>",
		"start":    "start <lesson|topic>",
		"done":     "done [lesson|topic]",
		"quiz":     "quiz [lesson|topic]",
		"answer":   "answer <question> <choice>",
		"timezone": "timezone [IANA zone]",
		"remind":   "remind <HH:MM> | remind off",
		"nudge":    "nudge set <HH:MM> [IANA zone] | nudge off | nudge status | nudge recap <on|off>",
		"review":   "review | review stats | review <question> <hard|good|easy>",
	} {
		v, ok := lookupVerb(name)
		if !ok {
			t.Fatalf("no verb %s", name)
		}
		if got := v.Usage(); got != want {
			t.Errorf("%s: usage %q, want %q", name, got, want)
		}
	}
}

// Every error answer that shows a usage line shows the one of the command mistyped, so the
// grammar and its answers cannot drift apart.
func TestMistypedCommandsAnswerWithTheirOwnUsageLine(t *testing.T) {
	for _, v := range Verbs {
		var in, want string
		switch forms := v.forms(); {
		case len(v.Args) == 0 && len(v.Subs) == 0:
			in, want = v.Name+" x", "/roadmap "+v.Name+" takes nothing after it."
		case len(v.Args) > 0 && v.Args[len(v.Args)-1].Kind.Rest():
			if v.Args[0].Optional {
				continue // takes anything, or nothing
			}
			in, want = v.Name, "Usage: /roadmap "+forms[0]+"."
		default:
			in, want = v.Name+" x x x x x x", "Usage: /roadmap "+forms[0]
		}
		t.Run(v.Name, func(t *testing.T) {
			_, err := ParseCommand(in)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%q answered %v, want it to contain %q", in, err, want)
			}
			if err != nil && v.Example != "" && !strings.Contains(err.Error(), "e.g. /roadmap "+v.Example) {
				t.Errorf("%q answered %v, want the example %q", in, err, v.Example)
			}
		})
	}
}

// Each platform builds its registration from Verbs, so a slip there (a required argument
// after an optional one, a rest-of-line argument before another) would break every platform.
func TestEveryCommandIsDeclaredWellFormed(t *testing.T) {
	seen := map[string]bool{}
	checkArgs := func(where string, args []Arg) {
		names := map[string]bool{}
		for i, a := range args {
			if a.Name == "" || names[a.Name] || a.Kind == 0 {
				t.Errorf("%s: argument %d %+v: unnamed, named twice or of no kind", where, i, a)
			}
			names[a.Name] = true
			if n := utf8.RuneCountInString(a.Help); n < 1 || n > 100 {
				t.Errorf("%s %s: description of %d characters, want 1 to 100", where, a.Name, n)
			}
			if i > 0 && args[i-1].Optional && !a.Optional {
				t.Errorf("%s %s: required after an optional argument", where, a.Name)
			}
			if a.Kind.Rest() && i != len(args)-1 {
				t.Errorf("%s %s: takes the rest of the line but is not last", where, a.Name)
			}
		}
	}
	for _, v := range Verbs {
		if seen[v.Name] || v.Name != strings.ToLower(v.Name) {
			t.Errorf("verb %q declared twice or not in lower case", v.Name)
		}
		seen[v.Name] = true
		if n := utf8.RuneCountInString(v.Help); n < 1 || n > 100 {
			t.Errorf("%s: help of %d characters, want 1 to 100", v.Name, n)
		}
		if v.Class == "" {
			t.Errorf("%s: no cooldown class", v.Name)
		}
		if len(v.Args) > 0 && len(v.Subs) > 0 {
			t.Errorf("%s: both arguments and forms", v.Name)
		}
		checkArgs(v.Name, v.Args)
		words, typed := map[string]bool{}, !slices.ContainsFunc(v.Subs, func(s Sub) bool { return s.Implied })
		for _, s := range v.Subs {
			if s.Word == "" || words[s.Word] {
				t.Errorf("%s: form word %q empty or repeated", v.Name, s.Word)
			}
			words[s.Word] = true
			if n := utf8.RuneCountInString(s.Help); typed && (n < 1 || n > 100) {
				t.Errorf("%s %s: description of %d characters, want 1 to 100 (its own subcommand on Discord)", v.Name, s.Word, n)
			}
			checkArgs(v.Name+" "+s.Word, s.Args)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, seed := range []string{"/roadmap next", "answer caching-2 b", "nudge set 09:00 Europe/Berlin", "remind 7:05",
		"topic kubernetess", "\xff", "", "/roadmap " + strings.Repeat("x", 300), "done @everyone", "timezone ../../etc/passwd"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		cmd, err := ParseCommand(in)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("parse error with code %s: %v", ErrorCode(err), err)
			}
			if cmd != (Command{}) {
				t.Fatalf("error %v came with a half-filled command %+v", err, cmd)
			}
			if utf8.RuneCountInString(err.Error()) > 200 {
				t.Fatalf("error too long to show: %d characters", utf8.RuneCountInString(err.Error()))
			}
			return
		}
		if _, ok := lookupVerb(cmd.Name); !ok {
			t.Fatalf("accepted unknown verb %q", cmd.Name)
		}
		if cmd.Choice < 0 || cmd.Choice >= MaxChoices {
			t.Fatalf("choice %d out of range", cmd.Choice)
		}
		if cmd.At.Hour < 0 || cmd.At.Hour > 23 || cmd.At.Minute < 0 || cmd.At.Minute > 59 {
			t.Fatalf("time %v out of range", cmd.At)
		}
	})
}

func TestParseTimeOfDay(t *testing.T) {
	for in, want := range map[string]TimeOfDay{"00:00": {0, 0}, "9:30": {9, 30}, "23:59": {23, 59}} {
		if got, err := ParseTimeOfDay(in); err != nil || got != want {
			t.Errorf("ParseTimeOfDay(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"24:00", "12:60", "1230", "12:5", "-1:00", "+1:00", "12:00:00", "", ":"} {
		if _, err := ParseTimeOfDay(in); err == nil {
			t.Errorf("ParseTimeOfDay(%q) accepted", in)
		}
	}
}

func TestReviewSpendsFromItsFormsClass(t *testing.T) {
	for in, want := range map[string]CooldownClass{
		"review": ClassQuiz, "review stats": ClassRead, "review caching-1 hard": ClassWrite, "quiz": ClassQuiz, "answer caching-1 a": ClassWrite,
	} {
		cmd, err := ParseCommand(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := cooldownClass(cmd); got != want {
			t.Errorf("%q spends from %s, want %s", in, got, want)
		}
	}
}
