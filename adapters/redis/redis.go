// Package redis keeps studybot's cooldowns and scheduler claims in Redis, so they hold across
// every studybot process that shares one Redis. A Redis outage never takes commands down:
// while Redis is unreachable or slow, cooldowns are answered in-process, and shared cooldowns
// resume by themselves when Redis answers again.
package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/studybot/studybot/bot"
)

// Defaults for Options.
const (
	DefaultPrefix        = "studybot:"
	DefaultTimeout       = 200 * time.Millisecond
	DefaultProbeInterval = time.Second

	startupTimeout = 2 * time.Second
)

// Options configure a Store.
type Options struct {
	// URL is a redis://, rediss:// or unix:// URL, e.g. redis://127.0.0.1:6379/0.
	URL string
	// Prefix starts every key the Store writes, so several deployments can share one Redis.
	// Default DefaultPrefix.
	Prefix string
	// Timeout bounds each call to Redis. A command never waits longer than this for its
	// cooldown check: a slower Redis counts as an outage. Default DefaultTimeout.
	Timeout time.Duration
	// ProbeInterval is how often Redis is tried again during an outage. Default
	// DefaultProbeInterval.
	ProbeInterval time.Duration
	// Logger gets one warning when an outage starts and one info line when it ends.
	// Default slog.Default().
	Logger *slog.Logger
	// Fallback answers cooldown checks while Redis is out. Default in-process cooldowns on
	// the system clock.
	Fallback bot.Cooldowns
}

