package discordtest

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"maps"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// gatewayClient is a bare gateway client: it speaks the wire protocol without discordgo, so
// the fake's own rules can be checked.
type gatewayClient struct {
	t  *testing.T
	ws *websocket.Conn
}

func dialGateway(t *testing.T, s *Server) *gatewayClient {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.APIURL()+"/gateway/bot", nil)
	req.Header.Set("Authorization", "Bot "+s.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		URL string `json:"url"`
	}
	json.NewDecoder(resp.Body).Decode(&g)
	resp.Body.Close()
	ws, _, err := websocket.DefaultDialer.Dial(g.URL+"/?v=10&encoding=json", nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &gatewayClient{t: t, ws: ws}
	t.Cleanup(func() { ws.Close() })
	if p := c.read(); p.Op != OpHello {
		t.Fatalf("first payload op %d, want HELLO", p.Op)
	}
	return c
}

type payload struct {
	Op int             `json:"op"`
	T  string          `json:"t"`
	D  json.RawMessage `json:"d"`
}

func (c *gatewayClient) read() payload {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var p payload
	if err := c.ws.ReadJSON(&p); err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return p
}

func (c *gatewayClient) send(op int, d any) {
	c.t.Helper()
	if err := c.ws.WriteJSON(map[string]any{"op": op, "d": d}); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func TestReadyCarriesTheSessionAndResumeURL(t *testing.T) {
	s := Start("tok")
	defer s.Close()
	c := dialGateway(t, s)
	c.send(OpIdentify, map[string]any{"token": "Bot tok", "intents": 0, "properties": map[string]string{}})
	p := c.read()
	var ready struct {
		SessionID        string `json:"session_id"`
		ResumeGatewayURL string `json:"resume_gateway_url"`
	}
	json.Unmarshal(p.D, &ready)
	if p.T != "READY" || ready.SessionID == "" || !strings.HasPrefix(ready.ResumeGatewayURL, "ws://") {
		t.Errorf("READY %s, want a session_id and a resume_gateway_url", p.D)
	}
}

// Discord ends a session whose connection the client closed with 1000 or 1001; any other
// close (1012 after op 7, a dropped connection) leaves it resumable.
func TestClosingWithANormalCodeEndsTheSession(t *testing.T) {
	for _, tc := range []struct {
		name      string
		code      int
		resumable bool
	}{
		{"1000 normal closure", websocket.CloseNormalClosure, false},
		{"1001 going away", websocket.CloseGoingAway, false},
		{"1012 service restart", websocket.CloseServiceRestart, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Start("tok")
			defer s.Close()
			c := dialGateway(t, s)
			c.send(OpIdentify, map[string]any{"token": "Bot tok", "intents": 0, "properties": map[string]string{}})
			var ready struct {
				SessionID string `json:"session_id"`
			}
			json.Unmarshal(c.read().D, &ready)
			c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(tc.code, ""))
			if !s.AwaitDisconnect(10 * time.Second) {
				t.Fatal("the fake kept the closed connection as its session")
			}
			c.ws.Close()

			c = dialGateway(t, s)
			c.send(OpResume, map[string]any{"token": "Bot tok", "session_id": ready.SessionID, "seq": 1})
			p := c.read()
			if resumed := p.Op == OpDispatch && p.T == "RESUMED"; resumed != tc.resumable {
				t.Errorf("RESUME after close %d answered op %d %s, want resumable=%v", tc.code, p.Op, p.T, tc.resumable)
			}
		})
	}
}

func (c *gatewayClient) identify(shard, count int, compress bool) {
	c.t.Helper()
	c.send(OpIdentify, map[string]any{"token": "Bot tok", "intents": 0, "properties": map[string]string{},
		"shard": []int{shard, count}, "compress": compress})
}

// Discord lets one IDENTIFY through per rate-limit bucket (shard % max_concurrency) per
// interval, and answers the others with op 9, not resumable.
func TestIdentifiesOfOneBucketTooCloseTogetherAreRefused(t *testing.T) {
	s := Start("tok")
	defer s.Close()
	s.SetStartLimit(StartLimit{Total: 1000, Remaining: 1000, MaxConcurrency: 2})
	s.SetIdentifyInterval(time.Hour)
	for _, tc := range []struct {
		shard  int
		accept bool
	}{
		{0, true},  // bucket 0
		{1, true},  // bucket 1
		{2, false}, // bucket 0 again
	} {
		c := dialGateway(t, s)
		c.identify(tc.shard, 4, false)
		p := c.read()
		if accepted := p.Op == OpDispatch && p.T == "READY"; accepted != tc.accept {
			t.Errorf("shard %d: answered op %d %s %s, want READY=%v", tc.shard, p.Op, p.T, p.D, tc.accept)
		}
		if !tc.accept && string(p.D) != "false" {
			t.Errorf("op 9 d=%s, want false", p.D)
		}
	}
	if n := s.InvalidSessions(); n != 1 {
		t.Errorf("InvalidSessions() = %d, want 1", n)
	}
}

