// Package bolt is studybot's system of record on go.etcd.io/bbolt: learners' progress and
// streaks and communities' settings, each namespaced by platform and community.
//
// Layout: bucket "communities" holds one bucket per community key ("discord/123"), which
// holds bucket "learners" (user ID -> record, record.go), bucket "streaks" (the learners whose
// record holds a current streak, keyed by that streak inverted, big-endian, then user ID, so
// a cursor reads the longest first), bucket "notes" (user ID, a NUL byte, lesson slug -> JSON
// note, so one learner's notes are one run of keys) and bucket "settings" ("community" ->
// JSON). Bucket "meta" holds the schema version of the file and whether the streak index and
// the pulses (activity.go) were built.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/studybot/studybot/bot"
	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

var (
	bucketCommunities = []byte("communities")
	bucketMeta        = []byte("meta")
	bucketLearners    = []byte("learners")
	bucketSettings    = []byte("settings")
	bucketStreaks     = []byte("streaks")
	bucketNotes       = []byte("notes")
	keySchema         = []byte("schema")
	keyStreakIndex    = []byte("streak_index")
	keyPulses         = []byte("pulses")
	keyCommunity      = []byte("community")
	keyConsoleClock   = []byte("console_clock")
)

// fileVersion is what bucket "meta" holds under "schema": one more than the records' schema
// (bot.SchemaVersion), since learner records are written in record.go's binary format, which
// the releases of schema 3 and before cannot read. Those releases refuse a file whose
// version is above their own schema, so they stop at start, saying so, rather than fail on
// every learner. Upgrade brings a file of an earlier version up to this one.
const fileVersion = bot.SchemaVersion + 1

// ErrLocked means another process holds the database file.
var ErrLocked = errors.New("the file is locked by another process (is another studybot running? stop it or set STUDYBOT_DB to another file)")

// DB is the bbolt-backed store. It implements bot.Store.
type DB struct {
	db      *bbolt.DB
	path    string
	log     *slog.Logger
	onPanic func()
	// failure is the damage a transaction ran into (see guard), nil while there was none.
	failure atomic.Pointer[error]
	group   groupCommit

	// settings is every community's settings as last read or written, so a command reads
	// them without a transaction. This process holds the file's lock and every write goes
	// through UpdateSettings, so the copy cannot go stale. settingsMu is held across a
	// settings write and across a read from disk, so a reader never caches a value that a
	// write overtook.
	settingsMu sync.Mutex
	settings   sync.Map // community key -> bot.Settings
}

// Options tune Open.
type Options struct {
	// LockTimeout is how long to wait for another process to release the file (default 1s).
	LockTimeout time.Duration
	// BatchDelay is how long a write through bbolt's Batch (schedules) waits for others to
	// share its transaction (default 2ms). Learner and settings writes never wait for
	// company; under load, a group of them takes newcomers for at most this long: see
	// groupCommit.
	BatchDelay time.Duration
	// Logger hears how long the consistency check took and about damage found later; nil
	// logs nothing.
	Logger *slog.Logger
	// OnPanic, when set, is called each time a transaction reaches a damaged page (bbolt
	// panics; the caller gets an error wrapping ErrDamaged).
	OnPanic func()
}

