package bot_test

import (
	"strings"
	"testing"

	"github.com/studybot/studybot/bot"
)

func TestAModalFitsThePlatformsLimits(t *testing.T) {
	long := strings.Repeat("é", 50)
	for _, tc := range []struct {
		name string
		in   bot.Modal
		want bot.Modal
	}{
		{"within the limits it is unchanged",
			bot.Modal{Title: "Note: Caching", Label: "Your note", Value: "old", MaxLength: 1000},
			bot.Modal{Title: "Note: Caching", Label: "Your note", Value: "old", MaxLength: 1000}},
		{"a longer title, label and placeholder are clipped in characters, with an ellipsis",
			bot.Modal{Title: long, Label: long, Placeholder: long},
			bot.Modal{Title: strings.Repeat("é", 23) + "…", Label: strings.Repeat("é", 44) + "…", Placeholder: strings.Repeat("é", 9) + "…", MaxLength: 3000}},
		{"an empty title and label are named",
			bot.Modal{Title: "  ", MaxLength: 5},
			bot.Modal{Title: "studybot", Label: "Text", MaxLength: 5}},
		{"a length over the platform's is the platform's, and the value fits it",
			bot.Modal{Title: "t", Label: "l", Value: "abcdef", MaxLength: 9000},
			bot.Modal{Title: "t", Label: "l", Value: "abcdef", MaxLength: 3000}},
		{"a value longer than the length limit is clipped to it",
			bot.Modal{Title: "t", Label: "l", Value: "abcdef", MaxLength: 4},
			bot.Modal{Title: "t", Label: "l", Value: "abc…", MaxLength: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.in.Fit(24, 45, 10, 3000); got != tc.want {
				t.Errorf("Fit = %+v, want %+v", got, tc.want)
			}
		})
	}
}
