package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/studybot/studybot/bot"
	bbolt "go.etcd.io/bbolt"
)

// Schedules live beside the rest of a community's data: its bucket holds "nudges" (channel
// ID -> JSON bot.Schedule), "recaps" (channel ID -> JSON bot.Schedule, the weekly recap) and
// "reminders" (user ID -> JSON bot.Schedule). The top-level
// bucket "due" indexes every schedule that has a Next by that instant, so the scheduler's
// minute tick reads only what is due, never every community's records. An index key is
// 8 bytes of Next in big-endian Unix nanoseconds (so keys sort by time), one kind byte,
// the community key, a NUL byte and the target.

var (
	bucketDue       = []byte("due")
	bucketNudges    = []byte("nudges")
	bucketReminders = []byte("reminders")
	bucketRecaps    = []byte("recaps")
)

var _ bot.ScheduleStore = (*DB)(nil)

var kindBytes = map[bot.ScheduleKind]byte{bot.KindNudge: 'n', bot.KindRemind: 'r', bot.KindRecap: 'c'}

func kindBucket(k bot.ScheduleKind) []byte {
	switch k {
	case bot.KindNudge:
		return bucketNudges
	case bot.KindRecap:
		return bucketRecaps
	}
	return bucketReminders
}

func dueKey(next time.Time, key bot.ScheduleKey) []byte {
	b := make([]byte, 9, 9+len(key.Community.Key())+1+len(key.Target))
	binary.BigEndian.PutUint64(b, uint64(next.UnixNano()))
	b[8] = kindBytes[key.Kind]
	b = append(b, key.Community.Key()...)
	b = append(b, 0)
	return append(b, key.Target...)
}

func parseDueKey(k []byte) (time.Time, bot.ScheduleKey, error) {
	if len(k) < 10 {
		return time.Time{}, bot.ScheduleKey{}, fmt.Errorf("short due key %q", k)
	}
	next := time.Unix(0, int64(binary.BigEndian.Uint64(k))).UTC()
	var key bot.ScheduleKey
	switch k[8] {
	case 'n':
		key.Kind = bot.KindNudge
	case 'r':
		key.Kind = bot.KindRemind
	case 'c':
		key.Kind = bot.KindRecap
	default:
		return next, key, fmt.Errorf("due key %q: unknown kind", k)
	}
	community, target, ok := bytes.Cut(k[9:], []byte{0})
	if !ok {
		return next, key, fmt.Errorf("due key %q: no target", k)
	}
	c, err := ParseCommunity(string(community))
	if err != nil {
		return next, key, err
	}
	key.Community, key.Target = c, string(target)
	return next, key, nil
}

// index moves the schedule's due entry from old to the schedule's current Next.
func index(tx *bbolt.Tx, key bot.ScheduleKey, old, next time.Time) error {
	if old.Equal(next) {
		return nil
	}
	due, err := tx.CreateBucketIfNotExists(bucketDue)
	if err != nil {
		return err
	}
	if !old.IsZero() {
		if err := due.Delete(dueKey(old, key)); err != nil {
			return err
		}
	}
	if !next.IsZero() {
		return due.Put(dueKey(next, key), nil)
	}
	return nil
}

// Schedule implements bot.ScheduleStore.
func (s *DB) Schedule(ctx context.Context, key bot.ScheduleKey) (bot.Schedule, error) {
	var sch bot.Schedule
	if err := ctx.Err(); err != nil {
		return sch, err
	}
	if err := key.Validate(); err != nil {
		return sch, err
	}
	err := s.view(func(tx *bbolt.Tx) error {
		return getJSON(ExistingCommunityBucket(tx, key.Community, kindBucket(key.Kind)), []byte(key.Target), &sch)
	})
	if err != nil {
		return sch, fmt.Errorf("read schedule %s: %w", key, err)
	}
	return sch, nil
}

// UpdateSchedule implements bot.ScheduleStore. Like UpdateLearner it goes through bbolt's
// Batch, so fn may run more than once.
func (s *DB) UpdateSchedule(ctx context.Context, key bot.ScheduleKey, fn func(*bot.Schedule) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := key.Validate(); err != nil {
		return err
	}
	return s.batch(func(tx *bbolt.Tx) error {
		b, err := CommunityBucket(tx, key.Community, kindBucket(key.Kind))
		if err != nil {
			return err
		}
		var sch bot.Schedule
		if err := getJSON(b, []byte(key.Target), &sch); err != nil {
			return fmt.Errorf("read schedule %s: %w", key, err)
		}
		old := sch.Next
		if err := outside(func() error { return fn(&sch) }); err != nil {
			return err
		}
		return save(tx, b, key, old, &sch)
	})
}