// Open opens or creates the bbolt file at path. When another process holds the file it
// gives up after the lock timeout with an error that says so. A file that is damaged is
// refused with a *DamagedError (errors.Is(err, ErrDamaged)): one whose size disagrees with
// its meta page before bbolt maps it, any other damage by the consistency check (bbolt's
// Tx.Check over every page) that runs before the file is used.
func Open(path string, opts Options) (*DB, error) {
	if opts.LockTimeout == 0 {
		opts.LockTimeout = time.Second
	}
	if opts.BatchDelay == 0 {
		opts.BatchDelay = 2 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if _, _, err := readMeta(path); err != nil {
		return nil, err
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: opts.LockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	took, err := checkPages(db, path)
	if err != nil {
		db.Close()
		return nil, err
	}
	opts.Logger.Info("database checked", "db", path, "took", took.String())
	err = db.Update(func(tx *bbolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketCommunities); err != nil {
			return err
		}
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if v := meta.Get(keySchema); v != nil {
			n, err := strconv.Atoi(string(v))
			if err != nil || n > fileVersion {
				return fmt.Errorf("schema version %q is newer than this studybot understands (%d): upgrade studybot", v, fileVersion)
			}
		} else if err := meta.Put(keySchema, []byte(strconv.Itoa(fileVersion))); err != nil {
			return err
		}
		if meta.Get(keyStreakIndex) == nil {
			if err := buildStreakIndex(tx); err != nil {
				return fmt.Errorf("build the streak index: %w", err)
			}
			if err := meta.Put(keyStreakIndex, []byte("1")); err != nil {
				return err
			}
		}
		// A file of an earlier schema gets its pulses from Upgrade, once its records are
		// current: a pulse written before would count lessons the upgrade marks done as new.
		if meta.Get(keyPulses) != nil || string(meta.Get(keySchema)) != strconv.Itoa(fileVersion) {
			return nil
		}
		if err := tx.Bucket(bucketCommunities).ForEachBucket(func(name []byte) error {
			return buildPulses(tx, name)
		}); err != nil {
			return fmt.Errorf("build the pulses: %w", err)
		}
		return meta.Put(keyPulses, []byte("1"))
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.MaxBatchDelay = opts.BatchDelay
	return &DB{db: db, path: path, log: opts.Logger, onPanic: opts.OnPanic}, nil
}

// Upgrade migrates every learner and schedule stored under an earlier schema to the current
// one, in place, once: each community in a write transaction of its own, then the file's
// schema version, so a crash part-way leaves records that the next start migrates (a record
// already current is left alone). It reports how many records it changed.
func (s *DB) Upgrade(ctx context.Context, r *bot.Roadmap) (learners, schedules int, err error) {
	var current bool
	if err := s.view(func(tx *bbolt.Tx) error {
		current = string(tx.Bucket(bucketMeta).Get(keySchema)) == strconv.Itoa(fileVersion)
		return nil
	}); err != nil || current {
		return 0, 0, err
	}
	var communities [][]byte
	err = s.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketCommunities).ForEachBucket(func(k []byte) error {
			communities = append(communities, bytes.Clone(k))
			return nil
		})
	})
	if err != nil {
		return 0, 0, fmt.Errorf("upgrade %s: %w", s.path, err)
	}
	for _, name := range communities {
		if err := ctx.Err(); err != nil {
			return learners, schedules, err
		}
		err := s.update(func(tx *bbolt.Tx) error {
			cb := tx.Bucket(bucketCommunities).Bucket(name)
			if b := cb.Bucket(bucketLearners); b != nil {
				// Every learner is rewritten in this release's format, so the whole file is in it.
				n, err := upgradeEach(b, decodeLearner, encodeLearner, func(stored []byte, l *bot.Learner) bool {
					return r.Upgrade(l) || !isBinaryRecord(stored)
				})
				learners += n
				if err != nil {
					return err
				}
			}
			for _, kind := range [][]byte{bucketNudges, bucketReminders} {
				if b := cb.Bucket(kind); b != nil {
					n, err := upgradeEach(b, decodeJSON, encodeJSON, func(_ []byte, sch *bot.Schedule) bool { return r.UpgradeSchedule(sch) })
					schedules += n
					if err != nil {
						return err
					}
				}
			}
			return buildPulses(tx, name)
		})
		if err != nil {
			return learners, schedules, fmt.Errorf("upgrade %s community %s: %w", s.path, name, err)
		}
	}
	err = s.update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketMeta).Put(keyPulses, []byte("1")); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte(strconv.Itoa(fileVersion)))
	})
	if err != nil {
		return learners, schedules, fmt.Errorf("upgrade %s: %w", s.path, err)
	}
	return learners, schedules, nil
}

