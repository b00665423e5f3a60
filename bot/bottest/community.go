package bottest

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/studybot/studybot/bot"
)

var _ bot.CommunityStore = (*Store)(nil)

// LeaveCommunity implements bot.CommunityStore: as one bbolt transaction, all or nothing.
func (s *Store) LeaveCommunity(ctx context.Context, c bot.Community, at time.Time, stop func(bot.ScheduleKey, *bot.Schedule)) error {
	if err := s.begin(ctx, Op{Method: "LeaveCommunity", Community: c}); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("leave community: %w", err)
	}
	s.write.Lock()
	defer s.write.Unlock()
	changes, err := s.eachSchedule(c, stop)
	if err != nil {
		return fmt.Errorf("leave community %s: %w", c.Key(), err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.left[c]; !ok {
		s.left[c] = at.UTC()
	}
	s.apply(changes)
	return nil
}

// ReturnToCommunity implements bot.CommunityStore.
func (s *Store) ReturnToCommunity(ctx context.Context, c bot.Community, resume func(bot.ScheduleKey, *bot.Schedule)) (time.Time, error) {
	if err := s.begin(ctx, Op{Method: "ReturnToCommunity", Community: c}); err != nil {
		return time.Time{}, err
	}
	if err := c.Validate(); err != nil {
		return time.Time{}, fmt.Errorf("return to community: %w", err)
	}
	s.write.Lock()
	defer s.write.Unlock()
	s.mu.RLock()
	at, ok := s.left[c]
	s.mu.RUnlock()
	if !ok {
		return time.Time{}, nil
	}
	changes, err := s.eachSchedule(c, resume)
	if err != nil {
		return time.Time{}, fmt.Errorf("return to community %s: %w", c.Key(), err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.left, c)
	s.apply(changes)
	return at, nil
}

// LeftCommunities implements bot.CommunityStore; fn runs with no lock held.
func (s *Store) LeftCommunities(ctx context.Context, fn func(bot.Community, time.Time) error) error {
	if err := s.begin(ctx, Op{Method: "LeftCommunities"}); err != nil {
		return err
	}
	s.mu.RLock()
	left := make(map[bot.Community]time.Time, len(s.left))
	for c, at := range s.left {
		left[c] = at
	}
	s.mu.RUnlock()
	for c, at := range left {
		if err := fn(c, at); err != nil {
			return err
		}
	}
	return nil
}

// CommunitiesOf implements bot.CommunityStore: a community with a learner, a note, settings
// or a schedule; fn runs with no lock held.
func (s *Store) CommunitiesOf(ctx context.Context, platform string, fn func(bot.Community) error) error {
	if err := s.begin(ctx, Op{Method: "CommunitiesOf"}); err != nil {
		return err
	}
	s.mu.RLock()
	held := map[bot.Community]bool{}
	for c := range s.learners {
		held[c] = true
	}
	for c := range s.settings {
		held[c] = true
	}
	for k := range s.notes {
		held[k.community] = true
	}
	for key := range s.schedules {
		held[key.Community] = true
	}
	s.mu.RUnlock()
	for c := range held {
		if c.Platform != platform {
			continue
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// DeleteLeftCommunity implements bot.CommunityStore.
func (s *Store) DeleteLeftCommunity(ctx context.Context, c bot.Community, leftBy time.Time) (bool, error) {
	if err := s.begin(ctx, Op{Method: "DeleteLeftCommunity", Community: c}); err != nil {
		return false, err
	}
	if err := c.Validate(); err != nil {
		return false, fmt.Errorf("delete community: %w", err)
	}
	s.write.Lock()
	defer s.write.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.left[c]
	if !ok || at.After(leftBy) {
		return false, nil
	}
	delete(s.learners, c)
	delete(s.settings, c)
	for k := range s.notes {
		if k.community == c {
			delete(s.notes, k)
		}
	}
	for key, data := range s.schedules {
		if key.Community != c {
			continue
		}
		var sch bot.Schedule
		if err := decode(data, &sch); err != nil {
			return false, fmt.Errorf("delete community %s: read schedule %s: %w", c.Key(), key, err)
		}
		s.saveSchedule(key, sch.Next, time.Time{}, nil)
		delete(s.schedules, key)
	}
	delete(s.left, c)
	return true, nil
}

// scheduleChange is a schedule rewritten by eachSchedule, not yet saved.
type scheduleChange struct {
	key       bot.ScheduleKey
	old, next time.Time
	data      []byte
}

// eachSchedule runs fn on each of c's schedules and returns what to save; the caller holds
// write, so nothing changes between this and apply.
func (s *Store) eachSchedule(c bot.Community, fn func(bot.ScheduleKey, *bot.Schedule)) ([]scheduleChange, error) {
	s.mu.RLock()
	stored := map[bot.ScheduleKey][]byte{}
	for key, data := range s.schedules {
		if key.Community == c {
			stored[key] = data
		}
	}
	s.mu.RUnlock()
	var changes []scheduleChange
	for key, data := range stored {
		var sch bot.Schedule
		if err := decode(data, &sch); err != nil {
			return nil, fmt.Errorf("read schedule %s: %w", key, err)
		}
		old := sch.Next
		fn(key, &sch)
		out, err := json.Marshal(sch)
		if err != nil {
			return nil, fmt.Errorf("save schedule %s: %w", key, err)
		}
		changes = append(changes, scheduleChange{key, old, sch.Next, out})
	}
	return changes, nil
}

// apply saves what eachSchedule worked out; the caller holds mu.
func (s *Store) apply(changes []scheduleChange) {
	for _, ch := range changes {
		s.saveSchedule(ch.key, ch.old, ch.next, ch.data)
	}
}
