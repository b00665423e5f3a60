package bot

import "time"

// SchemaVersion is stamped on every stored record, so a later release can tell old records
// from new ones and migrate them.
const SchemaVersion = 1

// TopicState is where a learner stands on one topic. A topic absent from the record is todo.
type TopicState string

const (
	StateTodo     TopicState = "todo"
	StateLearning TopicState = "learning"
	StateDone     TopicState = "done"
	StateSkipped  TopicState = "skipped"
)

// Learner is one person's record in one community.
type Learner struct {
	Version      int                   `json:"v"`
	UserID       string                `json:"user"`
	Name         string                `json:"name,omitempty"`
	Topics       map[string]TopicState `json:"topics,omitempty"`
	Streak       Streak                `json:"streak"`
	Zone         string                `json:"tz,omitempty"`         // set by the learner with /roadmap timezone
	ProfileZone  string                `json:"profile_tz,omitempty"` // last zone their platform profile gave (Slack)
	Remind       string                `json:"remind,omitempty"`     // "HH:MM" local, "" = off
	QuizAnswered int                   `json:"quiz_answered,omitempty"`
	QuizRight    int                   `json:"quiz_right,omitempty"`
	QuizNext     map[string]int        `json:"quiz_next,omitempty"` // per topic: index of the next question to ask
	Updated      time.Time             `json:"updated"`
}

// State of a topic for this learner.
func (l *Learner) State(slug string) TopicState {
	if s, ok := l.Topics[slug]; ok {
		return s
	}
	return StateTodo
}

func (l *Learner) setState(slug string, s TopicState) {
	if l.Topics == nil {
		l.Topics = map[string]TopicState{}
	}
	if s == StateTodo {
		delete(l.Topics, slug)
		return
	}
	l.Topics[slug] = s
}

// Next is the first topic in roadmap order that is neither done nor skipped: what
// `/roadmap next` shows. Nil when the whole roadmap is behind the learner.
func (l *Learner) Next(r *Roadmap) *Topic {
	for i := range r.Topics {
		switch l.State(r.Topics[i].Slug) {
		case StateDone, StateSkipped:
			continue
		}
		return &r.Topics[i]
	}
	return nil
}

// Current is the topic a bare `done`, `skip` or `quiz` acts on: the one the learner said they
// are learning with `/roadmap start`, else Next. Nil when the whole roadmap is behind them.
func (l *Learner) Current(r *Roadmap) *Topic {
	for i := range r.Topics {
		if l.State(r.Topics[i].Slug) == StateLearning {
			return &r.Topics[i]
		}
	}
	return l.Next(r)
}

// Settings are a community's own choices.
type Settings struct {
	Version int    `json:"v"`
	Zone    string `json:"tz,omitempty"` // the community's day boundary, set with a nudge
}
