// Package discordtest is an in-process fake Discord for tests: the REST endpoints studybot uses
// and a gateway websocket that speaks the real protocol (HELLO, IDENTIFY, READY, heartbeats
// and their ACKs, dispatches with sequence numbers, RECONNECT, RESUME, INVALID_SESSION).
// It records every REST request and every gateway frame it receives, lets a test inject
// faults (429s, 403s, refused resumes), and measures the time from an INTERACTION_CREATE
// to its callback. It knows nothing of discordgo: it speaks the wire format only.
//
// It keeps Discord's rules that a client can get wrong: one session per shard, interactions
// dispatched to the shard of their guild ((guild_id >> 22) % shard_count, DMs to shard 0),
// one IDENTIFY per rate-limit bucket (shard % max_concurrency) per interval, READY sent
// zlib-compressed to a client that asked for compress, the 3-second window for the first
// answer to an interaction, and the visibility of deferred answers: the first follow-up
// after a deferral takes the deferral's visibility, whatever flags it sends. Uploads are
// read as Discord reads them (multipart/form-data: payload_json and files[n], matched with
// the attachments array), and a modal answer is checked against Discord's limits and can be
// submitted back (SubmitModal).
package discordtest

import (
	"bytes"
	"compress/zlib"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Gateway opcodes.
const (
	OpDispatch       = 0
	OpHeartbeat      = 1
	OpIdentify       = 2
	OpResume         = 6
	OpReconnect      = 7
	OpInvalidSession = 9
	OpHello          = 10
	OpHeartbeatACK   = 11
)

// Interaction types.
const (
	TypeCommand      = 2
	TypeComponent    = 3
	TypeAutocomplete = 4
	TypeModalSubmit  = 5
)

// Request is one REST request the fake received and how it answered.
type Request struct {
	Method string
	Path   string
	Auth   string // the Authorization header
	// Body is the JSON of the request: the whole body, or the payload_json part of a
	// multipart/form-data upload, whose files are in Files.
	Body   []byte
	Files  []File
	Status int
	Time   time.Time
}

// File is one file uploaded with a message, as Discord keeps it: files[Index] of the
// multipart body, under the filename the attachments array gives it (else its part's).
type File struct {
	Index       int
	Name        string
	ContentType string
	Data        []byte
}

// JSON decodes the body (nil when it is not a JSON object).
func (r Request) JSON() map[string]any {
	var m map[string]any
	if json.Unmarshal(r.Body, &m) != nil {
		return nil
	}
	return m
}

// Frame is one gateway payload the fake received from the client.
type Frame struct {
	Conn int // 1 for the first websocket connection, 2 for the next…
	Op   int
	D    json.RawMessage
	Time time.Time
}

// User is who acts in an interaction.
type User struct {
	ID          string
	Username    string
	GlobalName  string
	Nick        string
	Permissions int64 // the member's permissions in the channel
}

// Option is one command option as Discord sends it.
type Option struct {
	Name    string   `json:"name"`
	Type    int      `json:"type"`
	Value   any      `json:"value,omitempty"`
	Focused bool     `json:"focused,omitempty"`
	Options []Option `json:"options,omitempty"`
}

// Sub is a subcommand with its options.
func Sub(name string, opts ...Option) Option { return Option{Name: name, Type: 1, Options: opts} }

// Group is a subcommand group holding one subcommand.
func Group(name string, sub Option) Option {
	return Option{Name: name, Type: 2, Options: []Option{sub}}
}

// Str is a string option.
func Str(name, value string) Option { return Option{Name: name, Type: 3, Value: value} }

// Focus is the string option being typed during autocomplete.
func Focus(name, value string) Option {
	return Option{Name: name, Type: 3, Value: value, Focused: true}
}

// Server is a fake Discord. Start one per test.
type Server struct {
	Token             string // the bot token it accepts (without "Bot ")
	AppID             string
	BotUserID         string
	HeartbeatInterval int // milliseconds, sent in HELLO

	http *httptest.Server

	mu               sync.Mutex
	changed          chan struct{}
	requests         []Request
	frames           []Frame
	sessions         map[int]*session // by shard
	conns            map[*conn]bool   // open websocket connections
	connCount        int
	nextID           int64
	interactions     map[string]*interaction
	commands         map[string]json.RawMessage // "global" or guild ID -> last bulk overwrite
	members          map[string]string          // guild/user -> nick
	guilds           map[string]bool            // the guilds the bot is in, which READY lists
	guildFail        map[string]fault           // guild -> how its member lookups fail
	callback429      []float64
	webhookFail      map[string]int // method -> how many more interaction webhook calls fail
	channelFail      map[string]fault
	refuseResume     bool
	stall            bool
	closed           bool
	limit            StartLimit
	identifyInterval time.Duration
	lastIdentify     map[int]time.Time // by rate-limit bucket
	invalidSessions  int
	responseWindow   time.Duration
}

// session is one shard's gateway session.
type session struct {
	shard, count int
	id           string
	seq          int64
	conn         *conn // nil while no connection carries it
	intents      int64 // what IDENTIFY asked for: Discord sends only the events they cover
}

// StartLimit is the session_start_limit GET /gateway/bot answers; each accepted IDENTIFY
// takes one from Remaining.
type StartLimit struct {
	Total, Remaining int
	ResetAfter       time.Duration
	MaxConcurrency   int
}

// Message is one message an interaction's answers left in the channel, as users see it.
type Message struct {
	Ephemeral bool            // only the user who acted sees it
	Loading   bool            // the deferral's "thinking…" still shows
	Deleted   bool            // removed with DELETE @original
	Body      json.RawMessage // the message object last sent for it (nil while loading)
	Files     []File          // the files attached to it
}

// EmbedImage is the file an embed of the message shows (an attachment://<name> image URL
// naming one of its files), as Discord renders it; ok is false when no embed shows one of
// the message's files.
func (m Message) EmbedImage() (f File, ok bool) { return embedImage(m.Body, m.Files) }

// EmbedImage is the file an embed of the request's message shows (see Message.EmbedImage).
func (r Request) EmbedImage() (File, bool) { return embedImage(r.Body, r.Files) }

func embedImage(body []byte, files []File) (File, bool) {
	var msg struct {
		Embeds []struct {
			Image *struct {
				URL string `json:"url"`
			} `json:"image"`
		} `json:"embeds"`
	}
	if json.Unmarshal(body, &msg) != nil {
		return File{}, false
	}
	for _, e := range msg.Embeds {
		if e.Image == nil {
			continue
		}
		name, ok := strings.CutPrefix(e.Image.URL, "attachment://")
		if !ok {
			continue
		}
		for _, f := range files {
			if f.Name == name {
				return f, true
			}
		}
	}
	return File{}, false
}

// Modal is a modal an interaction was answered with (callback type 9).
type Modal struct {
	CustomID string
	Title    string
	Inputs   []TextInput
}

// TextInput is one text input of a modal.
type TextInput struct {
	CustomID    string `json:"custom_id"`
	Label       string `json:"label"`
	Style       int    `json:"style"`
	Placeholder string `json:"placeholder"`
	Value       string `json:"value"`
	Required    bool   `json:"required"`
	MinLength   int    `json:"min_length"`
	MaxLength   int    `json:"max_length"`
}

type interaction struct {
	token    string
	sent     time.Time
	answered bool
	first    time.Time // first callback POST received, whatever its answer
	answer   int       // index in requests of the accepted callback, -1 before
	// messages: [0] is the original response once there is one, then follow-ups.
	messages []Message
	loading  bool   // deferred, and neither edited nor followed up yet
	typ      int    // the interaction's type
	modal    *Modal // the modal it was answered with
}

type fault struct {
	status     int
	code       int
	message    string
	retryAfter float64
}

type conn struct {
	n  int
	ws *websocket.Conn
	wm sync.Mutex
}

func (c *conn) write(v any) error {
	c.wm.Lock()
	defer c.wm.Unlock()
	return c.ws.WriteJSON(v)
}

// writeCompressed sends v as one binary frame holding a complete zlib stream, as Discord
// sends large payloads to a client that identified with compress: true.
func (c *conn) writeCompressed(v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	z := zlib.NewWriter(&buf)
	if _, err := z.Write(raw); err != nil {
		return err
	}
	if err := z.Close(); err != nil {
		return err
	}
	c.wm.Lock()
	defer c.wm.Unlock()
	return c.ws.WriteMessage(websocket.BinaryMessage, buf.Bytes())
}

// Start runs a fake Discord on a loopback port.
func Start(token string) *Server {
	s := &Server{
		Token:             token,
		AppID:             "100000000000000001",
		BotUserID:         "100000000000000001",
		HeartbeatInterval: 41250,
		changed:           make(chan struct{}),
		sessions:          map[int]*session{},
		conns:             map[*conn]bool{},
		lastIdentify:      map[int]time.Time{},
		limit:             StartLimit{Total: 1000, Remaining: 1000, MaxConcurrency: 1},
		responseWindow:    3 * time.Second,
		nextID:            200000000000000000,
		interactions:      map[string]*interaction{},
		commands:          map[string]json.RawMessage{},
		members:           map[string]string{},
		guilds:            map[string]bool{},
		guildFail:         map[string]fault{},
		channelFail:       map[string]fault{},
		webhookFail:       map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /gateway-ws/", s.serveGateway)
	mux.HandleFunc("/api/v9/", s.serveREST)
	s.http = httptest.NewServer(mux)
	return s
}

// APIURL is the REST base to give the client (DISCORD_API_URL).
func (s *Server) APIURL() string { return s.http.URL + "/api/v9" }

// Close ends every websocket and the HTTP server.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	var open []*conn
	for c := range s.conns {
		open = append(open, c)
	}
	for _, sess := range s.sessions {
		sess.conn = nil
	}
	s.mu.Unlock()
	for _, c := range open {
		c.ws.Close()
	}
	s.http.Close()
}

// SetStartLimit sets what GET /gateway/bot says of session starts. MaxConcurrency below 1
// means 1.
func (s *Server) SetStartLimit(l StartLimit) {
	s.mu.Lock()
	l.MaxConcurrency = max(l.MaxConcurrency, 1)
	s.limit = l
	s.mu.Unlock()
}

// SetIdentifyInterval makes the gateway answer op 9 INVALID_SESSION (d=false) to an
// IDENTIFY that comes less than d after the last accepted one of the same rate-limit bucket,
// as Discord does past max_concurrency. Zero (the default) turns the rule off: discordgo
// re-identifies at once after op 9, so tests that re-identify on purpose leave it off.
func (s *Server) SetIdentifyInterval(d time.Duration) {
	s.mu.Lock()
	s.identifyInterval = d
	s.mu.Unlock()
}

// SetResponseWindow sets how long after INTERACTION_CREATE the first callback is accepted;
// later ones get 404 Unknown interaction (10062). Discord's is 3 s, the default; zero turns
// the rule off, for tests that hold a command on purpose.
func (s *Server) SetResponseWindow(d time.Duration) {
	s.mu.Lock()
	s.responseWindow = d
	s.mu.Unlock()
}

// InvalidSessions counts the op 9 INVALID_SESSION payloads the gateway sent.
func (s *Server) InvalidSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.invalidSessions
}

