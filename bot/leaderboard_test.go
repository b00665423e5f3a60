package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The board shows ten ranks from the longest streak going down, passes over a longer
// streak that has since lapsed, and says that more learners have one than it shows.
func TestLeaderboardShowsTenRanksAndSkipsLapsedStreaks(t *testing.T) {
	h := newHarness(t)
	for range 20 { // days 0..19: a 20-day streak, two freezes held, that lapses later
		h.sayOK("old", "checkin")
		h.clock.Advance(24 * time.Hour)
	}
	h.clock.Advance(4 * 24 * time.Hour) // day 24
	for day := 24; day <= 35; day++ {
		for k := 1; k <= 12; k++ {
			if day > 35-k { // learner k studies the last k days
				h.sayOK(fmt.Sprintf("l%02d", k), "checkin")
			}
		}
		if day < 35 {
			h.clock.Advance(24 * time.Hour)
		}
	}
	r := h.sayOK("dee", "leaderboard")
	places := []string{"🥇", "🥈", "🥉", "4.", "5.", "6.", "7.", "8.", "9.", "10."}
	var want []string
	for i, place := range places {
		k := 12 - i
		want = append(want, fmt.Sprintf("%s l%02d — %d days (longest %d)", place, k, k, k))
	}
	if r.Text != strings.Join(want, "\n") {
		t.Errorf("leaderboard:\n%s\nwant:\n%s", r.Text, strings.Join(want, "\n"))
	}
	if r.Footer != "more than 10 learners with a streak going" {
		t.Errorf("footer = %q", r.Footer)
	}
}