// upgradeEach decodes every record of b, lets upgrade change it and writes back the changed
// ones. Records are collected first: bbolt forbids writes while iterating.
func upgradeEach[T any](b *bbolt.Bucket, decode func([]byte, *T) error, encode func(*T) ([]byte, error), upgrade func(stored []byte, rec *T) bool) (int, error) {
	type change struct {
		key []byte
		rec T
	}
	var changes []change
	err := b.ForEach(func(k, v []byte) error {
		var rec T
		if err := decode(v, &rec); err != nil {
			return fmt.Errorf("decode %s: %w", k, err)
		}
		var changed bool
		outside(func() error { changed = upgrade(v, &rec); return nil })
		if changed {
			changes = append(changes, change{bytes.Clone(k), rec})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, c := range changes {
		data, err := encode(&c.rec)
		if err != nil {
			return 0, err
		}
		if err := b.Put(c.key, data); err != nil {
			return 0, err
		}
	}
	return len(changes), nil
}

// Close releases the file.
func (s *DB) Close() error { return s.db.Close() }

// Path is the file's path.
func (s *DB) Path() string { return s.path }

// Bolt exposes the underlying database to other adapters' stores that live in the same file.
func (s *DB) Bolt() *bbolt.DB { return s.db }

// community returns the community's bucket, or nil when it has no data yet.
func community(tx *bbolt.Tx, c bot.Community) *bbolt.Bucket {
	return tx.Bucket(bucketCommunities).Bucket([]byte(c.Key()))
}

// CommunityBucket returns the community's child bucket name, creating both when missing.
// It is for adapters that keep their own records per community in this file.
func CommunityBucket(tx *bbolt.Tx, c bot.Community, name []byte) (*bbolt.Bucket, error) {
	cb, err := communityBucket(tx, c)
	if err != nil {
		return nil, err
	}
	return childBucket(cb, c, name)
}

// communityBucket returns the community's bucket, creating it when missing.
func communityBucket(tx *bbolt.Tx, c bot.Community) (*bbolt.Bucket, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	cb, err := bucketIn(tx.Bucket(bucketCommunities), []byte(c.Key()))
	if err != nil {
		return nil, fmt.Errorf("community %s: %w", c.Key(), err)
	}
	return cb, nil
}

// childBucket returns cb's child bucket name, creating it when missing.
func childBucket(cb *bbolt.Bucket, c bot.Community, name []byte) (*bbolt.Bucket, error) {
	b, err := bucketIn(cb, name)
	if err != nil {
		return nil, fmt.Errorf("community %s bucket %s: %w", c.Key(), name, err)
	}
	return b, nil
}

// bucketIn is parent's child bucket name, created when missing. It is CreateBucketIfNotExists
// without the copy of name that bbolt makes even for a bucket that exists: four of them on
// every learner write.
func bucketIn(parent *bbolt.Bucket, name []byte) (*bbolt.Bucket, error) {
	if b := parent.Bucket(name); b != nil {
		return b, nil
	}
	return parent.CreateBucketIfNotExists(name)
}

// ExistingCommunityBucket returns the community's child bucket, or nil when it does not exist.
func ExistingCommunityBucket(tx *bbolt.Tx, c bot.Community, name []byte) *bbolt.Bucket {
	cb := community(tx, c)
	if cb == nil {
		return nil
	}
	return cb.Bucket(name)
}

// Learner implements bot.Store.
func (s *DB) Learner(ctx context.Context, c bot.Community, userID string) (bot.Learner, error) {
	var l bot.Learner
	if err := ctx.Err(); err != nil {
		return l, err
	}
	err := s.view(func(tx *bbolt.Tx) error {
		return getLearner(ExistingCommunityBucket(tx, c, bucketLearners), []byte(userID), &l)
	})
	if err != nil {
		return l, fmt.Errorf("read learner %s in %s: %w", userID, c.Key(), err)
	}
	return l, nil
}

// UpdateLearner implements bot.Store: one write transaction (see groupCommit) that reads
// the record, lets fn change it, writes it and moves its entry in the streak index. The
// call returns only after its transaction is on disk.
func (s *DB) UpdateLearner(ctx context.Context, c bot.Community, userID string, fn func(*bot.Learner) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if userID == "" {
		return errors.New("update learner: empty user id")
	}
	return s.commit(func(tx *bbolt.Tx) error {
		cb, b, err := learnersBucket(tx, c)
		if err != nil {
			return err
		}
		var l bot.Learner
		if err := getLearner(b, []byte(userID), &l); err != nil {
			return fmt.Errorf("read learner %s in %s: %w", userID, c.Key(), err)
		}
		was := l.Streak.Current
		if err := outside(func() error { return fn(&l) }); err != nil {
			return err
		}
		return saveLearner(cb, c, b, userID, &l, was)
	})
}

// learnersBucket returns the community's bucket and its learners, creating them when missing.
func learnersBucket(tx *bbolt.Tx, c bot.Community) (community, learners *bbolt.Bucket, err error) {
	if community, err = communityBucket(tx, c); err != nil {
		return nil, nil, err
	}
	learners, err = childBucket(community, c, bucketLearners)
	return community, learners, err
}

// saveLearner writes l as userID's record into b, its community's learners, with what is
// derived from it: its pulse (the recap's index, activity.go) and its entry in the streak
// index, moved from streak was.
func saveLearner(cb *bbolt.Bucket, c bot.Community, b *bbolt.Bucket, userID string, l *bot.Learner, was int) error {
	if err := putLearner(b, []byte(userID), l); err != nil {
		return err
	}
	if err := updatePulse(cb, c, userID, l); err != nil {
		return err
	}
	if l.Streak.Current == was {
		return nil
	}
	idx, err := childBucket(cb, c, bucketStreaks)
	if err != nil {
		return err
	}
	return moveStreak(idx, userID, was, l.Streak.Current)
}

// PutLearners writes whole records in one transaction, each as UpdateLearner leaves it
// (streak index and pulse included), replacing what was there: for tests and tools that
// build a community at once.
func (s *DB) PutLearners(c bot.Community, learners []bot.Learner) error {
	return s.update(func(tx *bbolt.Tx) error {
		cb, b, err := learnersBucket(tx, c)
		if err != nil {
			return err
		}
		for _, l := range learners {
			var was bot.Learner
			if err := getLearner(b, []byte(l.UserID), &was); err != nil {
				return err
			}
			if err := saveLearner(cb, c, b, l.UserID, &l, was.Streak.Current); err != nil {
				return err
			}
		}
		return nil
	})
}

// streakKey orders the streak index longest first: the streak inverted, big-endian, then
// the user ID (ties in ID order).
func streakKey(current int, userID string) []byte {
	k := make([]byte, 4, 4+len(userID))
	binary.BigEndian.PutUint32(k, ^uint32(min(uint64(current), math.MaxUint32)))
	return append(k, userID...)
}

// moveStreak moves a learner's entry in the streak index from streak was to streak now;
// a streak of zero has no entry.
func moveStreak(idx *bbolt.Bucket, userID string, was, now int) error {
	if was > 0 {
		if err := idx.Delete(streakKey(was, userID)); err != nil {
			return err
		}
	}
	if now > 0 {
		return idx.Put(streakKey(now, userID), []byte{})
	}
	return nil
}

// buildStreakIndex builds every community's streak index afresh from its learners' records,
// for a file written before the index existed. Run again, it builds the same index.
func buildStreakIndex(tx *bbolt.Tx) error {
	return tx.Bucket(bucketCommunities).ForEachBucket(func(name []byte) error {
		cb := tx.Bucket(bucketCommunities).Bucket(name)
		if cb.Bucket(bucketStreaks) != nil {
			if err := cb.DeleteBucket(bucketStreaks); err != nil {
				return err
			}
		}
		learners := cb.Bucket(bucketLearners)
		if learners == nil {
			return nil
		}
		idx, err := cb.CreateBucket(bucketStreaks)
		if err != nil {
			return err
		}
		return learners.ForEach(func(k, v []byte) error {
			var l bot.Learner
			if err := decodeLearner(v, &l); err != nil {
				return fmt.Errorf("decode learner %s in %s: %w", k, name, err)
			}
			return moveStreak(idx, string(k), 0, l.Streak.Current)
		})
	})
}

// buildPulses writes a pulse for every learner of community name that has none, for records
// written before pulses existed: the recap reads pulses alone, so it would leave out every
// learner not written since. Run again, it writes nothing.
func buildPulses(tx *bbolt.Tx, name []byte) error {
	cb := tx.Bucket(bucketCommunities).Bucket(name)
	learners := cb.Bucket(bucketLearners)
	if learners == nil {
		return nil
	}
	pulses, err := cb.CreateBucketIfNotExists(bucketPulses)
	if err != nil {
		return err
	}
	type missing struct {
		key  []byte
		data []byte
	}
	var add []missing // bbolt forbids writes while iterating
	err = learners.ForEach(func(k, v []byte) error {
		if pulses.Get(k) != nil {
			return nil
		}
		var l bot.Learner
		if decodeLearner(v, &l) != nil {
			return nil // derived data: a record nobody can read has no pulse to derive, and must not stop the start
		}
		p, _ := bot.Pulse{}.Next(&l)
		data, err := p.MarshalText()
		if err != nil {
			return err
		}
		add = append(add, missing{bytes.Clone(k), data})
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range add {
		if err := pulses.Put(m.key, m.data); err != nil {
			return err
		}
	}
	return nil
}

// Learners implements bot.Store.
func (s *DB) Learners(ctx context.Context, c bot.Community, fn func(bot.Learner) error) error {
	return s.view(func(tx *bbolt.Tx) error {
		b := ExistingCommunityBucket(tx, c, bucketLearners)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var l bot.Learner
			if err := decodeLearner(v, &l); err != nil {
				return fmt.Errorf("decode learner %s in %s: %w", k, c.Key(), err)
			}
			return outside(func() error { return fn(l) })
		})
	})
}

// LearnersByStreak implements bot.Store: it walks the community's streak index, so a
// caller that stops early reads only the records it was given.
func (s *DB) LearnersByStreak(ctx context.Context, c bot.Community, fn func(bot.Learner) (bool, error)) error {
	return s.view(func(tx *bbolt.Tx) error {
		idx := ExistingCommunityBucket(tx, c, bucketStreaks)
		learners := ExistingCommunityBucket(tx, c, bucketLearners)
		if idx == nil || learners == nil {
			return nil
		}
		cur := idx.Cursor()
		for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			if len(k) < 4 {
				return fmt.Errorf("streak index of %s: bad key %x", c.Key(), k)
			}
			user := k[4:]
			var l bot.Learner
			if err := getLearner(learners, user, &l); err != nil {
				return fmt.Errorf("decode learner %s in %s: %w", user, c.Key(), err)
			}
			if l.Streak.Current <= 0 || !bytes.Equal(streakKey(l.Streak.Current, string(user)), k) {
				// An entry the record does not back (a file an older studybot wrote to after
				// the index was built): the learner is handed out at its own entry or not at all.
				continue
			}
			var more bool
			err := outside(func() (err error) { more, err = fn(l); return err })
			if err != nil || !more {
				return err
			}
		}
		return nil
	})
}

// Settings implements bot.Store. Every command of the core asks for them (the community's
// zone), so they come from memory once read.
func (s *DB) Settings(ctx context.Context, c bot.Community) (bot.Settings, error) {
	if err := ctx.Err(); err != nil {
		return bot.Settings{}, err
	}
	if st, ok := s.settings.Load(c.Key()); ok {
		return st.(bot.Settings), nil
	}
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	if st, ok := s.settings.Load(c.Key()); ok {
		return st.(bot.Settings), nil
	}
	var st bot.Settings
	err := s.view(func(tx *bbolt.Tx) error {
		return getJSON(ExistingCommunityBucket(tx, c, bucketSettings), keyCommunity, &st)
	})
	if err != nil {
		return st, fmt.Errorf("read settings of %s: %w", c.Key(), err)
	}
	s.settings.Store(c.Key(), st)
	return st, nil
}

// UpdateSettings implements bot.Store.
func (s *DB) UpdateSettings(ctx context.Context, c bot.Community, fn func(*bot.Settings) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	var st bot.Settings
	err := s.commit(func(tx *bbolt.Tx) error {
		b, err := CommunityBucket(tx, c, bucketSettings)
		if err != nil {
			return err
		}
		st = bot.Settings{}
		if err := getJSON(b, keyCommunity, &st); err != nil {
			return fmt.Errorf("read settings of %s: %w", c.Key(), err)
		}
		if err := outside(func() error { return fn(&st) }); err != nil {
			return err
		}
		st.Version = bot.SchemaVersion
		return putJSON(b, keyCommunity, st)
	})
	if err != nil {
		// The write may have failed after it was on disk (a closed file, say): read it again.
		s.settings.Delete(c.Key())
		return err
	}
	s.settings.Store(c.Key(), st)
	return nil
}

// Communities lists every community key with data in the file.
func (s *DB) Communities(ctx context.Context) ([]bot.Community, error) {
	var out []bot.Community
	err := s.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketCommunities).ForEach(func(k, _ []byte) error {
			c, err := ParseCommunity(string(k))
			if err != nil {
				return err
			}
			out = append(out, c)
			return ctx.Err()
		})
	})
	return out, err
}

