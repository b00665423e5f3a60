package bot

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// A Roadmap is an ordered learning path. Learners move through its topics in order; "next"
// is always the first topic that is neither done nor skipped.
type Roadmap struct {
	Name   string
	Topics []Topic

	bySlug map[string]int
}

// A Topic is one step of the roadmap: a short lesson, the points worth remembering, official
// documentation to read, and a quiz.
type Topic struct {
	Slug      string
	Title     string
	Aliases   []string
	Lesson    string
	KeyPoints []string
	Resources []Resource
	Quiz      []Question
}

// A Resource is a link to real, official documentation.
type Resource struct {
	Title string
	URL   string
}

// A Question is multiple choice with exactly one right answer. Its ID ("caching-2") is how
// learners answer it: `/roadmap answer caching-2 b`.
type Question struct {
	ID      string
	Text    string
	Choices []string
	Answer  int // index into Choices
	Explain string
}

// Content limits keep every topic renderable on every platform (Discord embed fields hold
// 1024 characters, button labels 80; Slack sections 3000).
const (
	MaxTitleLen    = 60
	MaxLessonLen   = 1800
	MaxPointLen    = 200
	MaxQuestionLen = 300
	MaxChoiceLen   = 80
	MaxExplainLen  = 300
	MinResources   = 2
	MinQuestions   = 3
	MaxChoices     = 5
)

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ValidateTopic reports the first rule the topic breaks; the loader adds file and line.
func ValidateTopic(t Topic) error {
	whole := func(field string, format string, args ...any) error {
		return &FieldError{Topic: -1, Field: field, Item: -1, Err: fmt.Errorf(format, args...)}
	}
	item := func(field string, i int, format string, args ...any) error {
		return &FieldError{Topic: -1, Field: field, Item: i, Err: fmt.Errorf(format, args...)}
	}
	switch {
	case !slugPattern.MatchString(t.Slug):
		return whole("slug", "slug %q must be lowercase letters, digits and single dashes", t.Slug)
	case strings.TrimSpace(t.Title) == "":
		return whole("title", "title is empty")
	case utf8.RuneCountInString(t.Title) > MaxTitleLen:
		return whole("title", "title is longer than %d characters", MaxTitleLen)
	case strings.TrimSpace(t.Lesson) == "":
		return whole("lesson", "lesson is empty")
	case utf8.RuneCountInString(t.Lesson) > MaxLessonLen:
		return whole("lesson", "lesson is longer than %d characters", MaxLessonLen)
	case len(t.KeyPoints) == 0:
		return whole("key_points", "no key points")
	case len(t.Resources) < MinResources:
		return whole("resources", "%d resources, at least %d needed", len(t.Resources), MinResources)
	case len(t.Quiz) < MinQuestions:
		return whole("quiz", "%d quiz questions, at least %d needed", len(t.Quiz), MinQuestions)
	}
	for i, a := range t.Aliases {
		if !slugPattern.MatchString(a) {
			return item("aliases", i, "alias %d %q must be lowercase letters, digits and single dashes", i+1, a)
		}
	}
	for i, p := range t.KeyPoints {
		if strings.TrimSpace(p) == "" || utf8.RuneCountInString(p) > MaxPointLen {
			return item("key_points", i, "key point %d must be 1 to %d characters", i+1, MaxPointLen)
		}
	}
	for i, r := range t.Resources {
		if strings.TrimSpace(r.Title) == "" {
			return item("resources", i, "resource %d has no title", i+1)
		}
		if !strings.HasPrefix(r.URL, "https://") || strings.ContainsAny(r.URL, " \t\n<>\"") {
			return &FieldError{Topic: -1, Field: "resources", Item: i, Key: "url",
				Err: fmt.Errorf("resource %d url %q must be a plain https:// address", i+1, r.URL)}
		}
	}
	for i, q := range t.Quiz {
		if err := validateQuestion(q); err != nil {
			return item("quiz", i, "quiz question %d: %w", i+1, err)
		}
	}
	return nil
}

// FieldError is a topic refused because of one field (and, in a list, one item of it), so
// a loader can point at the line it stands on.
type FieldError struct {
	Topic int    // 0-based position of the topic in the roadmap; -1 when checked alone
	Field string // the file format's key: "slug", "resources", "quiz", ...
	Item  int    // 0-based index in the field's list; -1 for the field as a whole
	Key   string // the key inside that item at fault ("url"), if one is
	Err   error
}

func (e *FieldError) Error() string { return e.Err.Error() }

func (e *FieldError) Unwrap() error { return e.Err }

