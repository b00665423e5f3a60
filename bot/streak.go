package bot

import (
	"slices"
	"strings"
	"time"
)

// A Day is a calendar date counted as days since 1970-01-01. Which date "now" falls on
// depends on the learner's time zone; the date itself does not, which is why changing zone
// never rewrites days already recorded.
type Day int32

// DayOf is the calendar date of t in loc.
func DayOf(t time.Time, loc *time.Location) Day {
	y, m, d := t.In(loc).Date()
	return Day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Time is the first instant of the day in loc: midnight, or, where a DST change skips
// midnight (Santiago, Havana, Asunción spring forward at 00:00), the first minute that
// exists. time.Date normalises a skipped midnight to 23:00 of the day before, which would
// make "today's window" end an hour early.
func (d Day) Time(loc *time.Location) time.Time {
	u := time.Unix(int64(d)*86400, 0).UTC()
	t := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, loc)
	if DayOf(t, loc) == d {
		return t
	}
	// The day begins at the end of the gap: the zone's next transition after t.
	for step := time.Minute; DayOf(t, loc) != d && step <= 3*time.Hour; step += time.Minute {
		t = time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, loc).Add(step)
	}
	return t
}

// String is the ISO date.
func (d Day) String() string { return time.Unix(int64(d)*86400, 0).UTC().Format("2006-01-02") }

// Streak rules, as users see them:
//   - Studying on a day counts once, however many check-ins, quiz answers or topics done.
//   - A new day counts only once the day last counted has ended in the zone it was counted
//     in: hopping zones (east across the date line, say) never earns a day, and the days
//     already counted are never rewritten.
//   - Studying the day after the last study day adds one.
//   - A day not yet studied is pending; the streak is never shown broken before the day ends.
//   - Every 7th consecutive day earns a freeze, at most MaxFreezes held. Each missed day spends
//     one freeze automatically. A gap longer than the freezes held breaks the streak: it
//     restarts at 1 and the broken length is kept as Previous.
//   - Longest is the best run ever.
const (
	FreezeEvery = 7
	MaxFreezes  = 2
	// historyDays is how far back Streak.Days remembers: the 26-week heatmap and its current
	// week (at most 189 days) with a day to spare for a learner whose zone moved west.
	historyDays = 190
	legacyDays  = 64 // bits in the masks of records written before Days
)

// Milestones are the streak lengths celebrated in the answer.
var Milestones = []int{7, 30, 100, 365}

// Streak is a learner's study streak. It is a value: Record returns the next state.
type Streak struct {
	Current  int `json:"current"`
	Longest  int `json:"longest"`
	Previous int `json:"previous,omitempty"`
	Freezes  int `json:"freezes,omitempty"`
	Last     Day `json:"last,omitempty"`  // last day studied; 0 = never
	First    Day `json:"first,omitempty"` // first day ever studied, so the calendar shows no misses before it
	// Ends is when Last ended, or ends, in the zone it was counted in: until then study
	// counts for Last, whatever date the learner's zone now shows. Zero on records written
	// before the rule, which then count by date alone until their next day.
	Ends time.Time `json:"ends,omitzero"`
	// Days is the recent history, one byte a day counted back from Last: Days[i] is day
	// Last-i. '0'+a is a day studied, a being the Activity bits of what was done ('0' a
	// check-in only, '1' a lesson done, '2' questions answered, '3' both); '*' a day covered by
	// a freeze; '.' a day missed. Misses at the end are dropped, and so is anything older than
	// historyDays. One byte a day keeps the record small (it is rewritten on every study) and
	// lets a day gain what else was done after it was counted.
	Days string `json:"days,omitempty"`
	// Studied and Frozen are the history of records written before Days: bit i stands for day
	// Last-i, studied or covered by a freeze, over 64 days. They are read as check-in days
	// until the next study rewrites the history into Days and clears them.
	Studied uint64 `json:"studied,omitempty"`
	Frozen  uint64 `json:"frozen,omitempty"`
}

