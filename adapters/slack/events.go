package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/slack-go/slack/socketmode"

	"github.com/studybot/studybot/adapters/internal/inflight"
	"github.com/studybot/studybot/bot"
)

// Lifecycle is told when the app is uninstalled from a workspace or is in one again;
// *bot.Bot is one. With a Handler that is not one, events change nothing.
type Lifecycle interface {
	CommunityLeft(ctx context.Context, c bot.Community) error
	CommunityBack(ctx context.Context, c bot.Community) (back bool, err error)
}

// lifecycleTimeout bounds the store write one event causes.
const lifecycleTimeout = 30 * time.Second

// eventCallback is the part of an Events API payload studybot reads: the same JSON comes
// as the payload of a Socket Mode events_api envelope and as the body of an HTTP request.
// (studybot reads it itself rather than through slackevents, whose parser refuses an
// inner event type it does not know.)
type eventCallback struct {
	Type      string `json:"type"`      // event_callback, or url_verification over HTTP
	Challenge string `json:"challenge"` // url_verification only
	TeamID    string `json:"team_id"`
	Event     struct {
		Type   string `json:"type"`
		Tokens struct {
			Bot []string `json:"bot"` // user IDs of bot users whose tokens were revoked
		} `json:"tokens"`
	} `json:"event"`
}

// event acts on one Events API event from a workspace:
//   - app_uninstalled, or tokens_revoked naming a bot user (the app has one bot user per
//     workspace, so that is studybot's own token): the bot left; schedules stop. Slack
//     sends both on an uninstall, in either order; the second changes nothing more.
//   - tokens_revoked for user tokens only: studybot holds none, nothing changes.
//   - any other event (app_installed for an org-wide app, and whatever Slack sends): the
//     app is in the workspace, so a workspace that had left is back.
func (a *Adapter) event(ctx context.Context, cb eventCallback) {
	if cb.Type != "event_callback" {
		return
	}
	if !isSlackID(cb.TeamID) {
		a.log.Warn("slack: an event without a usable team_id; ignored", "event", clipBytes(cb.Event.Type, 40))
		return
	}
	if a.lifecycle == nil {
		return
	}
	c := bot.Community{Platform: bot.PlatformSlack, ID: cb.TeamID}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lifecycleTimeout)
	defer cancel()
	switch {
	case cb.Event.Type == "app_uninstalled" || cb.Event.Type == "tokens_revoked" && len(cb.Event.Tokens.Bot) > 0:
		if err := a.lifecycle.CommunityLeft(ctx, c); err != nil {
			a.log.Error("the app was uninstalled from a workspace but its schedules could not be stopped",
				"team", cb.TeamID, "event", cb.Event.Type, "err", err)
			return
		}
		a.log.Info("uninstalled from a Slack workspace", "team", cb.TeamID, "event", cb.Event.Type)
	case cb.Event.Type == "tokens_revoked":
		a.log.Debug("slack: user tokens revoked; studybot keeps none", "team", cb.TeamID)
	default:
		a.comeBack(ctx, cb.TeamID)
	}
}

// comeBack tells the core that team is using the app: any command, press or event from a
// workspace means the app is installed there. For a workspace that never left it is a read.
func (a *Adapter) comeBack(ctx context.Context, team string) {
	if a.lifecycle == nil {
		return
	}
	back, err := a.lifecycle.CommunityBack(ctx, bot.Community{Platform: bot.PlatformSlack, ID: team})
	switch {
	case err != nil:
		a.log.Error("a workspace that had uninstalled the app is back, but its schedules could not be resumed", "team", team, "err", err)
	case back:
		a.log.Info("back in a Slack workspace", "team", team)
	}
}

// socketEvent handles an events_api envelope, then acknowledges it: an event that could not
// be read is acknowledged too, since Slack's retry would carry the same bytes.
func (s *SocketMode) socketEvent(ctx context.Context, req *socketmode.Request) {
	// Acted on whatever the admission: an uninstall during a shutdown must not be lost.
	s.inflight.Go(func(inflight.Admission) {
		var cb eventCallback
		if err := json.Unmarshal(req.Payload, &cb); err != nil {
			s.a.log.Warn("slack socket mode: an events_api payload that is not JSON", "err", err)
		} else {
			s.a.event(ctx, cb)
		}
		s.ack(req, nil)
	})
}

// Events serves POST /slack/events, the Events API request URL: signed like the other
// requests (401, 413 and 415 before anything is parsed), JSON rather than a form. It
// answers Slack's url_verification with its challenge, and any event with 200 once acted on.
func (h *HTTP) Events() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := h.verifiedBody(w, r, jsonType)
		if !ok {
			return
		}
		var cb eventCallback
		if err := json.Unmarshal(body, &cb); err != nil {
			h.refuse(w, "event", errors.New("the body is not JSON"))
			return
		}
		if cb.Type == "url_verification" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte(cb.Challenge))
			return
		}
		h.inflight.Enter()
		defer h.inflight.Leave()
		h.a.event(r.Context(), cb)
		w.WriteHeader(http.StatusOK)
	})
}
