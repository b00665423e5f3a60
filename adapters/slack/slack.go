// Package slack is studybot on Slack through github.com/slack-go/slack: the /roadmap slash
// command and its buttons over Socket Mode (no public URL needed) or signed HTTP requests,
// answers rendered as Block Kit, and a poster for the scheduler's channel posts and direct
// messages.
//
// Every command is acknowledged within Slack's 3 seconds: the answer rides on the
// acknowledgement when the core is done in time, and goes to the request's response_url
// when it is not. Every piece of text sent to Slack is escaped, so nothing a learner types
// (or calls themselves) becomes a mention.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/bot"
)

// Handler answers a request; *bot.Bot is one.
type Handler interface {
	Handle(ctx context.Context, req bot.Request) bot.Response
}

// Config configures the adapter. BotToken and Handler are required; AppToken enables
// SocketMode and SigningSecret enables HTTP.
type Config struct {
	BotToken      string // xoxb-…: every Web API call
	AppToken      string // xapp-…: opens Socket Mode connections
	SigningSecret string // verifies HTTP-mode requests
	// APIURL is the Web API base (default https://slack.com/api/). apps.connections.open
	// goes through it too, so a proxy or a fake sees every call.
	APIURL  string
	Handler Handler
	Clock   bot.Clock    // judges the signature's 5-minute window; nil: the system clock
	Logger  *slog.Logger // nil: slog.Default()
	// HTTPClient makes Web API and response_url calls; nil: a client with a 10 s timeout.
	HTTPClient *http.Client
	// AckWithin is how long a slash command may take to be answered right in its
	// acknowledgement; a slower one is acknowledged empty and answered through its
	// response_url. Default 2 s, which keeps the acknowledgement inside Slack's 3 s.
	AckWithin time.Duration
	// UserTTL is how long what users.info said about a user (admin, time zone, name) is
	// reused. Default 5 minutes.
	UserTTL time.Duration
}

// Adapter turns Slack payloads into core requests and core responses into Block Kit. It is
// also the bot.Poster for Slack.
type Adapter struct {
	api       *slack.Client
	cfg       Config
	handler   Handler
	clock     bot.Clock
	log       *slog.Logger
	http      *http.Client
	ackWithin time.Duration
	users     *userCache
	lifecycle Lifecycle // nil when the handler keeps no community lifecycle
}

// defaults for Config.
const (
	defaultAckWithin = 2 * time.Second
	defaultUserTTL   = 5 * time.Minute
	// commandTimeout bounds one command in the core, so a stuck store cannot hold a
	// shutdown forever.
	commandTimeout = 30 * time.Second
	// replyTimeout bounds one response_url post or Web API call.
	replyTimeout = 10 * time.Second
	// userLookupTimeout keeps users.info from eating the acknowledgement's budget.
	userLookupTimeout = 1500 * time.Millisecond
)

// New checks cfg and returns an adapter. It makes no network call.
func New(cfg Config) (*Adapter, error) {
	if cfg.BotToken == "" {
		return nil, errors.New("slack: a bot token is required")
	}
	if cfg.Handler == nil {
		return nil, errors.New("slack: a handler is required")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = slack.APIURL
	}
	if !strings.HasSuffix(cfg.APIURL, "/") {
		cfg.APIURL += "/" // slack-go appends method names directly
	}
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: replyTimeout}
	}
	if cfg.AckWithin <= 0 {
		cfg.AckWithin = defaultAckWithin
	}
	if cfg.UserTTL <= 0 {
		cfg.UserTTL = defaultUserTTL
	}
	opts := []slack.Option{slack.OptionAPIURL(cfg.APIURL), slack.OptionHTTPClient(cfg.HTTPClient)}
	if cfg.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	// slack-go's debug logging stays off: it would print payloads.
	api := slack.New(cfg.BotToken, opts...)
	a := &Adapter{
		api:       api,
		cfg:       cfg,
		handler:   cfg.Handler,
		clock:     cfg.Clock,
		log:       cfg.Logger,
		http:      cfg.HTTPClient,
		ackWithin: cfg.AckWithin,
	}
	a.users = newUserCache(api, cfg.Clock, cfg.UserTTL, cfg.Logger)
	a.lifecycle, _ = cfg.Handler.(Lifecycle)
	return a, nil
}

// incoming is one command from Slack before the user has been looked up.
type incoming struct {
	team        string // the workspace the command belongs to: its community
	enterprise  string // the Enterprise Grid org the command came from, if any
	channel     string
	user        string
	userName    string // from the payload: the fallback when users.info has no name
	text        string // the command line, Slack's escaping undone
	responseURL string
	triggerID   string // opens a modal, for 3 seconds
	private     bool   // the answer is shown to the user alone, whatever it says (a button press)
}