// A client that identifies with compress: true gets READY as one binary frame holding a
// whole zlib stream, which discordgo inflates message by message.
func TestReadyIsZlibCompressedWhenTheClientAsks(t *testing.T) {
	s := Start("tok")
	defer s.Close()
	c := dialGateway(t, s)
	c.identify(0, 1, true)
	c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	mt, raw, err := c.ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if mt != websocket.BinaryMessage {
		t.Fatalf("READY came as message type %d, want binary", mt)
	}
	z, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var p payload
	if err := json.NewDecoder(z).Decode(&p); err != nil || p.T != "READY" {
		t.Errorf("inflated %+v (%v), want READY", p, err)
	}
}

// restCall sends one REST request with the bot token and returns the status and body.
func restCall(t *testing.T, s *Server, method, path string, body any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.APIURL()+path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bot "+s.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// connected starts a fake with one READY session, so interactions can be sent.
func connected(t *testing.T) *Server {
	t.Helper()
	s := Start("tok")
	t.Cleanup(s.Close)
	c := dialGateway(t, s)
	c.identify(0, 1, false)
	if p := c.read(); p.T != "READY" {
		t.Fatalf("got %+v, want READY", p)
	}
	return s
}

func TestTheFirstAnswerMustComeInsideTheResponseWindow(t *testing.T) {
	s := connected(t)
	s.SetResponseWindow(20 * time.Millisecond)
	id, err := s.Command("600000000000000001", "700000000000000001", User{ID: "400000000000000001", Username: "a"}, Sub("next"))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond) // real time is what this rule is about
	status, out := restCall(t, s, http.MethodPost, "/interactions/"+id+"/"+s.InteractionToken(id)+"/callback",
		map[string]any{"type": 5})
	if status != 404 || out["code"] != 10062.0 {
		t.Errorf("a callback after the window answered %d %v, want 404 Unknown interaction (10062)", status, out)
	}
}

// The first follow-up after a deferral takes the deferral's visibility, whatever its flags,
// even once the placeholder was deleted; after an edit resolved the deferral, follow-ups keep
// their own flags.
func TestTheFirstFollowUpAfterADeferralKeepsItsVisibility(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before string // what happens to the public placeholder before the private follow-up
		want   []bool // Ephemeral of each message left
	}{
		{"follow-up only", "", []bool{false}},
		{"after deleting the placeholder", http.MethodDelete, []bool{false, false}},
		{"after editing the placeholder", http.MethodPatch, []bool{false, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := connected(t)
			id, err := s.Command("600000000000000001", "700000000000000001", User{ID: "400000000000000001", Username: "a"}, Sub("checkin"))
			if err != nil {
				t.Fatal(err)
			}
			token := s.InteractionToken(id)
			if status, _ := restCall(t, s, http.MethodPost, "/interactions/"+id+"/"+token+"/callback", map[string]any{"type": 5}); status != 204 {
				t.Fatalf("public deferral answered %d", status)
			}
			hook := "/webhooks/" + s.AppID + "/" + token
			if tc.before != "" {
				restCall(t, s, tc.before, hook+"/messages/@original", map[string]any{"content": "placeholder"})
			}
			restCall(t, s, http.MethodPost, hook, map[string]any{"content": "private answer", "flags": 64})
			var got []bool
			for _, m := range s.Messages(id) {
				got = append(got, m.Ephemeral)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("messages ephemeral %v, want %v", got, tc.want)
			}
		})
	}
}

func TestInteractionsGoToTheShardOfTheirGuild(t *testing.T) {
	s := Start("tok")
	defer s.Close()
	clients := make([]*gatewayClient, 2)
	for shard := range clients {
		clients[shard] = dialGateway(t, s)
		clients[shard].identify(shard, 2, false)
		if p := clients[shard].read(); p.T != "READY" {
			t.Fatalf("shard %d: %+v", shard, p)
		}
	}
	// Consecutive values of guild_id >> 22 alternate between the two shards.
	for _, guild := range []string{"600000000000000001", "600000000004194305"} {
		want := ShardOf(guild, 2)
		if _, err := s.Command(guild, "700000000000000001", User{ID: "400000000000000001", Username: "a"}, Sub("next")); err != nil {
			t.Fatal(err)
		}
		var in struct {
			GuildID string `json:"guild_id"`
		}
		p := clients[want].read()
		json.Unmarshal(p.D, &in)
		if p.T != "INTERACTION_CREATE" || in.GuildID != guild {
			t.Errorf("shard %d got %s %s, want guild %s's interaction", want, p.T, p.D, guild)
		}
	}
}