func validateQuestion(q Question) error {
	switch {
	case strings.TrimSpace(q.Text) == "" || utf8.RuneCountInString(q.Text) > MaxQuestionLen:
		return fmt.Errorf("question text must be 1 to %d characters", MaxQuestionLen)
	case len(q.Choices) < 2 || len(q.Choices) > MaxChoices:
		return fmt.Errorf("%d choices, want 2 to %d", len(q.Choices), MaxChoices)
	case q.Answer < 0 || q.Answer >= len(q.Choices):
		return fmt.Errorf("the right answer must be one of the choices (a to %c)", 'a'+rune(len(q.Choices)-1))
	case strings.TrimSpace(q.Explain) == "" || utf8.RuneCountInString(q.Explain) > MaxExplainLen:
		return fmt.Errorf("explanation must be 1 to %d characters", MaxExplainLen)
	}
	seen := map[string]bool{}
	for i, c := range q.Choices {
		if strings.TrimSpace(c) == "" || utf8.RuneCountInString(c) > MaxChoiceLen {
			return fmt.Errorf("choice %c must be 1 to %d characters", 'a'+rune(i), MaxChoiceLen)
		}
		if seen[strings.ToLower(c)] {
			return fmt.Errorf("choice %c repeats another choice", 'a'+rune(i))
		}
		seen[strings.ToLower(c)] = true
	}
	return nil
}

// NewRoadmap checks every topic and the roadmap as a whole (at least one topic, unique slugs,
// titles and aliases) and assigns question IDs.
func NewRoadmap(name string, topics []Topic) (*Roadmap, error) {
	if len(topics) == 0 {
		return nil, fmt.Errorf("roadmap has no topics")
	}
	r := &Roadmap{Name: name, Topics: topics, bySlug: make(map[string]int, len(topics))}
	names := map[string]string{}
	for i := range r.Topics {
		t := &r.Topics[i]
		if err := ValidateTopic(*t); err != nil {
			located := FieldError{Item: -1, Err: err}
			var fe *FieldError
			if errors.As(err, &fe) {
				located = *fe
			}
			located.Topic, located.Err = i, fmt.Errorf("topic %d (%s): %w", i+1, t.Slug, located.Err)
			return nil, &located
		}
		if _, dup := r.bySlug[t.Slug]; dup {
			return nil, &FieldError{Topic: i, Field: "slug", Item: -1, Err: fmt.Errorf("topic %d: slug %q is used twice", i+1, t.Slug)}
		}
		r.bySlug[t.Slug] = i
		type claim struct {
			field string
			item  int
			name  string
		}
		claims := []claim{{"slug", -1, t.Slug}, {"title", -1, t.Title}}
		for j, a := range t.Aliases {
			claims = append(claims, claim{"aliases", j, a})
		}
		for _, c := range claims {
			key := normalize(c.name)
			if prev, ok := names[key]; ok && prev != t.Slug {
				return nil, &FieldError{Topic: i, Field: c.field, Item: c.item,
					Err: fmt.Errorf("topic %q: %q is already used by topic %q", t.Slug, c.name, prev)}
			}
			names[key] = t.Slug
		}
		for j := range t.Quiz {
			t.Quiz[j].ID = fmt.Sprintf("%s-%d", t.Slug, j+1)
		}
	}
	return r, nil
}

// Topic returns the topic with this exact slug.
func (r *Roadmap) Topic(slug string) (*Topic, bool) {
	i, ok := r.bySlug[slug]
	if !ok {
		return nil, false
	}
	return &r.Topics[i], true
}

// Index is the topic's position in the roadmap, 0-based; -1 when unknown.
func (r *Roadmap) Index(slug string) int {
	if i, ok := r.bySlug[slug]; ok {
		return i
	}
	return -1
}

// Question finds a question by its ID ("caching-2").
func (r *Roadmap) Question(id string) (*Topic, *Question, bool) {
	cut := strings.LastIndexByte(id, '-')
	if cut <= 0 {
		return nil, nil, false
	}
	t, ok := r.Topic(id[:cut])
	if !ok {
		return nil, nil, false
	}
	for i := range t.Quiz {
		if t.Quiz[i].ID == id {
			return t, &t.Quiz[i], true
		}
	}
	return nil, nil, false
}

