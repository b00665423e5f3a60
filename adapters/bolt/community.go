package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/studybot/studybot/bot"
	bbolt "go.etcd.io/bbolt"
)

// The top-level bucket "left" records each community the bot was removed from: community key
// -> JSON {"v", "at"}. It lives outside the communities' own buckets so the daily purge reads
// only it, never every community. Deleting a community deletes its bucket under
// "communities" (learners, streak index, notes, settings, schedules, and whatever a later
// studybot keeps there), its entries in the due index and its "left" record, in one write
// transaction.

var bucketLeft = []byte("left")

var _ bot.CommunityStore = (*DB)(nil)

// leftRecord is one community's record of leaving.
type leftRecord struct {
	Version int       `json:"v"`
	At      time.Time `json:"at"`
}

// scheduleBucket is a schedule kind and the community bucket that holds it.
type scheduleBucket struct {
	kind bot.ScheduleKind
	name []byte
}

// scheduleBuckets is every schedule bucket, so a kind added to kindBytes is stopped,
// resumed and deleted with the others.
func scheduleBuckets() []scheduleBucket {
	var out []scheduleBucket
	for kind := range kindBytes {
		name := kindBucket(kind)
		if !slices.ContainsFunc(out, func(o scheduleBucket) bool { return bytes.Equal(o.name, name) }) {
			out = append(out, scheduleBucket{kind, name})
		}
	}
	return out
}

// eachSchedule runs fn on every schedule of c and saves what it left, moving due entries.
func eachSchedule(tx *bbolt.Tx, c bot.Community, fn func(bot.ScheduleKey, *bot.Schedule)) error {
	cb := community(tx, c)
	if cb == nil {
		return nil
	}
	for _, sb := range scheduleBuckets() {
		b := cb.Bucket(sb.name)
		if b == nil {
			continue
		}
		type entry struct {
			key bot.ScheduleKey
			sch bot.Schedule
		}
		var all []entry
		err := b.ForEach(func(k, v []byte) error {
			e := entry{key: bot.ScheduleKey{Kind: sb.kind, Community: c, Target: string(k)}}
			if err := json.Unmarshal(v, &e.sch); err != nil {
				return fmt.Errorf("decode schedule %s: %w", e.key, err)
			}
			all = append(all, e)
			return nil
		})
		if err != nil {
			return err
		}
		// Saved after the walk: bbolt's cursor must not walk a bucket while it is changed.
		for _, e := range all {
			old := e.sch.Next
			if err := outside(func() error { fn(e.key, &e.sch); return nil }); err != nil {
				return err
			}
			if err := save(tx, b, e.key, old, &e.sch); err != nil {
				return err
			}
		}
	}
	return nil
}

func readLeft(tx *bbolt.Tx, c bot.Community) (leftRecord, error) {
	var rec leftRecord
	err := getJSON(tx.Bucket(bucketLeft), []byte(c.Key()), &rec)
	if err != nil {
		return rec, fmt.Errorf("read the record of leaving %s: %w", c.Key(), err)
	}
	return rec, nil
}

// LeaveCommunity implements bot.CommunityStore.
func (s *DB) LeaveCommunity(ctx context.Context, c bot.Community, at time.Time, stop func(bot.ScheduleKey, *bot.Schedule)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("leave community: %w", err)
	}
	err := s.update(func(tx *bbolt.Tx) error {
		rec, err := readLeft(tx, c)
		if err != nil {
			return err
		}
		if rec.At.IsZero() {
			left, err := tx.CreateBucketIfNotExists(bucketLeft)
			if err != nil {
				return err
			}
			if err := putJSON(left, []byte(c.Key()), leftRecord{Version: 1, At: at.UTC()}); err != nil {
				return err
			}
		}
		return eachSchedule(tx, c, stop)
	})
	if err != nil {
		return fmt.Errorf("leave community %s: %w", c.Key(), err)
	}
	return nil
}

