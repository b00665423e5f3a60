// Package prometheus exposes studybot's metrics with github.com/prometheus/client_golang:
// commands by name, platform and outcome with their latency, cooldown refusals, check-ins,
// scheduled posts sent and failed, panics recovered, scheduled backups, the Redis fallback
// state and each adapter's connection.
package prometheus

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/studybot/studybot/bot"
)

// Metrics holds studybot's collectors in a registry of its own, so tests and several
// instances in one process never collide in the global one.
type Metrics struct {
	registry  *prometheus.Registry
	commands  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	cooldowns *prometheus.CounterVec
	checkins  *prometheus.CounterVec
	posts     *prometheus.CounterVec
	panics    *prometheus.CounterVec
	backups   *prometheus.CounterVec
	// fallback reads whether Redis is out; nil (no REDIS_URL, or not yet wired) reads as 0.
	fallback atomic.Pointer[func() bool]
}

// New registers every studybot metric plus the Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "studybot_commands_total",
			Help: "Commands handled, by command, platform and outcome (ok or an error code).",
		}, []string{"command", "platform", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "studybot_command_duration_seconds",
			Help:    "Time the core took to answer a command.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"platform"}),
		cooldowns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "studybot_cooldown_refusals_total",
			Help: "Commands refused by a cooldown, by command and platform.",
		}, []string{"command", "platform"}),
		checkins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "studybot_checkins_total",
			Help: "Successful /roadmap checkin commands, by platform.",
		}, []string{"platform"}),
		posts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "studybot_scheduled_posts_total",
			Help: "Scheduled posts (nudge: daily lessons, remind: streak reminders), by kind, platform and result (sent, failed).",
		}, []string{"kind", "platform", "result"}),
		panics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "studybot_panics_total",
			Help: "Panics recovered, by where: command (the core answered with an apology) or store (a transaction reached a damaged page of the database file).",
		}, []string{"where"}),
		backups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "studybot_backups_total",
			Help: "Scheduled backups into STUDYBOT_BACKUP_DIR, by result (ok: written and checked; failed).",
		}, []string{"result"}),
	}
	fallback := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "studybot_redis_fallback",
		Help: "1 while Redis is unreachable and cooldowns run in-process; 0 when Redis answers or no REDIS_URL is set.",
	}, oneIf(func() bool {
		f := m.fallback.Load()
		return f != nil && (*f)()
	}))
	for _, where := range []string{"command", "store"} {
		m.panics.WithLabelValues(where)
	}
	m.registry.MustRegister(m.commands, m.latency, m.cooldowns, m.checkins, m.posts, m.panics, m.backups, fallback,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observe records one handled command; it has the shape of bot.Config.Observe.
func (m *Metrics) Observe(req bot.Request, resp bot.Response, took time.Duration) {
	command := resp.Command
	if command == "" {
		command = "unparsed" // the line never parsed: no command name to file it under
	}
	platform := req.Community.Platform
	m.commands.WithLabelValues(command, platform, resp.Outcome).Inc()
	m.latency.WithLabelValues(platform).Observe(took.Seconds())
	switch {
	case resp.Outcome == bot.OutcomePanic:
		m.panics.WithLabelValues("command").Inc()
	case resp.Outcome == bot.ECOOLDOWN:
		m.cooldowns.WithLabelValues(command, platform).Inc()
	case command == "checkin" && resp.Outcome == bot.OutcomeOK:
		m.checkins.WithLabelValues(platform).Inc()
	}
}

// ScheduledPost records how one scheduled post ended: kind is "nudge" or "remind".
func (m *Metrics) ScheduledPost(kind, platform string, err error) {
	result := "sent"
	if err != nil {
		result = "failed"
	}
	m.posts.WithLabelValues(kind, platform, result).Inc()
}

// StorePanic records a transaction that reached a damaged page of the database file (the
// store answered it with an error); it has the shape of bolt.Options.OnPanic.
func (m *Metrics) StorePanic() { m.panics.WithLabelValues("store").Inc() }

// Backup records how one scheduled backup ended.
func (m *Metrics) Backup(err error) {
	result := "ok"
	if err != nil {
		result = "failed"
	}
	m.backups.WithLabelValues(result).Inc()
}

// Backups shows studybot_backups_total at zero for both results from the start, for a
// process that takes scheduled backups.
func (m *Metrics) Backups() {
	m.backups.WithLabelValues("ok")
	m.backups.WithLabelValues("failed")
}

// AdapterConnected adds the studybot_adapter_connected{adapter=name} series, read at scrape
// time (1 for true). Every chat adapter of one process adds its series to the one metric,
// with one help text, so Discord and Slack can run side by side.
func (m *Metrics) AdapterConnected(name string, connected func() bool) {
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "studybot_adapter_connected",
		Help:        "1 while the chat adapter's connection is up (for Discord: every shard this process runs).",
		ConstLabels: prometheus.Labels{"adapter": name},
	}, oneIf(connected)))
}

// oneIf reads f as a gauge: 1 for true, 0 for false.
func oneIf(f func() bool) func() float64 {
	return func() float64 {
		if f() {
			return 1
		}
		return 0
	}
}

// RedisFallback makes studybot_redis_fallback follow active (1 while cooldowns run in-process
// because Redis is out). Until it is called the metric reads 0: no Redis, nothing to fall
// back from.
func (m *Metrics) RedisFallback(active func() bool) { m.fallback.Store(&active) }

// Platform shows the per-platform counters of a platform this process serves at zero, so an
// idle studybot's /metrics already lists them and rate() works from the first event.
func (m *Metrics) Platform(platform string) {
	m.checkins.WithLabelValues(platform)
	m.latency.WithLabelValues(platform)
	for _, kind := range []string{"nudge", "remind"} {
		for _, result := range []string{"sent", "failed"} {
			m.posts.WithLabelValues(kind, platform, result)
		}
	}
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}
