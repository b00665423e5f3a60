package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The weekly recap and summary, as users see them:
//   - Every channel with a daily lesson gets a recap on Mondays at the lesson's time (on by
//     default; `/roadmap nudge recap off|on` for admins): how many learners studied last week
//     (Monday to Sunday, by date) and on how many days in all, the lessons they marked done,
//     the top 5 current streaks, the streak milestones reached, the topic the channel's
//     daily post is on, and the question answered wrong most often in the channel last week,
//     with its explanation. Names are display names in plain text, never mentions.
//   - It goes out once per channel-week, claimed and caught up as the daily post is: one
//     missed by downtime still goes out within the catch-up window, never twice.
//   - A learner with a reminder gets, on Mondays, their reminder whether or not they studied
//     yet, carrying their last week: days studied, lessons done, questions answered, streak,
//     and what is next. It is the reminder's own post, so it comes once per learner-week
//     and follows the reminder's rules.
//   - A wrong answer (the first of the day to a question) given in a channel with a daily
//     lesson counts against the question in that channel: last week's counts feed the
//     recap, and once the channel has walked the whole path, its daily review question is
//     the one it got wrong most often since it was last posted.

// Pulse is what the recap needs of one learner, a few dozen bytes the store keeps beside the
// learner's record and rewrites in the same transaction (Pulse.Next), so a recap for a large
// community reads them instead of decoding every record.
type Pulse struct {
	V      int    `json:"v"`           // 1 once written: lessons done before that are not counted as new
	Name   string `json:"n,omitempty"` // display name, as on the record
	Streak int    `json:"s,omitempty"` // Streak.Current as stored
	Last   Day    `json:"l,omitempty"` // Streak.Last
	Days   string `json:"d,omitempty"` // the first pulseDays bytes of Streak.Days
	Done   int    `json:"x,omitempty"` // lessons done in the record
	// Lessons counts the lessons marked done in the week starting on Monday Week (the
	// learner's dates); PrevLessons in the week before it.
	Week        Day `json:"w,omitempty"`
	Lessons     int `json:"wl,omitempty"`
	PrevLessons int `json:"pl,omitempty"`
	// Milestone is the last streak milestone reached, on day MilestoneOn.
	Milestone   int `json:"m,omitempty"`
	MilestoneOn Day `json:"mo,omitempty"`
}

// MarshalText writes the pulse compactly, "1 7 20781 3333 20 20776 2 1 7 20781 Ada": the
// numbers and history space-separated, the name last (it may hold spaces). A store reads
// every learner's for a recap, so it is cheap to read, unlike JSON.
func (p Pulse) MarshalText() ([]byte, error) {
	b := make([]byte, 0, 48+len(p.Days)+len(p.Name))
	for _, n := range []int{p.V, p.Streak, int(p.Last)} {
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, ' ')
	}
	b = append(b, cmp.Or(p.Days, "-")...)
	for _, n := range []int{p.Done, int(p.Week), p.Lessons, p.PrevLessons, p.Milestone, int(p.MilestoneOn)} {
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(n), 10)
	}
	b = append(b, ' ')
	return append(b, p.Name...), nil
}

// UnmarshalText reads what MarshalText wrote.
func (p *Pulse) UnmarshalText(b []byte) error {
	s := string(b)
	var f [10]string
	for i := range f {
		var ok bool
		if f[i], s, ok = strings.Cut(s, " "); !ok {
			return fmt.Errorf("pulse %q: too few fields", clip(string(b), 40))
		}
	}
	var n [9]int
	for i, j := range []int{0, 1, 2, 4, 5, 6, 7, 8, 9} {
		v, err := strconv.Atoi(f[j])
		if err != nil {
			return fmt.Errorf("pulse %q: %w", clip(string(b), 40), err)
		}
		n[i] = v
	}
	days := f[3]
	if days == "-" {
		days = ""
	}
	*p = Pulse{V: n[0], Streak: n[1], Last: Day(n[2]), Days: days, Done: n[3], Week: Day(n[4]), Lessons: n[5],
		PrevLessons: n[6], Milestone: n[7], MilestoneOn: Day(n[8]), Name: s}
	return nil
}

