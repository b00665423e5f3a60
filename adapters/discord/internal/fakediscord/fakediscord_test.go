package fakediscord

import (
	"encoding/json"
	"net/http"
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
