package bot

import (
	"testing"
	"time"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// studyOn records study on each of days, starting from a fresh streak.
func studyOn(days ...Day) (Streak, StudyResult) {
	var s Streak
	var res StudyResult
	for _, d := range days {
		s, res = s.Record(d)
	}
	return s, res
}

func consecutive(from Day, n int) []Day {
	days := make([]Day, n)
	for i := range days {
		days[i] = from + Day(i)
	}
	return days
}

func TestStreakRules(t *testing.T) {
	const d0 Day = 20000
	tests := []struct {
		name         string
		days         []Day
		wantCurrent  int
		wantLongest  int
		wantPrevious int
		wantFreezes  int
		wantResult   StudyResult
	}{
		{"first study starts at one", []Day{d0}, 1, 1, 0, 0, StudyResult{Counted: true}},
		{"the next day adds one", []Day{d0, d0 + 1}, 2, 2, 0, 0, StudyResult{Counted: true}},
		{"the same day counts once", []Day{d0, d0 + 1, d0 + 1}, 2, 2, 0, 0, StudyResult{}},
		{"an earlier day (moved west) changes nothing", []Day{d0, d0 + 1, d0}, 2, 2, 0, 0, StudyResult{}},
		{"a gap with no freezes restarts at one and keeps previous", []Day{d0, d0 + 1, d0 + 2, d0 + 4}, 1, 3, 3, 0,
			StudyResult{Counted: true, Broke: 3}},
		{"the 7th day earns a freeze and is a milestone", consecutive(d0, 7), 7, 7, 0, 1,
			StudyResult{Counted: true, FreezeEarned: true, Milestone: 7}},
		{"a freeze covers one missed day", append(consecutive(d0, 7), d0+8), 8, 8, 0, 0,
			StudyResult{Counted: true, FreezesSpent: 1}},
		{"freezes are held at most two", consecutive(d0, 21), 21, 21, 0, MaxFreezes,
			StudyResult{Counted: true}},
		{"two freezes cover two missed days", append(consecutive(d0, 14), d0+16), 15, 15, 0, 0,
			StudyResult{Counted: true, FreezesSpent: 2}},
		{"a gap longer than the freezes breaks the streak", append(consecutive(d0, 14), d0+17), 1, 14, 14, 0,
			StudyResult{Counted: true, Broke: 14}},
		{"longest survives a restart", append(append(consecutive(d0, 5), d0+10), d0+11), 2, 5, 5, 0,
			StudyResult{Counted: true}},
		{"day 30 is a milestone", consecutive(d0, 30), 30, 30, 0, MaxFreezes,
			StudyResult{Counted: true, Milestone: 30}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, res := studyOn(tt.days...)
			if s.Current != tt.wantCurrent || s.Longest != tt.wantLongest || s.Previous != tt.wantPrevious || s.Freezes != tt.wantFreezes {
				t.Errorf("streak = current %d longest %d previous %d freezes %d, want %d %d %d %d",
					s.Current, s.Longest, s.Previous, s.Freezes, tt.wantCurrent, tt.wantLongest, tt.wantPrevious, tt.wantFreezes)
			}
			if res != tt.wantResult {
				t.Errorf("last result = %+v, want %+v", res, tt.wantResult)
			}
		})
	}
}

