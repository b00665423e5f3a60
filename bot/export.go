package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Your data, as learners see it:
//   - `/roadmap export` answers privately with a JSON file of everything studybot keeps about
//     the learner in this community (Export).
//   - `/roadmap forget` answers privately with a warning and a button that only that learner
//     may press (it names them: `forget confirm <user ID>`; anyone else pressing or typing it
//     is refused and nothing changes). Confirmed, every record of the learner in this
//     community goes: progress, streak, quiz history, review cards, notes, reminder, time
//     zone and cooldowns. Their other communities keep theirs.

// ExportFormat names the document an export holds, with ExportVersion: a later release adds
// fields but never renames or drops one under the same version.
const (
	ExportFormat  = "studybot-export"
	ExportVersion = 1
)

// Export is the JSON document `/roadmap export` gives a learner. Field names are stable
// (see ExportVersion). Days are ISO dates ("2026-12-06") in the learner's own calendar as it
// was counted; instants are RFC 3339 in UTC. Empty lists are written as [] and an absent
// reminder as null, so a reader need not guess whether a part was left out.
type Export struct {
	Format      string    `json:"format"`      // ExportFormat
	Version     int       `json:"version"`     // ExportVersion
	ExportedAt  time.Time `json:"exported_at"` // when the file was made
	Community   string    `json:"community"`   // "discord/<guild>", "slack/<team>", "console/<name>"
	UserID      string    `json:"user_id"`     // the platform's ID of the learner
	DisplayName string    `json:"display_name"`
	// TimeZone is the zone the learner set with /roadmap timezone; ProfileTimeZone the last
	// one their platform profile gave; DayFollows the zone their day follows now.
	TimeZone        string    `json:"time_zone"`
	ProfileTimeZone string    `json:"profile_time_zone"`
	DayFollows      string    `json:"day_follows"`
	LastUpdated     time.Time `json:"last_updated,omitzero"` // the record's last change

	Progress    []ExportLesson  `json:"progress"` // lessons not todo, in roadmap order
	Streak      ExportStreak    `json:"streak"`
	Quiz        ExportQuiz      `json:"quiz"`
	ReviewCards []ExportCard    `json:"review_cards"` // spaced review, in the order they fall due
	ReviewDays  []ExportReviews `json:"review_days"`  // reviews graded per day, last 30 days
	// LastGraded is the review graded last, which a Hard or Easy press may still change.
	LastGraded *ExportGrade    `json:"last_graded"`
	Notes      []ExportNote    `json:"notes"`            // in roadmap order
	Reminder   *ExportReminder `json:"reminder"`         // null: never set
	LegacyData map[string]any  `json:"legacy,omitempty"` // fields of an older record not migrated yet
}

// ExportLesson is the learner's state on one lesson.
type ExportLesson struct {
	Lesson string `json:"lesson"` // slug
	Title  string `json:"title"`  // "" for a lesson the roadmap no longer has
	Topic  string `json:"topic"`
	State  State  `json:"state"` // learning, done or skipped
}

// ExportStreak is the study streak with its day history.
type ExportStreak struct {
	Current     int       `json:"current"` // as stored: it may have lapsed since
	Longest     int       `json:"longest"`
	Previous    int       `json:"previous"`
	FreezesHeld int       `json:"freezes_held"`
	FirstDay    string    `json:"first_study_day"` // "" when never studied
	LastDay     string    `json:"last_study_day"`
	LastDayEnds time.Time `json:"last_day_ends,omitzero"`
	// StudiedDays are the days studied that the history keeps (about half a year up to
	// last_study_day), oldest first; FrozenDays the days a freeze covered.
	StudiedDays []ExportDay `json:"studied_days"`
	FrozenDays  []string    `json:"frozen_days"`
}

// ExportDay is one day studied and what was done on it (a check-in alone sets neither).
type ExportDay struct {
	Day     string `json:"day"`
	Lesson  bool   `json:"lesson_done"`
	Answers bool   `json:"questions_answered"`
}

// ExportQuiz is the quiz score and what the learner did with each question.
type ExportQuiz struct {
	Answered  int              `json:"answered"` // first answers of a day only
	Right     int              `json:"right"`
	Questions []ExportQuestion `json:"questions"`
}