// ReturnToCommunity implements bot.CommunityStore. A community that was never left costs a
// read transaction only: every Slack command asks.
func (s *DB) ReturnToCommunity(ctx context.Context, c bot.Community, resume func(bot.ScheduleKey, *bot.Schedule)) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	if err := c.Validate(); err != nil {
		return time.Time{}, fmt.Errorf("return to community: %w", err)
	}
	var rec leftRecord
	err := s.view(func(tx *bbolt.Tx) (err error) { rec, err = readLeft(tx, c); return err })
	if err != nil || rec.At.IsZero() {
		return time.Time{}, err
	}
	err = s.update(func(tx *bbolt.Tx) (err error) {
		if rec, err = readLeft(tx, c); err != nil || rec.At.IsZero() {
			return err // came back in another call meanwhile
		}
		if err := tx.Bucket(bucketLeft).Delete([]byte(c.Key())); err != nil {
			return err
		}
		return eachSchedule(tx, c, resume)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("return to community %s: %w", c.Key(), err)
	}
	return rec.At, nil
}

// LeftCommunities implements bot.CommunityStore.
func (s *DB) LeftCommunities(ctx context.Context, fn func(bot.Community, time.Time) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	type left struct {
		c  bot.Community
		at time.Time
	}
	var all []left
	err := s.view(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketLeft)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			c, err := ParseCommunity(string(k))
			if err != nil {
				return fmt.Errorf("record of leaving %q: %w", k, err)
			}
			var rec leftRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("record of leaving %s: %w", k, err)
			}
			all = append(all, left{c, rec.At})
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("list left communities: %w", err)
	}
	// fn runs outside the transaction, so it may delete what it is given.
	for _, l := range all {
		if err := fn(l.c, l.at); err != nil {
			return err
		}
	}
	return nil
}

// DeleteLeftCommunity implements bot.CommunityStore.
func (s *DB) DeleteLeftCommunity(ctx context.Context, c bot.Community, leftBy time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := c.Validate(); err != nil {
		return false, fmt.Errorf("delete community: %w", err)
	}
	// Held across the write so no reader caches the settings being deleted.
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	deleted := false
	err := s.update(func(tx *bbolt.Tx) error {
		deleted = false
		rec, err := readLeft(tx, c)
		if err != nil {
			return err
		}
		if rec.At.IsZero() || rec.At.After(leftBy) {
			return nil
		}
		communities := tx.Bucket(bucketCommunities)
		if communities.Bucket([]byte(c.Key())) != nil {
			if err := communities.DeleteBucket([]byte(c.Key())); err != nil {
				return err
			}
		}
		// Every due entry of the community, whatever its kind: they name it after the
		// 9-byte time and kind prefix.
		if due := tx.Bucket(bucketDue); due != nil {
			name := append([]byte(c.Key()), 0)
			err := deleteKeys(due, func(k []byte) bool { return len(k) > 9 && bytes.HasPrefix(k[9:], name) })
			if err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketLeft).Delete([]byte(c.Key())); err != nil {
			return err
		}
		deleted = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("delete community %s: %w", c.Key(), err)
	}
	if deleted {
		s.settings.Delete(c.Key())
	}
	return deleted, nil
}

// CommunitiesOf implements bot.CommunityStore: every community bucket of platform, whatever
// it holds.
func (s *DB) CommunitiesOf(ctx context.Context, platform string, fn func(bot.Community) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var all []bot.Community
	err := s.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketCommunities).ForEachBucket(func(k []byte) error {
			c, err := ParseCommunity(string(k))
			if err != nil {
				return fmt.Errorf("community bucket %q: %w", k, err)
			}
			if c.Platform == platform {
				all = append(all, c)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("list %s communities: %w", platform, err)
	}
	// fn runs outside the transaction, so it may write (leave a community) as it goes.
	for _, c := range all {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}
