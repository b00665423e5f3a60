package bot

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A Card is a learner's spaced-review state for one question: FSRS's memory of it, when it
// is due and how often it was reviewed and forgotten. Days are the learner's local days.
type Card struct {
	Stability  float64
	Difficulty float64
	Due        Day // the first day the card is to be reviewed again
	Last       Day // the day of the last review
	Reps       int // reviews graded
	Lapses     int // reviews graded Again after the first
}

// Memory is the card's FSRS state.
func (c Card) Memory() Memory { return Memory{Stability: c.Stability, Difficulty: c.Difficulty} }

// Retrievability is the probability the learner still recalls the card on day today.
func (c Card) Retrievability(today Day) float64 {
	if c.Reps == 0 {
		return 0
	}
	return DefaultFSRS.Retrievability(float64(today-c.Last), c.Stability)
}

// Cards are a learner's review cards, one per question they have answered, by question ID.
//
// Decoding a learner is on the path of every command, and a learner may have thousands of
// cards, so they are stored as one short string and parsed only when a card changes. Cards
// are sorted by due day then ID, each "days-after-the-previous-card's-due ID
// days-since-last-review reps lapses stability difficulty" ("20430 dns-1 2 1 0 2.3065
// 2.1181;0 tls-2 2 1 0 2.3065 2.1181;…", the first one's due day counted from day 0). What
// most commands ask — how many are due, which is next, when the next is due — is read from
// the front of that string without parsing the rest.
//
// Two optional sections come before the cards: "#" the reviews of each of the last 30
// days, for the retention shown in stats, and "^" the card graded last with its state
// before that grade, so a Hard or Easy pressed after a right answer replaces the Good it
// was first graded.
type Cards struct {
	raw    string
	parsed []cardEntry // sorted by (Due, ID); nil until parsed
	undo   *cardUndo
	tally  []dayTally // oldest first, at most tallyDays days
}

type cardEntry struct {
	id string
	Card
}

// cardUndo is the state of the card graded last, before that grade.
type cardUndo struct {
	id     string
	day    Day
	rating Rating
	prev   Card // zero Reps: the grade created the card
}

// dayTally is the reviews graded on one day, and how many of them were not Again.
type dayTally struct {
	day          Day
	total, right int
}

// tallyDays is how far back the retention of reviews is kept.
const tallyDays = 30

// Len is how many cards the learner has.
func (c *Cards) Len() int {
	c.parse()
	return len(c.parsed)
}

// IsZero reports no cards, so the field is left out of the stored record.
func (c Cards) IsZero() bool { return c.raw == "" && c.parsed == nil }

// Get is the card of one question, and whether there is one.
func (c *Cards) Get(id string) (Card, bool) {
	c.parse()
	if i := c.find(id); i >= 0 {
		return c.parsed[i].Card, true
	}
	return Card{}, false
}

// Grade records a review of question id on day today and schedules the card's next one for
// the retention wanted (DefaultRetention when 0). A question without a card gets one. It
// returns the card as it now is; an invalid rating changes nothing.
func (c *Cards) Grade(id string, g Rating, today Day, retention float64) Card {
	prev, _ := c.Get(id)
	if !g.Valid() {
		return prev
	}
	next := gradeCard(prev, g, today, retention)
	c.put(id, next)
	c.undo = &cardUndo{id: id, day: today, rating: g, prev: prev}
	c.count(today, g, +1)
	return next
}

// Regrade replaces the grade of the card graded last, on the same day, by g: what the Hard
// and Easy buttons after a right answer do. It reports false, changing nothing, when id is
// not the card graded last or that grade was not today.
func (c *Cards) Regrade(id string, g Rating, today Day, retention float64) (Card, bool) {
	c.parse()
	u := c.undo
	if u == nil || u.id != id || u.day != today || !g.Valid() {
		return Card{}, false
	}
	next := gradeCard(u.prev, g, today, retention)
	c.put(id, next)
	c.count(today, u.rating, -1)
	c.count(today, g, +1)
	u.rating = g
	return next, true
}

// LastGrade is the card graded last, the day of that grade and the grade it now has: what
// Regrade would replace. False when no grade is kept.
func (c *Cards) LastGrade() (id string, day Day, g Rating, ok bool) {
	c.parse()
	if c.undo == nil {
		return "", 0, 0, false
	}
	return c.undo.id, c.undo.day, c.undo.rating, true
}

// WouldGrade is the card id would become if graded g on day today, changing nothing: what
// each rating button promises.
func (c *Cards) WouldGrade(id string, g Rating, today Day, retention float64) Card {
	prev, _ := c.Get(id)
	if u := c.undo; u != nil && u.id == id && u.day == today {
		prev = u.prev // a regrade starts from the state before today's grade
	}
	return gradeCard(prev, g, today, retention)
}

