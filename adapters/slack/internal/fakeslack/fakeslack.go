// Package fakeslack is an in-process Slack for tests: the Web API methods studybot calls
// (apps.connections.open, users.info, chat.postMessage, conversations.open, views.open, and
// files upload v2: files.getUploadURLExternal, the upload URL it hands out,
// files.completeUploadExternal), response_url endpoints, and a Socket Mode websocket that says hello, sends envelopes and pings, and
// records every acknowledgement with the time it arrived. It speaks the wire format slack-go
// expects, so the real client library is what gets tested.
package fakeslack

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
)

// Tokens the fake accepts.
const (
	BotToken = "xoxb-fake-bot-token"
	AppToken = "xapp-fake-app-token"
)

// waitLimit guards every wait in the helpers: a test that would hang fails instead.
const waitLimit = 20 * time.Second

// Ack is one acknowledgement read from the websocket.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage // null or absent when the ack carries no answer
	Sent       time.Time       // when the fake started writing the envelope
	Received   time.Time       // when the fake read the ack
}

// HasPayload reports whether the acknowledgement carried an answer.
func (a Ack) HasPayload() bool {
	p := strings.TrimSpace(string(a.Payload))
	return p != "" && p != "null"
}

// Message is an answer as Slack receives it (ack payload, response_url body, HTTP body).
type Message struct {
	Text            string            `json:"text"`
	ResponseType    string            `json:"response_type"`
	ReplaceOriginal bool              `json:"replace_original"`
	UnfurlLinks     *bool             `json:"unfurl_links"`
	Blocks          []json.RawMessage `json:"blocks"`
	Raw             json.RawMessage   `json:"-"`
}

// Post is one chat.postMessage call.
type Post struct {
	Channel string
	Text    string
	Blocks  json.RawMessage
	Form    url.Values
}

// Failure scripts the answer to the next chat.postMessage.
type Failure struct {
	Status     int    // HTTP status; 0 means 200
	RetryAfter string // Retry-After header for a 429
	Error      string // Slack error code in an ok:false body
}

// Upload is one file shared through files upload v2: the bytes that reached the upload URL,
// completed with files.completeUploadExternal.
type Upload struct {
	FileID   string
	Filename string // as given to files.getUploadURLExternal
	Title    string
	Channel  string // channel_id of files.completeUploadExternal ("" keeps the file private)
	Data     []byte
}

// View is one views.open call: the trigger it answers and the modal it opens.
type View struct {
	TriggerID string
	View      slack.ModalViewRequest
	Raw       json.RawMessage
}

// pendingUpload is a file between files.getUploadURLExternal and its completion.
type pendingUpload struct {
	filename string
	length   int
	data     []byte
	received bool
}

// Server is the fake Slack. Its zero value is not usable; call New.
type Server struct {
	t   testing.TB
	srv *httptest.Server
	up  websocket.Upgrader

	opens     atomic.Int64 // apps.connections.open calls
	userCalls atomic.Int64 // users.info calls
	pongs     atomic.Int64
	nextID    atomic.Int64

	connected chan int // connection number, once hello has been sent

	mu          sync.Mutex
	conn        *wsConn // the live connection
	conns       []*wsConn
	users       map[string]slack.User
	userFailure string        // users.info error code; "" answers normally
	userHold    chan struct{} // while set, users.info waits for it to close
	acks        map[string]chan Ack
	sent        map[string]time.Time // when each envelope was sent
	responses   map[string]chan Message
	postFails   []Failure
	posts       chan Post
	opened      chan string // users passed to conversations.open
	badTokens   []string    // methods called with a wrong token
	pending     map[string]*pendingUpload
	uploads     chan Upload
	views       chan View
	triggers    map[string]bool // trigger_ids already used by views.open
}

type wsConn struct {
	c  *websocket.Conn
	mu sync.Mutex // gorilla allows one writer at a time
}

func (w *wsConn) write(v []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.c.WriteMessage(websocket.TextMessage, v)
}

