package bolt

import (
	"github.com/studybot/studybot/bot"
	bbolt "go.etcd.io/bbolt"
)

// PutLearners writes the records in one transaction, index included, as UpdateLearner
// writes each: benchmarks build large communities with it in seconds.
func (s *DB) PutLearners(c bot.Community, learners []bot.Learner) error {
	return s.update(func(tx *bbolt.Tx) error {
		b, err := CommunityBucket(tx, c, bucketLearners)
		if err != nil {
			return err
		}
		idx, err := CommunityBucket(tx, c, bucketStreaks)
		if err != nil {
			return err
		}
		for _, l := range learners {
			var was bot.Learner
			if err := getLearner(b, []byte(l.UserID), &was); err != nil {
				return err
			}
			if err := putLearner(b, []byte(l.UserID), &l); err != nil {
				return err
			}
			if err := moveStreak(idx, l.UserID, was.Streak.Current, l.Streak.Current); err != nil {
				return err
			}
		}
		return nil
	})
}