// Messages is what interaction id's answers left in the channel, in order: the original
// response, then follow-ups.
func (s *Server) Messages(id string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in, ok := s.interactions[id]; ok {
		return append([]Message(nil), in.messages...)
	}
	return nil
}

// AwaitMessages waits until interaction id's answers left n messages and no placeholder
// is still loading, and returns them.
func (s *Server) AwaitMessages(id string, n int, timeout time.Duration) ([]Message, bool) {
	var found []Message
	ok := s.waitFor(timeout, func() bool {
		in, ok := s.interactions[id]
		if !ok || len(in.messages) < n || in.loading {
			return false
		}
		found = append([]Message(nil), in.messages...)
		return true
	})
	return found, ok
}

// notify wakes every waiter; s.mu must be held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitFor blocks until check (called with s.mu held) is true or timeout passes.
func (s *Server) waitFor(timeout time.Duration, check func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok := check()
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

func (s *Server) newID() string {
	s.nextID++
	return strconv.FormatInt(s.nextID, 10)
}

// Requests returns every REST request so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Frames returns every gateway payload received so far.
func (s *Server) Frames() []Frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Frame(nil), s.frames...)
}

// AwaitRequest waits for a REST request that match accepts.
func (s *Server) AwaitRequest(timeout time.Duration, match func(Request) bool) (Request, bool) {
	return awaitMatch(s, timeout, &s.requests, match)
}