func TestStreakViewPendingIsNeverBroken(t *testing.T) {
	const d0 Day = 20000
	fresh, _ := studyOn(consecutive(d0, 3)...)
	withFreeze, _ := studyOn(consecutive(d0, 7)...)
	tests := []struct {
		name  string
		s     Streak
		today Day
		want  StreakView
	}{
		{"never studied", Streak{}, d0, StreakView{}},
		{"studied today", fresh, d0 + 2, StreakView{Current: 3, StudiedToday: true}},
		{"studied yesterday: pending", fresh, d0 + 3, StreakView{Current: 3, Pending: true}},
		{"missed yesterday, no freeze: broken", fresh, d0 + 4, StreakView{Broken: true}},
		{"missed yesterday, a freeze held: pending", withFreeze, d0 + 8, StreakView{Current: 7, Pending: true, FreezesHeld: 1, FreezesDue: 1}},
		{"missed two days, one freeze: broken", withFreeze, d0 + 9, StreakView{Broken: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.View(tt.today); got != tt.want {
				t.Errorf("View = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDayOfFollowsTheLearnersZone(t *testing.T) {
	// 23:30 UTC on 2026-03-28 is already the 29th in Berlin and still the 28th in New York.
	instant := time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC)
	utc := DayOf(instant, time.UTC)
	if got := DayOf(instant, mustZone(t, "Europe/Berlin")); got != utc+1 {
		t.Errorf("Berlin day = %s, want %s", got, utc+1)
	}
	if got := DayOf(instant, mustZone(t, "America/New_York")); got != utc {
		t.Errorf("New York day = %s, want %s", got, utc)
	}
	if got := utc.String(); got != "2026-03-28" {
		t.Errorf("day string = %s", got)
	}
}

func TestDaysAcrossDSTChanges(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	tests := []struct {
		name      string
		first     time.Time
		second    time.Time
		wantDelta Day
	}{
		// Spring forward: the night of 29 March 2026 has only 23 hours.
		{"late evening to early morning over spring forward", time.Date(2026, 3, 28, 23, 50, 0, 0, berlin), time.Date(2026, 3, 29, 0, 10, 0, 0, berlin), 1},
		{"23 hours after midnight on the short day is still that day", time.Date(2026, 3, 29, 0, 0, 0, 0, berlin), time.Date(2026, 3, 29, 0, 0, 0, 0, berlin).Add(23*time.Hour - time.Minute), 0},
		// Fall back: 25 October 2026 has 25 hours.
		{"24 hours after midnight on the long day is still that day", time.Date(2026, 10, 25, 0, 0, 0, 0, berlin), time.Date(2026, 10, 25, 0, 0, 0, 0, berlin).Add(24*time.Hour + 30*time.Minute), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DayOf(tt.second, berlin) - DayOf(tt.first, berlin); got != tt.wantDelta {
				t.Errorf("day delta = %d, want %d", got, tt.wantDelta)
			}
		})
	}
	// A streak of one study a day at 23:30 local survives both changes.
	var s Streak
	for d := time.Date(2026, 3, 20, 23, 30, 0, 0, berlin); d.Before(time.Date(2026, 11, 1, 0, 0, 0, 0, berlin)); d = d.AddDate(0, 0, 1) {
		s, _ = s.Record(DayOf(d, berlin))
	}
	if s.Previous != 0 || s.Current != 226 {
		t.Errorf("daily study across two DST changes: current %d previous %d, want 226 and 0", s.Current, s.Previous)
	}
}

func TestADayStartsAtItsFirstInstantEvenWhenDSTSkipsMidnight(t *testing.T) {
	tests := []struct {
		zone string
		day  string // a date whose midnight the zone skips, or an ordinary one
		want string // the day's first instant, local
	}{
		{"Europe/Berlin", "2026-03-29", "2026-03-29 00:00 +0100"},    // springs forward at 02:00
		{"America/Santiago", "2026-09-06", "2026-09-06 01:00 -0300"}, // springs forward at 00:00
		{"America/Havana", "2026-03-08", "2026-03-08 01:00 -0400"},   // springs forward at 00:00
		{"America/New_York", "2026-11-01", "2026-11-01 00:00 -0400"}, // falls back at 02:00
		{"America/Santiago", "2026-04-05", "2026-04-05 00:00 -0400"}, // falls back at 24:00: the day before has 25 hours
	}
	for _, tt := range tests {
		t.Run(tt.zone+" "+tt.day, func(t *testing.T) {
			loc := mustZone(t, tt.zone)
			date, err := time.ParseInLocation("2006-01-02", tt.day, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			d := DayOf(date, time.UTC)
			start := d.Time(loc)
			if DayOf(start, loc) != d {
				t.Fatalf("%s begins at %s, which is not on that day", tt.day, start)
			}
			if DayOf(start.Add(-time.Nanosecond), loc) != d-1 {
				t.Errorf("the instant before %s is not on the day before", start)
			}
			if got := start.Format("2006-01-02 15:04 -0700"); got != tt.want {
				t.Errorf("start = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCalendarMarksStudiedFrozenMissedAndPending(t *testing.T) {
	const d0 Day = 20000
	s, _ := studyOn(append(consecutive(d0, 7), d0+8)...) // d0+7 covered by a freeze
	marks := s.Calendar(d0+10, 12)
	want := []DayMark{DayBefore, DayStudied, DayStudied, DayStudied, DayStudied, DayStudied, DayStudied, DayStudied,
		DayFrozen, DayStudied, DayMissed, DayPending}
	for i := range want {
		if marks[i] != want[i] {
			t.Fatalf("calendar = %v, want %v", marks, want)
		}
	}
}

func TestCalendarForgetsDaysBeyondTheHistory(t *testing.T) {
	const d0 Day = 20000
	s, _ := studyOn(d0, d0+189, d0+190)
	marks := s.Calendar(d0+190, 191)
	if marks[0] != DayMissed || marks[1] != DayMissed || marks[189] != DayStudied || marks[190] != DayStudied {
		t.Errorf("day %s is still remembered 190 days later, or a recent one is not: %v %v", d0, marks[0], marks[189:])
	}
	if len(s.Days) > historyDays {
		t.Errorf("history keeps %d days, want at most %d", len(s.Days), historyDays)
	}
}

func TestTheHistoryCoversTheHeatmapsTwentySixWeeks(t *testing.T) {
	const d0 Day = 20000
	days := []Day{d0}
	for d := d0 + 1; d <= d0+188; d += 3 {
		days = append(days, d)
	}
	s, _ := studyOn(days...)
	marks := s.Calendar(d0+188, 189)
	for i, d := range consecutive(d0, 189) {
		want := DayMissed
		switch {
		case d == d0+188:
			want = DayPending
		case (d-d0)%3 == 1 || d == d0:
			want = DayStudied
		}
		if marks[i] != want {
			t.Fatalf("day %s (%d days back) = %v, want %v", d, 188-i, marks[i], want)
		}
	}
}

func TestALevelSaysHowMuchWasDoneThatDay(t *testing.T) {
	const d0 Day = 20000
	noon := d0.Time(time.UTC).Add(12 * time.Hour)
	day := func(n int) time.Time { return noon.Add(time.Duration(n) * 24 * time.Hour) }
	var s Streak
	for _, st := range []struct {
		at   time.Time
		what Activity
	}{
		{day(0), ActivityCheckin},
		{day(1), ActivityLesson}, {day(1).Add(time.Hour), ActivityCheckin},
		{day(2), ActivityAnswer}, {day(2).Add(time.Hour), ActivityAnswer},
		{day(3), ActivityCheckin}, {day(3).Add(time.Hour), ActivityLesson}, {day(3).Add(2 * time.Hour), ActivityAnswer},
	} {
		s, _ = s.Study(st.at, time.UTC, st.what)
	}
	want := []Level{LevelCheckin, LevelLessons, LevelLessons, LevelLessonsReviews, LevelNone}
	for i, w := range want {
		if got := s.Level(d0 + Day(i)); got != w {
			t.Errorf("day %d: level %d, want %d", i, got, w)
		}
	}
	if s.Current != 4 {
		t.Errorf("streak %d after 4 days, want 4: what was done must not change what counts", s.Current)
	}
}

func TestWhatWasDoneNeverMakesADayCount(t *testing.T) {
	const d0 Day = 20000
	s, _ := studyOn(d0, d0+2)
	for _, d := range []Day{d0 + 1, d0 + 3, d0 - 1} {
		if got := s.Did(d, ActivityLesson); got.Level(d) != LevelNone || got.Days != s.Days {
			t.Errorf("Did on day %s not studied changed the history: %q, was %q", d, got.Days, s.Days)
		}
	}
}

// A record written before Days has 64-day masks; its days stay studied and frozen as they
// were, as check-ins, and the next study carries them into Days.
func TestAHistoryFromBeforeLevelsIsKept(t *testing.T) {
	const d0 Day = 20000
	legacy := Streak{Current: 9, Longest: 9, Last: d0, First: d0 - 9, Studied: 0b1111111011, Frozen: 0b100}
	wantMarks := func(s Streak, today Day) {
		t.Helper()
		marks := s.Calendar(today, 11)
		want := []DayMark{DayBefore, DayStudied, DayStudied, DayStudied, DayStudied, DayStudied, DayStudied, DayStudied,
			DayFrozen, DayStudied, DayStudied}
		if today > d0 {
			want = append(want[1:], DayStudied)
		}
		for i := range want {
			if marks[i] != want[i] {
				t.Fatalf("calendar = %v, want %v", marks, want)
			}
		}
	}
	wantMarks(legacy, d0)
	if legacy.Level(d0) != LevelCheckin || legacy.Level(d0-2) != LevelNone {
		t.Errorf("levels %d and %d, want a check-in and a freeze", legacy.Level(d0), legacy.Level(d0-1))
	}
	s, res := legacy.Study((d0 + 1).Time(time.UTC).Add(time.Hour), time.UTC, ActivityLesson)
	if !res.Counted || s.Current != 10 || s.Longest != 10 {
		t.Fatalf("after the migration: %+v %+v, want day 10 counted", s, res)
	}
	wantMarks(s, d0+1)
	if s.Studied != 0 || s.Frozen != 0 || s.Level(d0+1) != LevelLessons {
		t.Errorf("masks %b %b, level %d: want the history moved into Days with today's lesson", s.Studied, s.Frozen, s.Level(d0+1))
	}
}

func TestANewDayCountsOnlyOnceTheLastCountedDayHasEndedWhereItWasCounted(t *testing.T) {
	utc, kiritimati, pagoPago := time.UTC, mustZone(t, "Pacific/Kiritimati"), mustZone(t, "Pacific/Pago_Pago")
	berlin := mustZone(t, "Europe/Berlin")
	noon := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC) // Tuesday
	type study struct {
		at      time.Time
		loc     *time.Location
		counted bool
	}
	tests := []struct {
		name        string
		studies     []study
		wantCurrent int
		legacy      int // before study number legacy (1-based), the end is dropped, as in a record from before the rule
	}{
		{"east across the date line in the same minute", []study{
			{noon, utc, true}, {noon, kiritimati, false}}, 1, 0},
		{"east, once the day counted has ended in UTC", []study{
			{noon, utc, true}, {noon.Add(12*time.Hour - time.Second), kiritimati, false}, {noon.Add(12 * time.Hour), kiritimati, true}}, 2, 0},
		{"west across the date line, then back", []study{
			{noon, kiritimati, true}, {noon, pagoPago, false}, {noon.Add(21 * time.Hour), pagoPago, false},
			{noon.Add(22 * time.Hour), kiritimati, true}}, 2, 0},
		{"the same zone, day after day", []study{
			{noon, berlin, true}, {noon.Add(24 * time.Hour), berlin, true}, {noon.Add(48 * time.Hour), berlin, true}}, 3, 0},
		// 29 March 2026 has 23 hours in Berlin: it ends at 22:00 UTC, not 23:00.
		{"a short DST day ends at its own midnight", []study{
			{time.Date(2026, 3, 29, 21, 59, 0, 0, time.UTC), berlin, true}, {time.Date(2026, 3, 29, 22, 0, 0, 0, time.UTC), berlin, true}}, 2, 0},
		// Records from before the rule have no end stored: they count by date, as they did.
		{"a record without an end counts by date", []study{
			{noon, utc, true}, {noon.Add(time.Minute), kiritimati, true}}, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Streak
			for i, st := range tt.studies {
				var res StudyResult
				if i+1 == tt.legacy {
					s.Ends = time.Time{}
				}
				s, res = s.Study(st.at, st.loc, ActivityCheckin)
				if res.Counted != st.counted {
					t.Fatalf("study %d at %s in %s: counted %v, want %v", i+1, st.at.UTC().Format(time.RFC3339), st.loc, res.Counted, st.counted)
				}
			}
			if s.Current != tt.wantCurrent {
				t.Errorf("streak %d, want %d", s.Current, tt.wantCurrent)
			}
		})
	}
}

func TestTodayEndsWhenTheNextDayCanCount(t *testing.T) {
	noon := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	kiritimati := mustZone(t, "Pacific/Kiritimati")
	s, _ := Streak{}.Study(noon, time.UTC, ActivityCheckin)
	tests := []struct {
		name string
		loc  *time.Location
		want string
	}{
		{"in the zone it was counted in: its midnight", time.UTC, "2026-11-25T00:00:00Z"},
		{"east, where a new date has begun: still midnight UTC", kiritimati, "2026-11-25T00:00:00Z"},
		{"west, where the date is behind: midnight there after the day counted", mustZone(t, "America/Los_Angeles"), "2026-11-25T08:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.TodayEnds(noon, tt.loc).UTC().Format(time.RFC3339); got != tt.want {
				t.Errorf("TodayEnds = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestStreakPhraseTakesTheRightArticle(t *testing.T) {
	for n, want := range map[int]string{1: "a 1-day streak", 2: "a 2-day streak", 8: "an 8-day streak", 11: "an 11-day streak",
		18: "an 18-day streak", 80: "an 80-day streak", 100: "a 100-day streak", 110: "a 110-day streak", 180: "a 180-day streak",
		800: "an 800-day streak", 1100: "a 1100-day streak", 11000: "an 11000-day streak"} {
		if got := streakOf(n); got != want {
			t.Errorf("streakOf(%d) = %q, want %q", n, got, want)
		}
	}
}
