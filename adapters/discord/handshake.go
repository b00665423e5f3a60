package discord

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// DefaultConnectTimeout bounds a gateway connection from its dial to READY (or RESUMED).
const DefaultConnectTimeout = 30 * time.Second

// handshakes bounds every gateway connection of one session, discordgo's own reconnects
// included: each must reach READY or RESUMED within timeout of its dial. discordgo v0.29
// reads HELLO and READY with no deadline while holding the session's lock, so a gateway
// that accepts the websocket and then says nothing would hold Open (and with it the identify
// gate, and Close) forever; past the deadline the read fails, Open returns the error, and
// the gate is released. Once the session is up its connection has no read deadline, since
// an idle gateway sends nothing but heartbeat ACKs.
type handshakes struct {
	timeout time.Duration

	mu      sync.Mutex
	current *handshakeConn // the latest connection dialled
	aborted bool           // the adapter is shutting down: no new connection
}

// errShuttingDown refuses a gateway connection once shutdown has begun.
var errShuttingDown = errors.New("discord adapter is shutting down")

// dial is the websocket dialer's NetDialContext.
func (h *handshakes) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	c := &handshakeConn{Conn: raw, limit: time.Now().Add(h.timeout)}
	if err := c.SetReadDeadline(time.Time{}); err != nil {
		raw.Close()
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.aborted {
		raw.Close()
		return nil, errShuttingDown
	}
	h.current = c
	return c, nil
}

// established lifts the deadline of the latest connection: the session on it is up.
func (h *handshakes) established() {
	h.mu.Lock()
	c := h.current
	h.mu.Unlock()
	if c != nil {
		c.lift()
	}
}

// abort ends the latest connection if it is still in its handshake, so an Open blocked on a
// silent gateway returns at once, and refuses new ones: the adapter is shutting down.
func (h *handshakes) abort() {
	h.mu.Lock()
	h.aborted = true
	c := h.current
	h.mu.Unlock()
	if c != nil && c.inHandshake() {
		c.Close()
	}
}

// handshakeConn is a gateway connection whose reads cannot outlast limit until lift: the
// websocket library clears the deadlines it set for the HTTP upgrade, and a cleared deadline
// here falls back to limit.
type handshakeConn struct {
	net.Conn

	mu    sync.Mutex
	limit time.Time // zero once lifted
	asked time.Time // the read deadline the websocket library last asked for
}

func (c *handshakeConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.SetReadDeadline(t)
}

func (c *handshakeConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked = t
	return c.Conn.SetReadDeadline(c.deadlineLocked())
}

func (c *handshakeConn) deadlineLocked() time.Time {
	if !c.limit.IsZero() && (c.asked.IsZero() || c.asked.After(c.limit)) {
		return c.limit
	}
	return c.asked
}

func (c *handshakeConn) lift() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.limit.IsZero() {
		return
	}
	c.limit = time.Time{}
	c.Conn.SetReadDeadline(c.asked)
}

func (c *handshakeConn) inHandshake() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.limit.IsZero()
}
