package card

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/data"
)

func decode(t testing.TB, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the card is not a PNG: %v", err)
	}
	return img
}

func same(a color.Color, b color.RGBA) bool {
	r, g, bl, al := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r == r2 && g == g2 && bl == b2 && al == a2
}

func center(r image.Rectangle) image.Point { return r.Min.Add(r.Size().Div(2)) }

// A learner in Berlin whose first study day was Monday 2 November 2026; on Thursday 26
// November, late in the evening, they have not studied yet.
var (
	berlin, _ = time.LoadLocation("Europe/Berlin")
	firstDay  = bot.DayOf(time.Date(2026, 11, 2, 12, 0, 0, 0, berlin), berlin)
	evening   = time.Date(2026, 11, 26, 22, 30, 0, 0, berlin)
)

// streakLearner studied on the first day (check-in), the second (a lesson), the third
// (a lesson and a quiz), every day through the 7th (a freeze earned), missed the 8th (the
// freeze covers it), studied the 9th to the 24th, and not yet today, the 25th.
func streakLearner() *bot.Learner {
	var s bot.Streak
	at := func(n int) time.Time { return time.Date(2026, 11, 2+n, 19, 0, 0, 0, berlin) }
	for n := 0; n <= 23; n++ {
		if n == 7 {
			continue
		}
		what := bot.ActivityCheckin
		switch n {
		case 1:
			what = bot.ActivityLesson
		case 2:
			s, _ = s.Study(at(n), berlin, bot.ActivityLesson)
			what = bot.ActivityAnswer
		}
		s, _ = s.Study(at(n), berlin, what)
	}
	return &bot.Learner{UserID: "u1", Streak: s}
}

func renderStreak(t testing.TB, sc bot.StreakCard) image.Image {
	t.Helper()
	b, err := Renderer{}.StreakCard(sc)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, b)
}

func TestTheHeatmapShowsEachDayAsItWas(t *testing.T) {
	l := streakLearner()
	today := l.Streak.Today(evening, berlin)
	sc := bot.StreakCardOf(l, "Ada", today, berlin)
	img := renderStreak(t, sc)
	if got := img.Bounds(); got != image.Rect(0, 0, streakW, streakH) {
		t.Fatalf("size %v, want %dx%d", got.Size(), streakW, streakH)
	}
	if sc.Cells[0].Date.Weekday() != time.Monday || sc.Cells[len(sc.Cells)-1].Date != today {
		t.Fatalf("cells run %s to %s, want a Monday to today %s", sc.Cells[0].Date, sc.Cells[len(sc.Cells)-1].Date, today)
	}
	cell := func(d bot.Day) image.Rectangle {
		i := int(d - sc.Cells[0].Date)
		return cellRect(i)
	}
	tests := []struct {
		name string
		day  bot.Day
		want color.RGBA
	}{
		{"a check-in only", firstDay, levelColours[bot.LevelCheckin]},
		{"a lesson", firstDay + 1, levelColours[bot.LevelLessons]},
		{"a lesson and a quiz", firstDay + 2, levelColours[bot.LevelLessonsReviews]},
		{"a day a freeze covered", firstDay + 7, frozen},
		{"a day before the first study day: blank", firstDay - 1, background},
		{"a day months before it: blank", firstDay - 150, background},
		{"today, pending: not yet studied", today, empty},
	}
	for _, tt := range tests {
		if got := img.At(center(cell(tt.day)).X, center(cell(tt.day)).Y); !same(got, tt.want) {
			t.Errorf("%s (%s): centre %v, want %v", tt.name, tt.day, got, tt.want)
		}
	}
	// Today is outlined while pending; yesterday, studied, is not.
	for _, d := range []bot.Day{today, today - 1} {
		r := cell(d)
		edge := img.At(r.Min.X-1, center(r).Y)
		if outlined := same(edge, pending); outlined != (d == today) {
			t.Errorf("%s: outlined %v, want %v", d, outlined, d == today)
		}
	}
	distinct := []color.RGBA{background, empty, frozen, pending, levelColours[1], levelColours[2], levelColours[3]}
	for i := range distinct {
		for j := range i {
			if distinct[i] == distinct[j] {
				t.Errorf("colours %d and %d are the same: %v", i, j, distinct[i])
			}
		}
	}
}

