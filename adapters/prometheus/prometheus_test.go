package prometheus_test

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"sync/atomic"
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
	slack := bot.Request{Community: bot.Community{Platform: bot.PlatformSlack}}
	m.Observe(slack, bot.Response{Command: "checkin", Outcome: bot.OutcomeOK}, 3*time.Millisecond)
	m.Observe(slack, bot.Response{Command: "checkin", Outcome: bot.OutcomeOK}, 3*time.Millisecond)
	m.Observe(slack, bot.Response{Command: "next", Outcome: bot.ECOOLDOWN}, time.Millisecond)
	m.Observe(slack, bot.Response{Outcome: bot.EINVALID}, time.Millisecond)
	m.ScheduledPost("nudge", bot.PlatformDiscord, nil)
	m.ScheduledPost("remind", bot.PlatformSlack, errors.New("channel_not_found"))
	var fallback atomic.Bool
	fallback.Store(true)
	m.RedisFallback(fallback.Load)

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
	fallback.Store(false)
	if !strings.Contains(scrape(t, m), "studybot_redis_fallback 0") {
		t.Error("the gauge does not follow the state")
	}
}

func TestEveryChatAdapterOfOneProcessReportsItsConnection(t *testing.T) {
	m := prometheus.New()
	var discordUp, slackUp atomic.Bool
	// Both in one process, as `studybot run` does with DISCORD_TOKEN and Slack tokens set;
	// registering the second must not collide with the first.
	m.AdapterConnected("discord", discordUp.Load)
	m.AdapterConnected("slack", slackUp.Load)
	slackUp.Store(true)
	out := scrape(t, m)
	for _, want := range []string{
		`studybot_adapter_connected{adapter="discord"} 0`,
		`studybot_adapter_connected{adapter="slack"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "# HELP studybot_adapter_connected"); n != 1 {
		t.Errorf("studybot_adapter_connected described %d times, want once", n)
	}
	discordUp.Store(true)
	if !strings.Contains(scrape(t, m), `studybot_adapter_connected{adapter="discord"} 1`) {
		t.Error("the Discord series does not follow its connection")
	}
}

func TestAnIdleStudybotListsItsMetricsAtZero(t *testing.T) {
	m := prometheus.New()
	m.Platform(bot.PlatformSlack)
	out := scrape(t, m)
	for _, want := range []string{
		`studybot_checkins_total{platform="slack"} 0`,
		`studybot_scheduled_posts_total{kind="nudge",platform="slack",result="sent"} 0`,
		`studybot_scheduled_posts_total{kind="remind",platform="slack",result="failed"} 0`,
		`studybot_command_duration_seconds_count{platform="slack"} 0`,
		// No REDIS_URL: nothing to fall back from.
		`studybot_redis_fallback 0`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("an idle /metrics lacks %s", want)
		}
	}
}

func TestPanicsAndBackupsAreCounted(t *testing.T) {
	m := prometheus.New()
	if out := scrape(t, m); !strings.Contains(out, `studybot_panics_total{where="command"} 0`) ||
		!strings.Contains(out, `studybot_panics_total{where="store"} 0`) {
		t.Errorf("panics are not shown at zero before the first:\n%s", out)
	}
	discord := bot.Request{Community: bot.Community{Platform: bot.PlatformDiscord}}
	m.Observe(discord, bot.Response{Command: "checkin", Outcome: bot.OutcomePanic}, time.Millisecond)
	m.StorePanic()
	m.StorePanic()
	m.Backups()
	m.Backup(nil)
	m.Backup(errors.New("disk full"))
	m.Backup(nil)
	out := scrape(t, m)
	for _, want := range []string{
		`studybot_commands_total{command="checkin",outcome="panic",platform="discord"} 1`,
		`studybot_panics_total{where="command"} 1`,
		`studybot_panics_total{where="store"} 2`,
		`studybot_backups_total{result="ok"} 2`,
		`studybot_backups_total{result="failed"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
