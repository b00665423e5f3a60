package bot

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A Roadmap is an ordered learning path: topics, each made of ordered lessons. Learners move
// through the lessons in order; "next" is always the first lesson neither done nor skipped.
type Roadmap struct {
	Name   string
	Topics []Topic

	lessons   []*Lesson // every lesson in roadmap order
	bySlug    map[string]int
	byLesson  map[string]*Lesson
	questions map[string]*Question
	minutes   int
}

// A Topic is one step of the roadmap (Caching, Testing…): why it matters, and its lessons.
type Topic struct {
	Slug     string
	Title    string
	Aliases  []string
	Overview string
	Lessons  []Lesson

	index int // position in the roadmap, 0-based
}

// A Lesson is one idea, studied in one sitting: a body with at least one runnable example,
// an exercise that says when it is done, key points, official documentation to read and a
// quiz. A project lesson is a milestone build that reuses earlier lessons; it lists its
// steps and a checklist and may have no questions.
type Lesson struct {
	Slug      string
	Title     string
	Minutes   int
	Body      string // the lesson Markdown subset: paragraphs, "- " lists, `code`, fenced blocks
	Exercise  string
	KeyPoints []string
	Resources []Resource
	Questions []Question
	Project   bool
	DrawsOn   []string
	Steps     []string
	Checklist []string

	topic  *Topic
	index  int // position in the whole roadmap, 0-based
	number int // position in its topic, 1-based

	// Rendered once when the roadmap is built: every showing of a lesson reuses them.
	text      string // heading, body, project lists and exercise, as lesson Markdown
	keyPoints string // the key points as a bulleted list
	linkList  []Link
}

// A Resource is a link to real, official documentation, with a hint of what to read there.
type Resource struct {
	Title   string
	URL     string
	Section string
}

// A Question is multiple choice with exactly one right answer. Its ID ("caching-http-2",
// the lesson's slug and its number) is how learners answer it.
type Question struct {
	ID      string
	Text    string
	Choices []string
	Answer  int // index into Choices, in the order written
	Explain string

	lesson *Lesson
}

// Content limits keep every lesson renderable on every platform: Discord embeds hold 4096
// characters and 6000 per message, Slack sections 3000 and 50 blocks a message; bodies
// longer than one piece are split between paragraphs, so only their total is bounded.
const (
	MaxTitleLen    = 60
	MaxSlugLen     = 48
	MaxOverviewLen = 1000
	MaxBodyLen     = 16000
	MaxExerciseLen = 2000
	MaxPointLen    = 200
	MaxSectionLen  = 160
	MaxStepLen     = 400
	MaxQuestionLen = 1000
	MaxChoiceLen   = 120
	MaxExplainLen  = 600
	MinResources   = 2
	MinQuestions   = 3
	MaxQuestions   = 8
	MaxChoices     = 5
	MaxMinutes     = 600
)

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// FieldError is content refused because of one field (and, in a list, one item of it), so
// a loader can point at the line it stands on.
type FieldError struct {
	Topic  int    // 0-based position of the topic in the roadmap; -1 when checked alone
	Lesson int    // 0-based position of the lesson in its topic; -1 for the topic itself
	Field  string // the file format's key: "slug", "resources", "questions", ...
	Item   int    // 0-based index in the field's list; -1 for the field as a whole
	Key    string // the key inside that item at fault ("url"), if one is
	Err    error
}

func (e *FieldError) Error() string { return e.Err.Error() }

func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field string, item int, key string, format string, args ...any) *FieldError {
	return &FieldError{Topic: -1, Lesson: -1, Field: field, Item: item, Key: key, Err: fmt.Errorf(format, args...)}
}