func gradeCard(prev Card, g Rating, today Day, retention float64) Card {
	if retention <= 0 {
		retention = DefaultRetention
	}
	elapsed := 0
	if prev.Reps > 0 {
		elapsed = max(int(today-prev.Last), 0) // a clock that went back is a same-day review
	}
	m := DefaultFSRS.Next(prev.Memory(), elapsed, g)
	next := Card{
		Stability: storedFloat(m.Stability), Difficulty: storedFloat(m.Difficulty),
		Due:  today + Day(DefaultFSRS.Interval(m.Stability, retention)),
		Last: today, Reps: prev.Reps + 1, Lapses: prev.Lapses,
	}
	if g == RatingAgain && prev.Reps > 0 {
		next.Lapses++
	}
	return next
}

// Due is how many cards are due on day today (due that day or earlier).
func (c *Cards) Due(today Day) int {
	if c.parsed != nil {
		n, _ := slices.BinarySearchFunc(c.parsed, today+1, func(e cardEntry, d Day) int { return cmp.Compare(e.Due, d) })
		return n
	}
	n, due := 0, Day(0)
	for rest := c.cardsRaw(); rest != ""; {
		if delta, ok := leadingInt(rest); ok {
			if due += Day(delta); due > today {
				break
			}
			n++
		}
		i := strings.IndexByte(rest, ';')
		if i < 0 {
			break
		}
		rest = rest[i+1:]
	}
	return n
}

// Next is the card to review on day today: the one due earliest, the lowest question ID
// among those due the same day. False when none is due.
func (c *Cards) Next(today Day) (id string, card Card, ok bool) {
	return c.NextWhere(today, nil)
}

// NextWhere is Next among the cards whose ID keep accepts (all when keep is nil): a roadmap
// edited since may no longer have some questions.
func (c *Cards) NextWhere(today Day, keep func(id string) bool) (id string, card Card, ok bool) {
	id, card, ok = c.first(keep)
	if !ok || card.Due > today {
		return "", Card{}, false
	}
	return id, card, true
}

// NextDue is the day the earliest card falls due (today or before if some are due now);
// false when the learner has no cards.
func (c *Cards) NextDue() (Day, bool) {
	_, card, ok := c.first(nil)
	return card.Due, ok
}

// first is the earliest due card keep accepts.
func (c *Cards) first(keep func(string) bool) (string, Card, bool) {
	if c.parsed != nil {
		for _, e := range c.parsed {
			if keep == nil || keep(e.id) {
				return e.id, e.Card, true
			}
		}
		return "", Card{}, false
	}
	due := Day(0)
	for rest := c.cardsRaw(); rest != ""; {
		var entry string
		entry, rest, _ = strings.Cut(rest, ";")
		if e, ok := parseCard(entry, &due); ok && (keep == nil || keep(e.id)) {
			return e.id, e.Card, true
		}
	}
	return "", Card{}, false
}

// Remove drops the card of id, if any: for a question the roadmap no longer has.
func (c *Cards) Remove(id string) {
	c.parse()
	if i := c.find(id); i >= 0 {
		c.parsed = slices.Delete(c.parsed, i, i+1)
		c.raw = ""
		if c.undo != nil && c.undo.id == id {
			c.undo = nil
		}
	}
}

// IDs are the questions with a card, in the order they fall due.
func (c *Cards) IDs() []string {
	c.parse()
	ids := make([]string, len(c.parsed))
	for i, e := range c.parsed {
		ids[i] = e.id
	}
	return ids
}

// CardStats is what `/roadmap review stats` shows.
type CardStats struct {
	Cards    int // questions with a card
	DueToday int
	DueWeek  int // due within the next 7 days, today included
	Reviews  int // reviews graded in the last 30 days, today included
	Right    int // of those, the ones not graded Again
}

// Stats are the learner's cards as of day today.
func (c *Cards) Stats(today Day) CardStats {
	s := CardStats{Cards: c.Len(), DueToday: c.Due(today), DueWeek: c.Due(today + 6)}
	for _, t := range c.tally {
		if t.day > today-tallyDays && t.day <= today {
			s.Reviews += t.total
			s.Right += t.right
		}
	}
	return s
}

