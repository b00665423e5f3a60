package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/studybot/studybot/adapters/redis"
	"github.com/studybot/studybot/bot"
)

// openCoreShared opens the core with cooldowns and scheduler claims shared through Redis when
// REDIS_URL is set, so they hold across every studybot process on that Redis; unset, this
// process is alone and keeps them in memory. A Redis that is down at startup is not fatal:
// cooldowns run in-process until it answers. closeShared releases Redis once the services
// have stopped.
func openCoreShared(ctx context.Context, cfg config, clock bot.Clock, log *slog.Logger) (c *core, closeShared func(), err error) {
	if cfg.RedisURL == "" {
		c, err = openCore(cfg, clock, nil, log)
		return c, func() {}, err
	}
	store, err := redis.Open(ctx, redis.Options{
		URL:      cfg.RedisURL,
		Prefix:   cfg.RedisPrefix,
		Logger:   log,
		Fallback: bot.NewLocalCooldowns(clock),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	c, err = openCore(cfg, clock, store, log)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	c.claimer = store
	// Redis being out does not make studybot unready: cooldowns fall back to this process.
	c.ready.add("redis", func(context.Context) (string, bool) {
		if store.Fallback() {
			return "fallback active: Redis unreachable, cooldowns in-process", true
		}
		return "ok", true
	})
	c.metrics.RedisFallback(store.Fallback)
	log.Info("cooldowns and claims shared through redis", "redis", cfg.redactedRedisURL(), "prefix", cfg.RedisPrefix)
	return c, func() {
		if err := store.Close(); err != nil {
			log.Warn("closing redis", "err", err)
		}
	}, nil
}