// New starts a fake Slack; it stops when the test ends.
func New(t testing.TB) *Server {
	s := &Server{
		t:         t,
		up:        websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		connected: make(chan int, 16),
		users:     map[string]slack.User{},
		acks:      map[string]chan Ack{},
		sent:      map[string]time.Time{},
		responses: map[string]chan Message{},
		posts:     make(chan Post, 64),
		opened:    make(chan string, 64),
		pending:   map[string]*pendingUpload{},
		uploads:   make(chan Upload, 64),
		views:     make(chan View, 64),
		triggers:  map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/{method}", s.api)
	mux.HandleFunc("GET /link", s.socket)
	mux.HandleFunc("POST /response/{id}", s.response)
	mux.HandleFunc("POST /upload/{id}", s.receiveUpload)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// APIURL is the Web API base to give slack-go (SLACK_API_URL).
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// Close drops every websocket and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	for _, c := range s.conns {
		c.c.Close()
	}
	s.mu.Unlock()
	s.srv.Close()
}

// SetUser makes users.info answer with u.
func (s *Server) SetUser(u slack.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

// FailUsersInfo makes users.info answer ok:false with code ("" restores normal answers).
func (s *Server) FailUsersInfo(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userFailure = code
}

// HoldUsersInfo makes users.info calls wait, each counted as it arrives, until release is
// called, so a test can have several commands miss the user cache at once.
func (s *Server) HoldUsersInfo() (release func()) {
	hold := make(chan struct{})
	s.mu.Lock()
	s.userHold = hold
	s.mu.Unlock()
	var once sync.Once
	release = func() {
		once.Do(func() {
			s.mu.Lock()
			s.userHold = nil
			s.mu.Unlock()
			close(hold)
		})
	}
	s.t.Cleanup(release)
	return release
}

// FailNextPost scripts the answer to the next chat.postMessage.
func (s *Server) FailNextPost(f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.postFails = append(s.postFails, f)
}

// Opens is how many times apps.connections.open was called.
func (s *Server) Opens() int64 { return s.opens.Load() }

// UsersInfoCalls is how many times users.info was called.
func (s *Server) UsersInfoCalls() int64 { return s.userCalls.Load() }

// Pongs is how many pongs answered the fake's pings.
func (s *Server) Pongs() int64 { return s.pongs.Load() }

// BadTokens lists the methods called with a token they do not accept.
func (s *Server) BadTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.badTokens...)
}

// WaitConnected waits for the n-th websocket connection (1-based) to receive its hello.
func (s *Server) WaitConnected(n int) {
	s.t.Helper()
	timeout := time.After(waitLimit)
	for {
		select {
		case got := <-s.connected:
			if got >= n {
				return
			}
		case <-timeout:
			s.t.Fatalf("fakeslack: connection %d never came", n)
		}
	}
}

// WaitPost waits for the next chat.postMessage.
func (s *Server) WaitPost() Post {
	s.t.Helper()
	select {
	case p := <-s.posts:
		return p
	case <-time.After(waitLimit):
		s.t.Fatal("fakeslack: no chat.postMessage came")
	}
	return Post{}
}

// WaitOpened waits for the next conversations.open and returns the user it was for.
func (s *Server) WaitOpened() string {
	s.t.Helper()
	select {
	case u := <-s.opened:
		return u
	case <-time.After(waitLimit):
		s.t.Fatal("fakeslack: no conversations.open came")
	}
	return ""
}

// WaitUpload waits for the next completed upload.
func (s *Server) WaitUpload() Upload {
	s.t.Helper()
	select {
	case u := <-s.uploads:
		return u
	case <-time.After(waitLimit):
		s.t.Fatal("fakeslack: no file upload was completed")
	}
	return Upload{}
}

// Uploads returns the uploads completed so far that nobody waited for, without waiting.
func (s *Server) Uploads() []Upload {
	var out []Upload
	for {
		select {
		case u := <-s.uploads:
			out = append(out, u)
		default:
			return out
		}
	}
}

// WaitView waits for the next views.open.
func (s *Server) WaitView() View {
	s.t.Helper()
	select {
	case v := <-s.views:
		return v
	case <-time.After(waitLimit):
		s.t.Fatal("fakeslack: no views.open came")
	}
	return View{}
}

// Submission is a modal a user submits.
type Submission struct {
	Team, User, UserName string
	View                 View              // as opened
	Values               map[string]string // action_id -> typed text; an input left out keeps its initial value
}

// SendViewSubmission sends the view_submission envelope of a submitted modal on the live
// connection. Slack wants it acknowledged within 3 seconds; an empty acknowledgement closes
// the modal.
func (s *Server) SendViewSubmission(sub Submission) Sent {
	s.t.Helper()
	return Sent{EnvelopeID: s.send("interactive", ViewSubmissionPayload(sub), false)}
}

