package redis_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/studybot/studybot/adapters/redis"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// redisURL is the shared Redis the tests run against.
func redisURL(tb testing.TB) string { return bottest.RedisURL(tb) }

// testPrefix is a key prefix no other test run uses; every key under it is deleted when the
// test ends.
func testPrefix(tb testing.TB, url string) string {
	tb.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "studybot-test:" + hex.EncodeToString(b[:]) + ":"
	tb.Cleanup(func() {
		opts, err := goredis.ParseURL(url)
		if err != nil {
			tb.Fatalf("parse %s: %v", url, err)
		}
		rdb := goredis.NewClient(opts)
		defer rdb.Close()
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		if err := iter.Err(); err != nil {
			tb.Errorf("clean up keys under %s: %v", prefix, err)
		}
	})
	return prefix
}

// rawClient talks to Redis directly, to look at what a Store wrote.
func rawClient(tb testing.TB, url string) *goredis.Client {
	tb.Helper()
	opts, err := goredis.ParseURL(url)
	if err != nil {
		tb.Fatalf("parse %s: %v", url, err)
	}
	rdb := goredis.NewClient(opts)
	tb.Cleanup(func() { rdb.Close() })
	return rdb
}

// open opens a Store and closes it when the test ends.
func open(tb testing.TB, opts redis.Options) *redis.Store {
	tb.Helper()
	s, err := redis.Open(context.Background(), opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// logRecorder keeps every log record, so a test can count warnings per outage.
type logRecorder struct {
	mu      *sync.Mutex
	records *[]slog.Record
	text    *bytes.Buffer
	inner   slog.Handler
}

func newLogRecorder() *logRecorder {
	buf := &bytes.Buffer{}
	return &logRecorder{mu: &sync.Mutex{}, records: new([]slog.Record), text: buf,
		inner: slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})}
}

func (r *logRecorder) Logger() *slog.Logger                     { return slog.New(r) }
func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *logRecorder) Handle(ctx context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	*r.records = append(*r.records, rec.Clone())
	return r.inner.Handle(ctx, rec)
}

func (r *logRecorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *r
	c.inner = r.inner.WithAttrs(attrs)
	return &c
}

func (r *logRecorder) WithGroup(name string) slog.Handler {
	c := *r
	c.inner = r.inner.WithGroup(name)
	return &c
}

// count is how many records at level mention substr.
func (r *logRecorder) count(level slog.Level, substr string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rec := range *r.records {
		if rec.Level == level && strings.Contains(rec.Message, substr) {
			n++
		}
	}
	return n
}

func (r *logRecorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.text.String()
}

const (
	outageStarted = "redis unreachable"
	outageEnded   = "redis answers again"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// redisServer is a redis-server process of the test's own, so it can be stopped and started
// without touching the shared one.
type redisServer struct {
	tb   testing.TB
	bin  string
	port int
	dir  string
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan struct{} // closed when the process has exited
}

// startRedisServer starts a private redis-server on a free loopback port.
func startRedisServer(tb testing.TB) *redisServer {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		bottest.Missing(tb, "redis-server not found: CI must install it (Debian package redis-server)",
			"redis-server not found; install it (apt-get install redis-server) to run the outage tests")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &redisServer{tb: tb, bin: bin, port: port, dir: tb.TempDir()}
	s.Start()
	tb.Cleanup(s.Kill)
	return s
}

func (s *redisServer) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

// Start runs redis-server on the server's port and waits until it answers.
func (s *redisServer) Start() {
	s.tb.Helper()
	s.out = &bytes.Buffer{}
	s.cmd = exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		s.tb.Fatalf("start redis-server: %v", err)
	}
	done := make(chan struct{})
	s.done = done
	go func(cmd *exec.Cmd) { _ = cmd.Wait(); close(done) }(s.cmd)
	opts, _ := goredis.ParseURL(s.URL())
	opts.MaxRetries = -1
	rdb := goredis.NewClient(opts)
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		select {
		case <-done:
			s.tb.Fatalf("redis-server on port %d exited: %s", s.port, s.out)
		default:
		}
		if time.Now().After(deadline) {
			s.tb.Fatalf("redis-server on port %d never answered", s.port)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Kill stops redis-server the hard way, as a crash would, and waits until it is gone.
func (s *redisServer) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Freeze stops redis-server without closing its socket: connections open but nothing
// answers, like an overloaded server. Thaw resumes it.
func (s *redisServer) Freeze() { s.signal(syscall.SIGSTOP) }
func (s *redisServer) Thaw()   { s.signal(syscall.SIGCONT) }

func (s *redisServer) signal(sig syscall.Signal) {
	s.tb.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.tb.Fatalf("signal redis-server: %v", err)
	}
}

// spend calls Allow n times and returns how many uses were allowed. Every call must answer.
func spend(tb testing.TB, c bot.Cooldowns, key string, limit bot.Limit, n int) int {
	tb.Helper()
	allowed := 0
	for range n {
		wait, err := c.Allow(context.Background(), key, limit)
		if err != nil {
			tb.Fatalf("Allow(%q): %v", key, err)
		}
		if wait == 0 {
			allowed++
		}
	}
	return allowed
}