// pulseDays is how much of the streak history a Pulse keeps: a whole week before a Monday,
// wherever in this week the learner's last study is.
const pulseDays = 15

// PulseStore is a Store that keeps a Pulse per learner, updated with every learner write.
// Without one, the recap reads every record and cannot count lessons per week.
type PulseStore interface {
	// Pulses calls fn for every learner of the community that has a record.
	Pulses(ctx context.Context, c Community, fn func(userID string, p Pulse) error) error
	// Pulse is the learner's pulse, zero when none was written.
	Pulse(ctx context.Context, c Community, userID string) (Pulse, error)
}

// Next is p after the learner's record became l; changed is false when it stays as it was,
// so a store writes nothing more. A lesson newly done counts in the week of the learner's
// last study day, which marking it done has just made today.
func (p Pulse) Next(l *Learner) (next Pulse, changed bool) {
	q := p
	q.V, q.Name, q.Streak, q.Last = 1, l.Name, l.Streak.Current, l.Streak.Last
	// A record written before Streak.Days keeps its history in the old masks until its next study.
	h := l.Streak.history()
	q.Days = h[:min(len(h), pulseDays)]
	q.Done = 0
	for _, s := range l.Lessons {
		if s == StateDone {
			q.Done++
		}
	}
	// A first pulse counts the lessons done as new only for a learner whose study began today
	// (new here); one written for an older record takes its lessons as the starting point.
	if (p.V != 0 || q.Last != 0 && l.Streak.First == q.Last) && q.Done > p.Done && q.Last != 0 {
		if week := mondayOf(q.Last); week != q.Week {
			q.PrevLessons = 0
			if week == q.Week+7 {
				q.PrevLessons = q.Lessons
			}
			q.Week, q.Lessons = week, 0
		}
		q.Lessons += q.Done - p.Done
	}
	if p.V != 0 && q.Streak != p.Streak && slices.Contains(Milestones, q.Streak) {
		q.Milestone, q.MilestoneOn = q.Streak, q.Last
	}
	return q, q != p
}

// lessonsIn is how many lessons the learner marked done in the week starting on Monday mon.
func (p *Pulse) lessonsIn(mon Day) int {
	switch p.Week {
	case mon:
		return p.Lessons
	case mon + 7:
		return p.PrevLessons
	}
	return 0
}

// daysIn is how many days from `from` to `to` (inclusive) the learner studied.
func (p *Pulse) daysIn(from, to Day) int {
	n := 0
	for i := range len(p.Days) {
		if d := p.Last - Day(i); d >= from && d <= to && p.Days[i] >= '0' && p.Days[i] <= '9' {
			n++
		}
	}
	return n
}

// Misses counts wrong answers given in a channel with a daily lesson, kept on its nudge
// record: one small write more per wrong answer there.
type Misses struct {
	Week Day            `json:"week"`           // the Monday (channel's zone) of the week This counts
	This map[string]int `json:"this,omitempty"` // question ID -> wrong answers that week
	Prev map[string]int `json:"prev,omitempty"` // the week before Week
	// Open counts each question's wrong answers since the channel's review post last asked
	// it, so the review after the path comes back to the weakest spot first.
	Open map[string]int `json:"open,omitempty"`
}

// add counts a wrong answer to question id in the week starting on Monday week.
func (m *Misses) add(id string, week Day) {
	if week > m.Week {
		prev := map[string]int(nil)
		if week == m.Week+7 {
			prev = m.This
		}
		m.Week, m.This, m.Prev = week, nil, prev
	}
	if m.This == nil {
		m.This = map[string]int{}
	}
	if m.Open == nil {
		m.Open = map[string]int{}
	}
	if week == m.Week {
		m.This[id]++
	}
	m.Open[id]++
}

