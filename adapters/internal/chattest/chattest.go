// Package chattest holds what the chat adapters' tests share: a core wrapper that records
// the requests an adapter builds, so a test can check what the adapter told the core about
// the user (who they are, whether they are an admin) after a real round trip through a
// platform fake.
//
// It is internal to adapters/ because only the chat adapters' tests use it; it imports the
// core and the standard library only.
package chattest

import (
	"context"
	"sync"
	"testing"

	"github.com/studybot/studybot/bot"
)

// Handler answers requests; *bot.Bot is one, and so is every chat adapter's core port.
type Handler interface {
	Handle(ctx context.Context, req bot.Request) bot.Response
}

// Recorder passes requests on to Handler and keeps them. It is safe for concurrent use:
// adapters answer on goroutines of their own.
type Recorder struct {
	Handler Handler
	mu      sync.Mutex
	got     []bot.Request
}

// Handle records req and answers it with the wrapped Handler.
func (r *Recorder) Handle(ctx context.Context, req bot.Request) bot.Response {
	r.mu.Lock()
	r.got = append(r.got, req)
	r.mu.Unlock()
	return r.Handler.Handle(ctx, req)
}

// Last is the latest request, failing the test when there is none.
func (r *Recorder) Last(t testing.TB) bot.Request {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.got) == 0 {
		t.Fatal("the core got no request")
	}
	return r.got[len(r.got)-1]
}
