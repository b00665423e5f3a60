package card

import (
	"fmt"
	"image"
	"time"

	"github.com/studybot/studybot/bot"
)

// Streak card layout, in pixels.
const (
	pad       = 24
	cellSize  = 14
	cellPitch = 17 // cell and gap
	dayLabelW = 34 // "Mon", "Wed", "Fri" left of the grid
	headerH   = 56 // name and subtitle
	monthH    = 18 // month labels above the grid

	streakW   = 820
	streakH   = 264
	gridX     = pad + dayLabelW
	gridY     = pad + headerH + monthH
	statsX    = gridX + (bot.HeatmapWeeks+1)*cellPitch + 36
	outlineW  = 2
	legendGap = 26 // from the grid's bottom to the legend's baseline
)

// cellRect is where cell i of a card whose cells start on a Monday is drawn: one column a
// week, Monday at the top.
func cellRect(i int) image.Rectangle {
	x, y := gridX+i/7*cellPitch, gridY+i%7*cellPitch
	return image.Rect(x, y, x+cellSize, y+cellSize)
}

// StreakCard draws the heatmap card as a PNG.
func (Renderer) StreakCard(sc bot.StreakCard) ([]byte, error) {
	img, err := drawStreak(sc)
	if err != nil {
		return nil, fmt.Errorf("streak card: %w", err)
	}
	return encode(img)
}

func drawStreak(sc bot.StreakCard) (*image.Paletted, error) {
	p, err := cardPens(14)
	if err != nil {
		return nil, err
	}
	title, body, small, big, strong := p.title, p.body, p.small, p.big, p.strong
	c := newCanvas(streakW, streakH)

	name := "Study streak"
	if who := c.drawable(title, sc.Name); who != "" {
		name = who
	}
	c.text(title, pad, pad+22, ink, name, statsX-pad-16)
	sub := "Study streak · last 26 weeks"
	if name == "Study streak" {
		sub = "Last 26 weeks"
	}
	if sc.Zone != "" {
		sub += " · " + sc.Zone
	}
	c.text(small, pad, pad+42, muted, sub, statsX-pad-16)

	// Month labels: over the first week that starts in a new month, unless the label before
	// is too close to leave room (the first column, when the month changes right after it).
	lastLabel := -10
	for w := 0; w*7 < len(sc.Cells); w++ {
		d := sc.Cells[w*7].Date.Time(time.UTC)
		if w > 0 && sc.Cells[(w-1)*7].Date.Time(time.UTC).Month() == d.Month() {
			continue
		}
		if w == 0 && len(sc.Cells) > 14 && sc.Cells[14].Date.Time(time.UTC).Month() != d.Month() {
			continue
		}
		if w-lastLabel < 3 {
			continue
		}
		c.text(small, gridX+w*cellPitch, gridY-6, muted, d.Format("Jan"), 0)
		lastLabel = w
	}
	for row, label := range []string{0: "Mon", 2: "Wed", 4: "Fri"} {
		c.text(small, pad, gridY+row*cellPitch+cellSize-2, muted, label, 0)
	}

	for i, cell := range sc.Cells {
		r := cellRect(i)
		switch {
		case cell.BeforeStart:
			// Blank: nothing to miss before the first study day.
		case cell.Freeze:
			c.fill(r, frozen)
		case cell.Pending:
			c.fill(r, empty)
			c.outline(r.Inset(-1), outlineW, pending)
		default:
			c.fill(r, levelColours[cell.Level])
		}
	}

	// Legend under the grid.
	y := gridY + 7*cellPitch + legendGap - 8
	x := gridX
	legend := func(label string, draw func(r image.Rectangle)) {
		r := image.Rect(x, y-10, x+11, y+1)
		draw(r)
		x += 16
		x += c.text(small, x, y, muted, label, 0) + 14
	}
	for _, l := range []struct {
		label string
		level bot.Level
	}{{"check-in", bot.LevelCheckin}, {"lesson or quiz", bot.LevelLessons}, {"both", bot.LevelLessonsReviews}} {
		legend(l.label, func(r image.Rectangle) { c.fill(r, levelColours[l.level]) })
	}
	legend("freeze", func(r image.Rectangle) { c.fill(r, frozen) })
	legend("missed", func(r image.Rectangle) { c.fill(r, empty) })
	legend("today", func(r image.Rectangle) { c.fill(r, empty); c.outline(r.Inset(-1), outlineW, pending) })

	// Stats beside the grid.
	right := streakW - pad
	c.text(small, statsX, gridY-6, muted, "CURRENT STREAK", 0)
	w := c.text(big, statsX, gridY+42, ink, fmt.Sprint(sc.Current), 0)
	unit := "days"
	if sc.Current == 1 {
		unit = "day"
	}
	c.text(body, statsX+w+8, gridY+42, ink, unit, 0)
	status, col := "today counted", done
	switch {
	case sc.Pending:
		status, col = "today pending: study to extend it", pending
	case sc.Current == 0 && sc.Previous > 0:
		status, col = "check in to start a new one", muted
	case sc.Current == 0:
		status, col = "check in to start your streak", muted
	}
	c.text(small, statsX, gridY+62, col, status, right-statsX)

	milestone := "all reached"
	if sc.NextMilestone > 0 {
		milestone = fmt.Sprintf("%s · %d to go", days(sc.NextMilestone), sc.NextMilestone-sc.Current)
	}
	rows := []struct{ label, value string }{
		{"Longest", days(sc.Longest)},
		{"Previous", days(sc.Previous)},
		{"Freezes held", fmt.Sprintf("%d of %d", sc.Freezes, bot.MaxFreezes)},
		{"Next milestone", milestone},
	}
	for i, r := range rows {
		y := gridY + 88 + i*22
		c.text(body, statsX, y, muted, r.label, 0)
		c.textRight(strong, right, y, ink, r.value, right-statsX-110)
	}
	return c.img, nil
}