// ViewSubmissionPayload is the view_submission payload Slack sends when sub is submitted:
// the view with its private_metadata and callback_id, and state.values holding each input
// block's value by block_id and action_id.
func ViewSubmissionPayload(sub Submission) map[string]any {
	values := map[string]any{}
	for _, b := range sub.View.View.Blocks.BlockSet {
		in, ok := b.(*slack.InputBlock)
		if !ok {
			continue
		}
		el, ok := in.Element.(*slack.PlainTextInputBlockElement)
		if !ok {
			continue
		}
		v, typed := sub.Values[el.ActionID]
		if !typed {
			v = el.InitialValue
		}
		values[in.BlockID] = map[string]any{el.ActionID: map[string]any{"type": "plain_text_input", "value": v}}
	}
	v := sub.View.View
	title := ""
	if v.Title != nil {
		title = v.Title.Text
	}
	return map[string]any{
		"type":       "view_submission",
		"team":       map[string]any{"id": sub.Team, "domain": "study"},
		"user":       map[string]any{"id": sub.User, "username": sub.UserName, "name": sub.UserName, "team_id": sub.Team},
		"api_app_id": "A0STUDY",
		"token":      "verification-token",
		"trigger_id": "13345224609.738474920.8088930838d88f008e1",
		"view": map[string]any{
			"id": "V0STUDY", "team_id": sub.Team, "type": "modal", "callback_id": v.CallbackID,
			"private_metadata": v.PrivateMetadata, "title": map[string]any{"type": "plain_text", "text": title},
			"state": map[string]any{"values": values}, "hash": "1700000000.abcdef", "app_id": "A0STUDY", "bot_id": "B0STUDY",
		},
		"response_urls":         []any{},
		"is_enterprise_install": false,
	}
}

// NewResponseURL returns a fresh response_url and the id to wait on.
func (s *Server) NewResponseURL() (string, string) {
	id := strconv.FormatInt(s.nextID.Add(1), 10)
	s.mu.Lock()
	s.responses[id] = make(chan Message, 5)
	s.mu.Unlock()
	return s.srv.URL + "/response/" + id, id
}

// WaitResponse waits for a POST to the response_url with the given id.
func (s *Server) WaitResponse(id string) Message {
	s.t.Helper()
	s.mu.Lock()
	ch := s.responses[id]
	s.mu.Unlock()
	select {
	case m := <-ch:
		return m
	case <-time.After(waitLimit):
		s.t.Fatalf("fakeslack: nothing came to response_url %s", id)
	}
	return Message{}
}

// Response returns what was posted to the response_url with the given id, without waiting;
// ok is false when nothing was.
func (s *Server) Response(id string) (m Message, ok bool) {
	s.mu.Lock()
	ch := s.responses[id]
	s.mu.Unlock()
	select {
	case m = <-ch:
		return m, true
	default:
		return Message{}, false
	}
}

// Command is a slash command to send.
type Command struct {
	Team, Channel, User, UserName, Text string
	// Enterprise is the Enterprise Grid org the workspace belongs to ("" for none);
	// OrgInstall says the app is installed org-wide.
	Enterprise string
	OrgInstall bool
}

// Sent says where to wait for what a sent envelope causes.
type Sent struct {
	EnvelopeID string
	ResponseID string // for WaitResponse
}

// SendCommand sends a slash_commands envelope on the live connection.
func (s *Server) SendCommand(c Command) Sent {
	s.t.Helper()
	respURL, respID := s.NewResponseURL()
	payload := map[string]any{
		"token": "verification-token", "team_id": c.Team, "team_domain": "study",
		"channel_id": c.Channel, "channel_name": "general", "user_id": c.User, "user_name": c.UserName,
		"command": "/roadmap", "text": c.Text, "api_app_id": "A0STUDY", "is_enterprise_install": strconv.FormatBool(c.OrgInstall),
		"response_url": respURL, "trigger_id": fmt.Sprintf("%d.738474920.8088930838d88f008e0", s.nextID.Add(1)),
	}
	if c.Enterprise != "" {
		payload["enterprise_id"], payload["enterprise_name"] = c.Enterprise, "Study Org"
	}
	id := s.send("slash_commands", payload, true)
	return Sent{EnvelopeID: id, ResponseID: respID}
}