// weekOf is the counts of the week starting on Monday mon.
func (m *Misses) weekOf(mon Day) map[string]int {
	switch {
	case m == nil:
		return nil
	case m.Week == mon:
		return m.This
	case m.Week == mon+7:
		return m.Prev
	}
	return nil
}

// revisited clears the question's open count: the channel's review post has asked it.
func (m *Misses) revisited(id string) {
	if m != nil && id != "" {
		delete(m.Open, id)
	}
}

// reviewAge is how many posts ago a lesson must have been a channel's lesson of the day to
// come back as its review question.
const reviewAge = 7

// weakSpot is the question a channel's next post asks when that post is past the path: the
// one the channel got wrong most often since it was last asked, among the lessons posted at
// least reviewAge posts ago (ties: roadmap order). "" while the walk lasts or when none was
// got wrong: the post asks the next question of its rotation.
func (b *Bot) weakSpot(sch *Schedule) string {
	if sch.Cursor < len(b.roadmap.lessons) || sch.Misses == nil {
		return ""
	}
	best, bestN, bestAt := "", 0, 0
	for id, n := range sch.Misses.Open {
		q, ok := b.roadmap.Question(id)
		if !ok || n <= 0 {
			continue
		}
		at := slices.Index(b.roadmap.lessons, q.lesson)
		if at < 0 || sch.Cursor-at < reviewAge {
			continue
		}
		if n > bestN || n == bestN && (at < bestAt || at == bestAt && id < best) {
			best, bestN, bestAt = id, n, at
		}
	}
	return best
}

// countMiss counts a wrong answer to question id given in channel, when the channel has a
// daily lesson running; anywhere else it costs one read.
func (b *Bot) countMiss(ctx context.Context, c Community, channel, id string) {
	if channel == "" || b.schedules == nil {
		return
	}
	key := NudgeKey(Channel{Community: c, ID: channel})
	if key.Validate() != nil {
		return
	}
	ctx = context.WithoutCancel(ctx) // the answer is saved: its count should be too
	if sch, err := b.schedules.Schedule(ctx, key); err != nil || sch.Version == 0 || sch.Disabled != "" {
		if err != nil {
			b.log.Warn("could not count a wrong answer for the channel", "schedule", key.String(), "err", err)
		}
		return
	}
	now := b.clock.Now()
	err := b.schedules.UpdateSchedule(ctx, key, func(sch *Schedule) error {
		if sch.Version == 0 || sch.Disabled != "" {
			return errUnchanged
		}
		loc, err := LoadZone(sch.Zone)
		if err != nil {
			loc = time.UTC
		}
		if sch.Misses == nil {
			sch.Misses = &Misses{}
		}
		sch.Misses.add(id, mondayOf(DayOf(now, loc)))
		return nil
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		b.log.Warn("could not count a wrong answer for the channel", "schedule", key.String(), "err", err)
	}
}

// recapNames is how many learners' names a line of the recap lists before "and N more".
const recapNames = 10

// Recap is the channel's recap posted on Monday mon, of the week before it, with the top
// streaks as they stand at the instant at.
func (b *Bot) Recap(ctx context.Context, ch Channel, mon Day, at time.Time) (Response, error) {
	nudge, err := b.schedules.Schedule(ctx, NudgeKey(ch))
	if err != nil {
		return Response{}, fmt.Errorf("recap: %w", err)
	}
	s, err := b.recapStats(ctx, ch.Community, mon, at)
	if err != nil {
		return Response{}, err
	}
	from, to := mon-7, mon-1
	r := Response{
		Title:  fmt.Sprintf("📊 Weekly recap · %s to %s", dayName(from), dayName(to)),
		Tone:   ToneInfo,
		Footer: "Weekly recap · admins: /roadmap nudge recap off stops it",
	}
	if s.learners == 0 {
		r.Text = "Nobody studied last week. A new week starts today: /roadmap next, or answer today's quiz."
	} else {
		r.Text = fmt.Sprintf("%s studied last week, on %s in all, and marked %s done.",
			plural(s.learners, "learner"), plural(s.days, "day"), plural(s.lessons, "lesson"))
	}
	if len(s.top) > 0 {
		lines := make([]string, len(s.top))
		for i, e := range s.top {
			lines[i] = fmt.Sprintf("%d. %s — %s", i+1, e.name, plural(e.current, "day"))
		}
		r.Fields = append(r.Fields, Field{Name: "Top streaks", Value: strings.Join(lines, "\n")})
	}
	if len(s.milestones) > 0 {
		r.Fields = append(r.Fields, Field{Name: "Milestones reached", Value: nameList(s.milestones)})
	}
	topic := "the whole path is behind this channel: every day brings a review question"
	if n := len(b.roadmap.lessons); nudge.Cursor < n {
		x := b.roadmap.lessons[nudge.Cursor]
		topic = fmt.Sprintf("%s (next lesson %d of %d: %s)", x.topic.Title, nudge.Cursor+1, n, x.Title)
		if x.Title == x.topic.Title {
			topic = fmt.Sprintf("%s (next lesson %d of %d)", x.topic.Title, nudge.Cursor+1, n)
		}
	}
	r.Fields = append(r.Fields, Field{Name: "Where this channel is", Value: capitalize(topic)})
	if q, n := b.mostMissed(nudge.Misses.weekOf(from)); q != nil {
		r.Fields = append(r.Fields, Field{Name: fmt.Sprintf("Missed most often (%s)", plural(n, "wrong answer")),
			Value: fmt.Sprintf("%s\nAnswer: %s\n%s", strings.TrimSpace(q.Text), q.Choices[q.Answer], strings.TrimSpace(q.Explain))})
		r.Buttons = append(r.Buttons, Button{Label: "Try one like it", Command: "quiz " + q.lesson.Slug, Style: StylePrimary})
	}
	r.Buttons = append(r.Buttons, Button{Label: "Leaderboard", Command: "leaderboard"}, Button{Label: "Next lesson", Command: "next"})
	return r, nil
}

// nameList is "Ada (30 days), Linus (7 days)", at most recapNames names.
func nameList(names []string) string {
	if len(names) <= recapNames {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:recapNames], ", ") + fmt.Sprintf(" and %d more", len(names)-recapNames)
}

