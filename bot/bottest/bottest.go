// Package bottest holds helpers for testing studybot's packages, as go-joe's joetest does
// for a joe bot. Standard library only, like the core.
package bottest

import (
	"bytes"
	"os"
	"sync"
	"testing"
)

// Buffer collects output (logs, console text) that several goroutines write, and lets a
// test read it while they are still writing.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Reset forgets everything written so far.
func (b *Buffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

// RedisURL is the shared Redis that tests needing one run against (REDIS_URL). Without it
// they skip on a laptop, saying how to run them, and fail in CI, where a silently skipped
// Redis test would prove nothing.
func RedisURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("REDIS_URL")
	if u == "" {
		Missing(tb, "REDIS_URL not set: CI must provide Redis",
			"REDIS_URL not set; run the Redis tests with: REDIS_URL=redis://127.0.0.1:6379/0 go test ./...")
	}
	return u
}

// Missing fails the test in CI (CI=true) and skips it elsewhere: for what a laptop may lack.
func Missing(tb testing.TB, inCI, elsewhere string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatal(inCI)
	}
	tb.Skip(elsewhere)
}
