package bottest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/studybot/studybot/bot"
)

// Poster is a chat platform that records what reaches it: every lesson post and direct
// message, when it arrived on Clock, and every attempt, failed ones included. Several
// schedulers (replicas) may share one. The zero value records; set its fields before use.
type Poster struct {
	// Clock stamps each message; nil leaves At zero.
	Clock bot.Clock
	// Fail, when set, decides attempt n (1-based) at a target: a non-nil error fails it.
	Fail func(target string, n int) error
	// Hook, when set, runs inside every attempt before its outcome: a test blocks there to
	// hold a post in flight.
	Hook func(target string)

	mu       sync.Mutex
	sent     []Sent
	attempts map[string]int
}

// Sent is one message that reached the platform.
type Sent struct {
	Kind   string // "post" (to a channel) or "dm"
	Target string // channel or user ID
	At     time.Time
	Resp   bot.Response
}

func (s Sent) String() string {
	return fmt.Sprintf("%s %s %s %q", s.Kind, s.Target, s.At.UTC().Format(time.RFC3339), s.Resp.Title)
}

// Post implements bot.Poster.
func (p *Poster) Post(_ context.Context, ch bot.Channel, r bot.Response) error {
	return p.deliver("post", ch.ID, r)
}

// DirectMessage implements bot.Poster.
func (p *Poster) DirectMessage(_ context.Context, _ bot.Community, userID string, r bot.Response) error {
	return p.deliver("dm", userID, r)
}

func (p *Poster) deliver(kind, target string, r bot.Response) error {
	if p.Hook != nil {
		p.Hook(target)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.attempts == nil {
		p.attempts = map[string]int{}
	}
	p.attempts[target]++
	if p.Fail != nil {
		if err := p.Fail(target, p.attempts[target]); err != nil {
			return err
		}
	}
	var at time.Time
	if p.Clock != nil {
		at = p.Clock.Now()
	}
	p.sent = append(p.sent, Sent{Kind: kind, Target: target, At: at, Resp: r})
	return nil
}

// All is every message sent so far, in order.
func (p *Poster) All() []Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.sent)
}

// To is what target received, in order.
func (p *Poster) To(target string) []Sent {
	var out []Sent
	for _, s := range p.All() {
		if s.Target == target {
			out = append(out, s)
		}
	}
	return out
}

// Tries is how many attempts reached target, failed ones included.
func (p *Poster) Tries(target string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.attempts[target]
}

// TotalTries is how many attempts reached the platform, failed ones included.
func (p *Poster) TotalTries() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, a := range p.attempts {
		n += a
	}
	return n
}

// Titles is each message's title.
func Titles(ss []Sent) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Resp.Title
	}
	return out
}

// Times is when each message arrived, as RFC 3339 in UTC.
func Times(ss []Sent) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.At.UTC().Format(time.RFC3339)
	}
	return out
}

// Stamped is each message as "when title", for timelines.
func Stamped(ss []Sent) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.At.UTC().Format(time.RFC3339) + " " + s.Resp.Title
	}
	return out
}