func TestOnceTodayIsStudiedItIsFilledNotOutlined(t *testing.T) {
	l := streakLearner()
	l.Streak, _ = l.Streak.Study(evening, berlin, bot.ActivityLesson)
	today := l.Streak.Today(evening, berlin)
	sc := bot.StreakCardOf(l, "Ada", today, berlin)
	img := renderStreak(t, sc)
	r := cellRect(len(sc.Cells) - 1)
	if got := img.At(center(r).X, center(r).Y); !same(got, levelColours[bot.LevelLessons]) {
		t.Errorf("today studied: centre %v, want the lesson green", got)
	}
	if got := img.At(r.Min.X-1, center(r).Y); same(got, pending) {
		t.Errorf("today studied is still outlined as pending")
	}
}

func TestAFirstTimerSeesABlankHeatmapWithTodayOutlined(t *testing.T) {
	today := bot.DayOf(evening, berlin)
	sc := bot.StreakCardOf(&bot.Learner{UserID: "new"}, "New", today, berlin)
	img := renderStreak(t, sc)
	for i := range sc.Cells[:len(sc.Cells)-1] {
		if p := center(cellRect(i)); !same(img.At(p.X, p.Y), background) {
			t.Fatalf("cell %d (%s) is drawn for a learner who never studied", i, sc.Cells[i].Date)
		}
	}
	r := cellRect(len(sc.Cells) - 1)
	if !same(img.At(r.Min.X-1, center(r).Y), pending) {
		t.Errorf("today is not outlined")
	}
}

// drawnIn reports whether anything but the background is drawn in r.
func drawnIn(img image.Image, r image.Rectangle) bool {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if !same(img.At(x, y), background) {
				return true
			}
		}
	}
	return false
}

func TestALongNameIsClippedBeforeTheStats(t *testing.T) {
	l := streakLearner()
	today := l.Streak.Today(evening, berlin)
	img := renderStreak(t, bot.StreakCardOf(l, strings.Repeat("Wolfeschlegelsteinhausenbergerdorff ", 4), today, berlin))
	if drawnIn(img, image.Rect(statsX-16, 0, streakW, gridY-24)) {
		t.Errorf("the name runs into the stats column")
	}
	if !drawnIn(img, image.Rect(pad, pad, statsX-16, pad+24)) {
		t.Errorf("no name drawn")
	}
}

func TestRunesTheFontLacksAreLeftOutNotDrawnAsBoxes(t *testing.T) {
	l := streakLearner()
	today := l.Streak.Today(evening, berlin)
	draw := func(name string) image.Image { return renderStreak(t, bot.StreakCardOf(l, name, today, berlin)) }
	for _, tt := range []struct{ name, as string }{
		{"Ada 🦉", "Ada"},
		{"李小龍 Ada", "Ada"},
		{"🔥🔥", ""},
		{"Zoë\u200b Ñúñez", "Zoë Ñúñez"},
	} {
		got, want := draw(tt.name), draw(tt.as)
		if drawnIn(diff(got, want), got.Bounds()) {
			t.Errorf("%q is not drawn as %q", tt.name, tt.as)
		}
	}
}

// diff is an image with the background where a and b agree and ink where they differ.
func diff(a, b image.Image) image.Image {
	d := image.NewRGBA(a.Bounds())
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			c := background
			if a.At(x, y) != b.At(x, y) {
				c = ink
			}
			d.Set(x, y, c)
		}
	}
	return d
}

