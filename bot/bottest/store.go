package bottest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/studybot/studybot/bot"
)

// Store is an in-memory bot.Store and bot.ScheduleStore, for tests of the core that need a
// system of record but not a disk. It passes the same contract suite as the bbolt store
// (StoreContract). Safe for concurrent use.
//
// Records are kept as the JSON the bbolt store writes, so a record comes back exactly as it
// would from the file (a field that would not survive storage does not survive here) and no
// caller can hold on to stored state. Writes are serialised as bbolt's single writer is: an
// update's fn runs while no other write can, and may read the store, but must not write to it.
//
// A Store stands for a file that outlives processes: a test builds a second core over the
// same Store to restart, or over a Snapshot to restart from what a process killed at that
// moment would have left behind.
type Store struct {
	// write is held for the whole of a write, fn included; mu only while maps are read or
	// changed, so reads go on while fn runs.
	write sync.Mutex
	mu    sync.RWMutex

	learners  map[bot.Community]map[string]learnerRecord
	settings  map[bot.Community][]byte
	schedules map[bot.ScheduleKey][]byte
	due       []dueEntry // every schedule with a Next, by Next, then by key
	notes     map[noteKey]string
	left      map[bot.Community]time.Time // communities the bot left, and when (community.go)

	fail func(Op) error
}

// noteKey names one learner's note on one lesson.
type noteKey struct {
	community bot.Community
	user      string
	lesson    string
}

var (
	_ bot.Store         = (*Store)(nil)
	_ bot.ScheduleStore = (*Store)(nil)
	_ bot.PulseStore    = (*Store)(nil)
)

// learnerRecord is a stored learner and the streak it is ranked by, so LearnersByStreak
// decodes only the records it hands out.
type learnerRecord struct {
	data   []byte
	streak int
	pulse  bot.Pulse // kept with the record, so forgetting the learner forgets it too
}

type dueEntry struct {
	next time.Time
	name string // key.String(), the tie-break that keeps the order stable
	key  bot.ScheduleKey
}

func compareDue(a, b dueEntry) int {
	return cmp.Or(a.next.Compare(b.next), cmp.Compare(a.name, b.name))
}

// NewStore is an empty store.
func NewStore() *Store {
	return &Store{
		learners:  map[bot.Community]map[string]learnerRecord{},
		settings:  map[bot.Community][]byte{},
		schedules: map[bot.ScheduleKey][]byte{},
		notes:     map[noteKey]string{},
		left:      map[bot.Community]time.Time{},
	}
}

// Op is one call on a Store, as the function given to Fail sees it.
type Op struct {
	// Method is the Store method called: "Learner", "UpdateLearner", "Learners",
	// "LearnersByStreak", "Settings", "UpdateSettings", "Schedule", "UpdateSchedule",
	// "FirstDue", "TakeDue", "Note", "SetNote", "Notes", "ForgetLearner", "Pulses" or "Pulse".
	Method    string
	Community bot.Community   // zero for FirstDue and TakeDue
	UserID    string          // for Learner, UpdateLearner, the note methods and ForgetLearner
	Schedule  bot.ScheduleKey // for Schedule and UpdateSchedule
}

// Write reports whether the call would change the store.
func (o Op) Write() bool {
	switch o.Method {
	case "UpdateLearner", "UpdateSettings", "UpdateSchedule", "TakeDue", "SetNote", "ForgetLearner",
		"LeaveCommunity", "ReturnToCommunity", "DeleteLeftCommunity":
		return true
	}
	return false
}

// Fail makes the store fail as a broken disk or file would: f sees every call before it
// reads or writes anything; an error it returns fails the call with nothing read or written,
// and a panic in it passes to the caller, as bbolt's assertions on a damaged page do. Nil
// makes the store healthy again.
func (s *Store) Fail(f func(Op) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = f
}

// Snapshot is a copy of what the store holds now, as a file copied while a process runs on
// it: writes under way are not in it. A core started over it is a restart after kill -9.
func (s *Store) Snapshot() *Store {
	s.mu.RLock()
	defer s.mu.RUnlock()
	// Stored bytes are never changed in place, only replaced, so the copies may share them.
	c := NewStore()
	for community, m := range s.learners {
		c.learners[community] = maps.Clone(m)
	}
	c.settings = maps.Clone(s.settings)
	c.schedules = maps.Clone(s.schedules)
	c.due = slices.Clone(s.due)
	c.notes = maps.Clone(s.notes)
	c.left = maps.Clone(s.left)
	return c
}

// begin runs the failure hook, outside every lock so that a panic in it leaves the store
// usable, and checks ctx.
func (s *Store) begin(ctx context.Context, op Op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	fail := s.fail
	s.mu.RUnlock()
	if fail == nil {
		return nil
	}
	if err := fail(op); err != nil {
		return fmt.Errorf("%s: %w", op.Method, err)
	}
	return nil
}

