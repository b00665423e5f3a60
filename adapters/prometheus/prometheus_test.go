package prometheus_test

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/prometheus"
	"github.com/studybot/studybot/bot"
)

func scrape(t *testing.T, m *prometheus.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	return string(body)
}

func TestMetricsCountWhatUsersDid(t *testing.T) {
	m := prometheus.New()
	slack := bot.Request{Platform: bot.PlatformSlack}
	m.Observe(slack, bot.Response{Command: "checkin", Outcome: bot.OutcomeOK}, 3*time.Millisecond)
	m.Observe(slack, bot.Response{Command: "checkin", Outcome: bot.OutcomeOK}, 3*time.Millisecond)
	m.Observe(slack, bot.Response{Command: "next", Outcome: bot.ECOOLDOWN}, time.Millisecond)
	m.Observe(slack, bot.Response{Outcome: bot.EINVALID}, time.Millisecond)
	m.ScheduledPost("nudge", bot.PlatformDiscord, nil)
	m.ScheduledPost("remind", bot.PlatformSlack, errors.New("channel_not_found"))
	fallback := true
	m.Gauge("studybot_redis_fallback", "In-process cooldowns while Redis is unreachable.", nil, func() bool { return fallback })

	out := scrape(t, m)
	for _, want := range []string{
		`studybot_commands_total{command="checkin",outcome="ok",platform="slack"} 2`,
		`studybot_commands_total{command="next",outcome="cooldown",platform="slack"} 1`,
		`studybot_commands_total{command="unparsed",outcome="invalid",platform="slack"} 1`,
		`studybot_cooldown_refusals_total{command="next",platform="slack"} 1`,
		`studybot_checkins_total{platform="slack"} 2`,
		`studybot_command_duration_seconds_count{platform="slack"} 4`,
		`studybot_scheduled_posts_total{kind="nudge",platform="discord",result="sent"} 1`,
		`studybot_scheduled_posts_total{kind="remind",platform="slack",result="failed"} 1`,
		`studybot_redis_fallback 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	fallback = false
	if !strings.Contains(scrape(t, m), "studybot_redis_fallback 0") {
		t.Error("the gauge does not follow the state")
	}
}