// ExportQuestion is the learner's history with one question.
type ExportQuestion struct {
	Question     string `json:"question"`
	Shown        int    `json:"shown"`
	Right        int    `json:"right"`
	Wrong        int    `json:"wrong"`
	LastAnswered string `json:"last_answered"` // day
	LastRight    bool   `json:"last_right"`
}

// ExportCard is one spaced-review card (FSRS).
type ExportCard struct {
	Question   string  `json:"question"`
	Due        string  `json:"due"`         // day
	LastReview string  `json:"last_review"` // day
	Reviews    int     `json:"reviews"`
	Lapses     int     `json:"lapses"`
	Stability  float64 `json:"stability"`
	Difficulty float64 `json:"difficulty"`
}

// ExportReviews is one day's graded reviews.
type ExportReviews struct {
	Day     string `json:"day"`
	Reviews int    `json:"reviews"`
	Right   int    `json:"right"` // not graded Again
}

// ExportGrade is one graded review.
type ExportGrade struct {
	Question string `json:"question"`
	Day      string `json:"day"`
	Rating   string `json:"rating"` // again, hard, good or easy
}

// ExportNote is one note.
type ExportNote struct {
	Lesson string `json:"lesson"` // slug
	Title  string `json:"title"`
	Text   string `json:"text"`
}

// ExportReminder is the learner's streak reminder.
type ExportReminder struct {
	At       string    `json:"at"`        // HH:MM, local
	TimeZone string    `json:"time_zone"` // where At is read
	Active   bool      `json:"active"`
	Off      string    `json:"off_because,omitempty"`
	Next     time.Time `json:"next,omitzero"`
	LastSent string    `json:"last_sent,omitempty"` // day
	Updated  time.Time `json:"updated,omitzero"`
}

func (b *Bot) export(ctx context.Context, c Community, req Request) (Response, error) {
	doc, err := b.Export(ctx, c, req.UserID, req.ProfileZone)
	if err != nil {
		return Response{}, fmt.Errorf("export: %w", err)
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return Response{}, fmt.Errorf("export: encode: %w", err)
	}
	name := fmt.Sprintf("studybot-export-%s-%s.json", fileSafe(c.Platform+"-"+c.ID), fileSafe(req.UserID))
	return Response{
		Title: "Your data",
		Text: fmt.Sprintf("Everything studybot keeps about you in this community is in %s: progress on %s, your streak and its days, "+
			"quiz history, %s, %s, your reminder and time zone. Only you get this file. /roadmap forget deletes it all.",
			name, plural(len(doc.Progress), "lesson"), plural(len(doc.ReviewCards), "review card"), plural(len(doc.Notes), "note")),
		Files:     []File{{Name: name, Type: "application/json", Data: append(data, '\n')}},
		Ephemeral: true,
	}, nil
}

// fileSafe keeps letters, digits, '-' and '_' of s, so a file name built from IDs is one
// name on every system.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}

