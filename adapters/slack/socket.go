package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"strings"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/studybot/studybot/adapters/internal/inflight"
	"github.com/studybot/studybot/bot"
)

// SocketMode receives slash commands and button presses over Slack's Socket Mode websocket,
// which needs no public URL. slack-go's client opens the connection through
// apps.connections.open on the configured Web API URL, answers Slack's pings and reconnects
// when Slack asks it to (a disconnect envelope) or the connection dies.
type SocketMode struct {
	a         *Adapter
	client    *socketmode.Client
	inflight  inflight.Tracker
	closing   atomic.Bool  // shutdown has begun
	lastAck   atomic.Int64 // when the last acknowledgement was queued, Unix nanoseconds
	connected atomic.Bool  // Slack said hello on the current connection
}

// Connected reports whether the websocket is up and Slack has said hello on it: readiness
// and the connection gauge read it.
func (s *SocketMode) Connected() bool { return s.connected.Load() }

// maxEnvelope bounds one incoming websocket message; Slack's payloads are far smaller.
const maxEnvelope = 1 << 20

// ackTimeout bounds handing an acknowledgement to the websocket writer.
const ackTimeout = 3 * time.Second

// SocketMode returns the Socket Mode receiver; the adapter needs an app-level token.
func (a *Adapter) SocketMode() (*SocketMode, error) {
	if a.cfg.AppToken == "" {
		return nil, errors.New("slack socket mode: an app-level token (xapp-…) is required")
	}
	client := socketmode.New(a.api,
		socketmode.OptionReadLimit(maxEnvelope),
		socketmode.OptionDebug(false),
		socketmode.OptionLog(log.New(io.Discard, "", 0)), // its debug output would carry payloads
	)
	return &SocketMode{a: a, client: client}, nil
}

// Name names the service in logs.
func (s *SocketMode) Name() string { return "slack-socket-mode" }

// Run connects and serves until ctx ends, then starts no new command (a slash command that
// arrives is acknowledged with "studybot is restarting", a button press is acknowledged and
// told so through its response_url), lets the commands in flight finish and acknowledge,
// closes the socket and returns nil. It returns an error only when Slack refuses the app
// token for good (invalid_auth and the like).
func (s *SocketMode) Run(ctx context.Context) error {
	// The socket outlives ctx a little: commands in flight still acknowledge over it.
	sockCtx, closeSocket := context.WithCancel(context.WithoutCancel(ctx))
	defer closeSocket()
	runErr := make(chan error, 1)
	go func() { runErr <- s.client.RunContext(sockCtx) }()

	// Commands run to the end even when a shutdown starts half-way through one.
	work := context.WithoutCancel(ctx)
	for {
		select {
		case <-ctx.Done():
			// Drained before anything else, so every envelope dispatched from here on is
			// refused, however the goroutines are scheduled.
			n := s.inflight.Drain()
			s.closing.Store(true)
			s.connected.Store(false)
			s.a.log.Info("slack socket mode stopping; finishing the commands in flight", "in_flight", n)
			drained := make(chan error, 1)
			go func() { drained <- s.inflight.Wait(context.Background()) }()
			// Envelopes keep being acknowledged until the socket closes: new commands are
			// told studybot is restarting instead of timing out in the learner's face.
			for waiting := true; waiting; {
				select {
				case <-drained:
					waiting = false
				case evt := <-s.client.Events:
					s.dispatch(work, evt)
				}
			}
			// Nothing is dispatched any more; the refusals sent during the last wait may
			// still be on their way to a response_url.
			s.inflight.Close()
			s.inflight.Wait(context.Background())
			s.flushAcks()
			closeSocket()
			<-runErr
			s.a.log.Info("slack socket mode stopped")
			return nil
		case err := <-runErr:
			s.inflight.Close()
			s.inflight.Wait(context.Background())
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return nil
			}
			return fmt.Errorf("slack socket mode: %s", redactErr(err))
		case evt := <-s.client.Events:
			s.dispatch(work, evt)
		}
	}
}