// ParseCommunity reads a community key ("slack/T0123").
func ParseCommunity(key string) (bot.Community, error) {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			c := bot.Community{Platform: key[:i], ID: key[i+1:]}
			return c, c.Validate()
		}
	}
	return bot.Community{}, fmt.Errorf("bad community key %q", key)
}

// GetJSON decodes the value at key into v; a nil bucket or a missing key leaves v unchanged.
func getJSON(b *bbolt.Bucket, key []byte, v any) error {
	if b == nil {
		return nil
	}
	data := b.Get(key)
	if data == nil {
		return nil
	}
	return json.Unmarshal(data, v)
}

func decodeJSON[T any](data []byte, v *T) error { return json.Unmarshal(data, v) }

func encodeJSON[T any](v *T) ([]byte, error) { return json.Marshal(v) }

func putJSON(b *bbolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// GetJSON and PutJSON let other adapters keep JSON records in this file the same way.
func GetJSON(b *bbolt.Bucket, key []byte, v any) error { return getJSON(b, key, v) }

// PutJSON stores v as JSON at key.
func PutJSON(b *bbolt.Bucket, key []byte, v any) error { return putJSON(b, key, v) }

// Backup writes a consistent copy of the database to path while it stays in use: bbolt copies
// inside one read transaction, so concurrent writes neither block nor tear the copy. The copy
// is written beside path under a temporary name, checked as Open checks a file (meta pages,
// size, and bbolt's Tx.Check over every page), and only then renamed into place, so a failed
// or damaged backup never takes the place of a file.
func (s *DB) Backup(path string) error { return s.BackupContext(context.Background(), path) }

// BackupContext is Backup that gives up, leaving nothing behind, once ctx ends.
func (s *DB) BackupContext(ctx context.Context, path string) error {
	if SameFile(path, s.path) {
		// Renaming a copy over the live file would leave this process writing to a file
		// that no longer has a name: every later write would be lost.
		return fmt.Errorf("backup to %s: that is the database itself; choose another file", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	err = s.view(func(tx *bbolt.Tx) error {
		_, err := tx.WriteTo(ctxWriter{ctx, tmp})
		return err
	})
	if err != nil && ctx.Err() != nil {
		err = ctx.Err() // bbolt keeps only the text of the writer's error
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if _, err = Check(tmp.Name(), time.Second); errors.Is(err, ErrDamaged) {
			err = fmt.Errorf("the copy failed its consistency check, so the database itself is likely damaged (studybot check %s): %w", s.path, err)
		}
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path)) // the rename itself survives a power cut
	}
	if err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

// ctxWriter stops a copy once ctx ends.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// SameFile reports whether a and b name one file, through links or relative paths too, so a
// backup is never written over the database it copies.
func SameFile(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	if errA == nil && errB == nil && absA == absB {
		return true
	}
	infoA, errA := os.Stat(a)
	infoB, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(infoA, infoB)
}

// ConsoleClock is where the console's clock stood when it last moved (zero when it never
// did): the console resumes there, so days it already counted stay in the past.
func (s *DB) ConsoleClock() (time.Time, error) {
	var t time.Time
	err := s.view(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyConsoleClock); v != nil {
			return t.UnmarshalText(v)
		}
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("read console clock: %w", err)
	}
	return t, nil
}

// SaveConsoleClock records where the console's clock stands; it never moves it back.
func (s *DB) SaveConsoleClock(t time.Time) error {
	err := s.update(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		var saved time.Time
		if v := meta.Get(keyConsoleClock); v != nil && saved.UnmarshalText(v) == nil && !t.After(saved) {
			return nil
		}
		v, err := t.UTC().MarshalText()
		if err != nil {
			return err
		}
		return meta.Put(keyConsoleClock, v)
	})
	if err != nil {
		return fmt.Errorf("save console clock: %w", err)
	}
	return nil
}

