package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Platforms studybot speaks on. They are the first part of every community key.
const (
	PlatformDiscord = "discord"
	PlatformSlack   = "slack"
	PlatformConsole = "console"
)

// Community is one study group: a Discord guild, a Slack workspace or a console name. All
// learner data is kept per community, so progress never leaks from one group into another.
type Community struct {
	Platform string
	ID       string
}

// Key is the community's namespace in storage: "discord/1234", "slack/T0123", "console/demo".
func (c Community) Key() string { return c.Platform + "/" + c.ID }

// Validate rejects a community no adapter could have produced.
func (c Community) Validate() error {
	switch c.Platform {
	case PlatformDiscord, PlatformSlack, PlatformConsole:
	default:
		return fmt.Errorf("unknown platform %q", c.Platform)
	}
	if c.ID == "" || len(c.ID) > 100 || strings.ContainsAny(c.ID, "/\x00") {
		return fmt.Errorf("bad community id %q", c.ID)
	}
	return nil
}

// Store is the system of record. UpdateLearner and UpdateSettings run fn inside one write
// transaction on the current record and save it only when fn returns nil; fn may be called
// more than once, so it must only compute from the record it is given. A learner or
// community never seen before reads as a zero record.
type Store interface {
	Learner(ctx context.Context, c Community, userID string) (Learner, error)
	UpdateLearner(ctx context.Context, c Community, userID string, fn func(*Learner) error) error
	// Learners calls fn for every learner of the community, in no particular order.
	Learners(ctx context.Context, c Community, fn func(Learner) error) error
	// LearnersByStreak calls fn for the community's learners whose record holds a current
	// streak above zero, highest stored Streak.Current first (ties in any order), until fn
	// returns false or an error. The stored streak may have lapsed since it was written.
	LearnersByStreak(ctx context.Context, c Community, fn func(Learner) (more bool, err error)) error
	Settings(ctx context.Context, c Community) (Settings, error)
	UpdateSettings(ctx context.Context, c Community, fn func(*Settings) error) error

	// Notes are kept beside the learner's record, not in it: the record is decoded on every
	// command, a learner's notes only when one is shown.
	//
	// Note is the learner's note on the lesson, "" when there is none.
	Note(ctx context.Context, c Community, userID, lesson string) (string, error)
	// SetNote saves text as the learner's note on the lesson, replacing any; "" deletes it.
	SetNote(ctx context.Context, c Community, userID, lesson, text string) error
	// Notes calls fn for each of the learner's notes, by lesson slug in byte order, until fn
	// returns an error.
	Notes(ctx context.Context, c Community, userID string, fn func(lesson, text string) error) error
	// ForgetLearner deletes, in one write transaction, everything the store keeps of the
	// learner in the community: their record and its streak ranking entry, their notes and,
	// in a store that keeps schedules too, their reminder and its due entry; a daily post they
	// set up stays but no longer names them. Other communities, where the same user ID may
	// be a learner too, are untouched. Forgetting a learner the store does not know is no error.
	ForgetLearner(ctx context.Context, c Community, userID string) error
}

// Cooldowns spends one use of key under limit. When the use is refused, wait says how long
// until the next one is allowed; err is only for a broken backend, in which case the core lets
// the command through rather than lock everyone out.
type Cooldowns interface {
	Allow(ctx context.Context, key string, limit Limit) (wait time.Duration, err error)
	// Forget drops what is kept under keys, as if no use had been spent there: a learner
	// who asks to be forgotten leaves no key behind. A key never used is no error.
	Forget(ctx context.Context, keys ...string) error
}

// Clock is the time source. The core never calls time.Now, so every day, zone and cooldown
// rule can be tested on a clock that a test moves by hand.
type Clock interface {
	Now() time.Time
}

// Channel is where a post goes.
type Channel struct {
	Community Community
	ID        string
}

// Poster delivers scheduled messages (daily lessons, streak reminders) to a platform.
// Errors that a retry cannot fix are returned as *PostError with Permanent set (this channel
// or user cannot be reached) or BotWide set (the platform refuses the bot itself).
type Poster interface {
	Post(ctx context.Context, ch Channel, r Response) error
	DirectMessage(ctx context.Context, c Community, userID string, r Response) error
}

// PostError classifies a failed post so the scheduler knows what to do: try again, stop
// that one schedule, or stop posting to the platform. A post with neither Permanent nor
// BotWide set is worth another try.
type PostError struct {
	// Permanent: this channel or user cannot be reached (gone, archived, the bot lacks the
	// right there, the user takes no direct messages). The schedule is disabled, with why.
	Permanent bool
	// BotWide: the platform refuses the bot itself (its token is wrong or revoked, or the
	// app lacks a scope), so no post there can succeed until an operator fixes it. No
	// channel is to blame: schedules stay on, today's posts on that platform are given up.
	BotWide    bool
	RetryAfter time.Duration // the platform asked us to wait this long (rate limit)
	Err        error
}

func (e *PostError) Error() string {
	kind := "transient"
	switch {
	case e.BotWide:
		kind = "bot-wide"
	case e.Permanent:
		kind = "permanent"
	}
	return fmt.Sprintf("post failed (%s): %v", kind, e.Err)
}

func (e *PostError) Unwrap() error { return e.Err }

// Claimer lets exactly one of several studybot processes win key for ttl, so a daily post
// goes out once however many replicas run. token names the claimant: a claim held under the
// same token counts as won, so a process that stopped mid-post and kept its token can
// finish the post after a restart, while every other claimant still loses.
type Claimer interface {
	Claim(ctx context.Context, key, token string, ttl time.Duration) (bool, error)
}