// Press is a button press to send.
type Press struct {
	Team, Channel, User, UserName string
	ActionID, Value, Label        string
	// Enterprise is the Enterprise Grid org ("" for none). With OrgInstall (an org-wide
	// install) the payload's team is null and the user's team_id is the org's ID, as Slack
	// documents for block_actions payloads.
	Enterprise string
	OrgInstall bool
	// TriggerID is the press's trigger_id, which opens one modal; "" gives each press sent
	// with SendPress its own.
	TriggerID string
}

// SendPress sends an interactive block_actions envelope on the live connection.
func (s *Server) SendPress(p Press) Sent {
	s.t.Helper()
	respURL, respID := s.NewResponseURL()
	if p.TriggerID == "" {
		p.TriggerID = fmt.Sprintf("%d.738474920.8088930838d88f008e0", s.nextID.Add(1))
	}
	id := s.send("interactive", BlockActionsPayload(p, respURL), false)
	return Sent{EnvelopeID: id, ResponseID: respID}
}

// BlockActionsPayload is the block_actions payload Slack sends for a button press.
func BlockActionsPayload(p Press, responseURL string) map[string]any {
	team := map[string]any{"id": p.Team, "domain": "study"}
	userTeam := p.Team
	if p.Enterprise != "" {
		team["enterprise_id"], team["enterprise_name"] = p.Enterprise, "Study Org"
	}
	payload := map[string]any{
		"type":         "block_actions",
		"team":         team,
		"user":         map[string]any{"id": p.User, "username": p.UserName, "name": p.UserName, "team_id": userTeam},
		"api_app_id":   "A0STUDY",
		"token":        "verification-token",
		"container":    map[string]any{"type": "message", "message_ts": "1700000000.000100", "channel_id": p.Channel, "is_ephemeral": true},
		"trigger_id":   cmp.Or(p.TriggerID, "13345224609.738474920.8088930838d88f008e0"),
		"channel":      map[string]any{"id": p.Channel, "name": "general"},
		"response_url": responseURL,
		"actions": []map[string]any{{
			"action_id": p.ActionID, "block_id": "b1", "value": p.Value, "type": "button",
			"text":      map[string]any{"type": "plain_text", "text": p.Label, "emoji": true},
			"action_ts": "1700000001.000200",
		}},
		"state": map[string]any{"values": map[string]any{}},
	}
	if p.Enterprise != "" {
		payload["enterprise"] = map[string]any{"id": p.Enterprise, "name": "Study Org"}
		payload["is_enterprise_install"] = p.OrgInstall
	}
	if p.OrgInstall {
		payload["team"] = nil
		payload["user"].(map[string]any)["team_id"] = p.Enterprise
	}
	return payload
}

// Reasons Slack gives in a disconnect message.
const (
	// DisconnectWarning comes about ten seconds before Slack drops the connection.
	DisconnectWarning = "warning"
	// DisconnectRefresh comes when Slack moves the connection to another server.
	DisconnectRefresh = "refresh_requested"
	// DisconnectLinkDisabled comes when Socket Mode is turned off for the app.
	DisconnectLinkDisabled = "link_disabled"
)

// SendDisconnect sends a disconnect message with reason (one of the Disconnect constants)
// on the live connection, as Slack does before it drops or rotates a connection.
func (s *Server) SendDisconnect(reason string) {
	s.t.Helper()
	msg, _ := json.Marshal(map[string]any{"type": "disconnect", "reason": reason,
		"debug_info": map[string]any{"host": "fakeslack"}})
	if err := s.live().write(msg); err != nil {
		s.t.Fatalf("fakeslack: send disconnect: %v", err)
	}
}

// SendEvent sends an events_api envelope carrying event (the inner event, e.g.
// {"type": "app_home_opened", …}) for team, as Slack does for an app subscribed to it.
// Slack wants such an envelope acknowledged without a payload.
func (s *Server) SendEvent(team string, event map[string]any) Sent {
	s.t.Helper()
	return Sent{EnvelopeID: s.send("events_api", s.EventPayload(team, event), false)}
}