// AwaitFrame waits for a gateway payload that match accepts.
func (s *Server) AwaitFrame(timeout time.Duration, match func(Frame) bool) (Frame, bool) {
	return awaitMatch(s, timeout, &s.frames, match)
}

// awaitMatch waits for the first of the server's records in items that match accepts.
func awaitMatch[T any](s *Server, timeout time.Duration, items *[]T, match func(T) bool) (found T, ok bool) {
	ok = s.waitFor(timeout, func() bool {
		for _, item := range *items {
			if match(item) {
				found = item
				return true
			}
		}
		return false
	})
	return found, ok
}

// AwaitAnswer waits for the accepted (2xx) callback to interaction id.
func (s *Server) AwaitAnswer(id string, timeout time.Duration) (Request, bool) {
	var found Request
	ok := s.waitFor(timeout, func() bool {
		in, ok := s.interactions[id]
		if !ok || in.answer < 0 {
			return false
		}
		found = s.requests[in.answer]
		return true
	})
	return found, ok
}

// InteractionToken is the token sent with interaction id; webhook paths carry it.
func (s *Server) InteractionToken(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in, ok := s.interactions[id]; ok {
		return in.token
	}
	return ""
}

// Latency is the time from sending interaction id to receiving its first callback POST.
func (s *Server) Latency(id string) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.interactions[id]
	if !ok || in.first.IsZero() {
		return 0, false
	}
	return in.first.Sub(in.sent), true
}

// Commands is the last bulk overwrite for scope ("global" or a guild ID), nil if none.
func (s *Server) Commands(scope string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[scope]
}

// RateLimitCallbacks makes the next interaction callbacks fail with 429 and retry_after
// (seconds), one per value.
func (s *Server) RateLimitCallbacks(retryAfter ...float64) {
	s.mu.Lock()
	s.callback429 = append(s.callback429, retryAfter...)
	s.mu.Unlock()
}

// FailWebhooks makes the next n interaction webhook calls with method fail with 500: PATCH
// edits the original response, POST sends a follow-up. Nothing they carry shows.
func (s *Server) FailWebhooks(method string, n int) {
	s.mu.Lock()
	s.webhookFail[method] += n
	s.mu.Unlock()
}

// FailChannel makes posts to channelID fail with status and Discord error code; status 429
// answers with retryAfter seconds.
func (s *Server) FailChannel(channelID string, status, code int, message string, retryAfter float64) {
	s.mu.Lock()
	s.channelFail[channelID] = fault{status, code, message, retryAfter}
	s.mu.Unlock()
}

// StallGateway makes the gateway accept new websocket connections and then say nothing, not
// even HELLO, as a hung gateway node does.
func (s *Server) StallGateway(stall bool) {
	s.mu.Lock()
	s.stall = stall
	s.mu.Unlock()
}

// Connections counts the websocket connections the gateway accepted.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connCount
}

// AwaitConnections waits until the gateway has accepted n websocket connections.
func (s *Server) AwaitConnections(timeout time.Duration, n int) bool {
	return s.waitFor(timeout, func() bool { return s.connCount >= n })
}

// RefuseResume makes the gateway answer RESUME with INVALID_SESSION, forcing a new IDENTIFY.
func (s *Server) RefuseResume(refuse bool) {
	s.mu.Lock()
	s.refuseResume = refuse
	s.mu.Unlock()
}

// AddMember makes user a member of guild (for GET guilds/{guild}/members/{user}).
func (s *Server) AddMember(guildID, userID, nick string) {
	s.mu.Lock()
	s.members[guildID+"/"+userID] = nick
	s.mu.Unlock()
}

// FailGuild makes member lookups in guildID fail with status and Discord error code, as a
// guild that removed the bot answers 403 Missing Access (50001).
func (s *Server) FailGuild(guildID string, status, code int, message string) {
	s.mu.Lock()
	s.guildFail[guildID] = fault{status: status, code: code, message: message}
	s.mu.Unlock()
}

// ---- gateway ----

func (s *Server) gatewayURL() string {
	return "ws" + strings.TrimPrefix(s.http.URL, "http") + "/gateway-ws"
}