// ValidateTopic reports the first rule the topic's own fields break; its lessons are checked
// by ValidateLesson.
func ValidateTopic(t Topic) error {
	switch {
	case !slugPattern.MatchString(t.Slug) || len(t.Slug) > MaxSlugLen:
		return fieldErr("slug", -1, "", "slug %q must be up to %d lowercase letters, digits and single dashes", t.Slug, MaxSlugLen)
	case strings.TrimSpace(t.Title) == "":
		return fieldErr("title", -1, "", "title is empty")
	case utf8.RuneCountInString(t.Title) > MaxTitleLen:
		return fieldErr("title", -1, "", "title is longer than %d characters", MaxTitleLen)
	case utf8.RuneCountInString(t.Overview) > MaxOverviewLen:
		return fieldErr("overview", -1, "", "overview is longer than %d characters", MaxOverviewLen)
	case len(t.Lessons) == 0:
		return fieldErr("lessons", -1, "", "no lessons")
	}
	for i, a := range t.Aliases {
		if !slugPattern.MatchString(a) || len(a) > MaxSlugLen {
			return fieldErr("aliases", i, "", "alias %d %q must be lowercase letters, digits and single dashes", i+1, a)
		}
	}
	return nil
}

// ValidateLesson reports the first rule the lesson breaks; the loader adds file and line.
func ValidateLesson(l Lesson) error {
	text := func(field, s string, limit int) error {
		if strings.TrimSpace(s) == "" {
			return fieldErr(field, -1, "", "%s is empty", strings.ReplaceAll(field, "_", " "))
		}
		if utf8.RuneCountInString(s) > limit {
			return fieldErr(field, -1, "", "%s is longer than %d characters", strings.ReplaceAll(field, "_", " "), limit)
		}
		return nil
	}
	list := func(field string, items []string, limit int) error {
		for i, s := range items {
			if strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > limit {
				return fieldErr(field, i, "", "%s item %d must be 1 to %d characters", strings.ReplaceAll(field, "_", " "), i+1, limit)
			}
		}
		return nil
	}
	switch {
	case !slugPattern.MatchString(l.Slug) || len(l.Slug) > MaxSlugLen:
		return fieldErr("slug", -1, "", "slug %q must be up to %d lowercase letters, digits and single dashes", l.Slug, MaxSlugLen)
	case l.Minutes < 1 || l.Minutes > MaxMinutes:
		return fieldErr("minutes", -1, "", "minutes must be 1 to %d, the honest study time including the exercise", MaxMinutes)
	case !l.Project && len(l.Questions) < MinQuestions:
		return fieldErr("questions", -1, "", "%d questions, at least %d needed (only a project may have none)", len(l.Questions), MinQuestions)
	case len(l.Questions) > MaxQuestions:
		return fieldErr("questions", -1, "", "%d questions, at most %d", len(l.Questions), MaxQuestions)
	case len(l.KeyPoints) == 0:
		return fieldErr("key_points", -1, "", "no key points")
	case len(l.Resources) < MinResources:
		return fieldErr("resources", -1, "", "%d resources, at least %d needed", len(l.Resources), MinResources)
	case !l.Project && (len(l.Steps) > 0 || len(l.Checklist) > 0 || len(l.DrawsOn) > 0):
		return fieldErr("project", -1, "", "steps, checklist and draws_on belong to projects (project: true)")
	case l.Project && (len(l.Steps) == 0 || len(l.Checklist) == 0):
		return fieldErr("project", -1, "", "a project lists its steps and a checklist")
	}
	if err := text("title", l.Title, MaxTitleLen); err != nil {
		return err
	}
	if err := text("body", l.Body, MaxBodyLen); err != nil {
		return err
	}
	if strings.Count(l.Body, "```")%2 != 0 {
		return fieldErr("body", -1, "", "body has a fenced code block that is never closed")
	}
	if l.Exercise != "" {
		if err := text("exercise", l.Exercise, MaxExerciseLen); err != nil {
			return err
		}
	}
	for _, c := range []struct {
		field string
		items []string
		limit int
	}{{"key_points", l.KeyPoints, MaxPointLen}, {"steps", l.Steps, MaxStepLen}, {"checklist", l.Checklist, MaxPointLen}} {
		if err := list(c.field, c.items, c.limit); err != nil {
			return err
		}
	}
	for i, r := range l.Resources {
		if strings.TrimSpace(r.Title) == "" || utf8.RuneCountInString(r.Title) > MaxTitleLen*2 {
			return fieldErr("resources", i, "title", "resource %d needs a title of 1 to %d characters", i+1, MaxTitleLen*2)
		}
		if !strings.HasPrefix(r.URL, "https://") || strings.ContainsAny(r.URL, " \t\n<>\"") || len(r.URL) > 300 {
			return fieldErr("resources", i, "url", "resource %d url %q must be a plain https:// address", i+1, r.URL)
		}
		if utf8.RuneCountInString(r.Section) > MaxSectionLen {
			return fieldErr("resources", i, "section", "resource %d section hint is longer than %d characters", i+1, MaxSectionLen)
		}
	}
	for i, q := range l.Questions {
		if err := validateQuestion(q); err != nil {
			return fieldErr("questions", i, "", "question %d: %w", i+1, err)
		}
	}
	return nil
}

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
		key := strings.ToLower(strings.TrimSpace(c))
		if seen[key] {
			return fmt.Errorf("choice %c repeats another choice", 'a'+rune(i))
		}
		seen[key] = true
	}
	return nil
}