// Store is shared cooldowns (bot.Cooldowns) and claims (bot.Claimer) in one Redis. It is safe
// for concurrent use.
type Store struct {
	rdb           *goredis.Client
	prefix        string
	timeout       time.Duration
	probeInterval time.Duration
	fallback      bot.Cooldowns
	log           *slog.Logger
	where         string // the URL with any password redacted, for logs

	down atomic.Bool // Redis is out: cooldowns come from fallback

	mu        sync.Mutex
	downSince time.Time
	closed    bool
	stop      chan struct{}
	probing   sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Open connects to Redis. Redis being unreachable at startup is not an error: the Store starts
// on its fallback (logging one warning) and switches to Redis when it answers. Only a URL
// that cannot be used is an error.
func Open(ctx context.Context, opts Options) (*Store, error) {
	where := redactURL(opts.URL)
	ro, err := parseURL(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	s := &Store{
		prefix:        opts.Prefix,
		timeout:       opts.Timeout,
		probeInterval: opts.ProbeInterval,
		fallback:      opts.Fallback,
		log:           opts.Logger,
		where:         where,
		stop:          make(chan struct{}),
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.probeInterval <= 0 {
		s.probeInterval = DefaultProbeInterval
	}
	if s.fallback == nil {
		s.fallback = bot.NewLocalCooldowns(bot.SystemClock{})
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("redis", where)
	routeClientLogs(s.log)

	// Each call carries its own deadline (Timeout) and go-redis must honour it. The socket
	// timeouts are only a backstop for calls without one (the startup check below), so they
	// default to the patient startup budget rather than go-redis's 5 seconds.
	ro.ContextTimeoutEnabled = true
	backstop := max(s.timeout, startupTimeout)
	if ro.DialTimeout == 0 {
		ro.DialTimeout = backstop
	}
	if ro.ReadTimeout == 0 {
		ro.ReadTimeout = backstop
	}
	if ro.WriteTimeout == 0 {
		ro.WriteTimeout = backstop
	}
	// Retrying inside a command's budget rarely helps: the fallback answers instead, and the
	// prober brings Redis back.
	if ro.MaxRetries == 0 {
		ro.MaxRetries = 1 // one retry covers a pooled connection the server has just dropped
	}
	ro.DialerRetries = 1
	s.rdb = goredis.NewClient(ro)

	// Loading the script now makes the first cooldown check one round trip too. No learner
	// waits on startup, so a slow first connection (TLS to a distant Redis) gets longer.
	pctx, cancel := context.WithTimeout(ctx, backstop)
	defer cancel()
	if err := allowScript.Load(pctx, s.rdb).Err(); err != nil {
		s.markDown(err)
	}
	return s, nil
}

// allowScript is bot.GCRA run inside Redis: read the key's theoretical arrival time (TAT),
// decide, and store the new TAT in one atomic step, timed by the Redis server's clock so
// replicas with skewed clocks still agree. Times are integer microseconds (a Lua number holds
// them exactly); the key expires when its TAT passes, which is when its budget is full again,
// so an idle learner costs nothing.
//
// KEYS[1]: the cooldown key. ARGV[1]: Limit.Interval() in µs. ARGV[2]: Limit.Per in µs.
// Returns 0 when the use is allowed (and spent), else how many µs to wait.
var allowScript = goredis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local nxt = tat + interval
local allow_at = nxt - per
if now < allow_at then
  return allow_at - now
end
redis.call('SET', KEYS[1], string.format('%d', nxt), 'PX', math.max(1, math.ceil((nxt - now) / 1000)))
return 0
`)

// Allow implements bot.Cooldowns: one use of key under limit, shared by every Store on the
// same Redis and prefix. While Redis is out it answers from the fallback, so it never fails
// because of Redis.
func (s *Store) Allow(ctx context.Context, key string, limit bot.Limit) (time.Duration, error) {
	if limit.Rate <= 0 || limit.Per <= 0 {
		return 0, fmt.Errorf("redis cooldown %q: limit %d per %s allows nothing", key, limit.Rate, limit.Per)
	}
	if s.down.Load() {
		return s.fallback.Allow(ctx, key, limit)
	}
	wait, err := s.allowShared(ctx, key, limit)
	if err == nil {
		return wait, nil
	}
	if ctx.Err() == nil {
		// The caller is still waiting, so Redis failed or was too slow.
		s.markDown(err)
	}
	return s.fallback.Allow(ctx, key, limit)
}

func (s *Store) allowShared(ctx context.Context, key string, limit bot.Limit) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	interval := max(1, limit.Interval().Microseconds())
	waitMicros, err := allowScript.Run(ctx, s.rdb, []string{s.prefix + "cooldown:" + key},
		interval, limit.Per.Microseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("redis cooldown check: %w", err)
	}
	return time.Duration(waitMicros) * time.Microsecond, nil
}

// Forget implements bot.Cooldowns: the keys go from Redis, and from the fallback, which may
// hold some from an outage. While Redis is out the Redis part fails (the keys expire by
// themselves within their limit's period).
func (s *Store) Forget(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	if err := s.fallback.Forget(ctx, keys...); err != nil {
		return err
	}
	if s.down.Load() {
		return fmt.Errorf("redis forget cooldowns: %w", ErrUnavailable)
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = s.prefix + "cooldown:" + k
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.rdb.Del(cctx, full...).Err(); err != nil {
		if ctx.Err() == nil {
			s.markDown(err)
		}
		return fmt.Errorf("redis forget cooldowns: %w", err)
	}
	return nil
}

var _ bot.ClaimForgetter = (*Store)(nil)

// ForgetClaims implements bot.ClaimForgetter: the claims go whoever holds them.
func (s *Store) ForgetClaims(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	if s.down.Load() {
		return fmt.Errorf("redis forget claims: %w", ErrUnavailable)
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = s.prefix + "claim:" + k
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.rdb.Del(cctx, full...).Err(); err != nil {
		if ctx.Err() == nil {
			s.markDown(err)
		}
		return fmt.Errorf("redis forget claims: %w", err)
	}
	return nil
}

// claimScript wins KEYS[1] for ARGV[1] (the claimant's token) for ARGV[2] milliseconds, in
// one atomic step: free, it is set; held under the same token, it counts as won again (a
// restarted process finishing its own post); held by anyone else, it is lost.
// Returns 1 when won, else 0.
var claimScript = goredis.NewScript(`
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then return 1 end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

// Claim implements bot.Claimer: the first caller on any Store sharing this Redis and prefix
// wins key for ttl, and so does a later caller with the winner's token; everyone else gets
// false until ttl has passed. There is no fallback for a claim (no process can know what
// the others did), so while Redis is out Claim returns an error at once, without waiting
// for a Redis already known to be out, and the caller decides whether to wait or go ahead.
func (s *Store) Claim(ctx context.Context, key, token string, ttl time.Duration) (bool, error) {
	if ttl < time.Millisecond {
		return false, fmt.Errorf("redis claim %q: ttl %s is shorter than Redis's 1ms resolution", key, ttl)
	}
	if token == "" {
		return false, fmt.Errorf("redis claim %q: no claimant token", key)
	}
	if s.down.Load() {
		return false, fmt.Errorf("redis claim %q: %w", key, ErrUnavailable)
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	won, err := claimScript.Run(cctx, s.rdb, []string{s.prefix + "claim:" + key}, token, ttl.Milliseconds()).Int()
	if err != nil {
		if ctx.Err() == nil {
			s.markDown(err)
		}
		return false, fmt.Errorf("redis claim %q: %w", key, err)
	}
	return won == 1, nil
}

// ErrUnavailable is the error of a claim made while Redis is known to be out.
var ErrUnavailable = errors.New("redis is unreachable")

// Fallback reports whether cooldowns are being answered in-process because Redis is out;
// /readyz reports it.
func (s *Store) Fallback() bool { return s.down.Load() }

// Ping checks that Redis answers within the Store's timeout.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}

// Close stops probing and closes the connections. Calls after the first return its result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.stop)
		s.mu.Unlock()
		s.probing.Wait()
		if err := s.rdb.Close(); err != nil {
			s.closeErr = fmt.Errorf("close redis client: %w", err)
		}
	})
	return s.closeErr
}

// markDown starts an outage unless one is already under way: one warning, and a prober that
// ends the outage when Redis answers again.
func (s *Store) markDown(err error) {
	if !s.down.CompareAndSwap(false, true) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.downSince = time.Now()
	if s.closed {
		return
	}
	s.log.Warn("redis unreachable; cooldowns are per process until it answers again", "err", err)
	s.probing.Add(1)
	go s.probe()
}

// probe tries Redis every probeInterval until it answers, then ends the outage. It tries the
// cooldown script itself, not just PING, so a Redis that answers PING but refuses scripts
// (an ACL, say) stays an outage instead of flapping.
func (s *Store) probe() {
	defer s.probing.Done()
	tick := time.NewTicker(s.probeInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		if _, err := s.allowShared(context.Background(), "\x00probe", bot.Limit{Rate: 1, Per: time.Millisecond}); err != nil {
			continue
		}
		s.mu.Lock()
		since := s.downSince
		s.mu.Unlock()
		s.down.Store(false)
		s.log.Info("redis answers again; cooldowns are shared again", "outage", time.Since(since).Round(time.Millisecond).String())
		return
	}
}

// CheckURL reports whether Open can use rawURL (a redis://, rediss:// or unix:// URL as
// go-redis reads it), so a deployment can refuse a bad REDIS_URL at startup along with its
// other problems. The error gives go-redis's reason but never a password: the URL's own
// parser and go-redis both quote what they read, so their text is scrubbed first.
func CheckURL(rawURL string) error {
	_, err := parseURL(rawURL)
	return err
}

// parseURL is go-redis's reading of rawURL, or an error that names the URL with its
// password redacted and gives go-redis's reason scrubbed of it.
func parseURL(rawURL string) (*goredis.Options, error) {
	where := redactURL(rawURL)
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%s is not a URL", where)
	}
	ro, err := goredis.ParseURL(rawURL)
	if err != nil {
		reason := strings.TrimPrefix(err.Error(), "redis: ")
		for _, secret := range passwords(u) {
			reason = strings.ReplaceAll(reason, secret, "xxxxx")
		}
		return nil, fmt.Errorf("%s is not a usable Redis URL (%s; e.g. redis://:password@host:6379/0)", where, reason)
	}
	return ro, nil
}

// passwords are the secrets a Redis URL may carry: the user info's password and the
// password query parameter go-redis also reads.
func passwords(u *url.URL) []string {
	var ps []string
	if p, ok := u.User.Password(); ok && p != "" {
		ps = append(ps, p, url.PathEscape(p), url.QueryEscape(p))
	}
	for _, p := range u.Query()["password"] {
		if p != "" {
			ps = append(ps, p, url.QueryEscape(p))
		}
	}
	return ps
}

// redactURL hides a password (in the user info or the password query parameter) so the URL
// can appear in logs and errors.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if strings.Contains(s, "@") || strings.Contains(strings.ToLower(s), "password") {
			return "(unparseable URL with credentials)"
		}
		return fmt.Sprintf("%q", s)
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// clientLogger sends go-redis's own log lines (a line per failed dial, among others) to slog
// at debug level: the Store already says what matters once per outage.
type clientLogger struct{ log *slog.Logger }

func (l clientLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
}

var routeOnce sync.Once

// routeClientLogs installs the first Store's logger for go-redis, whose logger is
// process-wide.
func routeClientLogs(log *slog.Logger) {
	routeOnce.Do(func() { goredis.SetLogger(clientLogger{log: log}) })
}
