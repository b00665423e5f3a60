package slack_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	slackadapter "github.com/studybot/studybot/adapters/slack"
	"github.com/studybot/studybot/adapters/slack/internal/fakeslack"
	"github.com/studybot/studybot/bot"
)

const secret = "test-signing-secret"

// serveHTTP mounts HTTP mode the way cmd/studybot does and returns the server's URL.
func (w *world) serveHTTP() string {
	w.t.Helper()
	h, err := w.adapter.HTTP()
	if err != nil {
		w.t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", h.Commands())
	mux.Handle("POST /slack/interactions", h.Interactions())
	srv := httptest.NewServer(mux)
	w.t.Cleanup(srv.Close)
	return srv.URL
}

// signed is an HTTP request from Slack, signed with secret at ts unless told otherwise.
type signed struct {
	path      string
	body      string
	ts        string
	signature string // "" computes the right one; "-" sends none
	chunked   bool   // send without a Content-Length
}

func (w *world) post(r signed) (*http.Response, []byte) {
	w.t.Helper()
	if r.ts == "" {
		r.ts = strconv.FormatInt(w.clock.Now().Unix(), 10)
	}
	req, err := http.NewRequest(http.MethodPost, r.path, strings.NewReader(r.body))
	if err != nil {
		w.t.Fatal(err)
	}
	if r.chunked {
		req.ContentLength = -1
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(slackadapter.HeaderTimestamp, r.ts)
	switch r.signature {
	case "":
		req.Header.Set(slackadapter.HeaderSignature, signature(secret, r.ts, r.body))
	case "-":
	default:
		req.Header.Set(slackadapter.HeaderSignature, r.signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// signature is Slack's v0 scheme, written out here independently of the adapter's.
func signature(secret, ts, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, "v0:"+ts+":"+body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

func commandForm(w *world, userID, text string) (string, string) {
	respURL, respID := w.fake.NewResponseURL()
	return url.Values{
		"token": {"verification-token"}, "team_id": {team}, "team_domain": {"study"},
		"channel_id": {channel}, "channel_name": {"general"}, "user_id": {userID}, "user_name": {"ada"},
		"command": {"/roadmap"}, "text": {text}, "api_app_id": {"A0STUDY"}, "response_url": {respURL},
		"trigger_id": {"1.2.3"},
	}.Encode(), respID
}

func TestHTTPCommandWithAGoodSignatureIsAnswered(t *testing.T) {
	w := newWorld(t, options{signingSecret: secret})
	base := w.serveHTTP()

	body, _ := commandForm(w, "U0LEARNER", "next")
	resp, out := w.post(signed{path: base + "/slack/commands", body: body})

	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, out)
	}
	m, err := fakeslack.ParseMessage(out)
	if err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, out)
	}
	if m.ResponseType != "ephemeral" || !strings.Contains(allText(t, m.Raw), "lesson 1 of 1 · Internet basics") {
		t.Errorf("answer: %s", out)
	}
	assertNoMentions(t, m.Raw)
}

func TestHTTPRefusesUnsignedStaleAndOversizedRequestsWithoutChangingAnything(t *testing.T) {
	w := newWorld(t, options{signingSecret: secret})
	base := w.serveHTTP()
	now := w.clock.Now()
	done, _ := commandForm(w, "U0LEARNER", "done")
	huge := done + "&pad=" + strings.Repeat("a", slackadapter.MaxBodyBytes)

	for _, tc := range []struct {
		name string
		req  signed
		want int
	}{
		{"wrong signature", signed{body: done, signature: signature("not-the-secret", strconv.FormatInt(now.Unix(), 10), done)}, http.StatusUnauthorized},
		{"garbage signature", signed{body: done, signature: "v0=zz"}, http.StatusUnauthorized},
		{"missing signature", signed{body: done, signature: "-"}, http.StatusUnauthorized},
		{"stale timestamp, signed correctly", signed{body: done, ts: strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10)}, http.StatusUnauthorized},
		{"timestamp from the future", signed{body: done, ts: strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10)}, http.StatusUnauthorized},
		{"body over 1 MiB, signed correctly", signed{body: huge}, http.StatusRequestEntityTooLarge},
		{"body over 1 MiB without a length", signed{body: huge, chunked: true}, http.StatusRequestEntityTooLarge},
		{"tampered body", signed{body: done, signature: signature(secret, strconv.FormatInt(now.Unix(), 10), done+"x")}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/slack/commands", "/slack/interactions"} {
				tc.req.path = base + path
				resp, out := w.post(tc.req)
				if resp.StatusCode != tc.want {
					t.Errorf("%s: status %d (%s), want %d", path, resp.StatusCode, out, tc.want)
				}
			}
		})
	}

	if got := w.learner("U0LEARNER").State(w.first.Slug); got != bot.StateTodo {
		t.Errorf("a refused request changed the topic to %s", got)
	}
	if l := w.learner("U0LEARNER"); l.Version != 0 {
		t.Errorf("a refused request wrote the learner record: %+v", l)
	}
	if n := w.fake.UsersInfoCalls(); n != 0 {
		t.Errorf("refused requests made %d users.info calls", n)
	}

	// The same request, properly signed, does change state: the refusals above were real.
	resp, out := w.post(signed{path: base + "/slack/commands", body: done})
	if resp.StatusCode != http.StatusOK || w.learner("U0LEARNER").State(w.first.Slug) != bot.StateDone {
		t.Errorf("a good request was not carried out: %d %s", resp.StatusCode, out)
	}
}

