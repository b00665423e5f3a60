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
	claims    map[string]localClaim
	sweepSize int
}

type localClaim struct {
	token  string
	expiry time.Time
}

// NewLocalClaimer returns an empty claimer on clock (nil: the system clock).
func NewLocalClaimer(clock Clock) *LocalClaimer {
	if clock == nil {
		clock = SystemClock{}
	}
	return &LocalClaimer{clock: clock, claims: map[string]localClaim{}, sweepSize: 1024}
}

// Claim implements Claimer: the first caller for key wins until ttl has passed; a caller with
// the winner's token wins again.
func (l *LocalClaimer) Claim(_ context.Context, key, token string, ttl time.Duration) (bool, error) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if c, ok := l.claims[key]; ok && now.Before(c.expiry) {
		return c.token == token, nil
	}
	l.claims[key] = localClaim{token: token, expiry: now.Add(ttl)}
	if len(l.claims) >= l.sweepSize {
		// Expired claims are dropped in bulk, so memory follows the live claims.
		for k, c := range l.claims {
			if !now.Before(c.expiry) {
				delete(l.claims, k)
			}
		}
		l.sweepSize = max(1024, 2*len(l.claims))
	}
	return true, nil
}