// Ping checks the file is open and readable, for readiness probes; once a transaction has
// run into a damaged page it reports that damage.
func (s *DB) Ping() error {
	if err := s.Failed(); err != nil {
		return err
	}
	return s.view(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketMeta) == nil {
			return errors.New("meta bucket missing")
		}
		return nil
	})
}

// storedNote is a note as the file keeps it.
type storedNote struct {
	Version int    `json:"v"`
	Text    string `json:"text"`
}

// notePrefix starts the keys of every note of a learner.
func notePrefix(userID string) []byte { return append([]byte(userID), 0) }

func noteKey(userID, lesson string) ([]byte, error) {
	if userID == "" || lesson == "" || strings.ContainsRune(userID, 0) {
		return nil, fmt.Errorf("bad note key: user %q, lesson %q", userID, lesson)
	}
	return append(notePrefix(userID), lesson...), nil
}

// Note implements bot.Store.
func (s *DB) Note(ctx context.Context, c bot.Community, userID, lesson string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	key, err := noteKey(userID, lesson)
	if err != nil {
		return "", err
	}
	var n storedNote
	err = s.view(func(tx *bbolt.Tx) error {
		return getJSON(ExistingCommunityBucket(tx, c, bucketNotes), key, &n)
	})
	if err != nil {
		return "", fmt.Errorf("read note of %s on %s in %s: %w", userID, lesson, c.Key(), err)
	}
	return n.Text, nil
}

