// Package prometheus exposes studybot's metrics with github.com/prometheus/client_golang:
// commands by name, platform and outcome with their latency, cooldown refusals, check-ins,
// scheduled posts sent and failed, the Redis fallback state and each adapter's connection.
package prometheus

import (
	"net/http"
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
	}
	m.registry.MustRegister(m.commands, m.latency, m.cooldowns, m.checkins, m.posts,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observe records one handled command; it has the shape of bot.Config.Observe.
func (m *Metrics) Observe(req bot.Request, resp bot.Response, took time.Duration) {
	command := resp.Command
	if command == "" {
		command = "unparsed" // the line never parsed: no command name to file it under
	}
	m.commands.WithLabelValues(command, req.Platform, resp.Outcome).Inc()
	m.latency.WithLabelValues(req.Platform).Observe(took.Seconds())
	switch {
	case resp.Outcome == bot.ECOOLDOWN:
		m.cooldowns.WithLabelValues(command, req.Platform).Inc()
	case command == "checkin" && resp.Outcome == bot.OutcomeOK:
		m.checkins.WithLabelValues(req.Platform).Inc()
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

// Gauge exposes a state read at scrape time (1 for true), such as whether Redis fallback is
// active or an adapter is connected.
func (m *Metrics) Gauge(name, help string, labels prometheus.Labels, state func() bool) {
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels},
		func() float64 {
			if state() {
				return 1
			}
			return 0
		}))
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}
