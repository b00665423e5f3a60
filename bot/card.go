package bot

import (
	"fmt"
	"time"
)

// The streak and progress cards are pictures of a learner's record. The core says what they
// show, as plain data; a CardRenderer (adapters/card) draws them, so the core stays free of
// image and font packages.

// CardRenderer draws the cards as PNG images.
type CardRenderer interface {
	StreakCard(StreakCard) ([]byte, error)
	ProgressCard(ProgressCard) ([]byte, error)
}

// HeatmapWeeks is how many whole weeks the streak card shows before the current one.
const HeatmapWeeks = 26

// StreakCard is a contribution-style heatmap of a learner's study days, in their time zone,
// with their streak beside it.
type StreakCard struct {
	Name  string // the learner's display name
	Zone  string // the zone the days follow, e.g. "Europe/Berlin"
	Today Day
	// Cells run from the Monday HeatmapWeeks weeks before today's week through today, oldest
	// first: whole weeks Monday to Sunday, then the current week up to today.
	Cells         []HeatCell
	Current       int  // the streak as it counts today: 0 once broken
	Pending       bool // the streak is alive and today is not studied yet
	Longest       int
	Previous      int // the streak that broke last (the one broken now, when it just broke)
	Freezes       int // freezes held
	NextMilestone int // the next of Milestones above Current; 0 past the last
}

// HeatCell is one day of the heatmap.
type HeatCell struct {
	Date        Day
	Level       Level // how much was studied; LevelNone for a day missed, frozen or to come
	Freeze      bool  // covered by a freeze
	Pending     bool  // today, not studied yet
	BeforeStart bool  // before the first study day: nothing to miss yet
}

// Weekday is the day of the week of d.
func (d Day) Weekday() time.Weekday {
	return time.Weekday(((int(d)+4)%7 + 7) % 7) // 1970-01-01 was a Thursday
}

// mondayOf is the Monday of d's week.
func mondayOf(d Day) Day { return d - Day((int(d.Weekday())+6)%7) }

// StreakCardOf describes l's streak card on day today of zone loc; name is how the platform
// shows the learner (the record's name when empty).
func StreakCardOf(l *Learner, name string, today Day, loc *time.Location) StreakCard {
	s := l.Streak
	v := s.View(today)
	c := StreakCard{
		Name:     cardName(l, name),
		Zone:     loc.String(),
		Today:    today,
		Current:  v.Current,
		Pending:  v.Pending,
		Longest:  s.Longest,
		Previous: s.Previous,
		Freezes:  v.FreezesHeld,
	}
	if v.Broken {
		c.Previous = s.Current
	}
	for _, m := range Milestones {
		if m > c.Current {
			c.NextMilestone = m
			break
		}
	}
	first := mondayOf(today) - HeatmapWeeks*7
	h := s.history()
	c.Cells = make([]HeatCell, 0, int(today-first)+1)
	for d := first; d <= today; d++ {
		m := s.markOf(h, d)
		cell := HeatCell{Date: d, Level: levelOf(m), Freeze: m == markFrozen}
		switch {
		case cell.Level != LevelNone || cell.Freeze:
		case d == today:
			cell.Pending = true
		case s.Last == 0 || d < s.First:
			cell.BeforeStart = true
		}
		c.Cells = append(c.Cells, cell)
	}
	return c
}

// ProgressCard is a learner's progress through the roadmap.
type ProgressCard struct {
	Name   string
	Topics []TopicProgress // in roadmap order
	// Done lessons, Finished (done or skipped) and Total in the roadmap; Percent is the share
	// finished, as /roadmap progress counts it.
	Done, Finished, Total int
	Percent               int
	Minutes               int // study time of the lessons done
	TotalMinutes          int // of the whole roadmap
	QuizAccuracy          int // percent of first quiz answers right; -1 before any answer
	ReviewRetention       int // percent of the last 30 days' reviews remembered; -1 before any
	NextLesson            string
	NextTopic             string // the next lesson's topic; both "" once the roadmap is behind
}

// TopicProgress is one topic's bar.
type TopicProgress struct {
	Title   string
	Done    int
	Skipped int
	Total   int
}

// ProgressCardOf describes l's progress card on day today; name is how the platform shows
// the learner (the record's name when empty).
func (r *Roadmap) ProgressCardOf(l *Learner, name string, today Day) ProgressCard {
	c := ProgressCard{Name: cardName(l, name), Total: len(r.lessons), Minutes: l.StudiedMinutes(r),
		TotalMinutes: r.minutes, QuizAccuracy: -1, ReviewRetention: -1}
	for i := range r.Topics {
		t := &r.Topics[i]
		done, finishedCount := l.Counts(Target{Topic: t}.Lessons())
		c.Topics = append(c.Topics, TopicProgress{Title: t.Title, Done: done, Skipped: finishedCount - done, Total: len(t.Lessons)})
		c.Done += done
		c.Finished += finishedCount
	}
	c.Percent = c.Finished * 100 / max(c.Total, 1)
	if l.QuizAnswered > 0 {
		c.QuizAccuracy = l.QuizRight * 100 / l.QuizAnswered
	}
	if s := l.Cards.Stats(today); s.Reviews > 0 {
		c.ReviewRetention = s.Right * 100 / s.Reviews
	}
	if x := l.Next(r); x != nil {
		c.NextLesson, c.NextTopic = x.Title, x.topic.Title
	}
	return c
}

func cardName(l *Learner, name string) string {
	if name == "" {
		return l.Name
	}
	return name
}

// withCard attaches the card draw makes, as name, and shows it. Without a renderer, or
// when drawing fails (logged), the answer goes out without a picture: it says everything the
// card shows in words anyway.
func (b *Bot) withCard(r Response, name string, draw func(CardRenderer) ([]byte, error)) Response {
	if b.cards == nil {
		return r
	}
	png, err := draw(b.cards)
	if err != nil {
		b.log.Error("card not drawn: answering without it", "card", name, "err", fmt.Errorf("draw %s: %w", name, err))
		return r
	}
	r.Files = append(r.Files, File{Name: name, Type: "image/png", Data: png})
	r.Image = name
	return r
}
