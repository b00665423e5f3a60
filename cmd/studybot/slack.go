package main

import (
	"context"
	"fmt"

	"github.com/studybot/studybot/adapters/slack"
	"github.com/studybot/studybot/bot"
)

func init() { chatAdapters = append(chatAdapters, newSlack) }

// newSlack runs the Slack adapter when SLACK_BOT_TOKEN is set with SLACK_APP_TOKEN (Socket
// Mode) and/or SLACK_SIGNING_SECRET (HTTP mode: POST /slack/commands, /slack/interactions
// and /slack/events on STUDYBOT_HTTP_ADDR), and registers the poster the scheduler uses
// for daily lessons and reminders.
func newSlack(_ context.Context, c *core) ([]service, error) {
	socketMode, httpMode := c.cfg.slackSocketMode(), c.cfg.slackHTTPMode()
	if !socketMode && !httpMode {
		return nil, nil
	}
	cfg := slack.Config{
		BotToken: c.cfg.SlackBotToken,
		APIURL:   c.cfg.SlackAPIURL,
		Handler:  c.bot,
		Clock:    c.clock,
		Logger:   c.log.With("adapter", "slack"),
	}
	if socketMode {
		cfg.AppToken = c.cfg.SlackAppToken
	}
	if httpMode {
		cfg.SigningSecret = c.cfg.SlackSigningSecret
	}
	a, err := slack.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("SLACK_BOT_TOKEN: %w", err)
	}
	c.posters[bot.PlatformSlack] = a

	var services []service
	if socketMode {
		sm, err := a.SocketMode()
		if err != nil {
			return nil, fmt.Errorf("SLACK_APP_TOKEN: %w", err)
		}
		services = append(services, sm)
		c.ready.add("slack", func(context.Context) (string, bool) {
			if sm.Connected() {
				return "connected", true
			}
			return "not connected to Socket Mode", false
		})
		c.metrics.AdapterConnected("slack", sm.Connected)
	}
	if httpMode {
		h, err := a.HTTP()
		if err != nil {
			return nil, fmt.Errorf("SLACK_SIGNING_SECRET: %w", err)
		}
		c.mux.Handle("POST /slack/commands", h.Commands())
		c.mux.Handle("POST /slack/interactions", h.Interactions())
		c.mux.Handle("POST /slack/events", h.Events()) // app_uninstalled, tokens_revoked
		services = append(services, h)
	}
	return services, nil
}