// SetNote implements bot.Store, through the same group commit as a learner's record.
func (s *DB) SetNote(ctx context.Context, c bot.Community, userID, lesson, text string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key, err := noteKey(userID, lesson)
	if err != nil {
		return err
	}
	err = s.commit(func(tx *bbolt.Tx) error {
		if text == "" {
			if b := ExistingCommunityBucket(tx, c, bucketNotes); b != nil {
				return b.Delete(key)
			}
			return nil
		}
		b, err := CommunityBucket(tx, c, bucketNotes)
		if err != nil {
			return err
		}
		return putJSON(b, key, storedNote{Version: bot.SchemaVersion, Text: text})
	})
	if err != nil {
		return fmt.Errorf("save note of %s on %s in %s: %w", userID, lesson, c.Key(), err)
	}
	return nil
}

// Notes implements bot.Store: one cursor run over the learner's keys.
func (s *DB) Notes(ctx context.Context, c bot.Community, userID string, fn func(lesson, text string) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	prefix := notePrefix(userID)
	return s.view(func(tx *bbolt.Tx) error {
		b := ExistingCommunityBucket(tx, c, bucketNotes)
		if b == nil {
			return nil
		}
		cur := b.Cursor()
		for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
			var n storedNote
			if err := json.Unmarshal(v, &n); err != nil {
				return fmt.Errorf("decode note %q in %s: %w", k, c.Key(), err)
			}
			lesson := string(k[len(prefix):])
			if err := outside(func() error { return fn(lesson, n.Text) }); err != nil {
				return err
			}
		}
		return nil
	})
}