// NewRoadmap checks every topic and lesson and the roadmap as a whole (unique slugs, titles
// and aliases across topics and lessons, projects drawing only on earlier lessons) and
// assigns question IDs.
func NewRoadmap(name string, topics []Topic) (*Roadmap, error) {
	if len(topics) == 0 {
		return nil, errors.New("roadmap has no topics")
	}
	r := &Roadmap{Name: name, Topics: topics, bySlug: make(map[string]int, len(topics)),
		byLesson: map[string]*Lesson{}, questions: map[string]*Question{}}
	names := map[string]string{} // normalised name -> who owns it
	claim := func(owner, n string) error {
		key := normalize(n)
		if prev, ok := names[key]; ok && prev != owner {
			return fmt.Errorf("%q is already used by %s", n, prev)
		}
		names[key] = owner
		return nil
	}
	for i := range r.Topics {
		t := &r.Topics[i]
		t.index = i
		locate := func(err error, lesson int) error {
			located := FieldError{Lesson: -1, Item: -1, Err: err}
			var fe *FieldError
			if errors.As(err, &fe) {
				located = *fe
			}
			located.Topic, located.Lesson = i, lesson
			if lesson >= 0 {
				located.Err = fmt.Errorf("topic %q lesson %d (%s): %w", t.Slug, lesson+1, t.Lessons[lesson].Slug, located.Err)
			} else {
				located.Err = fmt.Errorf("topic %d (%s): %w", i+1, t.Slug, located.Err)
			}
			return &located
		}
		if err := ValidateTopic(*t); err != nil {
			return nil, locate(err, -1)
		}
		if _, dup := r.bySlug[t.Slug]; dup {
			return nil, locate(fieldErr("slug", -1, "", "slug %q is used twice", t.Slug), -1)
		}
		r.bySlug[t.Slug] = i
		owner := "topic " + t.Slug
		if err := claim(owner, t.Slug); err != nil {
			return nil, locate(fieldErr("slug", -1, "", "%v", err), -1)
		}
		if err := claim(owner, t.Title); err != nil {
			return nil, locate(fieldErr("title", -1, "", "%v", err), -1)
		}
		for j, a := range t.Aliases {
			if err := claim(owner, a); err != nil {
				return nil, locate(fieldErr("aliases", j, "", "%v", err), -1)
			}
		}
		for j := range t.Lessons {
			l := &t.Lessons[j]
			l.topic, l.index, l.number = t, len(r.lessons), j+1
			if err := ValidateLesson(*l); err != nil {
				return nil, locate(err, j)
			}
			if _, dup := r.byLesson[l.Slug]; dup {
				return nil, locate(fieldErr("slug", -1, "", "lesson slug %q is used twice", l.Slug), j)
			}
			owner := "lesson " + l.Slug
			if l.Slug == t.Slug && len(t.Lessons) == 1 {
				owner = "topic " + t.Slug // a version 1 topic: its one lesson shares its names
			}
			if err := claim(owner, l.Slug); err != nil {
				return nil, locate(fieldErr("slug", -1, "", "%v", err), j)
			}
			if err := claim(owner, l.Title); err != nil {
				return nil, locate(fieldErr("title", -1, "", "%v", err), j)
			}
			for k, d := range l.DrawsOn {
				if _, ok := r.byLesson[d]; !ok {
					return nil, locate(fieldErr("draws_on", k, "", "draws_on %q is not an earlier lesson", d), j)
				}
			}
			r.byLesson[l.Slug] = l
			r.lessons = append(r.lessons, l)
			l.text, l.keyPoints, l.linkList = lessonMarkdown(r, l), bullets(l.KeyPoints), links(l)
			r.minutes += l.Minutes
			for k := range l.Questions {
				q := &l.Questions[k]
				q.ID, q.lesson = l.Slug+"-"+strconv.Itoa(k+1), l
				q.Text = JoinSoftBreaks(q.Text) // as it is shown
				if _, dup := r.questions[q.ID]; dup {
					return nil, locate(fieldErr("questions", k, "", "question id %q is used twice", q.ID), j)
				}
				r.questions[q.ID] = q
			}
		}
	}
	return r, nil
}