func save(tx *bbolt.Tx, b *bbolt.Bucket, key bot.ScheduleKey, old time.Time, sch *bot.Schedule) error {
	if err := putJSON(b, []byte(key.Target), sch); err != nil {
		return fmt.Errorf("save schedule %s: %w", key, err)
	}
	if err := index(tx, key, old, sch.Next); err != nil {
		return fmt.Errorf("index schedule %s: %w", key, err)
	}
	return nil
}

// FirstDue implements bot.ScheduleStore.
func (s *DB) FirstDue(ctx context.Context) (time.Time, bool, error) { return s.firstDue(ctx, nil) }

// TakeDue implements bot.ScheduleStore.
func (s *DB) TakeDue(ctx context.Context, until time.Time, limit int, fn func(bot.ScheduleKey, *bot.Schedule) error) (int, error) {
	return s.takeDue(ctx, until, limit, nil, fn)
}

// Only is the file's schedules as seen by a scheduler that serves one platform alone: its
// FirstDue and TakeDue find only that platform's schedules, so they neither fire nor move
// any other's; reads and updates of one schedule are the DB's own. The console runs its
// scheduler over Only(console): :advance on a production file leaves Discord's and Slack's
// schedules where they are.
func (s *DB) Only(platform string) bot.ScheduleStore {
	prefix := []byte(platform + "/")
	return platformSchedules{DB: s, match: func(k []byte) bool { return len(k) > 9 && bytes.HasPrefix(k[9:], prefix) }}
}

// platformSchedules is DB.Only's view: due index entries that match are the only ones seen.
type platformSchedules struct {
	*DB
	match func(dueKey []byte) bool
}

func (p platformSchedules) FirstDue(ctx context.Context) (time.Time, bool, error) {
	return p.firstDue(ctx, p.match)
}

func (p platformSchedules) TakeDue(ctx context.Context, until time.Time, limit int, fn func(bot.ScheduleKey, *bot.Schedule) error) (int, error) {
	return p.takeDue(ctx, until, limit, p.match, fn)
}

// firstDue is the earliest due instant among the index entries match accepts (nil: all).
func (s *DB) firstDue(ctx context.Context, match func([]byte) bool) (time.Time, bool, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, false, err
	}
	var first []byte
	err := s.view(func(tx *bbolt.Tx) error {
		if due := tx.Bucket(bucketDue); due != nil {
			c := due.Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				if match == nil || match(k) {
					first = bytes.Clone(k)
					break
				}
			}
		}
		return nil
	})
	if err != nil || first == nil {
		return time.Time{}, false, err
	}
	if len(first) < 8 {
		return time.Time{}, false, fmt.Errorf("short due key %q", first)
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(first))).UTC(), true, nil
}

// takeDue is TakeDue over the index entries match accepts (nil: all). It runs in one
// transaction (bbolt's Update, so fn runs exactly once per schedule). An index entry whose
// record is gone, corrupt or indexed elsewhere is dropped rather than offered, so one bad
// record never blocks the others; the corrupt ones are reported in the error after the rest
// are saved.
func (s *DB) takeDue(ctx context.Context, until time.Time, limit int, match func([]byte) bool, fn func(bot.ScheduleKey, *bot.Schedule) error) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if limit <= 0 {
		return 0, nil
	}
	end := make([]byte, 8)
	binary.BigEndian.PutUint64(end, uint64(until.UnixNano()))
	taken := 0
	var bad []error
	err := s.update(func(tx *bbolt.Tx) error {
		taken, bad = 0, nil
		due := tx.Bucket(bucketDue)
		if due == nil {
			return nil
		}
		// Collect first: the loop below rewrites the index under the cursor.
		var keys [][]byte
		c := due.Cursor()
		for k, _ := c.First(); k != nil && len(keys) < limit && bytes.Compare(k[:min(8, len(k))], end) <= 0; k, _ = c.Next() {
			if match == nil || match(k) {
				keys = append(keys, bytes.Clone(k))
			}
		}
		for _, k := range keys {
			taken++
			next, key, err := parseDueKey(k)
			if err != nil {
				bad = append(bad, err)
				if err := due.Delete(k); err != nil {
					return err
				}
				continue
			}
			b, err := CommunityBucket(tx, key.Community, kindBucket(key.Kind))
			if err != nil {
				return err
			}
			var sch bot.Schedule
			data := b.Get([]byte(key.Target))
			if data != nil {
				if err := json.Unmarshal(data, &sch); err != nil {
					bad = append(bad, fmt.Errorf("decode schedule %s: %w", key, err))
					data = nil
				}
			}
			if data == nil || !sch.Next.Equal(next) {
				// A stale entry: the record's own Next (if any) has its own entry.
				if err := due.Delete(k); err != nil {
					return err
				}
				continue
			}
			if err := outside(func() error { return fn(key, &sch) }); err != nil {
				return err
			}
			if err := save(tx, b, key, next, &sch); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("take due schedules: %w", err)
	}
	return taken, errors.Join(bad...)
}