// EventPayload is the event_callback Slack wraps event in for team: the payload of an
// events_api envelope, and the JSON body of an Events API request in HTTP mode.
func (s *Server) EventPayload(team string, event map[string]any) map[string]any {
	return map[string]any{
		"token": "verification-token", "team_id": team, "api_app_id": "A0STUDY",
		"type": "event_callback", "event_id": fmt.Sprintf("Ev%d", s.nextID.Add(1)),
		"event_time": 1700000000, "event": event,
		"authorizations": []any{map[string]any{"team_id": team, "user_id": "U0STUDYBOT", "is_bot": true}},
	}
}

// Uninstalled is the app_uninstalled event: the workspace removed the app.
func Uninstalled() map[string]any { return map[string]any{"type": "app_uninstalled"} }

// TokensRevoked is the tokens_revoked event for the bot user's token (bot) or a user's
// (oauth). Slack sends user IDs, never the tokens.
func TokensRevoked(bot, oauth []string) map[string]any {
	tokens := map[string]any{}
	if bot != nil {
		tokens["bot"] = bot
	}
	if oauth != nil {
		tokens["oauth"] = oauth
	}
	return map[string]any{"type": "tokens_revoked", "tokens": tokens}
}

// TakePosts returns the chat.postMessage calls made so far that nobody waited for, without
// waiting.
func (s *Server) TakePosts() []Post {
	var out []Post
	for {
		select {
		case p := <-s.posts:
			out = append(out, p)
		default:
			return out
		}
	}
}

// TakeOpened returns the users of the conversations.open calls made so far that nobody
// waited for, without waiting.
func (s *Server) TakeOpened() []string {
	var out []string
	for {
		select {
		case u := <-s.opened:
			out = append(out, u)
		default:
			return out
		}
	}
}

// WaitAck waits for the acknowledgement of an envelope.
func (s *Server) WaitAck(envelopeID string) Ack {
	s.t.Helper()
	ch := s.ackChan(envelopeID)
	select {
	case a := <-ch:
		return a
	case <-time.After(waitLimit):
		s.t.Fatalf("fakeslack: envelope %s was never acknowledged", envelopeID)
	}
	return Ack{}
}

func (s *Server) ackChan(id string) chan Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.acks[id]
	if !ok {
		ch = make(chan Ack, 2)
		s.acks[id] = ch
	}
	return ch
}

func (s *Server) live() *wsConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		s.t.Fatal("fakeslack: no live connection")
	}
	return s.conn
}

// send writes an envelope and returns its id.
func (s *Server) send(kind string, payload any, acceptsResponse bool) string {
	id := fmt.Sprintf("env-%d", s.nextID.Add(1))
	msg, err := json.Marshal(map[string]any{
		"envelope_id": id, "type": kind, "payload": payload, "accepts_response_payload": acceptsResponse,
	})
	if err != nil {
		s.t.Fatal(err)
	}
	s.ackChan(id) // registered before the ack can arrive
	c := s.live()
	s.mu.Lock()
	s.sent[id] = time.Now()
	s.mu.Unlock()
	if err := c.write(msg); err != nil {
		s.t.Fatalf("fakeslack: send %s: %v", kind, err)
	}
	return id
}

func (s *Server) sentTime(id string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.sent[id]
	delete(s.sent, id)
	return t
}

// socket is the Socket Mode websocket: hello, pings every second, acks recorded.
func (s *Server) socket(w http.ResponseWriter, r *http.Request) {
	c, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	conn := &wsConn{c: c}
	c.SetPongHandler(func(string) error { s.pongs.Add(1); return nil })
	s.mu.Lock()
	s.conn = conn
	s.conns = append(s.conns, conn)
	n := len(s.conns)
	s.mu.Unlock()

	hello, _ := json.Marshal(map[string]any{
		"type": "hello", "num_connections": 1,
		"debug_info":      map[string]any{"host": "fakeslack", "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": "A0STUDY"},
	})
	if conn.write(hello) != nil {
		return
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		// Slack pings the client; slack-go reconnects when pings stop.
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			if c.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second)) != nil {
				return
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	select {
	case s.connected <- n:
	default: // nobody is counting connections
	}

	for {
		_, data, err := c.ReadMessage()
		received := time.Now()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			s.t.Errorf("fakeslack: unreadable message from the client: %q", data)
			continue
		}
		s.ackChan(ack.EnvelopeID) <- Ack{EnvelopeID: ack.EnvelopeID, Payload: ack.Payload,
			Sent: s.sentTime(ack.EnvelopeID), Received: received}
	}
}