func decode(data []byte, v any) error {
	if data == nil {
		return nil
	}
	return json.Unmarshal(data, v)
}

// Learner implements bot.Store.
func (s *Store) Learner(ctx context.Context, c bot.Community, userID string) (bot.Learner, error) {
	var l bot.Learner
	if err := s.begin(ctx, Op{Method: "Learner", Community: c, UserID: userID}); err != nil {
		return l, err
	}
	s.mu.RLock()
	rec := s.learners[c][userID]
	s.mu.RUnlock()
	if err := decode(rec.data, &l); err != nil {
		return bot.Learner{}, fmt.Errorf("read learner %s in %s: %w", userID, c.Key(), err)
	}
	return l, nil
}

// UpdateLearner implements bot.Store.
func (s *Store) UpdateLearner(ctx context.Context, c bot.Community, userID string, fn func(*bot.Learner) error) error {
	if err := s.begin(ctx, Op{Method: "UpdateLearner", Community: c, UserID: userID}); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("update learner %s: %w", userID, err)
	}
	if userID == "" {
		return errors.New("update learner: empty user id")
	}
	s.write.Lock()
	defer s.write.Unlock()
	s.mu.RLock()
	rec := s.learners[c][userID]
	s.mu.RUnlock()
	var l bot.Learner
	if err := decode(rec.data, &l); err != nil {
		return fmt.Errorf("read learner %s in %s: %w", userID, c.Key(), err)
	}
	if err := fn(&l); err != nil {
		return err
	}
	data, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("save learner %s in %s: %w", userID, c.Key(), err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.learners[c] == nil {
		s.learners[c] = map[string]learnerRecord{}
	}
	pulse, _ := rec.pulse.Next(&l)
	s.learners[c][userID] = learnerRecord{data: data, streak: l.Streak.Current, pulse: pulse}
	return nil
}

// Pulses implements bot.PulseStore.
func (s *Store) Pulses(ctx context.Context, c bot.Community, fn func(userID string, p bot.Pulse) error) error {
	if err := s.begin(ctx, Op{Method: "Pulses", Community: c}); err != nil {
		return err
	}
	s.mu.RLock()
	pulses := make(map[string]bot.Pulse, len(s.learners[c]))
	for user, rec := range s.learners[c] {
		pulses[user] = rec.pulse
	}
	s.mu.RUnlock()
	for user, p := range pulses {
		if err := fn(user, p); err != nil {
			return err
		}
	}
	return nil
}

