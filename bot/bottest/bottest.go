// Package bottest holds helpers for testing studybot's packages, as go-joe's joetest does
// for a joe bot. Standard library only, like the core.
package bottest

import (
	"bytes"
	"sync"
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
