package bot

import (
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