// response records a POST to a response_url.
func (s *Server) response(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m, err := ParseMessage(body)
	if err != nil {
		s.t.Errorf("fakeslack: bad response_url body: %v", err)
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	ch := s.responses[r.PathValue("id")]
	s.mu.Unlock()
	if ch == nil {
		http.Error(w, "unknown response_url", http.StatusNotFound)
		return
	}
	ch <- m
	w.Write([]byte("ok"))
}

// receiveUpload is the URL files.getUploadURLExternal hands out: it takes the file's bytes,
// raw or as the multipart "file" field slack-go sends, and checks they are as long as
// announced.
func (s *Server) receiveUpload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var data []byte
	var err error
	if mt, params, perr := mime.ParseMediaType(r.Header.Get("Content-Type")); perr == nil && mt == "multipart/form-data" {
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			part, perr := mr.NextPart()
			if perr != nil {
				if perr != io.EOF {
					err = perr
				}
				break
			}
			if part.FormName() == "file" {
				data, err = io.ReadAll(part)
			}
		}
	} else {
		data, err = io.ReadAll(r.Body)
	}
	s.mu.Lock()
	p, ok := s.pending[id]
	switch {
	case !ok:
		s.mu.Unlock()
		http.Error(w, "unknown upload", http.StatusNotFound)
		return
	case err != nil || len(data) != p.length:
		s.mu.Unlock()
		s.t.Errorf("fakeslack: upload %s got %d bytes (err %v), files.getUploadURLExternal announced %d", id, len(data), err, p.length)
		http.Error(w, "bad upload", http.StatusBadRequest)
		return
	}
	p.data, p.received = data, true
	s.mu.Unlock()
	w.Write([]byte("OK - " + strconv.Itoa(len(data))))
}

// ParseMessage reads an answer as Slack would.
func ParseMessage(body []byte) (Message, error) {
	var m Message
	if err := json.Unmarshal(body, &m); err != nil {
		return Message{}, err
	}
	m.Raw = append(json.RawMessage(nil), body...)
	return m, nil
}