// Activity says what a study was; its bits add up over a day.
type Activity uint8

const (
	ActivityCheckin Activity = 0      // a check-in: study, without saying what
	ActivityLesson  Activity = 1 << 0 // a lesson marked done
	ActivityAnswer  Activity = 1 << 1 // a quiz or review question answered
)

// Level is how much was done on a day, the shade of its heatmap cell: a check-in only; one
// kind of study (a lesson marked done, or quiz or review questions answered); or both.
type Level uint8

const (
	LevelNone           Level = iota // not studied
	LevelCheckin                     // studied by checking in only
	LevelLessons                     // a lesson done, or questions answered, not both
	LevelLessonsReviews              // a lesson done and questions answered
)

const (
	markMissed = '.'
	markFrozen = '*'
	markPlain  = '0' // studied; '0'+Activity bits
)

// history is Days, or, for a record written before Days, its masks as check-in days.
func (s Streak) history() string {
	if s.Days != "" || s.Studied == 0 && s.Frozen == 0 {
		return s.Days
	}
	h := make([]byte, legacyDays)
	for i := range h {
		switch {
		case s.Studied&(1<<i) != 0:
			h[i] = markPlain
		case s.Frozen&(1<<i) != 0:
			h[i] = markFrozen
		default:
			h[i] = markMissed
		}
	}
	return strings.TrimRight(string(h), string(markMissed))
}

// markOf is day d's byte in history h (see Streak.Days).
func (s Streak) markOf(h string, d Day) byte {
	back := int(s.Last - d)
	if s.Last == 0 || back < 0 || back >= len(h) {
		return markMissed
	}
	return h[back]
}

// levelOf is how much a history byte says was done.
func levelOf(m byte) Level {
	if m < markPlain || m > markPlain+byte(ActivityLesson|ActivityAnswer) {
		return LevelNone
	}
	switch Activity(m - markPlain) {
	case ActivityCheckin:
		return LevelCheckin
	case ActivityLesson | ActivityAnswer:
		return LevelLessonsReviews
	}
	return LevelLessons
}

// Did adds what was done to day, when day is a day studied and still in the history; other
// days are left as they are (study makes a day count, Did only says what it was).
func (s Streak) Did(day Day, what Activity) Streak {
	h := s.history()
	m := s.markOf(h, day)
	if levelOf(m) == LevelNone || what == 0 {
		return s
	}
	b := []byte(h)
	b[int(s.Last-day)] = m | byte(what)
	s.Days, s.Studied, s.Frozen = string(b), 0, 0
	return s
}

// Level is how much was done on day d, as far as the history remembers.
func (s Streak) Level(d Day) Level { return levelOf(s.markOf(s.history(), d)) }

// StudyResult says what recording a study day changed, for the answer to the learner.
type StudyResult struct {
	Counted      bool // false when today had already been counted
	FreezesSpent int
	FreezeEarned bool
	Broke        int // length of the streak that broke, 0 if none
	Milestone    int // milestone reached today, 0 if none
}

// Record counts study on day. A day at or before the last study day (possible after moving
// west across time zones) was already counted and changes nothing.
func (s Streak) Record(day Day) (Streak, StudyResult) {
	var res StudyResult
	if s.Last != 0 && day <= s.Last {
		return s, res
	}
	res.Counted = true
	missed := 0
	if s.Last != 0 {
		missed = int(day - s.Last - 1)
	}
	switch {
	case s.Last == 0:
		s.Current, s.First = 1, day
	case missed == 0:
		s.Current++
	case missed <= s.Freezes:
		s.Freezes -= missed
		res.FreezesSpent = missed
		s.Current++
	default:
		res.Broke = s.Current
		s.Previous = s.Current
		s.Current = 1
		s.Freezes = 0
	}
	if s.Current%FreezeEvery == 0 && s.Freezes < MaxFreezes {
		s.Freezes++
		res.FreezeEarned = true
	}
	if slices.Contains(Milestones, s.Current) {
		res.Milestone = s.Current
	}
	s.Longest = max(s.Longest, s.Current)
	old, gap := "", 1 // gap: days from the last study to this one, as far as the history goes
	if s.Last != 0 {
		old, gap = s.history(), min(int(day-s.Last), historyDays)
	}
	h := make([]byte, gap, min(gap+len(old), historyDays))
	for i := range h {
		h[i] = markMissed
	}
	h[0] = markPlain
	for i := 1; i <= res.FreezesSpent; i++ {
		h[i] = markFrozen // the missed days just before today
	}
	if gap < historyDays {
		h = append(h, old[:min(len(old), historyDays-gap)]...)
	}
	s.Days = strings.TrimRight(string(h), string(markMissed))
	s.Studied, s.Frozen = 0, 0
	s.Last = day
	return s, res
}