// multipartCall posts a multipart/form-data body with payload_json and the given files
// (field name -> content) to path.
func multipartCall(t *testing.T, s *Server, path string, payload any, files map[string]string) (int, map[string]any) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	raw, _ := json.Marshal(payload)
	w.WriteField("payload_json", string(raw))
	for _, field := range slices.Sorted(maps.Keys(files)) {
		fw, _ := w.CreateFormFile(field, "upload-"+field+".bin")
		fw.Write([]byte(files[field]))
	}
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, s.APIURL()+path, &body)
	req.Header.Set("Authorization", "Bot "+s.Token)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestUploadsAreMatchedWithTheAttachmentsArrayLikeDiscordDoes(t *testing.T) {
	s := Start("tok")
	t.Cleanup(s.Close)
	msg := func(attachments ...map[string]any) map[string]any {
		return map[string]any{"embeds": []any{map[string]any{"image": map[string]any{"url": "attachment://card.png"}}},
			"attachments": attachments}
	}
	status, _ := multipartCall(t, s, "/channels/700000000000000001/messages",
		msg(map[string]any{"id": 0, "filename": "card.png"}), map[string]string{"files[0]": "png bytes"})
	if status != http.StatusOK {
		t.Fatalf("a matched upload answered %d", status)
	}
	r := s.Requests()[0]
	if f, ok := r.EmbedImage(); !ok || f.Name != "card.png" || string(f.Data) != "png bytes" {
		t.Errorf("the embed's image is %+v (%v), want the upload named by its attachments entry", f, ok)
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		files map[string]string
	}{
		{"an attachments entry without its file", msg(map[string]any{"id": 1, "filename": "card.png"}), map[string]string{"files[0]": "x"}},
		{"a file without its attachments entry", msg(map[string]any{"id": 0, "filename": "card.png"}),
			map[string]string{"files[0]": "x", "files[1]": "y"}},
		{"a field that is not a file", msg(), map[string]string{"file": "x"}},
	} {
		if status, _ := multipartCall(t, s, "/channels/700000000000000001/messages", tc.body, tc.files); status != http.StatusBadRequest {
			t.Errorf("%s: answered %d, want 400", tc.name, status)
		}
	}
}

func TestAModalAnswersACommandOnceAndComesBackAsASubmission(t *testing.T) {
	s := connected(t)
	u := User{ID: "400000000000000001", Username: "a"}
	id, err := s.Command("600000000000000001", "700000000000000001", u, Sub("note"))
	if err != nil {
		t.Fatal(err)
	}
	modal := func(title string) map[string]any {
		return map[string]any{"type": 9, "data": map[string]any{"custom_id": "modal:x", "title": title,
			"components": []any{map[string]any{"type": 1, "components": []any{
				map[string]any{"type": 4, "custom_id": "text", "label": "Note", "style": 2, "value": "old"}}}}}}
	}
	path := "/interactions/" + id + "/" + s.InteractionToken(id) + "/callback"
	if status, _ := restCall(t, s, http.MethodPost, path, modal(strings.Repeat("t", 46))); status != http.StatusBadRequest {
		t.Errorf("a 46-character title answered %d, want 400", status)
	}
	if status, _ := restCall(t, s, http.MethodPost, path, modal("Note")); status != http.StatusNoContent {
		t.Fatalf("a valid modal answered %d", status)
	}
	m, ok := s.AwaitModal(id, time.Second)
	if !ok || m.CustomID != "modal:x" || len(m.Inputs) != 1 || m.Inputs[0].Value != "old" {
		t.Fatalf("modal %+v", m)
	}
	sub, err := s.SubmitModal("600000000000000001", "700000000000000001", u, m, map[string]string{"text": "new"})
	if err != nil {
		t.Fatal(err)
	}
	// A modal cannot answer a modal submission.
	if status, _ := restCall(t, s, http.MethodPost, "/interactions/"+sub+"/"+s.InteractionToken(sub)+"/callback", modal("Again")); status != http.StatusBadRequest {
		t.Errorf("a modal answering a submission got %d, want 400", status)
	}
}
