package bolt

import (
	"context"
	"fmt"

	"github.com/studybot/studybot/bot"
	bbolt "go.etcd.io/bbolt"
)

// A community's bucket "pulses" holds each learner's bot.Pulse (user ID -> its MarshalText), the few
// dozen bytes a weekly recap needs of them, rewritten in the transaction that writes the
// learner's record whenever it changes. A recap of 10,000 learners reads these instead of
// decoding 10,000 records with their review cards.

var bucketPulses = []byte("pulses")

var _ bot.PulseStore = (*DB)(nil)

// updatePulse moves the learner's pulse in step with l, their record as it is being saved,
// inside the transaction that saves it; it writes only when the pulse changes.
func updatePulse(cb *bbolt.Bucket, c bot.Community, userID string, l *bot.Learner) error {
	b, err := childBucket(cb, c, bucketPulses)
	if err != nil {
		return err
	}
	var p bot.Pulse
	if data := b.Get([]byte(userID)); data != nil {
		if err := p.UnmarshalText(data); err != nil {
			// A pulse is derived data: an unreadable one starts again rather than block the learner.
			p = bot.Pulse{}
		}
	}
	next, changed := p.Next(l)
	if !changed {
		return nil
	}
	data, err := next.MarshalText()
	if err != nil {
		return err
	}
	return b.Put([]byte(userID), data)
}

// forgetPulse deletes the learner's pulse, inside ForgetLearner's transaction.
func forgetPulse(cb *bbolt.Bucket, userID string) error {
	if b := cb.Bucket(bucketPulses); b != nil {
		return b.Delete([]byte(userID))
	}
	return nil
}

// Pulses implements bot.PulseStore. An entry whose learner has no record is passed over.
func (s *DB) Pulses(ctx context.Context, c bot.Community, fn func(userID string, p bot.Pulse) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.view(func(tx *bbolt.Tx) error {
		b := ExistingCommunityBucket(tx, c, bucketPulses)
		learners := ExistingCommunityBucket(tx, c, bucketLearners)
		if b == nil || learners == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if learners.Get(k) == nil {
				return nil
			}
			var p bot.Pulse
			if err := p.UnmarshalText(v); err != nil {
				// Derived data (see updatePulse): the recap goes out without this learner, whose
				// next write puts a good pulse back.
				s.log.Warn("recap passes over an unreadable pulse", "community", c.Key(), "err", err)
				return nil
			}
			return outside(func() error { return fn(string(k), p) })
		})
	})
}

// Pulse implements bot.PulseStore.
func (s *DB) Pulse(ctx context.Context, c bot.Community, userID string) (bot.Pulse, error) {
	var p bot.Pulse
	if err := ctx.Err(); err != nil {
		return p, err
	}
	err := s.view(func(tx *bbolt.Tx) error {
		if b := ExistingCommunityBucket(tx, c, bucketPulses); b != nil {
			if data := b.Get([]byte(userID)); data != nil {
				return p.UnmarshalText(data)
			}
		}
		return nil
	})
	if err != nil {
		return p, fmt.Errorf("read pulse %s in %s: %w", userID, c.Key(), err)
	}
	return p, nil
}
