// Package card draws the cards the core describes (bot.StreakCard, bot.ProgressCard) as PNG
// images, with golang.org/x/image and the Go fonts, so no font file is needed on the host.
//
// The cards have their own dark background, so they read the same on Discord's dark and
// light themes and in Slack; the greens stay apart from the empty cells for colour-blind
// eyes by lightness, not only by hue.
package card

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"github.com/studybot/studybot/bot"
)

// Renderer draws the cards. It is safe for concurrent use; the zero value is ready.
type Renderer struct{}

var _ bot.CardRenderer = Renderer{}

// Colours of both cards.
var (
	background = rgb(0x16, 0x1b, 0x22)
	ink        = rgb(0xe6, 0xed, 0xf3) // text
	muted      = rgb(0x8b, 0x94, 0x9e) // labels
	empty      = rgb(0x2d, 0x33, 0x3b) // a day missed, the rest of a bar
	// levelColours shade a studied day by bot.Level: check-in, lessons, lessons and reviews.
	levelColours = [...]color.RGBA{bot.LevelNone: empty, bot.LevelCheckin: rgb(0x10, 0x63, 0x2e),
		bot.LevelLessons: rgb(0x26, 0xa6, 0x41), bot.LevelLessonsReviews: rgb(0x6b, 0xe3, 0x7c)}
	frozen  = rgb(0x58, 0xa6, 0xff) // a day a freeze covered
	pending = rgb(0xf0, 0xb4, 0x29) // today's outline while it is not studied yet
	skipped = rgb(0x6e, 0x76, 0x81) // lessons skipped, in a topic's bar
	done    = levelColours[bot.LevelLessons]
)

func rgb(r, g, b uint8) color.RGBA { return color.RGBA{r, g, b, 0xff} }

// fonts are parsed once: parsing is most of the cost of a face, and the faces themselves
// (which keep per-use buffers) are made for each card.
var fonts = sync.OnceValues(func() (*fontSet, error) {
	regular, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("parse Go Regular: %w", err)
	}
	bold, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, fmt.Errorf("parse Go Bold: %w", err)
	}
	return &fontSet{regular: regular, bold: bold}, nil
})

type fontSet struct{ regular, bold *opentype.Font }

// pen is a face with the font it comes from, which says which runes it can draw.
type pen struct {
	face font.Face
	font *sfnt.Font
	id   penID
}

type penID struct {
	bold bool
	size float64
}

// pens are the faces both cards write with; only the body text's size differs.
type pens struct{ title, body, small, big, strong pen }

// cardPens makes the pens of a card whose body text is bodySize pixels.
func cardPens(bodySize float64) (pens, error) {
	fs, err := fonts()
	if err != nil {
		return pens{}, err
	}
	var p pens
	for _, want := range []struct {
		to   *pen
		bold bool
		size float64
	}{{&p.title, true, 22}, {&p.body, false, bodySize}, {&p.small, false, 12}, {&p.big, true, 44}, {&p.strong, true, 14}} {
		if *want.to, err = fs.pen(want.bold, want.size); err != nil {
			return pens{}, err
		}
	}
	return p, nil
}

func (fs *fontSet) pen(bold bool, size float64) (pen, error) {
	f := fs.regular
	if bold {
		f = fs.bold
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return pen{}, fmt.Errorf("face of %.0f px: %w", size, err)
	}
	return pen{face: face, font: f, id: penID{bold, size}}, nil
}

// A glyph's coverage depends only on the pen, the rune and where within a pixel the dot
// is, and rasterizing it is half the cost of a card: glyphs are kept once drawn, up to
// maxGlyphs of them, so names in unusual scripts cannot grow the cache without end.
var (
	glyphs     sync.Map // glyphKey → cachedGlyph
	glyphCount atomic.Int32
)

const maxGlyphs = 4096

type glyphKey struct {
	pen    penID
	r      rune
	fx, fy fixed.Int26_6 // the dot's fraction of a pixel
}

type cachedGlyph struct {
	dr      image.Rectangle // relative to the dot's pixel
	mask    *image.Alpha    // dr's coverage, from (0, 0)
	advance fixed.Int26_6
}