// Slack's worked example from "Verifying requests from Slack".
const (
	docSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	docTimestamp = "1531420618"
	docBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	docSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func TestHTTPAcceptsSlacksDocumentedSigningExample(t *testing.T) {
	w := newWorld(t, options{signingSecret: docSecret})
	base := w.serveHTTP()
	secs, _ := strconv.ParseInt(docTimestamp, 10, 64)
	w.clock.Set(time.Unix(secs, 0).Add(90 * time.Second))

	resp, out := w.post(signed{path: base + "/slack/commands", body: docBody, ts: docTimestamp, signature: docSignature})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Slack's documented request was refused: %d %s", resp.StatusCode, out)
	}
	// The example's text is empty, so the core asks what to do.
	if m, err := fakeslack.ParseMessage(out); err != nil || !strings.Contains(m.Text, "/roadmap next") {
		t.Errorf("answer to the documented request: %s", out)
	}

	w.clock.Set(time.Unix(secs, 0).Add(5*time.Minute + time.Second))
	if resp, _ := w.post(signed{path: base + "/slack/commands", body: docBody, ts: docTimestamp, signature: docSignature}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the documented request replayed 5 minutes later got %d, want 401", resp.StatusCode)
	}
}

func TestHTTPButtonPressIsAcknowledgedThenAnsweredPrivately(t *testing.T) {
	w := newWorld(t, options{signingSecret: secret})
	base := w.serveHTTP()
	respURL, respID := w.fake.NewResponseURL()
	payload, _ := json.Marshal(fakeslack.BlockActionsPayload(fakeslack.Press{Team: team, Channel: channel,
		User: "U0LEARNER", UserName: "ada", ActionID: slackadapter.ActionIDPrefix + "0",
		Value: "skip " + w.first.Slug, Label: "Skip"}, respURL))
	body := url.Values{"payload": {string(payload)}}.Encode()

	resp, out := w.post(signed{path: base + "/slack/interactions", body: body})
	if resp.StatusCode != http.StatusOK || len(bytes.TrimSpace(out)) != 0 {
		t.Fatalf("interaction acknowledged with %d %q, want an empty 200", resp.StatusCode, out)
	}
	m := w.fake.WaitResponse(respID)
	if m.ResponseType != "ephemeral" || !strings.Contains(allText(t, m.Raw), "Skipped") {
		t.Errorf("button answer: %s", m.Raw)
	}
	if got := w.learner("U0LEARNER").State(w.first.Slug); got != bot.StateSkipped {
		t.Errorf("after pressing Skip the topic is %s", got)
	}
}

func TestHTTPSlowCommandGetsAnEmpty200ThenItsAnswer(t *testing.T) {
	var g *gate
	w := newWorld(t, options{signingSecret: secret, ackWithin: 20 * time.Millisecond,
		wrap: func(h slackadapter.Handler) slackadapter.Handler { g = newGate(h); return g }})
	base := w.serveHTTP()

	body, respID := commandForm(w, "U0LEARNER", "progress")
	resp, out := w.post(signed{path: base + "/slack/commands", body: body})
	if resp.StatusCode != http.StatusOK || len(out) != 0 {
		t.Fatalf("slow command acknowledged with %d %q, want an empty 200", resp.StatusCode, out)
	}
	close(g.release)
	if m := w.fake.WaitResponse(respID); !strings.Contains(allText(t, m.Raw), "Your progress") {
		t.Errorf("late answer: %s", m.Raw)
	}
}

func TestHTTPRefusesAReplayOfAValidRequest(t *testing.T) {
	w := newWorld(t, options{signingSecret: secret})
	base := w.serveHTTP()
	body, _ := commandForm(w, "U0LEARNER", "checkin")
	ts := strconv.FormatInt(w.clock.Now().Unix(), 10)
	req := signed{path: base + "/slack/commands", body: body, ts: ts}

	if resp, out := w.post(req); resp.StatusCode != http.StatusOK {
		t.Fatalf("the original request got %d %s", resp.StatusCode, out)
	}
	calls := w.fake.UsersInfoCalls()
	w.clock.Advance(time.Minute) // still inside the 5-minute window
	if resp, out := w.post(req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the same signed request sent again got %d %s, want 401", resp.StatusCode, out)
	}
	if n := w.fake.UsersInfoCalls(); n != calls {
		t.Errorf("the replay reached users.info")
	}
	// A different request at the same second is not a replay.
	other, _ := commandForm(w, "U0LEARNER", "progress")
	if resp, out := w.post(signed{path: base + "/slack/commands", body: other, ts: ts}); resp.StatusCode != http.StatusOK {
		t.Errorf("a fresh request at the same second got %d %s", resp.StatusCode, out)
	}
}