// Export gathers everything kept about the learner in the community: their record, notes
// and reminder. profileZone is the zone their platform profile gives now ("" for none).
func (b *Bot) Export(ctx context.Context, c Community, userID, profileZone string) (Export, error) {
	stored, err := b.store.Learner(ctx, c, userID)
	if err != nil {
		return Export{}, err
	}
	legacy := legacyFields(stored)
	l := stored
	b.roadmap.Upgrade(&l)
	doc := Export{
		Format: ExportFormat, Version: ExportVersion, ExportedAt: b.clock.Now().UTC(),
		Community: c.Key(), UserID: userID, DisplayName: l.Name,
		TimeZone: l.Zone, ProfileTimeZone: l.ProfileZone, DayFollows: b.Zone(ctx, c, &l, profileZone).String(),
		LastUpdated: l.Updated,
		Progress:    []ExportLesson{}, ReviewCards: []ExportCard{}, ReviewDays: []ExportReviews{}, Notes: []ExportNote{},
		LegacyData: legacy,
	}

	slugs := make([]string, 0, len(l.Lessons))
	for slug := range l.Lessons {
		slugs = append(slugs, slug)
	}
	b.inRoadmapOrder(slugs)
	for _, slug := range slugs {
		e := ExportLesson{Lesson: slug, State: l.Lessons[slug]}
		if x, ok := b.roadmap.Lesson(slug); ok {
			e.Title, e.Topic = x.Title, x.topic.Title
		}
		doc.Progress = append(doc.Progress, e)
	}

	doc.Streak = exportStreak(l.Streak)

	doc.Quiz = ExportQuiz{Answered: l.QuizAnswered, Right: l.QuizRight, Questions: []ExportQuestion{}}
	l.Questions.parse()
	for _, id := range slices.Sorted(maps.Keys(l.Questions.parsed)) {
		q := l.Questions.parsed[id]
		doc.Quiz.Questions = append(doc.Quiz.Questions, ExportQuestion{Question: id, Shown: q.Shown, Right: q.Right, Wrong: q.Wrong,
			LastAnswered: dayString(q.Answered), LastRight: q.LastGood})
	}

	l.Cards.parse()
	for _, e := range l.Cards.parsed {
		doc.ReviewCards = append(doc.ReviewCards, ExportCard{Question: e.id, Due: dayString(e.Due), LastReview: dayString(e.Last),
			Reviews: e.Reps, Lapses: e.Lapses, Stability: e.Stability, Difficulty: e.Difficulty})
	}
	if u := l.Cards.undo; u != nil {
		doc.LastGraded = &ExportGrade{Question: u.id, Day: u.day.String(), Rating: u.rating.String()}
	}
	for _, t := range l.Cards.tally {
		doc.ReviewDays = append(doc.ReviewDays, ExportReviews{Day: t.day.String(), Reviews: t.total, Right: t.right})
	}

	var notes []ExportNote
	err = b.store.Notes(ctx, c, userID, func(slug, text string) error {
		n := ExportNote{Lesson: slug, Text: text}
		if x, ok := b.roadmap.Lesson(slug); ok {
			n.Title = x.Title
		}
		notes = append(notes, n)
		return nil
	})
	if err != nil {
		return Export{}, fmt.Errorf("notes: %w", err)
	}
	order := make([]string, len(notes))
	for i, n := range notes {
		order[i] = n.Lesson
	}
	b.inRoadmapOrder(order)
	rank := make(map[string]int, len(order))
	for i, slug := range order {
		rank[slug] = i
	}
	slices.SortFunc(notes, func(a, b ExportNote) int { return cmp.Compare(rank[a.Lesson], rank[b.Lesson]) })
	doc.Notes = append(doc.Notes, notes...)

	if b.schedules != nil {
		sch, err := b.schedules.Schedule(ctx, RemindKey(c, userID))
		if err != nil {
			return Export{}, fmt.Errorf("reminder: %w", err)
		}
		if sch.Version != 0 {
			doc.Reminder = &ExportReminder{At: sch.At.String(), TimeZone: sch.Zone, Active: sch.Active(), Off: sch.Disabled,
				Next: sch.Next.UTC(), LastSent: dayString(sch.Posted), Updated: sch.Updated}
		}
	}
	return doc, nil
}