// mostMissed is the question with the most wrong answers in counts (ties: by ID), and how many.
func (b *Bot) mostMissed(counts map[string]int) (*Question, int) {
	var best *Question
	n := 0
	for id, c := range counts {
		q, ok := b.roadmap.Question(id)
		if ok && (c > n || c == n && best != nil && id < best.ID) {
			best, n = q, c
		}
	}
	return best, n
}

// recapStats is what a recap counts.
type recapStats struct {
	learners, days, lessons int
	top                     []recapEntry
	milestones              []string
}

type recapEntry struct {
	name, user string
	current    int
}

// displayName is how a recap names a learner: their display name, as plain text.
func displayName(name, user string) string {
	if name = strings.TrimSpace(oneLineText(name)); name != "" {
		return clip(name, 40)
	}
	return "learner " + clip(user, 12)
}

func oneLineText(s string) string { return strings.Join(strings.Fields(s), " ") }

// recapTop is how many streaks a recap shows.
const recapTop = 5

// recapStats counts the week from mon-7 to mon-1 and reads the current top streaks as of at.
func (b *Bot) recapStats(ctx context.Context, c Community, mon Day, at time.Time) (recapStats, error) {
	var s recapStats
	from, to := mon-7, mon-1
	type milestone struct {
		name string
		n    int
	}
	var ms []milestone
	visit := func(user string, p Pulse) error {
		if d := p.daysIn(from, to); d > 0 {
			s.learners++
			s.days += d
		}
		s.lessons += p.lessonsIn(from)
		if p.Milestone > 0 && p.MilestoneOn >= from && p.MilestoneOn <= to {
			ms = append(ms, milestone{displayName(p.Name, user), p.Milestone})
		}
		return nil
	}
	var err error
	if ps, ok := b.store.(PulseStore); ok {
		err = ps.Pulses(ctx, c, visit)
	} else {
		err = b.store.Learners(ctx, c, func(l Learner) error {
			p, _ := Pulse{}.Next(&l)
			return visit(l.UserID, p)
		})
	}
	if err != nil {
		return s, fmt.Errorf("recap of %s: %w", c.Key(), err)
	}
	slices.SortFunc(ms, func(a, b milestone) int { return cmp.Or(cmp.Compare(b.n, a.n), strings.Compare(a.name, b.name)) })
	for _, m := range ms {
		s.milestones = append(s.milestones, fmt.Sprintf("%s (%d days)", m.name, m.n))
	}
	community := b.communityZone(ctx, c)
	err = b.store.LearnersByStreak(ctx, c, func(l Learner) (bool, error) {
		v := l.Streak.View(l.Streak.Today(at, learnerZone(&l, "", community)))
		if len(s.top) >= recapTop && v.Current < s.top[recapTop-1].current {
			return false, nil
		}
		if v.Current > 0 {
			s.top = append(s.top, recapEntry{displayName(l.Name, l.UserID), l.UserID, v.Current})
			slices.SortStableFunc(s.top, func(a, b recapEntry) int {
				return cmp.Or(cmp.Compare(b.current, a.current), strings.Compare(a.name, b.name), strings.Compare(a.user, b.user))
			})
		}
		return true, nil
	})
	if err != nil {
		return s, fmt.Errorf("recap of %s: %w", c.Key(), err)
	}
	s.top = s.top[:min(len(s.top), recapTop)]
	return s, nil
}

