package bot

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Progress is a learner's state per lesson, by lesson slug; a lesson absent from it is todo.
// It is stored as one string of slugs per state ({"done":"dns http","learning":"tls"}):
// decoding a learner is on the path of every command, and a JSON object with an entry per
// lesson cost more than everything else `/roadmap next` does.
type Progress map[string]State

var storedStates = []State{StateDone, StateLearning, StateSkipped}

// Slugs is the progress as a store keeps it: the slugs of each state, space-separated and
// sorted, so equal progress encodes the same. Lessons in any other state are left out.
func (p Progress) Slugs() (done, learning, skipped string) {
	var by [3][]string
	for slug, s := range p {
		if i := slices.Index(storedStates, s); i >= 0 {
			by[i] = append(by[i], slug)
		}
	}
	for i := range by {
		slices.Sort(by[i])
	}
	return strings.Join(by[0], " "), strings.Join(by[1], " "), strings.Join(by[2], " ")
}

// ProgressOf reads what Slugs wrote.
func ProgressOf(done, learning, skipped string) Progress {
	// Sized up front: growing a map as it fills cost more than the rest of the decoding.
	n := 0
	for _, slugs := range [...]string{done, learning, skipped} {
		if slugs != "" {
			n += strings.Count(slugs, " ") + 1
		}
	}
	m := make(Progress, n)
	for _, f := range [...]struct {
		state State
		slugs string
	}{{StateDone, done}, {StateLearning, learning}, {StateSkipped, skipped}} {
		for slug := range strings.FieldsSeq(f.slugs) {
			m[slug] = f.state
		}
	}
	return m
}

// storedProgress is Progress as JSON: {"done":"dns http","learning":"tls"}.
type storedProgress struct {
	Done     string `json:"done,omitempty"`
	Learning string `json:"learning,omitempty"`
	Skipped  string `json:"skipped,omitempty"`
}

// MarshalJSON writes Slugs as an object.
func (p Progress) MarshalJSON() ([]byte, error) {
	var out storedProgress
	out.Done, out.Learning, out.Skipped = p.Slugs()
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (p *Progress) UnmarshalJSON(b []byte) error {
	var in storedProgress
	if err := json.Unmarshal(b, &in); err != nil {
		return fmt.Errorf("lesson progress: %w", err)
	}
	*p = ProgressOf(in.Done, in.Learning, in.Skipped)
	return nil
}

// History is what a learner did with each question they were shown, by question ID. It is
// stored as one string and parsed only when a command needs it (a quiz or an answer), so a
// long history costs nothing to the commands that never look at it.
type History struct {
	raw    string
	parsed map[string]QuestionRecord
}

// Get is the record of one question (zero when never shown).
func (h *History) Get(id string) QuestionRecord {
	h.parse()
	return h.parsed[id]
}

// Set replaces the record of one question.
func (h *History) Set(id string, rec QuestionRecord) {
	h.parse()
	h.parsed[id] = rec
	h.raw = ""
}

// Len is how many questions the learner has a record of.
func (h *History) Len() int {
	h.parse()
	return len(h.parsed)
}

// IsZero reports an empty history, so it is left out of the stored record.
func (h History) IsZero() bool { return h.raw == "" && len(h.parsed) == 0 }

func (h *History) parse() {
	if h.parsed != nil {
		return
	}
	h.parsed = map[string]QuestionRecord{}
	for _, entry := range strings.Split(h.raw, ";") {
		f := strings.Fields(entry)
		if len(f) != 6 {
			continue
		}
		n := func(s string) int { v, _ := strconv.Atoi(s); return v }
		h.parsed[f[0]] = QuestionRecord{Shown: n(f[1]), Right: n(f[2]), Wrong: n(f[3]), Answered: Day(n(f[4])), LastGood: f[5] == "1"}
	}
}

// MarshalText writes "id shown right wrong answered-day last-right;…", sorted by ID: the
// string a store keeps (JSON writes it as a string).
func (h History) MarshalText() ([]byte, error) { return h.AppendText(nil) }

// AppendText appends what MarshalText writes to b.
func (h History) AppendText(b []byte) ([]byte, error) {
	if h.parsed == nil {
		return append(b, h.raw...), nil
	}
	ids := make([]string, 0, len(h.parsed))
	for id := range h.parsed {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for i, id := range ids {
		r := h.parsed[id]
		if i > 0 {
			b = append(b, ';')
		}
		last := 0
		if r.LastGood {
			last = 1
		}
		b = fmt.Appendf(b, "%s %d %d %d %d %d", id, r.Shown, r.Right, r.Wrong, r.Answered, last)
	}
	return b, nil
}

// UnmarshalText keeps the stored string until the history is read.
func (h *History) UnmarshalText(b []byte) error {
	*h = History{raw: string(b)}
	return nil
}