// Lessons is every lesson in roadmap order.
func (r *Roadmap) Lessons() []*Lesson { return r.lessons }

// Minutes is the study time of the whole roadmap.
func (r *Roadmap) Minutes() int { return r.minutes }

// Topic returns the topic with this exact slug.
func (r *Roadmap) Topic(slug string) (*Topic, bool) {
	i, ok := r.bySlug[slug]
	if !ok {
		return nil, false
	}
	return &r.Topics[i], true
}

// Lesson returns the lesson with this exact slug.
func (r *Roadmap) Lesson(slug string) (*Lesson, bool) {
	l, ok := r.byLesson[slug]
	return l, ok
}

// Question finds a question by its ID ("caching-http-2").
func (r *Roadmap) Question(id string) (*Question, bool) {
	q, ok := r.questions[id]
	return q, ok
}

// Index is the topic's position in the roadmap, 0-based.
func (t *Topic) Index() int { return t.index }

// Minutes is the study time of the topic's lessons.
func (t *Topic) Minutes() int {
	n := 0
	for i := range t.Lessons {
		n += t.Lessons[i].Minutes
	}
	return n
}

// Topic is the topic the lesson belongs to.
func (l *Lesson) Topic() *Topic { return l.topic }

// Index is the lesson's position in the whole roadmap, 0-based: the daily post's order.
func (l *Lesson) Index() int { return l.index }

// Number is the lesson's position in its topic, 1-based ("lesson 3 of 6").
func (l *Lesson) Number() int { return l.number }

// Lesson is the lesson the question belongs to.
func (q *Question) Lesson() *Lesson { return q.lesson }

// A Target is what a learner named: a whole topic or one lesson. Exactly one is set.
type Target struct {
	Topic  *Topic
	Lesson *Lesson
}

// Title is how the target is named in answers.
func (t Target) Title() string {
	if t.Lesson != nil {
		return t.Lesson.Title
	}
	return t.Topic.Title
}

// Slug is the target's slug, what a command takes.
func (t Target) Slug() string {
	if t.Lesson != nil {
		return t.Lesson.Slug
	}
	return t.Topic.Slug
}

// Lessons are the lessons the target covers.
func (t Target) Lessons() []*Lesson {
	if t.Lesson != nil {
		return []*Lesson{t.Lesson}
	}
	out := make([]*Lesson, len(t.Topic.Lessons))
	for i := range t.Topic.Lessons {
		out[i] = &t.Topic.Lessons[i]
	}
	return out
}

// entry is one matchable thing: a topic or a lesson and the names it answers to.
type entry struct {
	target Target
	names  []string
}

func (r *Roadmap) entries(topics, lessons bool) []entry {
	var out []entry
	if topics {
		for i := range r.Topics {
			t := &r.Topics[i]
			names := []string{t.Slug, normalize(t.Title)}
			for _, a := range t.Aliases {
				names = append(names, normalize(a))
			}
			out = append(out, entry{Target{Topic: t}, names})
		}
	}
	if lessons {
		for _, l := range r.lessons {
			out = append(out, entry{Target{Lesson: l}, []string{l.Slug, normalize(l.Title)}})
		}
	}
	return out
}

// A Match is what a learner's words resolved to. When Found is false, Suggestions hold the
// candidates worth offering, best first. Forgiven is set when a misspelling was accepted.
type Match struct {
	Target      Target
	Found       bool
	Forgiven    bool
	Suggestions []Target
}

