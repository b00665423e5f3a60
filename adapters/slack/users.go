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

	mu      sync.Mutex
	entries map[string]userEntry
	lookups map[string]*lookup // users.info calls in flight, by key
}

// lookup is one users.info call that every caller missing the same key waits for.
type lookup struct {
	done   chan struct{} // closed once info is set
	info   userInfo
	joined int // callers waiting besides the one making the call
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
		entries: map[string]userEntry{}, lookups: map[string]*lookup{}}
}

// get returns what Slack says about user, who sent a command in team. When users.info fails
// the user counts as a non-admin with no profile zone: read commands keep working, admin
// ones are refused. A caller whose ctx ends while it waits for another's lookup gets the same.
func (c *userCache) get(ctx context.Context, team, user string) userInfo {
	key := team + "/" + user
	now := c.clock.Now()
	c.mu.Lock()
	if e, ok := c.entries[key]; ok && now.Before(e.expires) {
		c.mu.Unlock()
		return e.info
	}
	if l, ok := c.lookups[key]; ok {
		l.joined++
		c.mu.Unlock()
		select {
		case <-l.done:
			return l.info
		case <-ctx.Done():
			return userInfo{}
		}
	}
	l := &lookup{done: make(chan struct{})}
	c.lookups[key] = l
	c.mu.Unlock()

	// The call is not cut short when this caller's ctx ends: others may be waiting on it.
	l.info = c.lookUp(context.WithoutCancel(ctx), key, user, now)
	c.mu.Lock()
	delete(c.lookups, key)
	joined := l.joined
	c.mu.Unlock()
	close(l.done)
	if joined > 0 {
		c.log.Debug("slack users.info answer shared by concurrent commands", "commands", joined+1)
	}
	return l.info
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
