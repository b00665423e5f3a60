package bot

import (
	"context"
	"sync"
	"time"
)

// CooldownClass groups commands that share one cooldown budget: a learner's read commands
// all spend from one read budget, so hopping between next, topics and lesson is limited as
// one stream of reads, not five.
type CooldownClass string

const (
	ClassRead  CooldownClass = "read"  // next, topics, topic, lesson, progress, streak, leaderboard, help, nudge status, review stats
	ClassWrite CooldownClass = "write" // start, done, skip, reset, checkin, answer, timezone, remind, review's Hard/Good/Easy
	ClassQuiz  CooldownClass = "quiz"  // quiz and review: "Another question" and "Next review" presses in normal study
	ClassNudge CooldownClass = "nudge" // nudge set and off (and export, forget): rare, admin-sized changes
)

// Limit allows Rate uses per Per, all of them at once if need be (a burst of Rate), then one
// every Per/Rate: normal use never meets it, a script hammering a command does.
type Limit struct {
	Rate int
	Per  time.Duration
}

// Interval is the steady-state spacing between uses.
func (l Limit) Interval() time.Duration { return l.Per / time.Duration(l.Rate) }

// CooldownLimits is the table of DESIGN.md: each learner gets this budget for each class,
// shared by every command of the class, in each community.
var CooldownLimits = map[CooldownClass]Limit{
	ClassRead:  {Rate: 5, Per: 10 * time.Second},
	ClassWrite: {Rate: 10, Per: 10 * time.Second},
	ClassQuiz:  {Rate: 6, Per: 30 * time.Second},
	ClassNudge: {Rate: 3, Per: 60 * time.Second},
}

// cooldownClass is the budget a command spends from: its form's class when the form has its
// own (`nudge status` only reads), else its verb's.
func cooldownClass(cmd Command) CooldownClass {
	v, _ := lookupVerb(cmd.Name)
	for _, s := range v.Subs {
		if s.Word == cmd.Sub && s.Class != "" {
			return s.Class
		}
	}
	return v.Class
}

// cooldownKey is the key of a learner's budget for class in a community: the same on every
// backend and every replica, so a budget is one budget wherever the command lands.
func cooldownKey(c Community, userID string, class CooldownClass) string {
	return c.Platform + "/" + c.ID + "/" + userID + "/" + string(class)
}

// learnerCooldownKeys are every cooldown key a learner can have in a community, one per class.
func learnerCooldownKeys(c Community, userID string) []string {
	keys := make([]string, 0, len(CooldownLimits))
	for class := range CooldownLimits {
		keys = append(keys, cooldownKey(c, userID, class))
	}
	return keys
}

// GCRA is the generic cell rate algorithm: given the key's theoretical arrival time tat (zero
// for a fresh key) and now, it decides whether one more use fits in limit, and returns the
// new tat to store and, when refused, how long to wait. Both cooldown backends use it, so
// they refuse exactly the same commands.
func GCRA(tat, now time.Time, limit Limit) (newTAT time.Time, wait time.Duration) {
	if tat.Before(now) {
		tat = now
	}
	next := tat.Add(limit.Interval())
	allowAt := next.Add(-limit.Per)
	if now.Before(allowAt) {
		return tat, allowAt.Sub(now)
	}
	return next, 0
}

// LocalCooldowns keeps cooldowns in this process: right for a single instance, and the
// fallback when the shared backend is unreachable.
type LocalCooldowns struct {
	clock Clock

	mu     sync.Mutex
	tat    map[string]time.Time
	swept  time.Time
	maxPer time.Duration
}

// NewLocalCooldowns returns in-process cooldowns timed by clock.
func NewLocalCooldowns(clock Clock) *LocalCooldowns {
	var maxPer time.Duration
	for _, l := range CooldownLimits {
		maxPer = max(maxPer, l.Per)
	}
	return &LocalCooldowns{clock: clock, tat: map[string]time.Time{}, maxPer: maxPer}
}

// Allow implements Cooldowns.
func (c *LocalCooldowns) Allow(_ context.Context, key string, limit Limit) (time.Duration, error) {
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweep(now)
	tat, wait := GCRA(c.tat[key], now, limit)
	c.tat[key] = tat
	return wait, nil
}

// Forget implements Cooldowns.
func (c *LocalCooldowns) Forget(_ context.Context, keys ...string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		delete(c.tat, k)
	}
	return nil
}

// sweep drops keys whose budget is full again, so memory follows active users, not all users
// ever seen.
func (c *LocalCooldowns) sweep(now time.Time) {
	if now.Sub(c.swept) < c.maxPer {
		return
	}
	c.swept = now
	for k, tat := range c.tat {
		if !tat.After(now) {
			delete(c.tat, k)
		}
	}
}

// Len is how many keys are held, for tests and metrics.
func (c *LocalCooldowns) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.tat)
}
