package bot

import (
	"slices"
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
	historyDays = 64 // bits in the history masks
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
	// Recent history as bit masks counted back from Last: bit i stands for day Last-i. A mask
	// keeps a record small (the whole record is rewritten on every study), and 64 days cover
	// the 4-week calendar with room to spare.
	Studied uint64 `json:"studied,omitempty"`
	Frozen  uint64 `json:"frozen,omitempty"` // days covered by a freeze
}

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
	shift := uint64(day - s.Last) // Go defines shifts of 64 and more: they empty the mask
	if s.Last == 0 {
		shift = historyDays
	}
	s.Studied = s.Studied<<shift | 1
	s.Frozen <<= shift
	if res.FreezesSpent > 0 {
		s.Frozen |= (uint64(1)<<res.FreezesSpent - 1) << 1 // the missed days just before today
	}
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
// when the day counted ends in loc.
func (s Streak) Study(now time.Time, loc *time.Location) (Streak, StudyResult) {
	day := s.Today(now, loc)
	s, res := s.Record(day)
	if res.Counted {
		s.Ends = (day + 1).Time(loc).UTC()
	}
	return s, res
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
	for i := range marks {
		d := today - Day(n-1-i)
		switch back := s.Last - d; {
		case s.Last != 0 && back >= 0 && back < historyDays && s.Studied&(1<<back) != 0:
			marks[i] = DayStudied
		case s.Last != 0 && back >= 0 && back < historyDays && s.Frozen&(1<<back) != 0:
			marks[i] = DayFrozen
		case d == today:
			marks[i] = DayPending
		case s.Last == 0 || d < s.First:
			marks[i] = DayBefore
		}
	}
	return marks
}