// legacyFields are the parts of a record of an earlier schema that the current one no
// longer reads, as stored: an export holds them until the record is migrated.
func legacyFields(l Learner) map[string]any {
	m := map[string]any{}
	if len(l.V1Topics) > 0 {
		m["topics"] = l.V1Topics
	}
	if len(l.V1QuizNext) > 0 {
		m["quiz_next"] = l.V1QuizNext
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// inRoadmapOrder sorts lesson slugs as the roadmap orders its lessons; slugs it no longer
// has come last, by slug.
func (b *Bot) inRoadmapOrder(slugs []string) {
	index := func(slug string) int {
		if x, ok := b.roadmap.Lesson(slug); ok {
			return x.index
		}
		return len(b.roadmap.lessons)
	}
	slices.SortFunc(slugs, func(a, b string) int { return cmp.Or(cmp.Compare(index(a), index(b)), strings.Compare(a, b)) })
}

func dayString(d Day) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func exportStreak(s Streak) ExportStreak {
	e := ExportStreak{Current: s.Current, Longest: s.Longest, Previous: s.Previous, FreezesHeld: s.Freezes,
		FirstDay: dayString(s.First), LastDay: dayString(s.Last), LastDayEnds: s.Ends,
		StudiedDays: []ExportDay{}, FrozenDays: []string{}}
	if s.Last == 0 {
		return e
	}
	h := s.history()
	for back := len(h) - 1; back >= 0; back-- {
		d := (s.Last - Day(back)).String()
		switch m := h[back]; {
		case m == markFrozen:
			e.FrozenDays = append(e.FrozenDays, d)
		case levelOf(m) != LevelNone:
			did := Activity(m - markPlain)
			e.StudiedDays = append(e.StudiedDays, ExportDay{Day: d, Lesson: did&ActivityLesson != 0, Answers: did&ActivityAnswer != 0})
		}
	}
	return e
}

// ClaimForgetter is a Cooldowns backend that keeps the scheduler's claims too (Redis): when
// a learner is forgotten, the claims on the days their reminder went out, which name them,
// go with their cooldowns instead of lasting until they expire (ClaimTTL).
type ClaimForgetter interface {
	ForgetClaims(ctx context.Context, keys ...string) error
}

// reminderClaims are the claim keys (Post.ClaimKey) a reminder may still hold: the days it
// last handled, last sent and is sending.
func reminderClaims(key ScheduleKey, sch *Schedule) []string {
	days := []Day{sch.Last, sch.Posted}
	if sch.Sending != nil {
		days = append(days, sch.Sending.Date)
	}
	var keys []string
	for _, d := range days {
		if k := key.String() + "/" + d.String(); d != 0 && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// forgetConfirm is the command the confirm button runs: it names the learner, so only they
// can run it.
func forgetConfirm(userID string) string { return "forget confirm " + userID }

func (b *Bot) forget(ctx context.Context, c Community, req Request, cmd Command) (Response, error) {
	if cmd.Sub != "confirm" {
		return Response{
			Title: "Delete everything about you here?",
			Text: "This deletes everything studybot keeps about you in this community, for good: your progress on every lesson, " +
				"your streak and its history, quiz history and review cards, your notes, your reminder and your time zone. " +
				"It cannot be undone. Other communities keep what they have. /roadmap export first gives you a copy.",
			Buttons: []Button{
				{Label: "Delete everything", Command: forgetConfirm(req.UserID), Style: StyleDanger},
				{Label: "Export first", Command: "export"},
			},
			Ephemeral: true,
			Tone:      ToneError,
		}, nil
	}
	if cmd.User != req.UserID {
		return Response{}, Errorf(EFORBIDDEN, "That button deletes the data of the learner who asked for it, and only they can press it; nothing was deleted. /roadmap forget deletes yours.")
	}
	var claims []string
	if b.schedules != nil {
		sch, err := b.schedules.Schedule(ctx, RemindKey(c, req.UserID))
		if err != nil {
			// An unreadable reminder must not keep the learner: the store deletes it anyway,
			// and its claims expire within ClaimTTL on their own.
			b.log.Warn("could not read a forgotten learner's reminder", "community", c.Key(), "err", err)
		} else {
			claims = reminderClaims(RemindKey(c, req.UserID), &sch)
		}
	}
	if err := b.store.ForgetLearner(ctx, c, req.UserID); err != nil {
		return Response{}, fmt.Errorf("forget: %w", err)
	}
	if b.schedules != nil && any(b.schedules) != any(b.store) {
		// Reminders kept apart from the learners' store cannot go in its transaction (nor be
		// deleted: the port has no delete), so the reminder is emptied; one left on would
		// message someone who asked to be forgotten.
		err := b.schedules.UpdateSchedule(ctx, RemindKey(c, req.UserID), func(sch *Schedule) error {
			if sch.Version == 0 {
				return errUnchanged
			}
			*sch = Schedule{} // reads as never set, and leaves the due index
			return nil
		})
		if err != nil && !errors.Is(err, errUnchanged) {
			return Response{}, fmt.Errorf("forget: reminder: %w", err)
		}
	}
	if err := b.cooldowns.Forget(ctx, learnerCooldownKeys(c, req.UserID)...); err != nil {
		// The records are gone; cooldown keys expire within a minute on their own.
		b.log.Warn("could not drop a forgotten learner's cooldowns", "community", c.Key(), "err", err)
	}
	if f, ok := b.cooldowns.(ClaimForgetter); ok && len(claims) > 0 {
		if err := f.ForgetClaims(ctx, claims...); err != nil {
			// They expire within ClaimTTL on their own.
			b.log.Warn("could not drop the claims on a forgotten learner's reminders", "community", c.Key(), "err", err)
		}
	}
	b.log.Info("learner forgotten at their request", "community", c.Key())
	return Response{
		Text: "🗑️ Done: everything studybot kept about you in this community is deleted (progress, streak, quiz history, review cards, " +
			"notes, reminder, time zone). If you use studybot here again, you start from scratch.",
		Ephemeral: true,
		Tone:      ToneSuccess,
	}, nil
}