// Match resolves what a learner typed to a topic. It accepts a slug, a title, an alias, a
// unique prefix of any of those, or a close misspelling of one when a single topic is
// clearly the closest. When it cannot be sure it returns no topic and the candidates worth
// suggesting, best first.
func (r *Roadmap) Match(input string) (*Topic, []*Topic) {
	key := normalize(input)
	if key == "" {
		return nil, nil
	}
	if i, ok := r.bySlug[key]; ok {
		return &r.Topics[i], nil
	}
	for i := range r.Topics {
		for _, n := range r.Topics[i].names() {
			if n == key {
				return &r.Topics[i], nil
			}
		}
	}
	var prefixed []*Topic
	for i := range r.Topics {
		for _, n := range r.Topics[i].names() {
			if strings.HasPrefix(n, key) {
				prefixed = append(prefixed, &r.Topics[i])
				break
			}
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0], nil
	}
	if len(prefixed) > 1 {
		return nil, prefixed
	}

	// Misspellings: the whole name within a small edit distance matches when one topic is
	// strictly closest; a single word of a title that is close only earns a suggestion.
	best, bestDist, tie := -1, 1<<30, false
	for i := range r.Topics {
		d := 1 << 30
		for _, n := range r.Topics[i].names() {
			d = min(d, editDistance(key, n))
		}
		switch {
		case d < bestDist:
			best, bestDist, tie = i, d, false
		case d == bestDist:
			tie = true
		}
	}
	if best >= 0 && bestDist <= typoBudget(key) && !tie {
		return &r.Topics[best], nil
	}
	var suggestions []*Topic
	for i := range r.Topics {
		if r.Topics[i].closeTo(key) {
			suggestions = append(suggestions, &r.Topics[i])
		}
	}
	return nil, suggestions
}

// typoBudget is how many edits still count as the same word: none for very short input,
// where one edit reaches too many other words.
func typoBudget(s string) int {
	switch n := len(s); {
	case n < 4:
		return 0
	case n < 8:
		return 1
	default:
		return 2
	}
}

// answersTo is true when input is one of the topic's names or the start of one, as opposed
// to a misspelling that Match forgave.
func (t *Topic) answersTo(input string) bool {
	key := normalize(input)
	for _, n := range t.names() {
		if strings.HasPrefix(n, key) {
			return true
		}
	}
	return false
}

func (t *Topic) names() []string {
	names := make([]string, 0, 2+len(t.Aliases))
	names = append(names, t.Slug, normalize(t.Title))
	for _, a := range t.Aliases {
		names = append(names, normalize(a))
	}
	return names
}

// closeTo is true when any word of the topic's names is within the typo budget of a word
// of the input.
func (t *Topic) closeTo(key string) bool {
	for _, word := range strings.Split(key, "-") {
		if len(word) < 3 {
			continue
		}
		for _, n := range t.names() {
			for _, w := range strings.Split(n, "-") {
				if editDistance(word, w) <= max(1, typoBudget(word)) || (len(word) >= 4 && strings.HasPrefix(w, word)) {
					return true
				}
			}
		}
	}
	return false
}

// normalize folds case and turns every run of other characters into one dash, so
// "API Security", "api_security" and "api-security" are one key.
func normalize(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}

// editDistance is the optimal string alignment distance between two short ASCII keys:
// insertions, deletions, substitutions and swaps of neighbours each cost one, so "cachign"
// is one edit from "caching".
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20 // nobody misspells a 64-character name; skip the work
	}
	// rows[i%3] holds row i of the table; three rows are enough for the swap rule.
	var rows [3][65]int
	for j := 0; j <= len(b); j++ {
		rows[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur, prev, prev2 := &rows[i%3], &rows[(i-1)%3], &rows[(i+1)%3]
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
	}
	return rows[len(a)%3][len(b)]
}

// Suggest lists up to n topics for a partly typed name, best first: exact and prefix
// matches of slug, title or alias, then close spellings, then roadmap order. Empty input
// suggests the first n topics. Autocomplete menus use it.
func (r *Roadmap) Suggest(input string, n int) []*Topic {
	key := normalize(input)
	type scored struct {
		t     *Topic
		score int
	}
	var found []scored
	for i := range r.Topics {
		t := &r.Topics[i]
		best := -1
		for _, name := range t.names() {
			switch {
			case key == "" || name == key:
				best = max(best, 3)
			case strings.HasPrefix(name, key):
				best = max(best, 2)
			case strings.Contains(name, key) || t.closeTo(key):
				best = max(best, 1)
			}
		}
		if best >= 0 {
			found = append(found, scored{t, best})
		}
	}
	// Stable: equal scores keep roadmap order.
	for i := 1; i < len(found); i++ {
		for j := i; j > 0 && found[j].score > found[j-1].score; j-- {
			found[j], found[j-1] = found[j-1], found[j]
		}
	}
	out := make([]*Topic, 0, min(n, len(found)))
	for _, s := range found[:min(n, len(found))] {
		out = append(out, s.t)
	}
	return out
}