// api answers Web API methods.
func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	token := r.PostForm.Get("token")
	if h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		token = h
	}
	want := BotToken
	if method == "apps.connections.open" {
		want = AppToken
	}
	if token != want {
		s.mu.Lock()
		s.badTokens = append(s.badTokens, method)
		s.mu.Unlock()
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	switch method {
	case "apps.connections.open":
		n := s.opens.Add(1)
		writeJSON(w, map[string]any{"ok": true, "url": fmt.Sprintf("ws%s/link?ticket=%d", strings.TrimPrefix(s.srv.URL, "http"), n)})
	case "users.info":
		s.userCalls.Add(1)
		s.mu.Lock()
		hold := s.userHold
		s.mu.Unlock()
		if hold != nil {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		s.mu.Lock()
		u, ok := s.users[r.PostForm.Get("user")]
		failure := s.userFailure
		s.mu.Unlock()
		switch {
		case failure != "":
			writeJSON(w, map[string]any{"ok": false, "error": failure})
		case !ok:
			writeJSON(w, map[string]any{"ok": false, "error": "user_not_found"})
		default:
			writeJSON(w, map[string]any{"ok": true, "user": u})
		}
	case "files.getUploadURLExternal":
		length, err := strconv.Atoi(r.PostForm.Get("length"))
		name := r.PostForm.Get("filename")
		if err != nil || length <= 0 || name == "" {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments"})
			return
		}
		id := fmt.Sprintf("F%07d", s.nextID.Add(1))
		s.mu.Lock()
		s.pending[id] = &pendingUpload{filename: name, length: length}
		s.mu.Unlock()
		writeJSON(w, map[string]any{"ok": true, "upload_url": s.srv.URL + "/upload/" + id, "file_id": id})
	case "files.completeUploadExternal":
		var files []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		}
		if json.Unmarshal([]byte(r.PostForm.Get("files")), &files) != nil || len(files) == 0 {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments"})
			return
		}
		channel := r.PostForm.Get("channel_id")
		var done []Upload
		s.mu.Lock()
		for _, f := range files {
			p, ok := s.pending[f.ID]
			if !ok || !p.received {
				s.mu.Unlock()
				writeJSON(w, map[string]any{"ok": false, "error": "file_not_found"})
				return
			}
			done = append(done, Upload{FileID: f.ID, Filename: p.filename, Title: f.Title, Channel: channel, Data: p.data})
		}
		for _, f := range files {
			delete(s.pending, f.ID)
		}
		s.mu.Unlock()
		out := []any{}
		for _, u := range done {
			s.uploads <- u
			out = append(out, map[string]any{"id": u.FileID, "title": u.Title})
		}
		writeJSON(w, map[string]any{"ok": true, "files": out})
	case "views.open":
		body, _ := io.ReadAll(r.Body)
		var req struct {
			TriggerID string          `json:"trigger_id"`
			View      json.RawMessage `json:"view"`
		}
		if json.Unmarshal(body, &req) != nil || req.TriggerID == "" {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments"})
			return
		}
		var view slack.ModalViewRequest
		if err := json.Unmarshal(req.View, &view); err != nil {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments"})
			return
		}
		s.mu.Lock()
		used := s.triggers[req.TriggerID]
		s.triggers[req.TriggerID] = true
		s.mu.Unlock()
		if used {
			writeJSON(w, map[string]any{"ok": false, "error": "exchanged_trigger_id"})
			return
		}
		if problem := checkModal(view); problem != "" {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments",
				"response_metadata": map[string]any{"messages": []string{"[ERROR] " + problem}}})
			return
		}
		s.views <- View{TriggerID: req.TriggerID, View: view, Raw: req.View}
		writeJSON(w, map[string]any{"ok": true, "view": map[string]any{"id": "V0STUDY", "type": "modal",
			"callback_id": view.CallbackID, "private_metadata": view.PrivateMetadata}})
	case "conversations.open":
		user := r.PostForm.Get("users")
		s.opened <- user
		writeJSON(w, map[string]any{"ok": true, "channel": map[string]any{"id": "D" + user}})
	case "chat.postMessage":
		s.mu.Lock()
		var fail *Failure
		if len(s.postFails) > 0 {
			fail = &s.postFails[0]
			s.postFails = s.postFails[1:]
		}
		s.mu.Unlock()
		s.posts <- Post{Channel: r.PostForm.Get("channel"), Text: r.PostForm.Get("text"),
			Blocks: json.RawMessage(r.PostForm.Get("blocks")), Form: r.PostForm}
		switch {
		case fail == nil:
			writeJSON(w, map[string]any{"ok": true, "channel": r.PostForm.Get("channel"), "ts": "1700000000.000100"})
		case fail.Status != 0:
			if fail.RetryAfter != "" {
				w.Header().Set("Retry-After", fail.RetryAfter)
			}
			http.Error(w, http.StatusText(fail.Status), fail.Status)
		default:
			writeJSON(w, map[string]any{"ok": false, "error": fail.Error})
		}
	default:
		writeJSON(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

// checkModal holds a modal to Slack's limits: a plain_text title of at most 24 characters,
// submit and close of at most 24, private_metadata of at most 3000, and plain_text_input
// elements within their own (initial_value within max_length, at most 3000; a placeholder of
// at most 150). It returns what is wrong, "" when nothing is.
func checkModal(v slack.ModalViewRequest) string {
	runes := func(t *slack.TextBlockObject) int {
		if t == nil {
			return 0
		}
		return len([]rune(t.Text))
	}
	switch {
	case v.Type != slack.VTModal:
		return "view type must be modal"
	case v.Title == nil || runes(v.Title) == 0 || runes(v.Title) > 24:
		return "title must be 1 to 24 characters"
	case runes(v.Submit) > 24 || runes(v.Close) > 24:
		return "submit and close must be at most 24 characters"
	case len(v.PrivateMetadata) > 3000:
		return "private_metadata must be at most 3000 characters"
	}
	inputs := 0
	for _, b := range v.Blocks.BlockSet {
		in, ok := b.(*slack.InputBlock)
		if !ok {
			continue
		}
		inputs++
		el, ok := in.Element.(*slack.PlainTextInputBlockElement)
		if !ok {
			continue
		}
		max := el.MaxLength
		if max == 0 {
			max = 3000
		}
		switch {
		case max > 3000:
			return "max_length must be at most 3000"
		case len([]rune(el.InitialValue)) > max:
			return "initial_value is longer than max_length"
		case runes(el.Placeholder) > 150:
			return "placeholder must be at most 150 characters"
		}
	}
	if v.Submit == nil && inputs > 0 {
		return "a modal with inputs needs a submit button"
	}
	return ""
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