var upgrader = websocket.Upgrader{}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ws.Close()
		return
	}
	s.connCount++
	c := &conn{n: s.connCount, ws: ws}
	s.conns[c] = true
	stall := s.stall
	s.notify()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		if sess := s.sessionOnLocked(c); sess != nil {
			sess.conn = nil
		}
		s.notify()
		s.mu.Unlock()
		ws.Close()
	}()
	if stall {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}
	if c.write(map[string]any{"op": OpHello, "d": map[string]any{"heartbeat_interval": s.HeartbeatInterval}}) != nil {
		return
	}
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			// Like Discord, a client that closes with 1000 or 1001 ends its session: it can
			// no longer be resumed. Other closes (1012 after op 7, a drop) keep it.
			var ce *websocket.CloseError
			if errors.As(err, &ce) && (ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway) {
				s.mu.Lock()
				if sess := s.sessionOnLocked(c); sess != nil {
					delete(s.sessions, sess.shard)
				}
				s.mu.Unlock()
			}
			return
		}
		var p struct {
			Op int             `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if json.Unmarshal(msg, &p) != nil {
			ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4002, "decode error"))
			return
		}
		s.mu.Lock()
		s.frames = append(s.frames, Frame{Conn: c.n, Op: p.Op, D: p.D, Time: time.Now()})
		s.notify()
		s.mu.Unlock()
		switch p.Op {
		case OpHeartbeat:
			if c.write(map[string]any{"op": OpHeartbeatACK}) != nil {
				return
			}
		case OpIdentify:
			if !s.identify(c, p.D) {
				return
			}
		case OpResume:
			if !s.resume(c, p.D) {
				return
			}
		}
	}
}

func (s *Server) tokenOK(t string) bool { return t == "Bot "+s.Token || t == s.Token }

// sessionOnLocked is the session connection c carries, nil if none; s.mu must be held.
func (s *Server) sessionOnLocked(c *conn) *session {
	for _, sess := range s.sessions {
		if sess.conn == c {
			return sess
		}
	}
	return nil
}

// invalidLocked answers op 9 INVALID_SESSION, not resumable; s.mu must be held.
func (s *Server) invalidLocked(c *conn) bool {
	s.invalidSessions++
	s.notify()
	return c.write(map[string]any{"op": OpInvalidSession, "d": false}) == nil
}

func (s *Server) identify(c *conn, d json.RawMessage) bool {
	var id struct {
		Token    string  `json:"token"`
		Shard    *[2]int `json:"shard"`
		Compress bool    `json:"compress"`
		Intents  int64   `json:"intents"`
	}
	if json.Unmarshal(d, &id) != nil || !s.tokenOK(id.Token) {
		c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4004, "Authentication failed."))
		return false
	}
	shard := [2]int{0, 1}
	if id.Shard != nil {
		shard = *id.Shard
	}
	if shard[1] < 1 || shard[0] < 0 || shard[0] >= shard[1] {
		c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4010, "Invalid shard."))
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	bucket := shard[0] % s.limit.MaxConcurrency
	now := time.Now()
	if last, ok := s.lastIdentify[bucket]; ok && s.identifyInterval > 0 && now.Sub(last) < s.identifyInterval {
		return s.invalidLocked(c)
	}
	s.lastIdentify[bucket] = now
	s.limit.Remaining = max(s.limit.Remaining-1, 0)
	sess := &session{shard: shard[0], count: shard[1], id: randomHex(16), conn: c, intents: id.Intents}
	s.sessions[shard[0]] = sess
	s.notify()
	sess.seq++
	ready := map[string]any{"op": OpDispatch, "t": "READY", "s": sess.seq, "d": map[string]any{
		"v":          10,
		"session_id": sess.id,
		// discordgo v0.29 ignores it and resumes on the URL from GET /gateway; both work here.
		"resume_gateway_url": s.gatewayURL(),
		"user":               map[string]any{"id": s.BotUserID, "username": "studybot", "bot": true},
		"application":        map[string]any{"id": s.AppID, "flags": 0},
		"guilds":             s.readyGuildsLocked(shard),
		"shard":              shard,
	}}
	if id.Compress {
		return c.writeCompressed(ready) == nil
	}
	return c.write(ready) == nil
}

func (s *Server) resume(c *conn, d json.RawMessage) bool {
	var r struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if json.Unmarshal(d, &r) != nil || !s.tokenOK(r.Token) || s.refuseResume {
		return s.invalidLocked(c)
	}
	for _, sess := range s.sessions {
		if sess.id == r.SessionID {
			sess.conn = c
			s.notify()
			return s.dispatchLocked(sess, "RESUMED", map[string]any{}) == nil
		}
	}
	return s.invalidLocked(c)
}

// dispatchLocked sends one op 0 dispatch on sess with its next sequence number; s.mu must
// be held.
func (s *Server) dispatchLocked(sess *session, event string, d any) error {
	if sess == nil || sess.conn == nil {
		return errors.New("discordtest: no gateway session")
	}
	sess.seq++
	return sess.conn.write(map[string]any{"op": OpDispatch, "t": event, "s": sess.seq, "d": d})
}

// shardOfLocked is the session Discord dispatches guildID's events on: shard
// (guild_id >> 22) % shard_count, and shard 0 for direct messages; s.mu must be held.
func (s *Server) shardOfLocked(guildID string) (*session, error) {
	count := 0
	for _, sess := range s.sessions {
		count = sess.count
	}
	if count == 0 {
		return nil, errors.New("discordtest: no gateway session")
	}
	shard := 0
	if guildID != "" {
		if _, err := strconv.ParseUint(guildID, 10, 64); err != nil {
			return nil, fmt.Errorf("discordtest: guild %q is not a snowflake", guildID)
		}
		shard = ShardOf(guildID, count)
	}
	sess := s.sessions[shard]
	if sess == nil || sess.conn == nil {
		return nil, fmt.Errorf("discordtest: no gateway session for shard %d of %d", shard, count)
	}
	return sess, nil
}

// ShardOf is the shard that gets guildID's events among count shards.
func ShardOf(guildID string, count int) int {
	id, _ := strconv.ParseUint(guildID, 10, 64)
	return int((id >> 22) % uint64(max(count, 1)))
}

// SetGuilds makes ids the guilds the bot is in, sending no event: what changed happened
// while no session listened, and only the next READY tells (it lists the guilds of its
// shard). The bot is also in every guild an interaction came from, and AddToGuild and
// RemoveFromGuild change it.
func (s *Server) SetGuilds(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.guilds)
	for _, id := range ids {
		s.guilds[id] = true
	}
}

func (s *Server) setGuild(id string, in bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in {
		s.guilds[id] = true
	} else {
		delete(s.guilds, id)
	}
}

// readyGuildsLocked is READY's guilds for shard: each guild of the shard the bot is in, as
// an unavailable guild object, as Discord sends them; s.mu must be held.
func (s *Server) readyGuildsLocked(shard [2]int) []any {
	ids := slices.Sorted(maps.Keys(s.guilds))
	out := []any{}
	for _, id := range ids {
		if ShardOf(id, shard[1]) == shard[0] {
			out = append(out, map[string]any{"id": id, "unavailable": true})
		}
	}
	return out
}

// IntentGuilds is the GUILDS gateway intent, which GUILD_CREATE and GUILD_DELETE need.
const IntentGuilds = 1 << 0

// guildEvent dispatches a GUILDS-intent event about guildID on its shard; like Discord it
// sends none to a session that did not ask for the intent, and says so.
func (s *Server) guildEvent(event, guildID string, d map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, err := s.shardOfLocked(guildID)
	if err != nil {
		return err
	}
	if sess.intents&IntentGuilds == 0 {
		return fmt.Errorf("discordtest: shard %d identified without the GUILDS intent; Discord sends it no %s", sess.shard, event)
	}
	return s.dispatchLocked(sess, event, d)
}

// RemoveFromGuild sends GUILD_DELETE without unavailable, as Discord does when the bot is
// kicked or banned from guildID, or the guild is deleted.
func (s *Server) RemoveFromGuild(guildID string) error {
	s.setGuild(guildID, false)
	return s.guildEvent("GUILD_DELETE", guildID, map[string]any{"id": guildID})
}

// GuildOutage sends GUILD_DELETE with unavailable true: guildID is unreachable for a
// while, and the bot is still in it.
func (s *Server) GuildOutage(guildID string) error {
	return s.guildEvent("GUILD_DELETE", guildID, map[string]any{"id": guildID, "unavailable": true})
}

// AddToGuild sends GUILD_CREATE for guildID, as Discord does when the bot joins it (and
// for each of its guilds after connecting, or once an outage ends).
func (s *Server) AddToGuild(guildID string) error {
	s.setGuild(guildID, true)
	return s.guildEvent("GUILD_CREATE", guildID, map[string]any{
		"id": guildID, "name": "Guild " + guildID, "owner_id": "400000000000000999", "unavailable": false,
		"joined_at": time.Now().UTC().Format(time.RFC3339), "member_count": 2, "large": false,
		"roles": []any{}, "channels": []any{}, "threads": []any{}, "members": []any{}, "emojis": []any{},
		"features": []any{}, "voice_states": []any{}, "presences": []any{}, "stage_instances": []any{},
	})
}

// Reconnect sends op 7 RECONNECT on every session, as Discord does when a gateway node
// restarts.
func (s *Server) Reconnect() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sent := false
	for _, sess := range s.sessions {
		if sess.conn == nil {
			continue
		}
		if err := sess.conn.write(map[string]any{"op": OpReconnect, "d": nil}); err != nil {
			return err
		}
		sent = true
	}
	if !sent {
		return errors.New("discordtest: no gateway session")
	}
	return nil
}

// AwaitSession waits until a gateway session is ready to take dispatches.
func (s *Server) AwaitSession(timeout time.Duration) bool {
	return s.AwaitSessions(timeout, 1)
}

// AwaitSessions waits until n shards have a session ready to take dispatches.
func (s *Server) AwaitSessions(timeout time.Duration, n int) bool {
	return s.waitFor(timeout, func() bool {
		up := 0
		for _, sess := range s.sessions {
			if sess.conn != nil {
				up++
			}
		}
		return up >= n
	})
}

// AwaitDisconnect waits until no gateway session is open (the client closed it).
func (s *Server) AwaitDisconnect(timeout time.Duration) bool {
	return s.waitFor(timeout, func() bool {
		for _, sess := range s.sessions {
			if sess.conn != nil {
				return false
			}
		}
		return true
	})
}

// Command sends a slash command /roadmap <opt> from u; guildID "" sends it from a DM.
func (s *Server) Command(guildID, channelID string, u User, opt Option) (string, error) {
	return s.interact(TypeCommand, guildID, channelID, u, map[string]any{
		"id": "300000000000000001", "name": "roadmap", "type": 1, "options": []Option{opt},
	})
}

// Autocomplete sends an autocomplete request for /roadmap <opt>; one option in it is focused.
func (s *Server) Autocomplete(guildID, channelID string, u User, opt Option) (string, error) {
	return s.interact(TypeAutocomplete, guildID, channelID, u, map[string]any{
		"id": "300000000000000001", "name": "roadmap", "type": 1, "options": []Option{opt},
	})
}

// AwaitModal waits for interaction id to be answered with a modal and returns it.
func (s *Server) AwaitModal(id string, timeout time.Duration) (Modal, bool) {
	var found Modal
	ok := s.waitFor(timeout, func() bool {
		in, ok := s.interactions[id]
		if !ok || in.modal == nil {
			return false
		}
		found = *in.modal
		return true
	})
	return found, ok
}

// SubmitModal submits the modal m as u would after typing values (text input custom_id ->
// text; an input left out keeps its prefilled value): an INTERACTION_CREATE of type 5
// carrying the modal's custom_id and each input's value. guildID "" submits it in a DM.
func (s *Server) SubmitModal(guildID, channelID string, u User, m Modal, values map[string]string) (string, error) {
	rows := []any{}
	for _, in := range m.Inputs {
		v, ok := values[in.CustomID]
		if !ok {
			v = in.Value
		}
		rows = append(rows, map[string]any{"type": 1, "components": []any{
			map[string]any{"type": 4, "custom_id": in.CustomID, "value": v},
		}})
	}
	return s.interact(TypeModalSubmit, guildID, channelID, u, map[string]any{"custom_id": m.CustomID, "components": rows})
}

// Press sends a button press with customID from u.
func (s *Server) Press(guildID, channelID string, u User, customID string) (string, error) {
	return s.interact(TypeComponent, guildID, channelID, u, map[string]any{"custom_id": customID, "component_type": 2})
}

func (s *Server) interact(typ int, guildID, channelID string, u User, data map[string]any) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.newID()
	token := "itok." + id + "." + randomHex(12)
	user := map[string]any{"id": u.ID, "username": u.Username, "global_name": nilIfEmpty(u.GlobalName), "discriminator": "0"}
	in := map[string]any{
		"id": id, "application_id": s.AppID, "type": typ, "token": token, "version": 1,
		"channel_id": channelID, "data": data, "locale": "en-US",
	}
	if guildID != "" {
		s.guilds[guildID] = true // Discord sends interactions only from guilds the bot is in
		in["guild_id"] = guildID
		in["context"] = 0
		in["member"] = map[string]any{
			"user": user, "nick": nilIfEmpty(u.Nick), "roles": []string{},
			"permissions": strconv.FormatInt(u.Permissions, 10), "joined_at": "2024-01-01T00:00:00Z",
		}
	} else {
		in["context"] = 1
		in["user"] = user
	}
	if typ == TypeComponent {
		in["message"] = map[string]any{"id": s.newID(), "channel_id": channelID, "type": 0}
	}
	sess, err := s.shardOfLocked(guildID)
	if err != nil {
		return "", err
	}
	s.interactions[id] = &interaction{token: token, sent: time.Now(), answer: -1, typ: typ}
	if err := s.dispatchLocked(sess, "INTERACTION_CREATE", in); err != nil {
		delete(s.interactions, id)
		return "", err
	}
	return id, nil
}

// ---- REST ----

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	now := time.Now()
	body, files, err := readBody(r.Header.Get("Content-Type"), raw)
	var (
		status int
		out    any
		header map[string]string
	)
	if err != nil {
		status, out, header = apiError(400, 50035, "Invalid Form Body: "+err.Error())
	} else {
		status, out, header = s.route(r, body, files, now)
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization"),
		Body: body, Files: files, Status: status, Time: now})
	if id, ok := callbackID(r); ok && status/100 == 2 {
		if in, ok := s.interactions[id]; ok && in.answer < 0 {
			in.answer = len(s.requests) - 1
		}
	}
	s.notify()
	s.mu.Unlock()
	for k, v := range header {
		w.Header().Set(k, v)
	}
	if out == nil {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(out)
}

// maxBody bounds a request body: Discord's own upload limit for a bot without boosts.
const maxBody = 10 << 20

// readBody reads a request body as Discord does: JSON, or multipart/form-data with the JSON
// in payload_json and the files in files[n]. Every entry of the JSON's attachments array
// must name an uploaded part, and every uploaded part must be listed when there is an
// array; Discord names each file by its attachments entry (else its part's filename).
func readBody(contentType string, raw []byte) ([]byte, []File, error) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != "multipart/form-data" {
		return raw, nil, nil
	}
	mr := multipart.NewReader(bytes.NewReader(raw), params["boundary"])
	var (
		payload []byte
		files   []File
	)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("multipart: %w", err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, nil, fmt.Errorf("multipart: %w", err)
		}
		name := part.FormName()
		switch {
		case name == "payload_json":
			payload = data
		case strings.HasPrefix(name, "files[") && strings.HasSuffix(name, "]"):
			n, err := strconv.Atoi(name[len("files[") : len(name)-1])
			if err != nil || n < 0 || n >= 10 {
				return nil, nil, fmt.Errorf("bad file field %q", name)
			}
			files = append(files, File{Index: n, Name: part.FileName(), ContentType: part.Header.Get("Content-Type"), Data: data})
		default:
			return nil, nil, fmt.Errorf("unexpected form field %q", name)
		}
	}
	if payload == nil {
		return nil, nil, errors.New("no payload_json")
	}
	var p struct {
		Attachments []struct {
			ID       json.Number `json:"id"`
			Filename string      `json:"filename"`
		} `json:"attachments"`
		Data *struct {
			Attachments []struct {
				ID       json.Number `json:"id"`
				Filename string      `json:"filename"`
			} `json:"attachments"`
		} `json:"data"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, nil, fmt.Errorf("payload_json: %w", err)
	}
	list := p.Attachments
	if p.Data != nil && p.Data.Attachments != nil {
		list = p.Data.Attachments // an interaction callback's message is its data
	}
	if list != nil {
		named := map[int]string{}
		for _, a := range list {
			n, err := strconv.Atoi(a.ID.String())
			if err != nil {
				return nil, nil, fmt.Errorf("attachment id %q is not a file index", a.ID)
			}
			named[n] = a.Filename
		}
		for i, f := range files {
			name, ok := named[f.Index]
			if !ok {
				return nil, nil, fmt.Errorf("files[%d] has no entry in attachments", f.Index)
			}
			if name != "" {
				files[i].Name = name
			}
			delete(named, f.Index)
		}
		if len(named) > 0 {
			return nil, nil, fmt.Errorf("attachments entries %v have no files[n]", slices.Sorted(maps.Keys(named)))
		}
	}
	return payload, files, nil
}

