package bot_test

import (
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

func zoneOf(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func date(y int, m time.Month, d int) bot.Day {
	return bot.DayOf(time.Date(y, m, d, 12, 0, 0, 0, time.UTC), time.UTC)
}

func TestOccurrenceKeepsTheLocalWallClock(t *testing.T) {
	tests := []struct {
		name string
		zone string
		day  bot.Day
		at   bot.TimeOfDay
		want string // UTC
	}{
		{"Berlin winter", "Europe/Berlin", date(2026, 3, 28), bot.TimeOfDay{Hour: 9}, "2026-03-28T08:00:00Z"},
		{"Berlin spring-forward day", "Europe/Berlin", date(2026, 3, 29), bot.TimeOfDay{Hour: 9}, "2026-03-29T07:00:00Z"},
		{"Berlin summer", "Europe/Berlin", date(2026, 3, 30), bot.TimeOfDay{Hour: 9}, "2026-03-30T07:00:00Z"},
		{"Berlin fall-back day", "Europe/Berlin", date(2026, 10, 25), bot.TimeOfDay{Hour: 9}, "2026-10-25T08:00:00Z"},
		{"Berlin gap start is the next valid minute", "Europe/Berlin", date(2026, 3, 29), bot.TimeOfDay{Hour: 2}, "2026-03-29T01:00:00Z"},
		{"Berlin inside the gap is the next valid minute", "Europe/Berlin", date(2026, 3, 29), bot.TimeOfDay{Hour: 2, Minute: 30}, "2026-03-29T01:00:00Z"},
		{"Berlin last minute before the gap", "Europe/Berlin", date(2026, 3, 29), bot.TimeOfDay{Hour: 1, Minute: 59}, "2026-03-29T00:59:00Z"},
		{"Berlin first minute after the gap", "Europe/Berlin", date(2026, 3, 29), bot.TimeOfDay{Hour: 3}, "2026-03-29T01:00:00Z"},
		{"Berlin repeated time is the first one", "Europe/Berlin", date(2026, 10, 25), bot.TimeOfDay{Hour: 2, Minute: 30}, "2026-10-25T00:30:00Z"},
		{"Berlin repeated hour starts once", "Europe/Berlin", date(2026, 10, 25), bot.TimeOfDay{Hour: 2}, "2026-10-25T00:00:00Z"},
		{"Berlin after the repeat", "Europe/Berlin", date(2026, 10, 25), bot.TimeOfDay{Hour: 3}, "2026-10-25T02:00:00Z"},
		{"New York winter", "America/New_York", date(2026, 3, 7), bot.TimeOfDay{Hour: 9}, "2026-03-07T14:00:00Z"},
		{"New York spring-forward day", "America/New_York", date(2026, 3, 8), bot.TimeOfDay{Hour: 9}, "2026-03-08T13:00:00Z"},
		{"New York inside the gap", "America/New_York", date(2026, 3, 8), bot.TimeOfDay{Hour: 2, Minute: 30}, "2026-03-08T07:00:00Z"},
		{"New York repeated time is the first one", "America/New_York", date(2026, 11, 1), bot.TimeOfDay{Hour: 1, Minute: 30}, "2026-11-01T05:30:00Z"},
		{"New York fall-back day", "America/New_York", date(2026, 11, 1), bot.TimeOfDay{Hour: 9}, "2026-11-01T14:00:00Z"},
		{"Half-hour zone", "Asia/Kolkata", date(2026, 6, 1), bot.TimeOfDay{Hour: 9}, "2026-06-01T03:30:00Z"},
		{"Half-hour gap", "Australia/Lord_Howe", date(2026, 10, 4), bot.TimeOfDay{Hour: 2, Minute: 10}, "2026-10-03T15:30:00Z"},
		{"UTC", "UTC", date(2026, 6, 1), bot.TimeOfDay{Hour: 23, Minute: 59}, "2026-06-01T23:59:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := bot.Occurrence(tt.day, tt.at, zoneOf(t, tt.zone)).UTC().Format(time.RFC3339)
			if got != tt.want {
				t.Errorf("Occurrence(%s, %s, %s) = %s, want %s", tt.day, tt.at, tt.zone, got, tt.want)
			}
		})
	}
}

func TestNextOccurrenceIsStrictlyLaterAndNeverOnAnEarlierDate(t *testing.T) {
	berlin := zoneOf(t, "Europe/Berlin")
	nine := bot.TimeOfDay{Hour: 9}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name    string
		after   string
		minDate bot.Day
		want    string
	}{
		{"later today", "2026-11-24T07:00:00Z", 0, "2026-11-24T08:00:00Z"},
		{"exactly now is not next", "2026-11-24T08:00:00Z", 0, "2026-11-25T08:00:00Z"},
		{"already past today", "2026-11-24T12:00:00Z", 0, "2026-11-25T08:00:00Z"},
		{"today already handled", "2026-11-24T07:00:00Z", date(2026, 11, 25), "2026-11-25T08:00:00Z"},
		{"across the spring change", "2026-03-28T12:00:00Z", 0, "2026-03-29T07:00:00Z"},
		{"local date differs from UTC date", "2026-11-24T23:30:00Z", 0, "2026-11-25T08:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := bot.NextOccurrence(nine, berlin, at(tt.after), tt.minDate).UTC().Format(time.RFC3339)
			if got != tt.want {
				t.Errorf("NextOccurrence after %s (min %s) = %s, want %s", tt.after, tt.minDate, got, tt.want)
			}
		})
	}
}