// check refuses a command studybot cannot file under a community: the workspace (and the
// user, the channel and the org, when given) must be Slack IDs, which are upper-case letters
// and digits (T0123ABCD).
func (in incoming) check() error {
	for _, f := range []struct {
		name, value string
		required    bool
	}{
		{"team_id", in.team, true},
		{"user_id", in.user, true},
		{"channel_id", in.channel, false},
		{"enterprise_id", in.enterprise, false},
	} {
		switch {
		case f.value == "" && f.required:
			return fmt.Errorf("no %s", f.name)
		case f.value != "" && !isSlackID(f.value):
			return fmt.Errorf("%s %q is not a Slack ID", f.name, clipBytes(f.value, 40))
		}
	}
	return nil
}

// isSlackID reports whether s has the form of a Slack ID: upper-case letters and digits.
func isSlackID(s string) bool {
	if len(s) < 2 || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// answerBroken is the answer to a command that panicked.
var answerBroken = bot.Response{
	Text:      "Something went wrong on our side; nothing was changed. Please try again in a moment.",
	Ephemeral: true,
	Tone:      bot.ToneError,
}

// answer runs one command for its Slack user and does what its response asks beyond a
// message (see finish): when the response still carries a modal, the modal is open and
// nothing is to be sent. users.info supplies admin rights, the
// profile's time zone and the display name; when it fails the user is treated as a
// non-admin without a profile zone, so read commands still work. A command that panics is
// logged with its stack and answered with an apology; other commands go on.
func (a *Adapter) answer(ctx context.Context, in incoming) (resp bot.Response) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			a.log.Error("slack command panicked", "team", in.team, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			resp = answerBroken
		}
	}()
	a.comeBack(ctx, in.team) // a workspace that uninstalled the app cannot send a command
	u := a.users.get(ctx, in.team, in.user)
	name := u.name
	if name == "" {
		name = in.userName
	}
	// Slack has no channel-level admin: whoever administers the community may also manage
	// its channels' daily posts.
	admin := u.adminOf(in.team, in.enterprise)
	resp = a.handler.Handle(ctx, bot.Request{
		Community:      bot.Community{Platform: bot.PlatformSlack, ID: in.team},
		Channel:        in.channel,
		UserID:         in.user,
		UserName:       name,
		Admin:          admin,
		CommunityAdmin: admin,
		ProfileZone:    u.zone,
		Text:           in.text,
	})
	return a.finish(ctx, in, resp)
}

// commandText is what the grammar gets from a slash command's text.
func commandText(s string) string { return unescaper.Replace(s) }

// reply is the JSON body of an answer in team: the same shape in a Socket Mode
// acknowledgement, an HTTP response and a response_url post. Its buttons name team, so a
// press acts there.
func reply(r bot.Response, forceEphemeral bool, team string) *slack.WebhookMessage {
	m := render(r, team)
	kind := slack.ResponseTypeInChannel
	if r.Ephemeral || forceEphemeral {
		kind = slack.ResponseTypeEphemeral
	}
	off := false
	return &slack.WebhookMessage{
		Text:         m.Text,
		Blocks:       &slack.Blocks{BlockSet: m.Blocks},
		ResponseType: kind,
		UnfurlLinks:  &off,
		UnfurlMedia:  &off,
	}
}

// postResponseURL delivers an answer to a response_url. The URL itself is a credential
// for that conversation, so it is never logged.
func (a *Adapter) postResponseURL(ctx context.Context, responseURL string, msg *slack.WebhookMessage) {
	if responseURL == "" {
		a.log.Warn("slack: answer dropped: the payload had no response_url")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, replyTimeout)
	defer cancel()
	if err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, a.http, msg); err != nil {
		a.log.Warn("slack: answer through response_url failed", "err", redactErr(err))
	}
}

// redactErr keeps an error's kind but drops URLs it may quote (response_url, socket URL).
func redactErr(err error) string {
	msg := err.Error()
	for _, prefix := range []string{"https://", "http://", "wss://", "ws://"} {
		for {
			i := strings.Index(msg, prefix)
			if i < 0 {
				break
			}
			end := strings.IndexAny(msg[i:], "\" ")
			if end < 0 {
				end = len(msg) - i
			}
			msg = msg[:i] + "[url]" + msg[i+end:]
		}
	}
	return msg
}

// unreadable is the answer to a command studybot cannot file under a community.
var unreadable = bot.Response{
	Text:      "studybot could not tell which workspace this command came from; nothing was changed.",
	Ephemeral: true,
	Tone:      bot.ToneError,
}

// restarting is the answer to a command that arrives while studybot shuts down.
var restarting = bot.Response{
	Text:      "studybot is restarting; nothing was changed. Please try again in a moment.",
	Ephemeral: true,
	Tone:      bot.ToneError,
}

// errf wraps err with the Slack method that failed.
func errf(method string, err error) error { return fmt.Errorf("slack %s: %w", method, err) }