// callbackID is the interaction ID of a callback request.
func callbackID(r *http.Request) (string, bool) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v9/"), "/")
	if r.Method == http.MethodPost && len(parts) == 4 && parts[0] == "interactions" && parts[3] == "callback" {
		return parts[1], true
	}
	return "", false
}

func apiError(status, code int, message string) (int, any, map[string]string) {
	return status, map[string]any{"message": message, "code": code}, nil
}

// route answers one REST request like Discord would, for the endpoints studybot uses.
func (s *Server) route(r *http.Request, body []byte, files []File, now time.Time) (int, any, map[string]string) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v9/"), "/")
	at := func(i int) string {
		if i < len(parts) {
			return parts[i]
		}
		return ""
	}
	m := r.Method

	// Interaction endpoints are authorised by the interaction token, not the bot token.
	switch {
	case m == "POST" && len(parts) == 4 && at(0) == "interactions" && at(3) == "callback":
		return s.callback(at(1), at(2), body, files, now)
	case len(parts) >= 3 && at(0) == "webhooks" && at(1) == s.AppID:
		return s.webhook(m, at(2), parts[3:], body, files)
	}

	if !s.tokenOK(r.Header.Get("Authorization")) {
		return apiError(401, 0, "401: Unauthorized")
	}
	switch {
	case m == "GET" && r.URL.Path == "/api/v9/gateway", m == "GET" && r.URL.Path == "/api/v9/gateway/bot":
		s.mu.Lock()
		l := s.limit
		s.mu.Unlock()
		return 200, map[string]any{
			"url": s.gatewayURL(), "shards": 1,
			"session_start_limit": map[string]any{"total": l.Total, "remaining": l.Remaining,
				"reset_after": l.ResetAfter.Milliseconds(), "max_concurrency": l.MaxConcurrency},
		}, nil
	case m == "GET" && r.URL.Path == "/api/v9/oauth2/applications/@me":
		return 200, map[string]any{"id": s.AppID, "name": "studybot"}, nil
	case m == "PUT" && at(0) == "applications" && at(1) == s.AppID && at(2) == "commands" && len(parts) == 3:
		return s.overwrite("global", body)
	case m == "PUT" && at(0) == "applications" && at(1) == s.AppID && at(2) == "guilds" && at(4) == "commands" && len(parts) == 5:
		return s.overwrite(at(3), body)
	case m == "POST" && at(0) == "channels" && at(2) == "messages" && len(parts) == 3:
		return s.channelMessage(at(1), body, files)
	case m == "POST" && r.URL.Path == "/api/v9/users/@me/channels":
		var in struct {
			RecipientID string `json:"recipient_id"`
		}
		if json.Unmarshal(body, &in) != nil || in.RecipientID == "" {
			return apiError(400, 50035, "Invalid Form Body")
		}
		s.mu.Lock()
		id := s.newID()
		s.mu.Unlock()
		return 200, map[string]any{"id": id, "type": 1, "recipients": []any{map[string]any{"id": in.RecipientID}}}, nil
	case m == "GET" && at(0) == "guilds" && at(2) == "members" && len(parts) == 4:
		s.mu.Lock()
		nick, ok := s.members[at(1)+"/"+at(3)]
		f, failing := s.guildFail[at(1)]
		s.mu.Unlock()
		if failing {
			return apiError(f.status, f.code, f.message)
		}
		if !ok {
			return apiError(404, 10007, "Unknown Member")
		}
		return 200, map[string]any{"user": map[string]any{"id": at(3), "username": "member"}, "nick": nilIfEmpty(nick),
			"roles": []string{}, "joined_at": "2024-01-01T00:00:00Z"}, nil
	}
	return apiError(404, 0, "404: Not Found")
}

