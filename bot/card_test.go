package bot_test

import (
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// cardRecorder stands in for the renderer (adapters/card draws for real): it keeps what the
// core asked it to draw and answers with fixed bytes, or with err.
type cardRecorder struct {
	mu       sync.Mutex
	streak   []bot.StreakCard
	progress []bot.ProgressCard
	err      error
}

func (c *cardRecorder) StreakCard(sc bot.StreakCard) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.streak = append(c.streak, sc)
	return []byte("streak-png"), c.err
}

func (c *cardRecorder) ProgressCard(pc bot.ProgressCard) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.progress = append(c.progress, pc)
	return []byte("progress-png"), c.err
}

// newCardHarness is newHarness with cards drawn by cards (nil: none), logging into logs.
func newCardHarness(t *testing.T, cards bot.CardRenderer, logs *bottest.Buffer) *harness {
	t.Helper()
	store := bottest.NewStore()
	clock := bot.NewManualClock(start)
	b, err := bot.New(bot.Config{Roadmap: bot.TestRoadmap(t), Store: store, Clock: clock,
		Logger: slog.New(slog.NewTextHandler(logs, nil)), Intn: func(int) int { return 0 }, Cards: cards})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, bot: b, clock: clock, store: store}
}

func wantCard(t *testing.T, r bot.Response, name, data string) {
	t.Helper()
	f, ok := r.FileNamed(name)
	if !ok || r.Image != name || f.Type != "image/png" || string(f.Data) != data {
		t.Fatalf("answer carries files %+v showing %q, want %s (image/png) shown", r.Files, r.Image, name)
	}
}

// Nine days from Tuesday 24 November: a check-in, a lesson, a lesson and a quiz answer,
// four check-ins, a day missed (the freeze earned on day 7 covers it), a check-in; the
// tenth day, today, is not studied yet.
func studyNineDays(h *harness) {
	for day := range 9 {
		switch day {
		case 1:
			h.sayOK("ana", "done caching")
		case 2:
			h.sayOK("ana", "done internet-basics")
			h.sayOK("ana", "answer caching-1/0 a")
		case 7:
		default:
			h.sayOK("ana", "checkin")
		}
		h.clock.Advance(24 * time.Hour)
	}
}

