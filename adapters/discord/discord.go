// Package discord is studybot on Discord through github.com/bwmarrin/discordgo: it registers
// one /roadmap slash command, turns interactions (commands, button presses, autocomplete)
// into core requests, renders answers as embeds with buttons, and posts scheduled messages.
//
// Every message it sends sets allowed_mentions to parse nothing, so no text a learner typed
// (or a custom roadmap holds) can ping @everyone, @here, a role or a user.
package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/adapters/internal/inflight"
	"github.com/studybot/studybot/bot"
)

// DefaultAPIURL is Discord's REST base. discordgo builds every endpoint on it, so the adapter
// moves all of them at once by rewriting requests aimed here onto Config.APIURL.
const DefaultAPIURL = "https://discord.com/api/v9"

// Core answers requests and knows the roadmap (for autocomplete); *bot.Bot is one.
type Core interface {
	Handle(ctx context.Context, req bot.Request) bot.Response
	Roadmap() *bot.Roadmap
}

// Config configures the adapter.
type Config struct {
	Token      string // bot token, with or without the "Bot " prefix
	GuildID    string // register /roadmap in this guild only (instant); empty: globally
	APIURL     string // REST base; empty: DefaultAPIURL. May be plain http:// (a local proxy).
	ShardID    int
	ShardCount int // 0 or 1: no sharding
	// ProcessShards are every shard this process runs (one adapter each, one store between
	// them), so a direct-message button (Discord sends those to shard 0) for a guild of
	// another process's shard is told apart. Empty: ShardID alone.
	ProcessShards []int
	// Relay, when set, hands such a press to the process that serves the guild's shard, and
	// takes the presses other processes hand to this shard; the processes must share it (the
	// deployment's Redis). Nil: the presser is told to use the command in the server.
	Relay Relay
	// SkipRegistration leaves /roadmap as it is: shards other than 0 leave registration to
	// shard 0, since every bulk overwrite replaces the same command.
	SkipRegistration bool
	// IdentifyGate paces session starts; every shard of a process must share one. Nil: a
	// gate of the adapter's own, which is right only when the process runs one shard.
	IdentifyGate *IdentifyGate
	Core         Core
	Logger       *slog.Logger // nil: slog.Default()

	// DeferAfter is how long an interaction may wait for its answer before the adapter
	// acknowledges it (a "thinking…" response) and edits the answer in later; Discord drops
	// interactions not acknowledged within 3 seconds. Zero: 1.5 s.
	DeferAfter time.Duration
	// DrainTimeout bounds how long shutdown waits for commands in flight. Zero: 10 s.
	DrainTimeout time.Duration
	// ConnectTimeout bounds each gateway connection from its dial to READY or RESUMED, the
	// reconnects discordgo makes on its own included; a gateway silent for longer fails the
	// connection instead of holding the shard (and the shards queued behind it at the
	// identify gate) forever. Zero: DefaultConnectTimeout.
	ConnectTimeout time.Duration
}

// Adapter is the Discord chat adapter. It is a service (Name, Run) and a bot.Poster.
type Adapter struct {
	s            *discordgo.Session
	core         Core
	guildID      string
	log          *slog.Logger
	deferAfter   time.Duration
	drainTimeout time.Duration
	command      *discordgo.ApplicationCommand
	registers    bool // this shard registers /roadmap on start
	gate         *IdentifyGate
	handshakes   *handshakes
	track        inflight.Tracker
	connected    atomic.Bool   // the gateway session is READY (or RESUMED) and not dropped since
	shards       []int         // the shards this process serves
	relay        Relay         // nil: presses for other processes' guilds are not handed over
	dmPresses    bot.Cooldowns // direct-message presses, per user, before anything is looked up
	members      members       // guild membership of direct-message pressers
}

// Connected reports whether the gateway session is up: readiness and the connection gauge
// read it.
func (a *Adapter) Connected() bool { return a.connected.Load() }