// Interaction callback types and the ephemeral message flag.
const (
	callbackMessage      = 4
	callbackDeferMessage = 5
	callbackModal        = 9
	flagEphemeral        = 64
)

func (s *Server) callback(id, token string, body []byte, files []File, now time.Time) (int, any, map[string]string) {
	var cb struct {
		Type int             `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	var data struct {
		Flags int `json:"flags"`
	}
	if json.Unmarshal(body, &cb) != nil || cb.Type == 0 || (cb.Data != nil && json.Unmarshal(cb.Data, &data) != nil) {
		return apiError(400, 50035, "Invalid Form Body")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.interactions[id]
	if !ok || in.token != token {
		return apiError(404, 10062, "Unknown interaction")
	}
	if in.first.IsZero() {
		in.first = now
	}
	if s.responseWindow > 0 && !in.answered && now.Sub(in.sent) > s.responseWindow {
		return apiError(404, 10062, "Unknown interaction")
	}
	if len(s.callback429) > 0 {
		ra := s.callback429[0]
		s.callback429 = s.callback429[1:]
		return 429, map[string]any{"message": "You are being rate limited.", "retry_after": ra, "global": false},
			map[string]string{"Retry-After": strconv.Itoa(int(ra + 0.999))}
	}
	if in.answered {
		return apiError(400, 40060, "Interaction has already been acknowledged.")
	}
	var modal *Modal
	if cb.Type == callbackModal {
		var err error
		if modal, err = readModal(in.typ, cb.Data); err != nil {
			return apiError(400, 50035, "Invalid Form Body: "+err.Error())
		}
	}
	in.answered = true
	ephemeral := data.Flags&flagEphemeral != 0
	switch cb.Type {
	case callbackModal:
		in.modal = modal
	case callbackMessage:
		in.messages = []Message{{Ephemeral: ephemeral, Body: append(json.RawMessage(nil), cb.Data...), Files: files}}
	case callbackDeferMessage:
		in.messages = []Message{{Ephemeral: ephemeral, Loading: true}}
		in.loading = true
	}
	return 204, nil, nil
}

// webhook serves the interaction webhook: edits and deletes of the original response, and
// follow-ups. Like Discord, an edit keeps the original's visibility, and the first follow-up
// after a deferral resolves the deferral: it takes the deferral's visibility, whatever flags
// it sends (even after the placeholder was deleted). Later follow-ups keep their own flags.
func (s *Server) webhook(method, token string, rest []string, body []byte, files []File) (int, any, map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var in *interaction
	for _, cand := range s.interactions {
		if cand.token == token && cand.answered {
			in = cand
			break
		}
	}
	if in == nil {
		return apiError(404, 10015, "Unknown Webhook")
	}
	if s.webhookFail[method] > 0 {
		s.webhookFail[method]--
		return apiError(500, 0, "500: Internal Server Error")
	}
	id := s.newID()
	original := len(rest) == 2 && rest[0] == "messages" && rest[1] == "@original"
	switch {
	case method == "PATCH" && original:
		if len(in.messages) == 0 || in.messages[0].Deleted {
			return apiError(404, 10008, "Unknown Message")
		}
		in.messages[0].Body, in.messages[0].Loading = append(json.RawMessage(nil), body...), false
		if files != nil {
			in.messages[0].Files = files
		}
		in.loading = false
		return 200, map[string]any{"id": id, "channel_id": "0", "type": 0}, nil
	case method == "DELETE" && original:
		if len(in.messages) == 0 || in.messages[0].Deleted {
			return apiError(404, 10008, "Unknown Message")
		}
		in.messages[0].Deleted = true
		return 204, nil, nil
	case method == "POST" && len(rest) == 0:
		var p struct {
			Flags int `json:"flags"`
		}
		if json.Unmarshal(body, &p) != nil {
			return apiError(400, 50035, "Invalid Form Body")
		}
		m := Message{Ephemeral: p.Flags&flagEphemeral != 0, Body: append(json.RawMessage(nil), body...), Files: files}
		switch {
		case in.loading && in.messages[0].Deleted:
			m.Ephemeral = in.messages[0].Ephemeral
			in.messages = append(in.messages, m)
		case in.loading:
			// The follow-up is the deferral resolved: the placeholder becomes it.
			m.Ephemeral = in.messages[0].Ephemeral
			in.messages[0] = m
		default:
			in.messages = append(in.messages, m)
		}
		in.loading = false
		return 200, map[string]any{"id": id, "channel_id": "0", "type": 0}, nil
	}
	return apiError(405, 0, "405: Method Not Allowed")
}

func (s *Server) overwrite(scope string, body []byte) (int, any, map[string]string) {
	var cmds []map[string]any
	if err := json.Unmarshal(body, &cmds); err != nil {
		return apiError(400, 50035, "Invalid Form Body")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cmds {
		c["id"] = s.newID()
		c["application_id"] = s.AppID
		c["version"] = s.newID()
		if scope != "global" {
			c["guild_id"] = scope
		}
	}
	s.commands[scope] = append(json.RawMessage(nil), body...)
	return 200, cmds, nil
}

func (s *Server) channelMessage(channelID string, body []byte, files []File) (int, any, map[string]string) {
	s.mu.Lock()
	f, failing := s.channelFail[channelID]
	id := s.newID()
	s.mu.Unlock()
	if failing {
		if f.status == 429 {
			return 429, map[string]any{"message": f.message, "retry_after": f.retryAfter, "global": false},
				map[string]string{"Retry-After": strconv.Itoa(int(f.retryAfter + 0.999))}
		}
		return apiError(f.status, f.code, f.message)
	}
	var msg map[string]any
	if json.Unmarshal(body, &msg) != nil {
		return apiError(400, 50035, "Invalid Form Body")
	}
	msg["id"], msg["channel_id"], msg["type"] = id, channelID, 0
	attachments := []any{}
	for _, f := range files {
		attachments = append(attachments, map[string]any{"id": s.newIDLocking(), "filename": f.Name,
			"size": len(f.Data), "content_type": f.ContentType,
			"url": s.http.URL + "/attachments/" + channelID + "/" + f.Name})
	}
	msg["attachments"] = attachments
	return 200, msg, nil
}

func (s *Server) newIDLocking() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newID()
}

// readModal checks a modal callback's data the way Discord does: a modal answers a slash
// command or a button press only; a custom_id of at most 100 characters, a title of at
// most 45; one to five rows, each holding one text input with a custom_id, a label of at
// most 45 characters, a style (1 short, 2 paragraph) and a value within max_length (at
// most 4000).
func readModal(interactionType int, data json.RawMessage) (*Modal, error) {
	if interactionType != TypeCommand && interactionType != TypeComponent {
		return nil, fmt.Errorf("a modal cannot answer an interaction of type %d", interactionType)
	}
	var d struct {
		CustomID   string `json:"custom_id"`
		Title      string `json:"title"`
		Components []struct {
			Type       int `json:"type"`
			Components []struct {
				Type int `json:"type"`
				TextInput
			} `json:"components"`
		} `json:"components"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	runes := func(s string) int { return len([]rune(s)) }
	switch {
	case d.CustomID == "" || runes(d.CustomID) > 100:
		return nil, fmt.Errorf("modal custom_id %q: 1 to 100 characters", d.CustomID)
	case d.Title == "" || runes(d.Title) > 45:
		return nil, fmt.Errorf("modal title %q: 1 to 45 characters", d.Title)
	case len(d.Components) < 1 || len(d.Components) > 5:
		return nil, fmt.Errorf("a modal has 1 to 5 rows, not %d", len(d.Components))
	}
	m := &Modal{CustomID: d.CustomID, Title: d.Title}
	for _, row := range d.Components {
		if row.Type != 1 || len(row.Components) != 1 || row.Components[0].Type != 4 {
			return nil, errors.New("each modal row holds exactly one text input")
		}
		in := row.Components[0].TextInput
		max := in.MaxLength
		if max == 0 {
			max = 4000
		}
		switch {
		case in.CustomID == "" || runes(in.CustomID) > 100:
			return nil, fmt.Errorf("text input custom_id %q: 1 to 100 characters", in.CustomID)
		case in.Label == "" || runes(in.Label) > 45:
			return nil, fmt.Errorf("text input label %q: 1 to 45 characters", in.Label)
		case in.Style != 1 && in.Style != 2:
			return nil, fmt.Errorf("text input style %d", in.Style)
		case max < 1 || max > 4000:
			return nil, fmt.Errorf("text input max_length %d: 1 to 4000", in.MaxLength)
		case runes(in.Value) > max:
			return nil, fmt.Errorf("text input value longer than max_length %d", max)
		case runes(in.Placeholder) > 100:
			return nil, errors.New("text input placeholder over 100 characters")
		}
		m.Inputs = append(m.Inputs, in)
	}
	return m, nil
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("discordtest: random: %v", err))
	}
	return hex.EncodeToString(b)
}
