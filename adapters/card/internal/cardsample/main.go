// Command cardsample draws the sample cards the README shows, from a made-up learner on the
// embedded roadmap, through the same code as the bot: go generate in adapters/card runs it,
// so the pictures never fall behind the renderer.
//
//	go run ./internal/cardsample DIR
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/studybot/studybot/adapters/card"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/data"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: cardsample DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "cardsample:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	r, err := data.Default()
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return fmt.Errorf("zone: %w", err)
	}
	// Thursday 26 November 2026, late afternoon, not studied yet.
	now := time.Date(2026, 11, 26, 17, 30, 0, 0, loc)
	l := learner(r, now, loc)
	today := l.Streak.Today(now, loc)
	var cards card.Renderer
	streak, err := cards.StreakCard(bot.StreakCardOf(l, "Ada Lovelace", today, loc))
	if err != nil {
		return err
	}
	progress, err := cards.ProgressCard(r.ProgressCardOf(l, "Ada Lovelace", today))
	if err != nil {
		return err
	}
	for name, png := range map[string][]byte{"streak-card.png": streak, "progress-card.png": progress} {
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			return fmt.Errorf("write sample: %w", err)
		}
	}
	return nil
}

// learner is someone who began in July, lost a streak in August, has studied most days
// since (two missed days covered by freezes) and has not studied yet today.
func learner(r *bot.Roadmap, now time.Time, loc *time.Location) *bot.Learner {
	l := &bot.Learner{UserID: "ada", Name: "Ada Lovelace", Lessons: bot.Progress{}}
	start := time.Date(2026, 7, 6, 19, 0, 0, 0, loc)
	skip := map[int]bool{9: true, 10: true, 11: true, 12: true, 13: true, 30: true, 61: true, 97: true, 98: true, 120: true}
	var lessons []*bot.Lesson
	for i := range r.Topics {
		for k := range r.Topics[i].Lessons {
			lessons = append(lessons, &r.Topics[i].Lessons[k])
		}
	}
	next := 0
	for n := 0; ; n++ {
		at := start.AddDate(0, 0, n)
		if !at.Before(now.Add(-12 * time.Hour)) {
			break
		}
		if skip[n] || n < 40 && n%4 == 3 {
			continue
		}
		l.Streak, _ = l.Streak.Study(at, loc, bot.ActivityCheckin)
		day := l.Streak.Today(at, loc)
		if n%3 != 2 && next < len(lessons) {
			x := lessons[next]
			next++
			if next == 12 || next == 13 {
				l.Lessons[x.Slug] = bot.StateSkipped
			} else {
				l.Lessons[x.Slug] = bot.StateDone
				l.Streak = l.Streak.Did(day, bot.ActivityLesson)
			}
		}
		if n%2 == 0 && next > 0 {
			x := lessons[next-1]
			if len(x.Questions) > 0 {
				right := n%7 != 0
				l.QuizAnswered++
				if right {
					l.QuizRight++
				}
				l.Cards.Grade(x.Questions[0].ID, bot.RatingOf(right), day, 0)
				l.Streak = l.Streak.Did(day, bot.ActivityAnswer)
			}
		}
	}
	return l
}
