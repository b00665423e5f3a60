package bot

import "time"

// SchemaVersion is stamped on every stored record, so a later release can tell old records
// from new ones and migrate them. Version 3 has spaced-review cards; version 2 keeps progress
// per lesson; version 1 kept it per topic (one lesson each).
const SchemaVersion = 3

// State is where a learner stands on a lesson, or, derived from its lessons, on a topic. A
// lesson absent from the record is todo.
type State string

const (
	StateTodo     State = "todo"
	StateLearning State = "learning"
	StateDone     State = "done"
	StateSkipped  State = "skipped"
)

// Learner is one person's record in one community.
type Learner struct {
	Version     int      `json:"v"`
	UserID      string   `json:"user"`
	Name        string   `json:"name,omitempty"`
	Lessons     Progress `json:"lessons,omitempty"`
	Streak      Streak   `json:"streak"`
	Zone        string   `json:"tz,omitempty"`         // set by the learner with /roadmap timezone
	ProfileZone string   `json:"profile_tz,omitempty"` // last zone their platform profile gave (Slack)
	// QuizAnswered and QuizRight count first answers only: one per question per day.
	QuizAnswered int `json:"quiz_answered,omitempty"`
	QuizRight    int `json:"quiz_right,omitempty"`
	// Questions is the learner's history with each question they were shown.
	Questions History   `json:"questions,omitzero"`
	Updated   time.Time `json:"updated"`

	// V1Topics is the version 1 progress, per topic; it is read only to migrate it.
	V1Topics map[string]State `json:"topics,omitempty"`
	// V1QuizNext is version 1's per-topic question rotation; migration drops it.
	V1QuizNext map[string]int `json:"quiz_next,omitempty"`
	// Cards are the learner's spaced-review cards, one per question answered (cards.go).
	Cards Cards `json:"cards,omitzero"`
}

// QuestionRecord is what a learner did with one question.
type QuestionRecord struct {
	Shown    int  `json:"shown,omitempty"`
	Right    int  `json:"right,omitempty"`
	Wrong    int  `json:"wrong,omitempty"`
	Answered Day  `json:"answered,omitempty"` // the learner's local day of the last answer
	LastGood bool `json:"last_right,omitempty"`
}

// State of a lesson for this learner.
func (l *Learner) State(lessonSlug string) State {
	if s, ok := l.Lessons[lessonSlug]; ok {
		return s
	}
	return StateTodo
}

func (l *Learner) setState(lessonSlug string, s State) {
	if l.Lessons == nil {
		l.Lessons = Progress{}
	}
	if s == StateTodo {
		delete(l.Lessons, lessonSlug)
		return
	}
	l.Lessons[lessonSlug] = s
}

// finished is true for a lesson done or skipped: both move the learner along.
func finished(s State) bool { return s == StateDone || s == StateSkipped }

// TopicState is derived from the topic's lessons: done when every lesson is done or skipped
// and at least one is done; skipped when every lesson is skipped; learning when any lesson is
// started or done; todo otherwise.
func (l *Learner) TopicState(t *Topic) State {
	done, skipped, started := 0, 0, 0
	for i := range t.Lessons {
		switch l.State(t.Lessons[i].Slug) {
		case StateDone:
			done++
		case StateSkipped:
			skipped++
		case StateLearning:
			started++
		}
	}
	switch {
	case skipped == len(t.Lessons):
		return StateSkipped
	case done > 0 && done+skipped == len(t.Lessons):
		return StateDone
	case done > 0 || started > 0:
		return StateLearning
	}
	return StateTodo
}

// Counts is how many of the lessons given are done and how many done or skipped.
func (l *Learner) Counts(lessons []*Lesson) (done, finishedCount int) {
	for _, x := range lessons {
		switch l.State(x.Slug) {
		case StateDone:
			done++
			finishedCount++
		case StateSkipped:
			finishedCount++
		}
	}
	return done, finishedCount
}

// Next is the first lesson in roadmap order that is neither done nor skipped: what
// `/roadmap next` shows. Nil when the whole roadmap is behind the learner.
func (l *Learner) Next(r *Roadmap) *Lesson {
	for _, x := range r.lessons {
		if !finished(l.State(x.Slug)) {
			return x
		}
	}
	return nil
}

// Current is the lesson a bare `done`, `skip` or `quiz` acts on: the one the learner said
// they are learning with `/roadmap start`, else Next. Nil when the whole roadmap is behind
// them.
func (l *Learner) Current(r *Roadmap) *Lesson {
	for _, x := range r.lessons {
		if l.State(x.Slug) == StateLearning {
			return x
		}
	}
	return l.Next(r)
}

// StudiedMinutes is the study time of the lessons marked done.
func (l *Learner) StudiedMinutes(r *Roadmap) int {
	n := 0
	for _, x := range r.lessons {
		if l.State(x.Slug) == StateDone {
			n += x.Minutes
		}
	}
	return n
}

// Upgrade turns a record of an earlier schema into the current one, in place, and reports
// whether it changed anything. Each step runs on a record older than it, so a version 1
// record takes both:
//   - to 2: a version 1 topic that was done has all its lessons done; one being learned has
//     its first lesson learning; a skipped one has all its lessons skipped.
//   - to 3: the quiz history seeds review cards (Cards.Seed), so nobody starts spaced review
//     from zero; questions the roadmap no longer has get none.
//
// Streaks, quiz scores, reminders and zones are untouched.
func (r *Roadmap) Upgrade(l *Learner) bool {
	if l.Version >= SchemaVersion || l.Version == 0 && l.UserID == "" {
		return false
	}
	if l.Version < 2 {
		for slug, s := range l.V1Topics {
			t, ok := r.Topic(slug)
			if !ok {
				continue // a topic no longer in the roadmap has nothing to carry over
			}
			switch s {
			case StateDone, StateSkipped:
				for i := range t.Lessons {
					l.setState(t.Lessons[i].Slug, s)
				}
			case StateLearning:
				l.setState(t.Lessons[0].Slug, StateLearning)
			}
		}
		l.V1Topics, l.V1QuizNext = nil, nil
	}
	if l.Version < 3 && !l.Questions.IsZero() {
		// An answer the history has no day for stands at the record's last change, the
		// latest it can have been given.
		fallback := l.Streak.Last
		if !l.Updated.IsZero() {
			fallback = max(fallback, DayOf(l.Updated, time.UTC))
		}
		if l.Cards.Seed(&l.Questions, fallback) > 0 {
			for _, id := range l.Cards.IDs() {
				if _, ok := r.Question(id); !ok {
					l.Cards.Remove(id)
				}
			}
		}
	}
	l.Version = SchemaVersion
	return true
}

// UpgradeSchedule turns a schedule of an earlier schema into the current one, in place, and
// reports whether it changed anything. A version 1 channel walk counted topics; it goes on
// at the first lesson of the topic it had reached, with its Day count unchanged.
func (r *Roadmap) UpgradeSchedule(s *Schedule) bool {
	if s.Version == 0 || s.Version >= SchemaVersion {
		return false
	}
	if s.Kind == KindNudge && s.Version < 2 {
		s.Cursor = r.Topics[s.Cursor%len(r.Topics)].Lessons[0].index
	}
	s.Version = SchemaVersion
	return true
}

// Settings are a community's own choices.
type Settings struct {
	Version int    `json:"v"`
	Zone    string `json:"tz,omitempty"` // the community's day boundary, set with a nudge
}