// New checks the configuration and prepares a session; nothing is sent until Run (or a post).
func New(cfg Config) (*Adapter, error) {
	token := strings.TrimSpace(cfg.Token)
	token = strings.TrimPrefix(token, "Bot ")
	if token == "" {
		return nil, errors.New("discord: a bot token is required")
	}
	if cfg.Core == nil {
		return nil, errors.New("discord: a core is required")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	base, err := url.Parse(strings.TrimSuffix(cfg.APIURL, "/"))
	if err != nil {
		return nil, errors.New("discord: the API URL does not parse")
	}
	if (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("discord: API URL %q is not an http:// or https:// URL", base.Redacted())
	}
	if cfg.ShardCount < 1 {
		cfg.ShardCount = 1
	}
	if cfg.ShardID < 0 || cfg.ShardID >= cfg.ShardCount {
		return nil, fmt.Errorf("discord: shard %d is outside 0..%d", cfg.ShardID, cfg.ShardCount-1)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("adapter", "discord")
	installLogBridge(log, token)

	s, err := discordgo.New("Bot " + token)
	if err != nil {
		return nil, fmt.Errorf("discord: new session: %w", err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// Interactions are answered concurrently; keep their connections for reuse instead of
	// dialling anew past the default two idle connections per host.
	transport.MaxIdleConnsPerHost = 32
	s.Client = &http.Client{Timeout: 20 * time.Second, Transport: rebase{to: base, next: transport}}
	// discordgo's own log lines at debug level include the IDENTIFY packet (with the token);
	// warnings and errors go through the redacting bridge.
	s.LogLevel = discordgo.LogWarning
	s.StateEnabled = false
	s.Identify.Intents = guildIntents // interactions arrive without any intent; guild events need GUILDS
	s.ShardID, s.ShardCount = cfg.ShardID, cfg.ShardCount
	hs := &handshakes{timeout: cfg.ConnectTimeout}
	if hs.timeout <= 0 {
		hs.timeout = DefaultConnectTimeout
	}
	// A dialer of this session's own (discordgo's default is shared by every session), whose
	// connections must reach READY in time.
	dialer := *s.Dialer
	dialer.NetDialContext = hs.dial
	s.Dialer = &dialer

	a := &Adapter{
		s:            s,
		core:         cfg.Core,
		guildID:      cfg.GuildID,
		log:          log,
		deferAfter:   cfg.DeferAfter,
		drainTimeout: cfg.DrainTimeout,
		registers:    !cfg.SkipRegistration,
		gate:         cfg.IdentifyGate,
		handshakes:   hs,
	}
	if a.gate == nil {
		a.gate = NewIdentifyGate(GateOptions{})
	}
	a.shards = slices.Clone(cfg.ProcessShards)
	if !slices.Contains(a.shards, cfg.ShardID) {
		a.shards = append(a.shards, cfg.ShardID)
	}
	a.relay = cfg.Relay
	a.dmPresses = bot.NewLocalCooldowns(bot.SystemClock{})
	if a.deferAfter <= 0 {
		a.deferAfter = 1500 * time.Millisecond
	}
	if a.drainTimeout <= 0 {
		a.drainTimeout = 10 * time.Second
	}
	a.command = roadmapCommand(cfg.Core.Roadmap())
	return a, nil
}

// Name names the service in logs.
func (a *Adapter) Name() string {
	if a.s.ShardCount > 1 {
		return fmt.Sprintf("discord-shard-%d", a.s.ShardID)
	}
	return "discord"
}

// Run connects to the gateway (when the identify gate gives this shard its turn), registers
// /roadmap and answers interactions until ctx ends. It is called once per adapter. When ctx ends it stops taking new commands (late ones get a short "restarting" answer), lets those
// in flight finish, closes the gateway and returns nil.
func (a *Adapter) Run(ctx context.Context) error {
	read := a.gate.now()
	gw, err := a.s.GatewayBot(discordgo.WithContext(ctx))
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("discord gateway lookup: %w", restProblem(err))
	}
	if gw.Shards > a.s.ShardCount {
		a.log.Warn("Discord recommends more shards than configured", "recommended", gw.Shards, "shard_count", a.s.ShardCount)
	}
	sl := gw.SessionStartLimit
	limit := startLimit{total: sl.Total, remaining: sl.Remaining, maxConcurrency: sl.MaxConcurrency,
		resetAfter: time.Duration(sl.ResetAfter) * time.Millisecond, read: read}

	ready := make(chan *discordgo.Ready, 1)
	// READY and RESUMED end a connection's handshake, whether it began in Open here or in a
	// reconnect of discordgo's own.
	removeReady := a.s.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) {
		a.handshakes.established()
		a.connected.Store(true)
		select {
		case ready <- r:
		default:
		}
	})
	defer removeReady()
	removeResumed := a.s.AddHandler(func(*discordgo.Session, *discordgo.Resumed) {
		a.handshakes.established()
		a.connected.Store(true)
	})
	defer removeResumed()
	removeDisconnect := a.s.AddHandler(func(*discordgo.Session, *discordgo.Disconnect) { a.connected.Store(false) })
	defer removeDisconnect()
	removeInteraction := a.s.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
		a.interaction(ctx, ic.Interaction)
	})
	defer removeInteraction()
	defer a.watchGuilds(ctx)()
	if a.relay != nil {
		// Presses that other processes hand to this shard, from now until shutdown begins.
		err := a.relay.Subscribe(ctx, []string{relayTopic(a.s.ShardID)}, func(_ string, msg []byte) { a.fromRelay(ctx, msg) })
		if err != nil {
			a.log.Warn("not yet taking direct-message presses from other processes; retrying in the background", "err", err)
		}
	}

	if err := a.open(ctx, limit); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer a.shutdown()

	var appID string
	select {
	case <-ctx.Done():
		return nil
	case r := <-ready:
		if r.Application != nil {
			appID = r.Application.ID
		}
		a.log.Info("connected to the Discord gateway", "shard", a.s.ShardID, "shard_count", a.s.ShardCount)
	case <-time.After(time.Minute):
		return errors.New("discord gateway: no READY within a minute")
	}
	if a.registers {
		if err := a.registerAs(ctx, appID); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
	<-ctx.Done()
	return nil
}

