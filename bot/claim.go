package bot

import (
	"context"
	"sync"
	"time"
)

// LocalClaimer is the Claimer of a studybot that runs alone: claims live in this process's
// memory and expire on its clock. Several schedulers in one process share one; replicas need
// a shared one (Redis).
type LocalClaimer struct {
	clock Clock

	mu        sync.Mutex
	claims    map[string]time.Time // key -> expiry
	sweepSize int
}

// NewLocalClaimer returns an empty claimer on clock (nil: the system clock).
func NewLocalClaimer(clock Clock) *LocalClaimer {
	if clock == nil {
		clock = SystemClock{}
	}
	return &LocalClaimer{clock: clock, claims: map[string]time.Time{}, sweepSize: 1024}
}

// Claim implements Claimer: the first caller for key wins until ttl has passed.
func (l *LocalClaimer) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if exp, ok := l.claims[key]; ok && now.Before(exp) {
		return false, nil
	}
	l.claims[key] = now.Add(ttl)
	if len(l.claims) >= l.sweepSize {
		// Expired claims are dropped in bulk, so memory follows the live claims.
		for k, exp := range l.claims {
			if !now.Before(exp) {
				delete(l.claims, k)
			}
		}
		l.sweepSize = max(1024, 2*len(l.claims))
	}
	return true, nil
}
