// Package bottest holds helpers for testing studybot's packages, as go-joe's joetest does
// for a joe bot. Standard library only, like the core.
package bottest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
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
		// A skipped test says so only under -v: one line per package says it to everyone.
		if os.Getenv("CI") != "true" {
			redisNote.Do(func() {
				Note(fmt.Sprintf("%s: tests that need Redis were skipped (REDIS_URL is not set); run them with: REDIS_URL=redis://127.0.0.1:6379/0 go test -race ./...",
					packageOf(tb)))
			})
		}
		Missing(tb, "REDIS_URL not set: CI must provide Redis",
			"REDIS_URL not set; run the Redis tests with: REDIS_URL=redis://127.0.0.1:6379/0 go test ./...")
	}
	return u
}

// redisNote makes the note about skipped Redis tests once per package's test run.
var redisNote sync.Once

// Note prints line where the person running the tests sees it. `go test ./...` shows a
// passing package's output only with -v, so without -v the line goes to the go command's
// own standard error (its parent's, through /proc on Linux) when that is a terminal or a
// pipe. A regular file is left alone: the go command writes it at an offset of its own and
// would write over the line. Otherwise the line goes to this process's standard error, which
// -v and a failing package show.
func Note(line string) {
	w := io.Writer(os.Stderr)
	if !testing.Verbose() {
		f, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/2", os.Getppid()), os.O_WRONLY|os.O_APPEND, 0)
		if err == nil {
			defer f.Close()
			if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
				w = f
			}
		}
	}
	fmt.Fprintln(w, line)
}

// packageOf names the package under test for a note, as a path from the module's root
// ("adapters/redis"): go test runs a package's tests in its directory.
func packageOf(testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		return strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")
	}
	for root := dir; ; root = filepath.Dir(root) {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			if rel, err := filepath.Rel(root, dir); err == nil {
				return filepath.ToSlash(rel)
			}
			break
		}
		if filepath.Dir(root) == root {
			break
		}
	}
	return filepath.Base(dir)
}

// Missing fails the test in CI (CI=true) and skips it elsewhere: for what a laptop may lack.
func Missing(tb testing.TB, inCI, elsewhere string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatal(inCI)
	}
	tb.Skip(elsewhere)
}