// open starts the gateway session when the identify gate lets this shard's bucket, and
// refuses to when Discord's daily session starts are used up.
func (a *Adapter) open(ctx context.Context, limit startLimit) error {
	release, left, err := a.gate.acquire(ctx, a.s.ShardID, limit)
	if errors.Is(err, errNoStartsLeft) {
		return fmt.Errorf("discord: no gateway session starts left for this bot token (Discord allows %d a day; "+
			"the count resets at %s, in %s); not connecting, since starting more sessions gets the token reset",
			limit.total, limit.resets().UTC().Format(time.RFC3339), limit.resetAfter.Round(time.Second))
	}
	if err != nil {
		return err
	}
	defer release()
	if left >= 0 && left*10 < limit.total {
		a.log.Warn("few Discord gateway session starts left today: restarts and re-identifies use them up",
			"shard", a.s.ShardID, "left", left, "total", limit.total,
			"resets", limit.resets().UTC().Format(time.RFC3339))
	}
	// discordgo's Open does not watch ctx: at shutdown, end a connection still in its handshake.
	stop := context.AfterFunc(ctx, a.handshakes.abort)
	err = a.s.Open()
	stop()
	var ne net.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("open discord gateway: no READY within %s of connecting: %w", a.handshakes.timeout, err)
	}
	return fmt.Errorf("open discord gateway: %w", restProblem(err))
}

// registerAs registers /roadmap for the application READY named, looking the ID up when
// READY carried none.
func (a *Adapter) registerAs(ctx context.Context, appID string) error {
	if appID == "" {
		app, err := a.s.Application("@me")
		if err != nil {
			return fmt.Errorf("discord application lookup: %w", restProblem(err))
		}
		appID = app.ID
	}
	return a.register(ctx, appID)
}

// register replaces the application's commands with the one /roadmap command, in one guild
// when configured (changes show at once) or globally.
func (a *Adapter) register(ctx context.Context, appID string) error {
	_, err := a.s.ApplicationCommandBulkOverwrite(appID, a.guildID, []*discordgo.ApplicationCommand{a.command},
		discordgo.WithContext(ctx))
	scope := "global"
	if a.guildID != "" {
		scope = "guild " + a.guildID
	}
	if err != nil {
		return fmt.Errorf("register /roadmap (%s): %w", scope, restProblem(err))
	}
	a.log.Info("registered /roadmap", "scope", scope, "subcommands", len(a.command.Options))
	return nil
}

// shutdown drains commands in flight, then closes the gateway.
func (a *Adapter) shutdown() {
	a.connected.Store(false)
	n := a.track.Drain()
	a.log.Info("Discord adapter stopping: no new commands; finishing those in flight", "in_flight", n)
	if err := a.drained(); err != nil {
		a.log.Warn("commands still running at shutdown; closing anyway", "waited", a.drainTimeout, "err", err)
	}
	if err := a.s.Close(); err != nil {
		a.log.Warn("closing the Discord gateway", "err", err)
	}
	// Answers to interactions that arrived while draining are short; wait for them too.
	a.track.Close()
	a.drained()
	a.log.Info("Discord adapter stopped")
}