// Today is the day study at now counts for when the learner's day follows loc: the date in
// loc, except that while the day last counted has not ended in the zone it was counted in, it
// is still that day. So a learner who checks in, moves their zone east across the date line
// and checks in again in the same minute has studied one day, not two.
func (s Streak) Today(now time.Time, loc *time.Location) Day {
	if s.Last != 0 && now.Before(s.Ends) {
		return s.Last
	}
	return DayOf(now, loc)
}

// TodayEnds is when the day Today names stops taking study: midnight after it in loc, or,
// when that comes first, the end of the day last counted where it was counted (the next day
// cannot count before then).
func (s Streak) TodayEnds(now time.Time, loc *time.Location) time.Time {
	end := (s.Today(now, loc) + 1).Time(loc)
	if s.Ends.After(end) {
		return s.Ends
	}
	return end
}

// Study counts study at now for a learner whose day follows loc: Record on Today, keeping
// when the day counted ends in loc, and noting what was done that day (Did).
func (s Streak) Study(now time.Time, loc *time.Location, what Activity) (Streak, StudyResult) {
	day := s.Today(now, loc)
	s, res := s.Record(day)
	if res.Counted {
		s.Ends = (day + 1).Time(loc).UTC()
	}
	return s.Did(day, what), res
}

// StreakView is the streak as it stands on a given day, without changing anything.
type StreakView struct {
	Current      int  // length that counts today (0 when broken or never started)
	Pending      bool // alive, but today not studied yet
	StudiedToday bool
	Broken       bool // the gap is already larger than the freezes held
	FreezesHeld  int  // freezes the learner holds now (the missed days have not spent them yet)
	FreezesDue   int  // of those, how many studying today would spend on the days missed
}

// View shows the streak on day today: a streak whose gap the held freezes still cover is
// alive and pending, never broken.
func (s Streak) View(today Day) StreakView {
	switch {
	case s.Last == 0:
		return StreakView{}
	case today <= s.Last:
		return StreakView{Current: s.Current, StudiedToday: true, FreezesHeld: s.Freezes}
	}
	missed := int(today - s.Last - 1)
	if missed > s.Freezes {
		return StreakView{Broken: true}
	}
	return StreakView{Current: s.Current, Pending: true, FreezesHeld: s.Freezes, FreezesDue: missed}
}

// DayMark is how one day looks in the streak calendar.
type DayMark int

const (
	DayMissed DayMark = iota
	DayStudied
	DayFrozen
	DayPending // today, not studied yet
	DayBefore  // before the learner's first study day: nothing to miss yet
)

// Calendar marks the n days ending on today, oldest first.
func (s Streak) Calendar(today Day, n int) []DayMark {
	marks := make([]DayMark, n)
	h := s.history()
	for i := range marks {
		d := today - Day(n-1-i)
		switch m := s.markOf(h, d); {
		case levelOf(m) != LevelNone:
			marks[i] = DayStudied
		case m == markFrozen:
			marks[i] = DayFrozen
		case d == today:
			marks[i] = DayPending
		case s.Last == 0 || d < s.First:
			marks[i] = DayBefore
		}
	}
	return marks
}
