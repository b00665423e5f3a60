package card

import (
	"fmt"
	"image"

	"github.com/studybot/studybot/bot"
)

// Progress card layout, in pixels.
const (
	progressW  = 820
	rowPitch   = 22
	rowsY      = pad + headerH + 8 // top of the first topic row
	titleW     = 210               // a topic's title, clipped
	barX       = pad + titleW + 10
	barW       = 250
	barH       = 10
	countX     = barX + barW + 10
	panelX     = 572 // the overall figures on the right
	panelMinH  = 330 // what the panel needs, for a roadmap with few topics
	overallBar = progressW - pad - panelX
)

// progressHeight is the card's height for n topics.
func progressHeight(n int) int { return max(rowsY+n*rowPitch+pad-4, panelMinH) }

// barRect is the bar of topic i.
func barRect(i int) image.Rectangle {
	y := rowsY + i*rowPitch + 6
	return image.Rect(barX, y, barX+barW, y+barH)
}

// ProgressCard draws the progress card as a PNG.
func (Renderer) ProgressCard(pc bot.ProgressCard) ([]byte, error) {
	img, err := drawProgress(pc)
	if err != nil {
		return nil, fmt.Errorf("progress card: %w", err)
	}
	return encode(img)
}

// fillBar draws a bar of r: done first, then skipped, the rest empty.
func (c *canvas) fillBar(r image.Rectangle, doneN, skippedN, total int) {
	c.fill(r, empty)
	if total <= 0 {
		return
	}
	w := r.Dx()
	d := doneN * w / total
	s := (doneN + skippedN) * w / total
	c.fill(image.Rect(r.Min.X, r.Min.Y, r.Min.X+d, r.Max.Y), done)
	c.fill(image.Rect(r.Min.X+d, r.Min.Y, r.Min.X+s, r.Max.Y), skipped)
}

func drawProgress(pc bot.ProgressCard) (*image.Paletted, error) {
	p, err := cardPens(13)
	if err != nil {
		return nil, err
	}
	title, body, small, big, strong := p.title, p.body, p.small, p.big, p.strong
	c := newCanvas(progressW, progressHeight(len(pc.Topics)))
	name := "Roadmap progress"
	sub := fmt.Sprintf("%d of %d lessons done", pc.Done, pc.Total)
	if who := c.drawable(title, pc.Name); who != "" {
		name = who
		sub = "Roadmap progress · " + sub
	}
	c.text(title, pad, pad+22, ink, name, panelX-pad-16)
	c.text(small, pad, pad+42, muted, sub, panelX-pad-16)

	for i, t := range pc.Topics {
		y := rowsY + i*rowPitch
		col := ink
		if t.Done+t.Skipped == t.Total && t.Total > 0 {
			col = muted // a topic behind the learner steps back
		}
		c.text(body, pad, y+15, col, t.Title, titleW)
		c.fillBar(barRect(i), t.Done, t.Skipped, t.Total)
		c.text(small, countX, y+15, muted, fmt.Sprintf("%d/%d", t.Done, t.Total), 0)
	}

	right := progressW - pad
	y := rowsY + 4
	c.text(small, panelX, y+8, muted, "OVERALL", 0)
	w := c.text(big, panelX, y+54, ink, fmt.Sprint(pc.Percent), 0)
	c.text(strong, panelX+w+4, y+54, ink, "%", 0)
	c.text(small, panelX, y+74, muted, "of the lessons done or skipped", overallBar)
	c.fillBar(image.Rect(panelX, y+84, right, y+84+barH), pc.Done, pc.Finished-pc.Done, pc.Total)

	percent := func(p int, none string) string {
		if p < 0 {
			return none
		}
		return fmt.Sprintf("%d %%", p)
	}
	rows := []struct{ label, value string }{
		{"Minutes studied", fmt.Sprintf("%s of %s", thousands(pc.Minutes), thousands(pc.TotalMinutes))},
		{"Quiz accuracy", percent(pc.QuizAccuracy, "no answers yet")},
		{"Review retention", percent(pc.ReviewRetention, "no reviews yet")},
	}
	y += 122
	for _, r := range rows {
		c.text(body, panelX, y, muted, r.label, 0)
		c.textRight(strong, right, y, ink, r.value, right-panelX-120)
		y += 22
	}
	y += 12
	c.text(small, panelX, y, muted, "NEXT LESSON", 0)
	y += 20
	if pc.NextLesson == "" {
		c.text(strong, panelX, y, done, "Roadmap complete", overallBar)
		return c.img, nil
	}
	for _, line := range c.wrap(strong, pc.NextLesson, overallBar, 2) {
		c.text(strong, panelX, y, ink, line, overallBar)
		y += 18
	}
	c.text(small, panelX, y, muted, pc.NextTopic, overallBar)
	return c.img, nil
}