// glyph is as font.Face.Glyph, with the mask at (0, 0).
func (p pen) glyph(dot fixed.Point26_6, r rune) (image.Rectangle, *image.Alpha, fixed.Int26_6) {
	at := image.Pt(dot.X.Floor(), dot.Y.Floor())
	key := glyphKey{p.id, r, dot.X & 63, dot.Y & 63}
	if g, ok := glyphs.Load(key); ok {
		g := g.(cachedGlyph)
		return g.dr.Add(at), g.mask, g.advance
	}
	dr, mask, mp, advance, ok := p.face.Glyph(dot, r)
	if !ok {
		return image.Rectangle{}, nil, advance
	}
	// The face reuses its mask for the next glyph: keep a copy.
	m := image.NewAlpha(image.Rect(0, 0, dr.Dx(), dr.Dy()))
	for y := range dr.Dy() {
		for x := range dr.Dx() {
			_, _, _, a := mask.At(mp.X+x, mp.Y+y).RGBA()
			m.Pix[m.PixOffset(x, y)] = uint8(a >> 8)
		}
	}
	if glyphCount.Load() < maxGlyphs {
		if _, loaded := glyphs.LoadOrStore(key, cachedGlyph{dr: dr.Sub(at), mask: m, advance: advance}); !loaded {
			glyphCount.Add(1)
		}
	}
	return dr, m, advance
}

// The cards are drawn straight into an 8-bit palette: a few flat colours, and for each text
// colour the steps between it and the background that antialiased glyph edges need (text is
// always drawn on the background). A palette PNG is a third of the bytes of an RGB one and
// skips the row filters that are most of the cost of encoding RGB.
var (
	palette   color.Palette
	paletteOf = map[color.RGBA]uint8{} // a flat colour's index
	rampOf    = map[color.RGBA]int{}   // a text colour's first antialiasing step
)

// textSteps is how many antialiasing steps each text colour has, its own full colour included.
const textSteps = 32

func init() {
	for _, col := range []color.RGBA{background, ink, muted, empty, levelColours[bot.LevelCheckin],
		levelColours[bot.LevelLessons], levelColours[bot.LevelLessonsReviews], frozen, pending, skipped} {
		paletteOf[col] = uint8(len(palette))
		palette = append(palette, col)
	}
	for _, col := range []color.RGBA{ink, muted, done, pending} {
		rampOf[col] = len(palette)
		for k := 1; k < textSteps; k++ {
			palette = append(palette, blend(background, col, k))
		}
	}
}

// blend is k steps of textSteps from bg towards fg.
func blend(bg, fg color.RGBA, k int) color.RGBA {
	mix := func(a, b uint8) uint8 { return uint8((int(a)*(textSteps-k) + int(b)*k + textSteps/2) / textSteps) }
	return rgb(mix(bg.R, fg.R), mix(bg.G, fg.G), mix(bg.B, fg.B))
}

// canvas is a card being drawn.
type canvas struct {
	img *image.Paletted
	buf sfnt.Buffer
}

// newCanvas is a card of w×h filled with the background, which is the palette's first
// colour: a new image is all zeroes.
func newCanvas(w, h int) *canvas {
	return &canvas{img: image.NewPaletted(image.Rect(0, 0, w, h), palette)}
}

// fill paints r with col, one of the palette's flat colours.
func (c *canvas) fill(r image.Rectangle, col color.RGBA) {
	i, ok := paletteOf[col]
	if !ok {
		panic(fmt.Sprintf("card: colour %v is not in the palette", col))
	}
	r = r.Intersect(c.img.Rect)
	if r.Empty() {
		return
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := c.img.Pix[c.img.PixOffset(r.Min.X, y):c.img.PixOffset(r.Max.X, y)]
		row[0] = i
		for n := 1; n < len(row); n *= 2 {
			copy(row[n:], row[:n])
		}
	}
}

// glyph paints a glyph's coverage mask in col over the background. Where glyph boxes overlap
// (kerned pairs), a pixel keeps the stronger of the two coverages.
func (c *canvas) glyph(dr image.Rectangle, mask *image.Alpha, col color.RGBA) {
	full, ramp := paletteOf[col], rampOf[col]
	if ramp == 0 {
		panic(fmt.Sprintf("card: colour %v is not a text colour", col))
	}
	level := func(i uint8) int { // the step a pixel already has in this colour
		switch {
		case i == full:
			return textSteps
		case int(i) >= ramp && int(i) < ramp+textSteps-1:
			return int(i) - ramp + 1
		}
		return 0
	}
	clipped := dr.Intersect(c.img.Rect)
	mp := clipped.Min.Sub(dr.Min)
	for y := 0; y < clipped.Dy(); y++ {
		for x := 0; x < clipped.Dx(); x++ {
			a := int(mask.Pix[mask.PixOffset(mp.X+x, mp.Y+y)])
			k := (a*textSteps + 127) / 255
			if k == 0 {
				continue
			}
			o := c.img.PixOffset(clipped.Min.X+x, clipped.Min.Y+y)
			if k <= level(c.img.Pix[o]) {
				continue
			}
			if k == textSteps {
				c.img.Pix[o] = full
			} else {
				c.img.Pix[o] = uint8(ramp + k - 1)
			}
		}
	}
}