// ForgetLearner implements bot.Store in one write transaction: the learner's record and every
// streak index entry naming them, their notes, their reminder and its due entry go, and a
// daily post they set up no longer names them.
func (s *DB) ForgetLearner(ctx context.Context, c bot.Community, userID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("forget learner: %w", err)
	}
	if userID == "" || strings.ContainsRune(userID, 0) {
		return fmt.Errorf("forget learner: bad user id %q", userID)
	}
	err := s.commit(func(tx *bbolt.Tx) error {
		cb := community(tx, c)
		if cb == nil {
			return nil
		}
		user := []byte(userID)
		if b := cb.Bucket(bucketLearners); b != nil {
			if err := b.Delete(user); err != nil {
				return err
			}
		}
		// Every entry, not only the one the record backs: an entry left by an older
		// studybot would still rank them.
		if idx := cb.Bucket(bucketStreaks); idx != nil {
			if err := deleteKeys(idx, func(k []byte) bool { return len(k) >= 4 && bytes.Equal(k[4:], user) }); err != nil {
				return err
			}
		}
		if err := forgetPulse(cb, userID); err != nil {
			return err
		}
		if b := cb.Bucket(bucketNotes); b != nil {
			prefix := notePrefix(userID)
			if err := deleteKeys(b, func(k []byte) bool { return bytes.HasPrefix(k, prefix) }); err != nil {
				return err
			}
		}
		if b := cb.Bucket(bucketReminders); b != nil {
			var sch bot.Schedule
			if err := getJSON(b, user, &sch); err != nil {
				// A damaged record must not keep the learner: its Next is unknown, so every
				// due entry naming their reminder goes, found by a scan of the due index.
				s.log.Warn("forgetting a learner whose reminder record is unreadable", "community", c.Key(), "err", err)
				if due := tx.Bucket(bucketDue); due != nil {
					target := dueKey(time.Time{}, bot.RemindKey(c, userID))[8:]
					if err := deleteKeys(due, func(k []byte) bool { return len(k) > 8 && bytes.Equal(k[8:], target) }); err != nil {
						return err
					}
				}
			} else if !sch.Next.IsZero() {
				if err := index(tx, bot.RemindKey(c, userID), sch.Next, time.Time{}); err != nil {
					return err
				}
			}
			if err := b.Delete(user); err != nil {
				return err
			}
		}
		if b := cb.Bucket(bucketNudges); b != nil {
			return scrubSetBy(b, userID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("forget learner %s in %s: %w", userID, c.Key(), err)
	}
	return nil
}

// deleteKeys deletes the keys of b that match. They are collected first: bbolt's cursor
// must not walk a bucket while it is changed.
func deleteKeys(b *bbolt.Bucket, match func([]byte) bool) error {
	var keys [][]byte
	err := b.ForEach(func(k, _ []byte) error {
		if match(k) {
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// scrubSetBy removes the learner's ID from the daily posts they set up: the posts carry on.
func scrubSetBy(nudges *bbolt.Bucket, userID string) error {
	type change struct {
		key []byte
		sch bot.Schedule
	}
	var changes []change
	err := nudges.ForEach(func(k, v []byte) error {
		var sch bot.Schedule
		if err := json.Unmarshal(v, &sch); err != nil {
			return fmt.Errorf("decode daily post %s: %w", k, err)
		}
		if sch.SetBy == userID {
			sch.SetBy = ""
			changes = append(changes, change{bytes.Clone(k), sch})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, ch := range changes {
		if err := putJSON(nudges, ch.key, ch.sch); err != nil {
			return err
		}
	}
	return nil
}