// drained waits up to drainTimeout for nothing to be in flight.
func (a *Adapter) drained() error {
	ctx, cancel := context.WithTimeout(context.Background(), a.drainTimeout)
	defer cancel()
	return a.track.Wait(ctx)
}

// rebase sends requests aimed at DefaultAPIURL to another base, so every discordgo endpoint
// (the gateway lookup included) follows DISCORD_API_URL.
type rebase struct {
	to   *url.URL
	next http.RoundTripper
}

const defaultHost, defaultPath = "discord.com", "/api/v9"

func (t rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	u := req.URL
	if u.Scheme != "https" || u.Host != defaultHost || (u.Path != defaultPath && !strings.HasPrefix(u.Path, defaultPath+"/")) {
		return t.next.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	nu := *t.to
	nu.Path = t.to.Path + strings.TrimPrefix(u.Path, defaultPath)
	if u.RawPath != "" {
		nu.RawPath = t.to.EscapedPath() + strings.TrimPrefix(u.RawPath, defaultPath)
	} else {
		nu.RawPath = ""
	}
	nu.RawQuery = u.RawQuery
	r.URL = &nu
	r.Host = ""
	return t.next.RoundTrip(r)
}

// restProblem keeps what a REST error says (status and Discord's message) and drops the
// request, whose URL may carry an interaction token.
func restProblem(err error) error {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		msg := ""
		if re.Message != nil {
			msg = fmt.Sprintf(": %s (code %d)", re.Message.Message, re.Message.Code)
		}
		if re.Response.StatusCode == http.StatusUnauthorized {
			msg += "; check DISCORD_TOKEN"
		}
		return fmt.Errorf("discord answered %s%s", re.Response.Status, msg)
	}
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) {
		return fmt.Errorf("discord rate limit: retry after %s", rl.RetryAfter)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s discord: %w", ue.Op, ue.Err)
	}
	return err
}

// discordgo logs through one package-level function. The bridge sends its lines to the
// adapter's slog logger with any token replaced, whatever discordgo puts in them.
type logBridge struct {
	log     *slog.Logger
	secrets []string
}

var (
	bridgeOnce    sync.Once
	currentBridge atomic.Pointer[logBridge]
)

func installLogBridge(log *slog.Logger, token string) {
	currentBridge.Store(&logBridge{log: log, secrets: []string{"Bot " + token, token}})
	bridgeOnce.Do(func() { discordgo.Logger = bridgeLog })
}

func bridgeLog(level, _ int, format string, args ...any) {
	b := currentBridge.Load()
	if b == nil {
		return
	}
	msg := fmt.Sprintf(format, args...)
	for _, s := range b.secrets {
		msg = strings.ReplaceAll(msg, s, "[redacted]")
	}
	lvl := slog.LevelDebug
	switch level {
	case discordgo.LogError:
		lvl = slog.LevelError
	case discordgo.LogWarning:
		lvl = slog.LevelWarn
	case discordgo.LogInformational:
		lvl = slog.LevelInfo
	}
	b.log.Log(context.Background(), lvl, "discordgo: "+strings.TrimSpace(msg))
}

// interactionRequest sends one interaction callback or webhook edit through discordgo's
// request path (its 429 handling: wait retry_after, try again) with a bucket of its own.
// discordgo would otherwise keep a rate-limit bucket per interaction token forever
// (bwmarrin/discordgo#1333), and shares one bucket across all webhook edits.
//
// With files, the body goes as multipart/form-data, the JSON as payload_json and each file
// as files[n], as Discord takes uploads.
func (a *Adapter) interactionRequest(ctx context.Context, method, endpoint string, body any, files []*discordgo.File) error {
	contentType, payload := "application/json", []byte(nil)
	var err error
	switch {
	case len(files) > 0:
		contentType, payload, err = discordgo.MultipartBodyWithJSON(body, files)
	case body != nil:
		payload, err = json.Marshal(body)
	}
	if err != nil {
		return fmt.Errorf("encode %s: %w", method, err)
	}
	bucket := discordgo.NewRatelimiter().LockBucket("interaction")
	_, err = a.s.RequestWithLockedBucket(method, endpoint, contentType, payload, bucket, 0,
		discordgo.WithContext(ctx))
	return err
}