// Seed gives a card to every question of h the learner has answered and that has no card
// yet, so the review schedule starts from their quiz history instead of from zero; today
// stands in for an answer day the history does not have. It returns how many cards it made.
//
// The history keeps, per question, only the counts and the day and outcome of the last
// answer, so each becomes one review on that day:
//   - last answer right, never wrong: Good, as if reviewed once (due 2 days later);
//   - last answer right after wrong ones: Hard, since the learner struggled with it (due the
//     next day, with a higher difficulty);
//   - last answer wrong: Again. The learner did not know it the last time they saw it, so it
//     comes back the next day, and its difficulty starts high.
//
// The grades are not counted as reviews of the last 30 days: they happened before cards.
func (c *Cards) Seed(h *History, today Day) int {
	h.parse()
	c.parse()
	has := make(map[string]bool, len(c.parsed))
	for _, e := range c.parsed {
		has[e.id] = true
	}
	n := 0
	for id, rec := range h.parsed {
		if rec.Right+rec.Wrong == 0 || has[id] {
			continue
		}
		day := rec.Answered
		if day == 0 {
			day = today
		}
		g := RatingGood
		switch {
		case !rec.LastGood:
			g = RatingAgain
		case rec.Wrong > 0:
			g = RatingHard
		}
		c.put(id, gradeCard(Card{}, g, day, DefaultRetention))
		n++
	}
	return n
}

// find is the index of id in parsed, or −1.
func (c *Cards) find(id string) int {
	for i := range c.parsed {
		if c.parsed[i].id == id {
			return i
		}
	}
	return -1
}

// put sets the card of id, keeping parsed sorted.
func (c *Cards) put(id string, card Card) {
	if i := c.find(id); i >= 0 {
		c.parsed = slices.Delete(c.parsed, i, i+1)
	}
	e := cardEntry{id: id, Card: card}
	i, _ := slices.BinarySearchFunc(c.parsed, e, compareEntries)
	c.parsed = slices.Insert(c.parsed, i, e)
	c.raw = ""
}

func compareEntries(a, b cardEntry) int {
	return cmp.Or(cmp.Compare(a.Due, b.Due), strings.Compare(a.id, b.id))
}

// count adds a review graded g on day to the tally, dropping days older than tallyDays.
func (c *Cards) count(day Day, g Rating, n int) {
	right := 0
	if g != RatingAgain {
		right = n
	}
	i, found := slices.BinarySearchFunc(c.tally, day, func(t dayTally, d Day) int { return cmp.Compare(t.day, d) })
	if !found {
		c.tally = slices.Insert(c.tally, i, dayTally{day: day})
	}
	c.tally[i].total += n
	c.tally[i].right += right
	c.tally = slices.DeleteFunc(c.tally, func(t dayTally) bool { return t.day <= day-tallyDays || t.total <= 0 })
}

// cardsRaw is the stored string past its optional sections.
func (c *Cards) cardsRaw() string {
	rest := c.raw
	for rest != "" && (rest[0] == '#' || rest[0] == '^') {
		_, rest, _ = strings.Cut(rest, ";")
	}
	return rest
}

