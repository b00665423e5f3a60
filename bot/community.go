package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// When the bot leaves a community, as its members see it:
//   - Removed from a Discord guild or uninstalled from a Slack workspace, the bot stops
//     posting there at once: no daily lesson, recap or reminder goes out for the community.
//   - Its data (learners, streaks, notes, settings, schedules) is kept for the retention
//     (STUDYBOT_RETENTION, 30 days by default), then deleted in one go and the deletion
//     logged. A platform outage is not leaving and changes nothing.
//   - Coming back within the retention finds everything as it was. The schedules that
//     leaving stopped resume from their next occurrence (the posts missed meanwhile are not
//     sent); a schedule an admin had turned off, or that a failed post disabled, stays off.
//   - Leaving again while gone changes nothing: the retention counts from the first leave.

// DefaultCommunityRetention is how long a community's data outlives the bot's removal.
const DefaultCommunityRetention = 30 * 24 * time.Hour

// DisabledLeft is the Disabled reason of a schedule stopped because the bot left its
// community. Only schedules stopped for this reason resume when the bot comes back.
const DisabledLeft = "the bot was removed from this community"

// CommunityStore keeps which communities the bot has left, and deletes them. The bbolt store
// implements it; the core's lifecycle methods need it.
type CommunityStore interface {
	// LeaveCommunity records that the bot left c at `at`, unless c is recorded as left
	// already (the first leave is kept), and in the same write transaction runs stop on each
	// of c's schedules and saves what stop left, its due index entry moved with its Next.
	// stop may run more than once, so it must compute only from the record it is given.
	LeaveCommunity(ctx context.Context, c Community, at time.Time, stop func(ScheduleKey, *Schedule)) error
	// ReturnToCommunity clears c's record of leaving and, in the same write transaction,
	// runs resume on each of c's schedules and saves what it left. It returns when c was
	// left; zero (and nothing written) when c is not recorded as left, which is the common
	// case and costs no write.
	ReturnToCommunity(ctx context.Context, c Community, resume func(ScheduleKey, *Schedule)) (leftAt time.Time, err error)
	// LeftCommunities calls fn for each community recorded as left, with when it was left,
	// until fn returns an error.
	LeftCommunities(ctx context.Context, fn func(c Community, leftAt time.Time) error) error
	// DeleteLeftCommunity deletes, in one write transaction, everything kept of c (learners
	// and their streak ranking, notes, settings, schedules and their due entries, the record
	// of leaving) if c is still recorded as left at or before leftBy; else it changes
	// nothing and deleted is false, so a community that came back meanwhile is kept.
	DeleteLeftCommunity(ctx context.Context, c Community, leftBy time.Time) (deleted bool, err error)
	// CommunitiesOf calls fn for each community of platform the store keeps anything of
	// (learners, notes, settings or schedules), left or not, until fn returns an error. fn
	// runs outside any transaction.
	CommunitiesOf(ctx context.Context, platform string, fn func(Community) error) error
}

// errNoLifecycle is returned by the lifecycle methods over a store that keeps none.
var errNoLifecycle = errors.New("the store keeps no record of communities the bot left")

func (b *Bot) communities() (CommunityStore, error) {
	if cs, ok := b.store.(CommunityStore); ok {
		return cs, nil
	}
	if cs, ok := b.schedules.(CommunityStore); ok {
		return cs, nil
	}
	return nil, errNoLifecycle
}

// CommunityLeft is told that the bot was removed from c (not that c is briefly unreachable):
// c's schedules stop at once and its data waits for PurgeLeft.
func (b *Bot) CommunityLeft(ctx context.Context, c Community) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("community left: %w", err)
	}
	cs, err := b.communities()
	if err != nil {
		return err
	}
	now := b.clock.Now()
	stopped := 0
	err = cs.LeaveCommunity(ctx, c, now, func(_ ScheduleKey, sch *Schedule) {
		if sch.Version != 0 && sch.Disabled == "" {
			sch.turnOff(DisabledLeft, now)
			stopped++
		}
	})
	if err != nil {
		return fmt.Errorf("community %s left: %w", c.Key(), err)
	}
	// stopped may count a schedule twice when the store ran stop again; it is only logged.
	b.log.Info("community left: its schedules stopped, its data kept for the retention",
		"platform", c.Platform, "community", c.ID, "schedules_stopped", stopped)
	return nil
}

