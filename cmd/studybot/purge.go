package main

import (
	"context"

	"github.com/studybot/studybot/adapters/cron"
)

// purgeSpec is 04:47:30 every day in STUDYBOT_TZ: the small hours, half an hour after the
// backup (cron.DailyQuietSpec), so that day's backup still holds what the purge deletes.
const purgeSpec = "30 47 4 * * *"

// newPurgeJob is the daily deletion of the communities the bot left more than
// STUDYBOT_RETENTION ago, as a service of `studybot run`. It also purges once at start, so a
// studybot that was down at 04:47 (or restarts every night) still deletes on time.
func newPurgeJob(c *core) (service, error) {
	purge := func(ctx context.Context) {
		if _, err := c.bot.PurgeLeft(ctx, c.clock.Now().Add(-c.cfg.Retention)); err != nil && ctx.Err() == nil {
			c.log.Error("deleting the data of communities the bot left failed; tried again tomorrow", "err", err)
		}
	}
	job, err := cron.NewJob("community-purge", purgeSpec, c.cfg.Zone, purge, c.log)
	if err != nil {
		return nil, err
	}
	return purgeJob{Job: job, first: purge}, nil
}

// purgeJob is the cron job with a purge at start.
type purgeJob struct {
	*cron.Job
	first func(ctx context.Context)
}

func (p purgeJob) Run(ctx context.Context) error {
	p.first(ctx)
	return p.Job.Run(ctx)
}