// leadingInt reads the integer an entry starts with: its due day, relative to the card
// before it.
func leadingInt(entry string) (int, bool) {
	n, i, neg := 0, 0, false
	if entry != "" && entry[0] == '-' {
		neg, i = true, 1
	}
	start := i
	for ; i < len(entry) && entry[i] >= '0' && entry[i] <= '9'; i++ {
		n = n*10 + int(entry[i]-'0')
	}
	if i == start || i-start > 9 || i < len(entry) && entry[i] != ' ' {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

func (c *Cards) parse() {
	if c.parsed != nil {
		return
	}
	c.parsed = []cardEntry{}
	rest, due := c.raw, Day(0)
	for rest != "" {
		var entry string
		entry, rest, _ = strings.Cut(rest, ";")
		switch {
		case strings.HasPrefix(entry, "#"):
			c.tally = parseTally(entry[1:])
			slices.SortFunc(c.tally, func(a, b dayTally) int { return cmp.Compare(a.day, b.day) })
		case strings.HasPrefix(entry, "^"):
			c.undo = parseUndo(entry[1:])
		default:
			if e, ok := parseCard(entry, &due); ok {
				c.parsed = append(c.parsed, e)
			}
		}
	}
	// Sorted as stored; sorting again costs little and keeps a hand-edited record honest.
	if !slices.IsSortedFunc(c.parsed, compareEntries) {
		slices.SortFunc(c.parsed, compareEntries)
	}
}

// parseCard reads an entry, due is the due day of the entry before it, moved to this
// entry's whenever its first field can be read, so one damaged entry does not shift the
// others.
func parseCard(entry string, due *Day) (cardEntry, bool) {
	delta, ok := leadingInt(entry)
	if !ok {
		return cardEntry{}, false
	}
	*due += Day(delta)
	// Split by hand: strings.Fields allocates, and a review parses every card.
	var f [7]string
	n := 0
	for field := range strings.SplitSeq(entry, " ") {
		if field == "" {
			continue
		}
		if n == len(f) {
			return cardEntry{}, false
		}
		f[n] = field
		n++
	}
	if n != len(f) {
		return cardEntry{}, false
	}
	card, ok := parseCardFields(f[2:], *due)
	if !ok {
		return cardEntry{}, false
	}
	return cardEntry{id: f[1], Card: card}, true
}

// parseCardFields reads what cardFields wrote for a card due on day due.
func parseCardFields(f []string, due Day) (Card, bool) {
	if len(f) != 5 {
		return Card{}, false
	}
	wait, e1 := strconv.Atoi(f[0])
	reps, e2 := strconv.Atoi(f[1])
	lapses, e3 := strconv.Atoi(f[2])
	s, e4 := strconv.ParseFloat(f[3], 64)
	d, e5 := strconv.ParseFloat(f[4], 64)
	if e1 != nil || e2 != nil || e3 != nil || e4 != nil || e5 != nil {
		return Card{}, false
	}
	return Card{Stability: s, Difficulty: d, Due: due, Last: due - Day(wait), Reps: reps, Lapses: lapses}, true
}

// appendCardFields writes "days-since-last-review reps lapses stability difficulty".
func appendCardFields(b []byte, c Card) []byte {
	b = strconv.AppendInt(b, int64(c.Due-c.Last), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(c.Reps), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(c.Lapses), 10)
	b = append(b, ' ')
	b = strconv.AppendFloat(b, c.Stability, 'g', storedDigits, 64)
	b = append(b, ' ')
	return strconv.AppendFloat(b, c.Difficulty, 'g', storedDigits, 64)
}

// Stability and difficulty are kept to six significant digits, which is what is stored: a
// card read back is the card graded, and the schedule moves by less than a day even at the
// longest interval.
const storedDigits = 6

func storedFloat(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', storedDigits, 64), 64)
	return v
}

// parseTally reads "day total right,…".
func parseTally(s string) []dayTally {
	var out []dayTally
	for part := range strings.SplitSeq(s, ",") {
		f := strings.Fields(part)
		if len(f) != 3 {
			continue
		}
		d, e1 := strconv.Atoi(f[0])
		t, e2 := strconv.Atoi(f[1])
		r, e3 := strconv.Atoi(f[2])
		if e1 == nil && e2 == nil && e3 == nil {
			out = append(out, dayTally{day: Day(d), total: t, right: r})
		}
	}
	return out
}

// parseUndo reads "id day rating due days-since-last-review reps lapses stability
// difficulty", or
// "id day rating new" when the grade created the card.
func parseUndo(s string) *cardUndo {
	f := strings.Fields(s)
	if len(f) < 4 {
		return nil
	}
	day, e1 := strconv.Atoi(f[1])
	g, e2 := strconv.Atoi(f[2])
	if e1 != nil || e2 != nil || !Rating(g).Valid() {
		return nil
	}
	u := &cardUndo{id: f[0], day: Day(day), rating: Rating(g)}
	if len(f) == 4 && f[3] == "new" {
		return u
	}
	due, err := strconv.Atoi(f[3])
	prev, ok := parseCardFields(f[4:], Day(due))
	if err != nil || !ok {
		return nil
	}
	u.prev = prev
	return u
}

// MarshalText writes the string described on Cards, the form a store keeps (JSON writes it
// as a string).
func (c Cards) MarshalText() ([]byte, error) {
	return c.AppendText(make([]byte, 0, 64+len(c.tally)*16+len(c.parsed)*40))
}

// AppendText appends what MarshalText writes to b.
func (c Cards) AppendText(b []byte) ([]byte, error) {
	if c.parsed == nil {
		return append(b, c.raw...), nil
	}
	start := len(b)
	sep := func() {
		if len(b) > start {
			b = append(b, ';')
		}
	}
	for i, t := range c.tally {
		if i == 0 {
			b = append(b, '#')
		} else {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, "%d %d %d", t.day, t.total, t.right)
	}
	if u := c.undo; u != nil {
		sep()
		b = fmt.Appendf(b, "^%s %d %d ", u.id, u.day, u.rating)
		if u.prev.Reps == 0 {
			b = append(b, "new"...)
		} else {
			b = strconv.AppendInt(b, int64(u.prev.Due), 10)
			b = appendCardFields(append(b, ' '), u.prev)
		}
	}
	due := Day(0)
	for _, e := range c.parsed {
		sep()
		b = strconv.AppendInt(b, int64(e.Due-due), 10)
		b = append(append(append(b, ' '), e.id...), ' ')
		b = appendCardFields(b, e.Card)
		due = e.Due
	}
	return b, nil
}

// UnmarshalText keeps the stored string until a card changes.
func (c *Cards) UnmarshalText(b []byte) error {
	*c = Cards{raw: string(b)}
	return nil
}