func TestTheStreakAnswerCarriesTheHeatmapOfWhatWasDone(t *testing.T) {
	cards := &cardRecorder{}
	h := newCardHarness(t, cards, &bottest.Buffer{})
	studyNineDays(h)
	r := h.sayOK("ana", "streak")
	wantCard(t, r, "streak.png", "streak-png")
	mustContain(t, r, "Current: 8 days (today pending", "Longest: 8 days") // the text answer stays
	if len(cards.streak) != 2 {
		t.Fatalf("%d streak cards drawn, want 2: the 7-day milestone's and the streak's", len(cards.streak))
	}
	sc := cards.streak[1]
	first := bot.DayOf(start, time.UTC)
	today := first + 9
	if sc.Name != "ana" || sc.Zone != "UTC" || sc.Today != today || sc.Current != 8 || !sc.Pending ||
		sc.Longest != 8 || sc.Freezes != 0 || sc.NextMilestone != 30 {
		t.Errorf("card %+v", sc)
	}
	// 26 whole weeks from a Monday, then Monday to today (a Thursday).
	if len(sc.Cells) != bot.HeatmapWeeks*7+4 || sc.Cells[0].Date.Weekday() != time.Monday || sc.Cells[len(sc.Cells)-1].Date != today {
		t.Fatalf("%d cells from %s (%s) to %s", len(sc.Cells), sc.Cells[0].Date, sc.Cells[0].Date.Weekday(), sc.Cells[len(sc.Cells)-1].Date)
	}
	cell := func(d bot.Day) bot.HeatCell { return sc.Cells[int(d-sc.Cells[0].Date)] }
	tests := []struct {
		name string
		day  bot.Day
		want bot.HeatCell
	}{
		{"before the first day", first - 1, bot.HeatCell{BeforeStart: true}},
		{"a check-in", first, bot.HeatCell{Level: bot.LevelCheckin}},
		{"a lesson done", first + 1, bot.HeatCell{Level: bot.LevelLessons}},
		{"a lesson and a quiz answer", first + 2, bot.HeatCell{Level: bot.LevelLessonsReviews}},
		{"a freeze", first + 7, bot.HeatCell{Freeze: true}},
		{"a check-in after it", first + 8, bot.HeatCell{Level: bot.LevelCheckin}},
		{"today", today, bot.HeatCell{Pending: true}},
	}
	for _, tt := range tests {
		tt.want.Date = tt.day
		if got := cell(tt.day); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestABrokenStreakShowsAsPreviousOnTheCard(t *testing.T) {
	cards := &cardRecorder{}
	h := newCardHarness(t, cards, &bottest.Buffer{})
	h.sayOK("ana", "checkin")
	h.clock.Advance(24 * time.Hour)
	h.sayOK("ana", "checkin")
	h.clock.Advance(72 * time.Hour)
	h.sayOK("ana", "streak")
	if sc := cards.streak[0]; sc.Current != 0 || sc.Pending || sc.Previous != 2 || sc.NextMilestone != 7 {
		t.Errorf("card %+v, want 0 now and the 2 days as previous", sc)
	}
}

func TestTheProgressAnswerCarriesTheProgressCard(t *testing.T) {
	cards := &cardRecorder{}
	h := newCardHarness(t, cards, &bottest.Buffer{})
	h.sayOK("ana", "done caching")
	h.sayOK("ana", "skip internet-basics")
	h.sayOK("ana", "answer caching-1/0 a")
	h.sayOK("ana", "answer caching-2/0 b")
	r := h.sayOK("ana", "progress")
	wantCard(t, r, "progress.png", "progress-png")
	mustContain(t, r, "Quiz: 1 right of 2 answered")
	pc := cards.progress[0]
	if pc.Name != "ana" || len(pc.Topics) != 6 || pc.Done != 1 || pc.Finished != 2 || pc.Total != 6 || pc.Percent != 33 ||
		pc.Minutes != 10 || pc.TotalMinutes != 60 || pc.QuizAccuracy != 50 || pc.ReviewRetention != 50 ||
		pc.NextLesson != "API security" || pc.NextTopic != "API security" {
		t.Errorf("card %+v", pc)
	}
	if got := pc.Topics[1]; got != (bot.TopicProgress{Title: "Caching", Done: 1, Total: 1}) {
		t.Errorf("caching bar %+v", got)
	}
	if got := pc.Topics[0]; got != (bot.TopicProgress{Title: "Internet basics", Skipped: 1, Total: 1}) {
		t.Errorf("internet basics bar %+v", got)
	}
}

func TestAMilestoneCheckinCarriesTheCard(t *testing.T) {
	cards := &cardRecorder{}
	h := newCardHarness(t, cards, &bottest.Buffer{})
	for day := 1; day <= 7; day++ {
		r := h.sayOK("ana", "checkin")
		if _, ok := r.FileNamed("streak.png"); ok != (day == 7) {
			t.Errorf("day %d: card attached %v, want %v (7 is a milestone)", day, ok, day == 7)
		}
		h.clock.Advance(24 * time.Hour)
	}
	if sc := cards.streak[0]; sc.Current != 7 || sc.Pending || sc.Cells[len(sc.Cells)-1].Level != bot.LevelCheckin {
		t.Errorf("milestone card %+v, want today counted", sc)
	}
}

func TestWithoutACardTheAnswerIsTheSameText(t *testing.T) {
	plain := newCardHarness(t, nil, &bottest.Buffer{})
	logs := &bottest.Buffer{}
	failing := newCardHarness(t, &cardRecorder{err: errors.New("out of ink")}, logs)
	for _, cmd := range []string{"streak", "progress"} {
		a, b := plain.sayOK("ana", cmd), failing.sayOK("ana", cmd)
		if len(a.Files) != 0 || len(b.Files) != 0 || a.Image != "" || b.Image != "" {
			t.Errorf("%s: files %v and %v, want none", cmd, a.Files, b.Files)
		}
		if a.Title != b.Title || len(a.Fields) != len(b.Fields) || a.Text != b.Text {
			t.Errorf("%s: a failed card changed the answer:\n%+v\n%+v", cmd, a, b)
		}
	}
	if got := logs.String(); !strings.Contains(got, "card not drawn") || !strings.Contains(got, "out of ink") {
		t.Errorf("logs %q, want the failed card logged", got)
	}
}