func (s *SocketMode) dispatch(ctx context.Context, evt socketmode.Event) {
	log := s.a.log
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		s.connected.Store(false)
		log.Debug("slack socket mode connecting")
	case socketmode.EventTypeConnected:
		n := 0
		if c, ok := evt.Data.(*socketmode.ConnectedEvent); ok {
			n = c.ConnectionCount
		}
		log.Info("slack socket mode connected", "reconnects", n)
	case socketmode.EventTypeHello:
		s.connected.Store(!s.closing.Load())
		log.Debug("slack socket mode hello")
	case socketmode.EventTypeConnectionError:
		s.connected.Store(false)
		if e, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			log.Warn("slack socket mode connection failed; retrying", "attempt", e.Attempt,
				"backoff", e.Backoff, "err", redactErr(e.ErrorObj))
		}
	case socketmode.EventTypeInvalidAuth:
		s.connected.Store(false)
		log.Error("slack socket mode: Slack refused the app-level token")
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorBadMessage, socketmode.EventTypeErrorWriteFailed:
		// The messages themselves stay out of the log: they carry user payloads.
		log.Warn("slack socket mode message problem", "kind", string(evt.Type), "err", socketErr(evt.Data))
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if ok && evt.Request != nil {
			s.slashCommand(ctx, evt.Request, cmd)
		}
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if ok && evt.Request != nil {
			s.interaction(ctx, evt.Request, cb)
		}
	case socketmode.EventTypeEventsAPI:
		// app_uninstalled and tokens_revoked, the only events studybot subscribes to; the
		// acknowledgement stops Slack from retrying one.
		if evt.Request != nil {
			s.socketEvent(ctx, evt.Request)
		}
	}
}

// slashCommand answers in the acknowledgement when the core is done within AckWithin;
// otherwise it acknowledges empty when AckWithin has passed and the answer goes to the
// response_url once it is ready.
func (s *SocketMode) slashCommand(ctx context.Context, req *socketmode.Request, cmd slack.SlashCommand) {
	in := incoming{
		team: cmd.TeamID, enterprise: cmd.EnterpriseID, channel: cmd.ChannelID, user: cmd.UserID,
		userName: cmd.UserName, text: commandText(cmd.Text), responseURL: cmd.ResponseURL, triggerID: cmd.TriggerID,
	}
	if err := in.check(); err != nil {
		s.a.log.Warn("slack socket mode: refused a command it cannot act on", "request", "slash command", "reason", err.Error())
		s.ack(req, reply(unreadable, true, ""))
		return
	}
	s.inflight.Go(func(admission inflight.Admission) {
		if admission != inflight.Admitted {
			s.ack(req, reply(restarting, true, in.team))
			return
		}
		result := inflight.Go(func() bot.Response { return s.a.answer(ctx, in) })
		resp, ok := result.Within(s.a.ackWithin)
		if !ok {
			s.ack(req, nil)
			if resp := result.Wait(); !modalOpen(resp) {
				s.a.postResponseURL(ctx, in.responseURL, reply(resp, false, in.team))
			}
			return
		}
		if modalOpen(resp) {
			s.ack(req, nil)
			return
		}
		msg := reply(resp, false, in.team)
		if s.closing.Load() {
			// The socket closes soon and an acknowledgement queued in slack-go's writer
			// could be dropped with it; the response_url is a plain HTTP call that is
			// known to have arrived when it returns.
			s.ack(req, nil)
			s.a.postResponseURL(ctx, in.responseURL, msg)
			return
		}
		if err := s.ack(req, msg); err != nil {
			// Most likely over Socket Mode's 20 KB acknowledgement limit: the
			// response_url takes any size.
			s.ack(req, nil)
			s.a.postResponseURL(ctx, in.responseURL, msg)
		}
	})
}

// interaction acknowledges first, then runs a pressed button's command for the person who
// pressed it and answers them privately through the response_url. A press during shutdown
// runs nothing and tells the presser studybot is restarting, as HTTP mode does.
func (s *SocketMode) interaction(ctx context.Context, req *socketmode.Request, cb slack.InteractionCallback) {
	in, ok := buttonPress(cb)
	if !ok {
		// A submitted modal: the empty acknowledgement closes it, and its command's answer
		// goes where the interaction that opened it was answered.
		in, ok = viewSubmission(cb)
	}
	var unfiled error
	if ok {
		if unfiled = in.check(); unfiled != nil {
			s.a.log.Warn("slack socket mode: refused a command it cannot act on", "request", "button press", "reason", unfiled.Error())
		}
	}
	s.inflight.Go(func(admission inflight.Admission) {
		s.ack(req, nil)
		switch {
		case !ok:
		case unfiled != nil:
			s.a.postResponseURL(ctx, in.responseURL, reply(unreadable, true, ""))
		default:
			s.a.answerPress(ctx, admission, in)
		}
	})
}