// MatchTopic resolves what a learner typed to a topic: its number in the roadmap, a slug,
// title, alias, a unique prefix of one, or a close misspelling when one topic is clearly the
// closest.
func (r *Roadmap) MatchTopic(input string) Match {
	if n, err := strconv.Atoi(strings.TrimSpace(stripFormat(input))); err == nil && n >= 1 && n <= len(r.Topics) {
		return Match{Target: Target{Topic: &r.Topics[n-1]}, Found: true}
	}
	return match(r.entries(true, false), input)
}

// MatchLesson resolves what a learner typed to a lesson, as MatchTopic does for topics.
func (r *Roadmap) MatchLesson(input string) Match {
	return match(r.entries(false, true), input)
}

// MatchAny resolves a lesson or a topic. An exact name wins (a topic before a lesson), then
// a unique prefix, then a close misspelling.
func (r *Roadmap) MatchAny(input string) Match {
	if n, err := strconv.Atoi(strings.TrimSpace(stripFormat(input))); err == nil && n >= 1 && n <= len(r.Topics) {
		return Match{Target: Target{Topic: &r.Topics[n-1]}, Found: true}
	}
	return match(r.entries(true, true), input)
}

func match(entries []entry, input string) Match {
	key := normalize(input)
	if key == "" {
		return Match{}
	}
	for _, e := range entries {
		for _, n := range e.names {
			if n == key {
				return Match{Target: e.target, Found: true}
			}
		}
	}
	var prefixed []Target
	for _, e := range entries {
		for _, n := range e.names {
			if strings.HasPrefix(n, key) {
				prefixed = append(prefixed, e.target)
				break
			}
		}
	}
	if len(prefixed) == 1 {
		return Match{Target: prefixed[0], Found: true}
	}
	if len(prefixed) > 1 {
		return Match{Suggestions: prefixed}
	}

	// Misspellings: the whole name within a small edit distance matches when one entry is
	// strictly closest; a single word that is close only earns a suggestion.
	best, bestDist, tie := -1, 1<<30, false
	for i, e := range entries {
		d := 1 << 30
		for _, n := range e.names {
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
		return Match{Target: entries[best].target, Found: true, Forgiven: true}
	}
	var suggestions []Target
	for _, e := range entries {
		if closeTo(e.names, key) {
			suggestions = append(suggestions, e.target)
		}
	}
	return Match{Suggestions: suggestions}
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

// closeTo is true when any word of the names is within the typo budget of a word of the
// input, or starts with it.
func closeTo(names []string, key string) bool {
	for _, word := range strings.Split(key, "-") {
		if len(word) < 3 {
			continue
		}
		for _, n := range names {
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
// "API Security", "api_security" and "api-security" are one key. Invisible format
// characters (see stripFormat) are dropped, not turned into a dash.
func normalize(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if isFormat(r) {
			continue
		}
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

// Suggest lists up to n targets for a partly typed name, best first: exact and prefix
// matches, then close spellings, then roadmap order (topics before lessons). Empty input
// suggests the first n. Autocomplete menus use it; topics and lessons say which to include.
func (r *Roadmap) Suggest(input string, n int, topics, lessons bool) []Target {
	key := normalize(input)
	type scored struct {
		t     Target
		score int
	}
	var found []scored
	for _, e := range r.entries(topics, lessons) {
		best := -1
		for _, name := range e.names {
			switch {
			case key == "" || name == key:
				best = max(best, 3)
			case strings.HasPrefix(name, key):
				best = max(best, 2)
			case strings.Contains(name, key) || closeTo(e.names, key):
				best = max(best, 1)
			}
		}
		if best >= 0 {
			found = append(found, scored{e.target, best})
		}
	}
	// Stable: equal scores keep roadmap order.
	for i := 1; i < len(found); i++ {
		for j := i; j > 0 && found[j].score > found[j-1].score; j-- {
			found[j], found[j-1] = found[j-1], found[j]
		}
	}
	out := make([]Target, 0, min(n, len(found)))
	for _, s := range found[:min(n, len(found))] {
		out = append(out, s.t)
	}
	return out
}