// weeklySummary is the part of a learner's Monday reminder about the week before date (a
// Monday, the learner's date): days studied, lessons done, questions answered, the streak,
// and what is next.
func (b *Bot) weeklySummary(ctx context.Context, c Community, l *Learner, date Day) Field {
	from, to := date-7, date-1
	p, _ := Pulse{}.Next(l)
	if ps, ok := b.store.(PulseStore); ok {
		if stored, err := ps.Pulse(ctx, c, l.UserID); err == nil && stored.V != 0 {
			p = stored
		}
	}
	days := p.daysIn(from, to)
	answered := l.Cards.answeredIn(from, to)
	var sb strings.Builder
	if days == 0 {
		sb.WriteString("You did not study last week.")
	} else {
		fmt.Fprintf(&sb, "You studied on %s of 7", plural(days, "day"))
		if n := p.lessonsIn(from); n > 0 {
			fmt.Fprintf(&sb, ", marked %s done", plural(n, "lesson"))
		}
		if answered > 0 {
			fmt.Fprintf(&sb, ", answered %s", plural(answered, "quiz or review question"))
		}
		sb.WriteString(".")
	}
	if v := l.Streak.View(date); v.Current > 0 {
		fmt.Fprintf(&sb, " Streak: %s (longest %d).", plural(v.Current, "day"), l.Streak.Longest)
	}
	if x := l.Next(b.roadmap); x != nil && x.Title == x.topic.Title {
		fmt.Fprintf(&sb, "\nNext up: %s.", x.Title)
	} else if x != nil {
		fmt.Fprintf(&sb, "\nNext up: %s (%s).", x.Title, x.topic.Title)
	} else {
		sb.WriteString("\nEvery lesson is behind you: /roadmap review keeps them fresh.")
	}
	return Field{Name: "Your last week", Value: sb.String()}
}

// answeredIn is how many reviews (quiz and review answers) were graded from `from` to `to`.
func (c *Cards) answeredIn(from, to Day) int {
	c.parse()
	n := 0
	for _, t := range c.tally {
		if t.day >= from && t.day <= to {
			n += t.total
		}
	}
	return n
}