// CommunityBack is told that the bot is in c (again): when c was left, the schedules that
// leaving stopped resume from their next occurrence after now, and c is no longer due for
// deletion. For a community never left it only reads. back reports whether c was left.
func (b *Bot) CommunityBack(ctx context.Context, c Community) (back bool, err error) {
	if err := c.Validate(); err != nil {
		return false, fmt.Errorf("community back: %w", err)
	}
	cs, err := b.communities()
	if err != nil {
		return false, err
	}
	now := b.clock.Now()
	resumed := 0
	leftAt, err := cs.ReturnToCommunity(ctx, c, func(key ScheduleKey, sch *Schedule) {
		if resumeAfterLeaving(key.Kind, sch, now) {
			resumed++
		}
	})
	if err != nil {
		return false, fmt.Errorf("community %s back: %w", c.Key(), err)
	}
	if leftAt.IsZero() {
		return false, nil
	}
	b.log.Info("community back: its schedules resumed", "platform", c.Platform, "community", c.ID,
		"left", leftAt.UTC(), "schedules_resumed", resumed)
	return true, nil
}

// KnownCommunities calls fn for each community of platform that studybot keeps data for,
// with whether the bot is recorded as having left it, until fn returns an error. An adapter
// that learns on connecting which communities the bot is in uses it to find those it was
// removed from while nothing listened.
func (b *Bot) KnownCommunities(ctx context.Context, platform string, fn func(c Community, left bool) error) error {
	cs, err := b.communities()
	if err != nil {
		return err
	}
	left := map[Community]bool{}
	err = cs.LeftCommunities(ctx, func(c Community, _ time.Time) error {
		if c.Platform == platform {
			left[c] = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list the %s communities left: %w", platform, err)
	}
	// Read apart from the records of leaving: a community left or back in between is seen
	// as it was, and leaving it again or once more is harmless (the first leave is kept).
	err = cs.CommunitiesOf(ctx, platform, func(c Community) error { return fn(c, left[c]) })
	if err != nil {
		return fmt.Errorf("list the %s communities: %w", platform, err)
	}
	return nil
}

// resumeAfterLeaving turns back on a schedule that leaving stopped, at its next occurrence
// after now (a weekly recap's next Monday): what fell due while the bot was gone is not
// sent. A post that was in flight when the bot left counts as handled, as when an admin
// turns a schedule back on.
func resumeAfterLeaving(kind ScheduleKind, sch *Schedule, now time.Time) bool {
	if sch.Version == 0 || sch.Disabled != DisabledLeft {
		return false
	}
	loc, err := LoadZone(sch.Zone)
	if err != nil {
		sch.Disabled = fmt.Sprintf("its time zone %q is unknown to this studybot", clip(sch.Zone, 40))
		return false
	}
	if sch.Sending != nil {
		sch.Last, sch.Sending = max(sch.Last, sch.Sending.Date), nil
	}
	sch.Disabled, sch.Updated = "", now.UTC()
	sch.Next = nextOccurrence(kind, sch.At, loc, now, sch.Last+1)
	return true
}

// PurgeLeft deletes everything kept of each community the bot left at or before `before`
// (now minus the retention), one community per transaction, and logs each deletion. It
// returns how many it deleted; a failure on one community does not stop the others.
//
// Redis holds nothing of a community that needs deleting: its cooldown keys expire by
// themselves within a minute of their last use (the longest window is 60 s), and its
// claims within ClaimTTL.
func (b *Bot) PurgeLeft(ctx context.Context, before time.Time) (int, error) {
	cs, err := b.communities()
	if err != nil {
		return 0, err
	}
	type gone struct {
		c  Community
		at time.Time
	}
	var due []gone
	err = cs.LeftCommunities(ctx, func(c Community, at time.Time) error {
		if !at.After(before) {
			due = append(due, gone{c, at})
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("purge left communities: %w", err)
	}
	deleted := 0
	var errs []error
	for _, g := range due {
		ok, err := cs.DeleteLeftCommunity(ctx, g.c, before)
		if err != nil {
			errs = append(errs, fmt.Errorf("delete community %s: %w", g.c.Key(), err))
			continue
		}
		if ok {
			deleted++
			b.log.Info("community data deleted", "platform", g.c.Platform, "community", g.c.ID, "left", g.at.UTC())
		}
	}
	return deleted, errors.Join(errs...)
}