// ackFlushGrace is how long after queueing an acknowledgement the socket stays open at
// shutdown. slack-go writes queued acknowledgements from its own goroutine and offers no
// way to wait for that; a write takes microseconds, so this is ample.
const ackFlushGrace = 150 * time.Millisecond

// flushAcks gives the last queued acknowledgement time to be written before the socket
// closes. An idle shutdown does not wait at all.
func (s *SocketMode) flushAcks() {
	last := s.lastAck.Load()
	if last == 0 {
		return
	}
	if wait := ackFlushGrace - time.Since(time.Unix(0, last)); wait > 0 {
		time.Sleep(wait)
	}
}

// ack acknowledges an envelope, with the answer as payload when there is one.
func (s *SocketMode) ack(req *socketmode.Request, msg *slack.WebhookMessage) error {
	ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
	defer cancel()
	var payload any // stays a nil interface without msg, so no "payload": null is sent
	if msg != nil {
		payload = msg
	}
	err := s.client.AckCtx(ctx, req.EnvelopeID, payload)
	s.lastAck.Store(time.Now().UnixNano())
	if err != nil {
		s.a.log.Warn("slack socket mode acknowledgement failed", "err", redactErr(err))
	}
	return err
}

// socketErr digs the cause out of slack-go's error events.
func socketErr(data any) string {
	switch e := data.(type) {
	case *socketmode.ErrorBadMessage:
		return redactErr(e.Cause)
	case *socketmode.ErrorWriteFailed:
		return redactErr(e.Cause)
	case *slack.IncomingEventError:
		return redactErr(e.ErrorObj)
	case error:
		return redactErr(e)
	}
	return "unknown"
}

// buttonPress turns a block_actions payload for one of studybot's buttons into the
// command it carries, run for the presser in the workspace where the button was pressed:
// the payload's team, or, when an org-wide install leaves that null, the workspace the
// button's message was made for (its value's stamp). Never the presser's own team, which
// in a Slack Connect channel or an Enterprise Grid org is somewhere else (or the org).
func buttonPress(cb slack.InteractionCallback) (incoming, bool) {
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) == 0 {
		return incoming{}, false
	}
	act := cb.ActionCallback.BlockActions[0]
	if !strings.HasPrefix(act.ActionID, ActionIDPrefix) || act.Value == "" {
		return incoming{}, false
	}
	// The value is what we put on the button, returned as is.
	stamped, command := parseButtonValue(act.Value)
	team := cb.Team.ID
	if team == "" {
		team = stamped
	}
	enterprise := cb.Enterprise.ID
	if enterprise == "" {
		enterprise = cb.Team.EnterpriseID
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	return incoming{
		team: team, enterprise: enterprise, channel: channel, user: cb.User.ID, userName: cb.User.Name,
		text: command, responseURL: cb.ResponseURL, triggerID: cb.TriggerID, private: true,
	}, true
}

// answerPress answers a pressed button's command privately through its response_url; during
// a shutdown it runs nothing and tells the presser studybot is restarting.
func (a *Adapter) answerPress(ctx context.Context, admission inflight.Admission, in incoming) {
	resp := restarting
	switch admission {
	case inflight.Admitted:
		resp = a.answer(ctx, in)
	case inflight.Dropped:
		return
	}
	if modalOpen(resp) {
		return
	}
	if in.responseURL == "" && in.team != "" {
		// A modal opened without a response_url (none came with its trigger) is answered
		// in the learner's direct message instead.
		if err := a.DirectMessage(ctx, bot.Community{Platform: bot.PlatformSlack, ID: in.team}, in.user, resp); err != nil {
			a.log.Warn("slack: answer to a submitted modal could not be sent", "team", in.team, "err", redactErr(err))
		}
		return
	}
	a.postResponseURL(ctx, in.responseURL, reply(resp, true, in.team))
}
