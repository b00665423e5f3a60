package slack

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/sync/singleflight"

	"github.com/studybot/studybot/bot"
)

// userInfo is what studybot needs to know about a Slack user, as users.info says it.
type userInfo struct {
	team       string // team_id: the user's own workspace
	admin      bool   // is_admin or is_owner: of that workspace
	enterprise string // enterprise_user.enterprise_id: the user's Enterprise Grid org, if any
	orgAdmin   bool   // enterprise_user.is_admin or is_owner: of that org
	zone       string // profile time zone (IANA), used when the learner set none
	name       string // display name, else real name; plain text
}

// adminOf reports whether the user administers the community a command belongs to: the
// admin or owner of a workspace that is that team, or an admin or owner of the Enterprise
// Grid org the command came from (enterprise, "" outside a Grid). Being an admin somewhere
// else gives nothing here: not the admin of an outside organisation in a Slack Connect
// channel, nor of another workspace of an org-wide install.
func (u userInfo) adminOf(team, enterprise string) bool {
	if u.admin && u.team != "" && u.team == team {
		return true
	}
	return u.orgAdmin && enterprise != "" && u.enterprise == enterprise
}

// userLooker is the part of the Web API the cache needs.
type userLooker interface {
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
}

// userCache remembers users.info answers for a while, so a burst of commands costs one
// lookup, and a failed lookup for a shorter while, so an outage is not hammered. Commands
// that miss the cache for the same user at the same time share one lookup: a learner
// pressing three buttons at once, or a new member's first commands, cost one call against
// Slack's users.info rate limit, not three.
type userCache struct {
	api    userLooker
	clock  bot.Clock
	ttl    time.Duration
	log    *slog.Logger
	warned atomic.Bool // a failure was logged; cleared by the next success
	// timeout bounds one users.info call, so a slow Slack cannot eat the acknowledgement's
	// budget.
	timeout time.Duration

	// lookups shares one users.info call in flight among every caller missing the same key.
	lookups singleflight.Group
	waiting atomic.Int64 // callers attached to a lookup in flight (tests wait on it)

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
	return &userCache{api: api, clock: clock, ttl: ttl, log: log, timeout: userLookupTimeout,
		entries: map[string]userEntry{}}
}

// get returns what Slack says about user, who sent a command in team. When users.info fails
// the user counts as a non-admin with no profile zone: read commands keep working, admin
// ones are refused. A caller whose ctx ends while it waits for another's lookup gets the same.
func (c *userCache) get(ctx context.Context, team, user string) userInfo {
	key := team + "/" + user
	now := c.clock.Now()
	if info, ok := c.cached(key, now); ok {
		return info
	}
	// The call is not cut short when this caller's ctx ends: others may be waiting on it.
	// It looks at the cache again first: a lookup that finished between the miss above and
	// this call has just filled it. lookUp never fails (a failure is "no information").
	call := c.lookups.DoChan(key, func() (any, error) {
		if info, ok := c.cached(key, now); ok {
			return info, nil
		}
		return c.lookUp(context.WithoutCancel(ctx), key, user, now), nil
	})
	c.waiting.Add(1)
	defer c.waiting.Add(-1)
	select {
	case r := <-call:
		if r.Shared {
			c.log.Debug("slack users.info answer shared by concurrent commands", "user", key)
		}
		return r.Val.(userInfo)
	case <-ctx.Done():
		return userInfo{}
	}
}

// cached is the cache's unexpired answer for key, if any.
func (c *userCache) cached(key string, now time.Time) (userInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return e.info, ok && now.Before(e.expires)
}

// lookUp calls users.info and caches what it says, or the failure.
func (c *userCache) lookUp(ctx context.Context, key, user string, now time.Time) userInfo {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
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
		info = userInfo{
			team: u.TeamID, admin: u.IsAdmin || u.IsOwner,
			enterprise: u.Enterprise.EnterpriseID, orgAdmin: u.Enterprise.IsAdmin || u.Enterprise.IsOwner,
			zone: u.TZ, name: u.Profile.DisplayName,
		}
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
