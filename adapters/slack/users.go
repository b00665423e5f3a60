package slack

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/bot"
)

// userInfo is what studybot needs to know about a Slack user.
type userInfo struct {
	admin bool   // workspace admin or owner: may run nudge commands
	zone  string // profile time zone (IANA), used when the learner set none
	name  string // display name, else real name; plain text
}

// userLooker is the part of the Web API the cache needs.
type userLooker interface {
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
}

// userCache remembers users.info answers for a while, so a burst of commands costs one
// lookup, and a failed lookup for a shorter while, so an outage is not hammered.
type userCache struct {
	api    userLooker
	clock  bot.Clock
	ttl    time.Duration
	log    *slog.Logger
	warned atomic.Bool // a failure was logged; cleared by the next success

	mu      sync.Mutex
	entries map[string]userEntry
}

type userEntry struct {
	info    userInfo
	expires time.Time
}

// maxCachedUsers bounds the cache's memory; past it, expired entries go first, then any.
const maxCachedUsers = 10000

// failedLookupTTL is how long a failed lookup is remembered as "no information".
const failedLookupTTL = 30 * time.Second

func newUserCache(api userLooker, clock bot.Clock, ttl time.Duration, log *slog.Logger) *userCache {
	return &userCache{api: api, clock: clock, ttl: ttl, log: log, entries: map[string]userEntry{}}
}

// get returns what Slack says about user in team. When users.info fails the user counts as
// a non-admin with no profile zone: read commands keep working, admin ones are refused.
func (c *userCache) get(ctx context.Context, team, user string) userInfo {
	key := team + "/" + user
	now := c.clock.Now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.info
	}

	ctx, cancel := context.WithTimeout(ctx, userLookupTimeout)
	defer cancel()
	u, err := c.api.GetUserInfoContext(ctx, user)
	var info userInfo
	ttl := c.ttl
	if err != nil {
		ttl = min(ttl, failedLookupTTL)
		if c.warned.CompareAndSwap(false, true) {
			c.log.Warn("slack users.info failed; treating users as non-admins without a profile time zone until it works again",
				"err", redactErr(err))
		}
	} else {
		c.warned.Store(false)
		info = userInfo{admin: u.IsAdmin || u.IsOwner, zone: u.TZ, name: u.Profile.DisplayName}
		if info.name == "" {
			info.name = u.RealName
		}
	}
	c.put(key, userEntry{info: info, expires: now.Add(ttl)})
	return info
}

func (c *userCache) put(key string, e userEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= maxCachedUsers {
		now := c.clock.Now()
		for k, old := range c.entries {
			if !now.Before(old.expires) {
				delete(c.entries, k)
			}
		}
		// Still full: drop a tenth, in map order, so the sweep above is not paid per insert.
		for k := range c.entries {
			if len(c.entries) < maxCachedUsers*9/10 {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[key] = e
}