// Pulse implements bot.PulseStore.
func (s *Store) Pulse(ctx context.Context, c bot.Community, userID string) (bot.Pulse, error) {
	if err := s.begin(ctx, Op{Method: "Pulse", Community: c, UserID: userID}); err != nil {
		return bot.Pulse{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.learners[c][userID].pulse, nil
}

// Learners implements bot.Store. It visits the community as it stood when the call began,
// in a different order each time, as a map ranges.
func (s *Store) Learners(ctx context.Context, c bot.Community, fn func(bot.Learner) error) error {
	if err := s.begin(ctx, Op{Method: "Learners", Community: c}); err != nil {
		return err
	}
	s.mu.RLock()
	records := make([]learnerRecord, 0, len(s.learners[c]))
	for _, rec := range s.learners[c] {
		records = append(records, rec)
	}
	s.mu.RUnlock()
	return visit(ctx, c, records, func(l bot.Learner) (bool, error) { return true, fn(l) })
}

// LearnersByStreak implements bot.Store.
func (s *Store) LearnersByStreak(ctx context.Context, c bot.Community, fn func(bot.Learner) (bool, error)) error {
	if err := s.begin(ctx, Op{Method: "LearnersByStreak", Community: c}); err != nil {
		return err
	}
	s.mu.RLock()
	var records []learnerRecord
	for _, rec := range s.learners[c] {
		if rec.streak > 0 {
			records = append(records, rec)
		}
	}
	s.mu.RUnlock()
	// Stable over the map's order: equal streaks come in no fixed order, as the port allows.
	slices.SortStableFunc(records, func(a, b learnerRecord) int { return cmp.Compare(b.streak, a.streak) })
	return visit(ctx, c, records, fn)
}

// visit decodes each record in turn and hands it to fn until fn says to stop.
func visit(ctx context.Context, c bot.Community, records []learnerRecord, fn func(bot.Learner) (bool, error)) error {
	for _, rec := range records {
		if err := ctx.Err(); err != nil {
			return err
		}
		var l bot.Learner
		if err := decode(rec.data, &l); err != nil {
			return fmt.Errorf("decode learner in %s: %w", c.Key(), err)
		}
		more, err := fn(l)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// Settings implements bot.Store.
func (s *Store) Settings(ctx context.Context, c bot.Community) (bot.Settings, error) {
	var st bot.Settings
	if err := s.begin(ctx, Op{Method: "Settings", Community: c}); err != nil {
		return st, err
	}
	s.mu.RLock()
	data := s.settings[c]
	s.mu.RUnlock()
	if err := decode(data, &st); err != nil {
		return bot.Settings{}, fmt.Errorf("read settings of %s: %w", c.Key(), err)
	}
	return st, nil
}

// UpdateSettings implements bot.Store.
func (s *Store) UpdateSettings(ctx context.Context, c bot.Community, fn func(*bot.Settings) error) error {
	if err := s.begin(ctx, Op{Method: "UpdateSettings", Community: c}); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("update settings: %w", err)
	}
	s.write.Lock()
	defer s.write.Unlock()
	s.mu.RLock()
	data := s.settings[c]
	s.mu.RUnlock()
	var st bot.Settings
	if err := decode(data, &st); err != nil {
		return fmt.Errorf("read settings of %s: %w", c.Key(), err)
	}
	if err := fn(&st); err != nil {
		return err
	}
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("save settings of %s: %w", c.Key(), err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settings[c] = data
	return nil
}

// Schedule implements bot.ScheduleStore.
func (s *Store) Schedule(ctx context.Context, key bot.ScheduleKey) (bot.Schedule, error) {
	var sch bot.Schedule
	if err := s.begin(ctx, Op{Method: "Schedule", Community: key.Community, Schedule: key}); err != nil {
		return sch, err
	}
	if err := key.Validate(); err != nil {
		return sch, err
	}
	s.mu.RLock()
	data := s.schedules[key]
	s.mu.RUnlock()
	if err := decode(data, &sch); err != nil {
		return bot.Schedule{}, fmt.Errorf("read schedule %s: %w", key, err)
	}
	return sch, nil
}

// UpdateSchedule implements bot.ScheduleStore.
func (s *Store) UpdateSchedule(ctx context.Context, key bot.ScheduleKey, fn func(*bot.Schedule) error) error {
	if err := s.begin(ctx, Op{Method: "UpdateSchedule", Community: key.Community, Schedule: key}); err != nil {
		return err
	}
	if err := key.Validate(); err != nil {
		return err
	}
	s.write.Lock()
	defer s.write.Unlock()
	s.mu.RLock()
	data := s.schedules[key]
	s.mu.RUnlock()
	var sch bot.Schedule
	if err := decode(data, &sch); err != nil {
		return fmt.Errorf("read schedule %s: %w", key, err)
	}
	old := sch.Next
	if err := fn(&sch); err != nil {
		return err
	}
	data, err := json.Marshal(sch)
	if err != nil {
		return fmt.Errorf("save schedule %s: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saveSchedule(key, old, sch.Next, data)
	return nil
}

// saveSchedule stores a schedule and moves its due entry from old to next. The caller holds mu.
func (s *Store) saveSchedule(key bot.ScheduleKey, old, next time.Time, data []byte) {
	s.schedules[key] = data
	name := key.String()
	if !old.IsZero() {
		if i, ok := slices.BinarySearchFunc(s.due, dueEntry{next: old, name: name}, compareDue); ok {
			s.due = slices.Delete(s.due, i, i+1)
		}
	}
	if !next.IsZero() {
		e := dueEntry{next: next, name: name, key: key}
		i, _ := slices.BinarySearchFunc(s.due, e, compareDue)
		s.due = slices.Insert(s.due, i, e)
	}
}

// FirstDue implements bot.ScheduleStore.
func (s *Store) FirstDue(ctx context.Context) (time.Time, bool, error) {
	if err := s.begin(ctx, Op{Method: "FirstDue"}); err != nil {
		return time.Time{}, false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.due) == 0 {
		return time.Time{}, false, nil
	}
	return s.due[0].next.UTC(), true, nil
}

// TakeDue implements bot.ScheduleStore. Like a bbolt transaction it saves all or nothing: an
// error from fn, or a Next that fn left at or before until (which would hand the schedule
// back forever), leaves every schedule as it was.
func (s *Store) TakeDue(ctx context.Context, until time.Time, limit int, fn func(bot.ScheduleKey, *bot.Schedule) error) (int, error) {
	if err := s.begin(ctx, Op{Method: "TakeDue"}); err != nil {
		return 0, err
	}
	if limit <= 0 {
		return 0, nil
	}
	s.write.Lock()
	defer s.write.Unlock()
	type taken struct {
		entry dueEntry
		data  []byte
		next  time.Time
	}
	var batch []taken
	s.mu.RLock()
	for _, e := range s.due {
		if len(batch) == limit || e.next.After(until) {
			break
		}
		batch = append(batch, taken{entry: e, data: s.schedules[e.key]})
	}
	s.mu.RUnlock()
	for i := range batch {
		t := &batch[i]
		var sch bot.Schedule
		if err := decode(t.data, &sch); err != nil {
			return 0, fmt.Errorf("take due schedules: read %s: %w", t.entry.key, err)
		}
		if err := fn(t.entry.key, &sch); err != nil {
			return 0, fmt.Errorf("take due schedules: %w", err)
		}
		if !sch.Next.IsZero() && !sch.Next.After(until) {
			return 0, fmt.Errorf("take due schedules: %s left due at %s, not moved past %s: it would be taken again forever",
				t.entry.key, sch.Next.UTC().Format(time.RFC3339Nano), until.UTC().Format(time.RFC3339Nano))
		}
		data, err := json.Marshal(sch)
		if err != nil {
			return 0, fmt.Errorf("take due schedules: save %s: %w", t.entry.key, err)
		}
		t.data, t.next = data, sch.Next
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range batch {
		s.saveSchedule(t.entry.key, t.entry.next, t.next, t.data)
	}
	return len(batch), nil
}

// Note implements bot.Store.
func (s *Store) Note(ctx context.Context, c bot.Community, userID, lesson string) (string, error) {
	if err := s.begin(ctx, Op{Method: "Note", Community: c, UserID: userID}); err != nil {
		return "", err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.notes[noteKey{c, userID, lesson}], nil
}

// SetNote implements bot.Store.
func (s *Store) SetNote(ctx context.Context, c bot.Community, userID, lesson, text string) error {
	if err := s.begin(ctx, Op{Method: "SetNote", Community: c, UserID: userID}); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("set note: %w", err)
	}
	if err := noteKeyValid(userID, lesson); err != nil {
		return err
	}
	s.write.Lock()
	defer s.write.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	k := noteKey{c, userID, lesson}
	if text == "" {
		delete(s.notes, k)
	} else {
		s.notes[k] = text
	}
	return nil
}

// noteKeyValid refuses what the bbolt store could not key a note by.
func noteKeyValid(userID, lesson string) error {
	if userID == "" || lesson == "" || strings.ContainsRune(userID, 0) {
		return fmt.Errorf("set note: bad user %q or lesson %q", userID, lesson)
	}
	return nil
}

// Notes implements bot.Store.
func (s *Store) Notes(ctx context.Context, c bot.Community, userID string, fn func(lesson, text string) error) error {
	if err := s.begin(ctx, Op{Method: "Notes", Community: c, UserID: userID}); err != nil {
		return err
	}
	s.mu.RLock()
	var lessons []string
	texts := map[string]string{}
	for k, text := range s.notes {
		if k.community == c && k.user == userID {
			lessons = append(lessons, k.lesson)
			texts[k.lesson] = text
		}
	}
	s.mu.RUnlock()
	slices.Sort(lessons)
	for _, lesson := range lessons {
		if err := fn(lesson, texts[lesson]); err != nil {
			return err
		}
	}
	return nil
}

// ForgetLearner implements bot.Store: as one bbolt transaction, all of it happens or none.
func (s *Store) ForgetLearner(ctx context.Context, c bot.Community, userID string) error {
	if err := s.begin(ctx, Op{Method: "ForgetLearner", Community: c, UserID: userID}); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("forget learner: %w", err)
	}
	if userID == "" {
		return errors.New("forget learner: empty user id")
	}
	s.write.Lock()
	defer s.write.Unlock()
	// Work out every change before making any, so a record that cannot be read changes nothing.
	type nudge struct {
		key  bot.ScheduleKey
		data []byte
	}
	var nudges []nudge
	var reminder bot.Schedule
	remindKey := bot.RemindKey(c, userID)
	s.mu.RLock()
	for key, data := range s.schedules {
		if key.Kind != bot.KindNudge || key.Community != c {
			continue
		}
		var sch bot.Schedule
		if err := decode(data, &sch); err != nil {
			s.mu.RUnlock()
			return fmt.Errorf("forget learner: read schedule %s: %w", key, err)
		}
		if sch.SetBy == userID {
			sch.SetBy = ""
			out, err := json.Marshal(sch)
			if err != nil {
				s.mu.RUnlock()
				return fmt.Errorf("forget learner: save schedule %s: %w", key, err)
			}
			nudges = append(nudges, nudge{key, out})
		}
	}
	err := decode(s.schedules[remindKey], &reminder)
	s.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("forget learner: read reminder: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.learners[c], userID)
	for k := range s.notes {
		if k.community == c && k.user == userID {
			delete(s.notes, k)
		}
	}
	for _, n := range nudges {
		s.schedules[n.key] = n.data
	}
	if _, ok := s.schedules[remindKey]; ok {
		s.saveSchedule(remindKey, reminder.Next, time.Time{}, nil)
		delete(s.schedules, remindKey)
	}
	return nil
}