// The core answers commands concurrently, and glyphs drawn once are shared between cards.
func TestCardsDrawnAtOnceComeOutAlike(t *testing.T) {
	l := streakLearner()
	sc := bot.StreakCardOf(l, "Ada Lovelace Ñúñez", l.Streak.Today(evening, berlin), berlin)
	want, err := Renderer{}.StreakCard(sc)
	if err != nil {
		t.Fatal(err)
	}
	glyphs.Clear() // so the cards below rasterize their glyphs side by side
	glyphCount.Store(0)
	got := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i], _ = Renderer{}.StreakCard(sc) })
	}
	wg.Wait()
	for i := range got {
		if !bytes.Equal(got[i], want) {
			t.Errorf("card %d drawn alongside others differs from one drawn alone", i)
		}
	}
}

func TestTheProgressCardHasABarPerTopic(t *testing.T) {
	pc := bot.ProgressCard{Name: "Ada", Topics: []bot.TopicProgress{
		{Title: "Internet basics", Done: 6, Total: 6},
		{Title: "Caching", Done: 2, Skipped: 1, Total: 4},
		{Title: "Redis", Total: 5},
	}, Done: 8, Finished: 9, Total: 15, Percent: 60, Minutes: 420, TotalMinutes: 1200,
		QuizAccuracy: 80, ReviewRetention: -1, NextLesson: "Cache invalidation", NextTopic: "Caching"}
	b, err := Renderer{}.ProgressCard(pc)
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, b)
	if got := img.Bounds().Size(); got != image.Pt(progressW, progressHeight(3)) {
		t.Fatalf("size %v, want %dx%d", got, progressW, progressHeight(3))
	}
	at := func(topic int, share float64) color.Color {
		r := barRect(topic)
		return img.At(r.Min.X+int(share*float64(r.Dx())), center(r).Y)
	}
	tests := []struct {
		name  string
		topic int
		share float64
		want  color.RGBA
	}{
		{"a finished topic, its end", 0, 0.99, done},
		{"half done: the first half", 1, 0.25, done},
		{"one of four skipped: the third quarter", 1, 0.6, skipped},
		{"the last quarter, to do", 1, 0.9, empty},
		{"a topic not begun", 2, 0.01, empty},
	}
	for _, tt := range tests {
		if got := at(tt.topic, tt.share); !same(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestTheSampleCardsInDocsDecodeAtTheirSize(t *testing.T) {
	r, err := data.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		file string
		want image.Point
	}{
		{"../../docs/streak-card.png", image.Pt(streakW, streakH)},
		{"../../docs/progress-card.png", image.Pt(progressW, progressHeight(len(r.Topics)))},
	} {
		b, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatalf("%v (go generate ./adapters/card draws it)", err)
		}
		if got := decode(t, b).Bounds().Size(); got != tt.want {
			t.Errorf("%s is %v, want %v: run go generate ./adapters/card", tt.file, got, tt.want)
		}
	}
}

func BenchmarkStreakCard(b *testing.B) {
	l := streakLearner()
	today := l.Streak.Today(evening, berlin)
	sc := bot.StreakCardOf(l, "Ada Lovelace", today, berlin)
	var size int
	for b.Loop() {
		png, err := Renderer{}.StreakCard(sc)
		if err != nil {
			b.Fatal(err)
		}
		size = len(png)
	}
	b.ReportMetric(float64(size), "png-bytes")
}

func BenchmarkProgressCard(b *testing.B) {
	r, err := data.Default()
	if err != nil {
		b.Fatal(err)
	}
	l := &bot.Learner{UserID: "u1", Lessons: bot.Progress{}, QuizAnswered: 40, QuizRight: 31}
	n := 0
	for i := range r.Topics {
		for k := range r.Topics[i].Lessons {
			if n < 60 {
				l.Lessons[r.Topics[i].Lessons[k].Slug] = bot.StateDone
			}
			n++
		}
	}
	pc := r.ProgressCardOf(l, "Ada Lovelace", bot.DayOf(evening, berlin))
	var size int
	for b.Loop() {
		png, err := Renderer{}.ProgressCard(pc)
		if err != nil {
			b.Fatal(err)
		}
		size = len(png)
	}
	b.ReportMetric(float64(size), "png-bytes")
}