// outline draws a frame width px wide just inside r.
func (c *canvas) outline(r image.Rectangle, width int, col color.RGBA) {
	c.fill(image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+width), col)
	c.fill(image.Rect(r.Min.X, r.Max.Y-width, r.Max.X, r.Max.Y), col)
	c.fill(image.Rect(r.Min.X, r.Min.Y, r.Min.X+width, r.Max.Y), col)
	c.fill(image.Rect(r.Max.X-width, r.Min.Y, r.Max.X, r.Max.Y), col)
}

// drawable is s without what p cannot draw: runes the font has no glyph for (CJK, emoji),
// which would come out as boxes, and control characters. The spaces that leaves are folded.
func (c *canvas) drawable(p pen, s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if !unicode.IsPrint(r) {
			continue
		}
		if i, err := p.font.GlyphIndex(&c.buf, r); err != nil || i == 0 {
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fit is s cut with an ellipsis to at most maxWidth pixels (no limit when maxWidth <= 0).
func fit(p pen, s string, maxWidth int) string {
	if maxWidth <= 0 || font.MeasureString(p.face, s).Ceil() <= maxWidth {
		return s
	}
	runes := []rune(s)
	for n := len(runes) - 1; n > 0; n-- {
		t := strings.TrimRight(string(runes[:n]), " ") + "…"
		if font.MeasureString(p.face, t).Ceil() <= maxWidth {
			return t
		}
	}
	return ""
}

// text draws s with its baseline at y, from x, within maxWidth (<= 0: no limit), and
// returns the width drawn.
func (c *canvas) text(p pen, x, y int, col color.RGBA, s string, maxWidth int) int {
	s = fit(p, c.drawable(p, s), maxWidth)
	// As font.Drawer.DrawString, into the palette.
	dot := fixed.P(x, y)
	prev := rune(-1)
	for _, r := range s {
		if prev >= 0 {
			dot.X += p.face.Kern(prev, r)
		}
		dr, mask, advance := p.glyph(dot, r)
		if !dr.Empty() {
			c.glyph(dr, mask, col)
		}
		dot.X += advance
		prev = r
	}
	return (dot.X - fixed.I(x)).Ceil()
}

// textRight draws s ending at x.
func (c *canvas) textRight(p pen, x, y int, col color.RGBA, s string, maxWidth int) {
	s = fit(p, c.drawable(p, s), maxWidth)
	w := font.MeasureString(p.face, s).Ceil()
	c.text(p, x-w, y, col, s, 0)
}

// wrap breaks s into at most lines lines of maxWidth pixels, the last one cut with an
// ellipsis when s does not fit.
func (c *canvas) wrap(p pen, s string, maxWidth, lines int) []string {
	words := strings.Fields(c.drawable(p, s))
	var out []string
	for len(words) > 0 && len(out) < lines {
		n := 1
		for n < len(words) && font.MeasureString(p.face, strings.Join(words[:n+1], " ")).Ceil() <= maxWidth {
			n++
		}
		if len(out) == lines-1 {
			n = len(words)
		}
		out = append(out, fit(p, strings.Join(words[:n], " "), maxWidth))
		words = words[n:]
	}
	return out
}

func encode(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &encoders}
	if err := enc.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("encode PNG: %w", err)
	}
	return b.Bytes(), nil
}

// encoders keeps the PNG encoder's buffers between cards.
var encoders pool

type pool struct{ p sync.Pool }

func (p *pool) Get() *png.EncoderBuffer {
	b, _ := p.p.Get().(*png.EncoderBuffer)
	return b
}

func (p *pool) Put(b *png.EncoderBuffer) { p.p.Put(b) }

// days is "1 day", "12 days".
func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// thousands writes n with thousands separators: 12,345.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
