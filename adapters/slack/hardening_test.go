package slack_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/adapters/internal/chattest"
	slackadapter "github.com/studybot/studybot/adapters/slack"
	"github.com/studybot/studybot/adapters/slack/internal/fakeslack"
	"github.com/studybot/studybot/bot"
)

func TestAdminRightsHoldOnlyInTheCommunityTheCommandBelongsTo(t *testing.T) {
	var rec *chattest.Recorder
	w := newWorld(t, options{wrap: func(h slackadapter.Handler) slackadapter.Handler { rec = &chattest.Recorder{Handler: h}; return rec }})
	w.runSocket()
	const refusal = "Only community admins"
	for _, tc := range []struct {
		name       string
		user       slack.User
		enterprise string // the org the command came from
		admin      bool
	}{
		{"an admin of an outside workspace (Slack Connect)", slack.User{TeamID: "T0EXTERNAL", IsAdmin: true}, "", false},
		{"an owner of an outside workspace", slack.User{TeamID: "T0EXTERNAL", IsOwner: true}, "", false},
		{"an admin who users.info places in no workspace", slack.User{IsAdmin: true}, "", false},
		{"an admin of another workspace of the same org", slack.User{TeamID: "T0SISTER", IsAdmin: true}, "E0ORG", false},
		{"an admin of another org", slack.User{TeamID: "T0FAR", Enterprise: slack.EnterpriseUser{EnterpriseID: "E0OTHER", IsAdmin: true}}, "E0ORG", false},
		{"an org admin, for a command from outside any org", slack.User{TeamID: "T0FAR", Enterprise: slack.EnterpriseUser{EnterpriseID: "E0ORG", IsAdmin: true}}, "", false},
		{"a member of this workspace", slack.User{TeamID: team}, "", false},
		{"an admin of this workspace", slack.User{TeamID: team, IsAdmin: true}, "", true},
		{"an owner of this workspace", slack.User{TeamID: team, IsOwner: true}, "", true},
		{"an admin of the org this workspace belongs to", slack.User{TeamID: "T0SISTER", Enterprise: slack.EnterpriseUser{EnterpriseID: "E0ORG", IsAdmin: true}}, "E0ORG", true},
		{"an owner of the org this workspace belongs to", slack.User{TeamID: "T0SISTER", Enterprise: slack.EnterpriseUser{EnterpriseID: "E0ORG", IsOwner: true}}, "E0ORG", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := tc.user
			u.ID = fmt.Sprintf("U0CASE%d", time.Now().UnixNano()%1e9)
			u.Profile.DisplayName = "case"
			w.fake.SetUser(u)
			sent := w.fake.SendCommand(fakeslack.Command{Team: team, Enterprise: tc.enterprise, Channel: channel,
				User: u.ID, UserName: "case", Text: "nudge status"})
			ack := w.fake.WaitAck(sent.EnvelopeID)
			m, err := fakeslack.ParseMessage(ack.Payload)
			if err != nil {
				t.Fatal(err)
			}
			if refused := strings.Contains(allText(t, m.Raw), refusal); refused == tc.admin {
				t.Errorf("refused = %v, want %v:\n%s", refused, !tc.admin, allText(t, m.Raw))
			}
			req := rec.Last(t)
			if req.UserID != u.ID || req.Admin != tc.admin || req.CommunityAdmin != tc.admin {
				t.Errorf("the core was told %s: Admin=%v CommunityAdmin=%v, want both %v", req.UserID, req.Admin, req.CommunityAdmin, tc.admin)
			}
		})
	}
}

func TestAButtonPressInAnOrgWideInstallIsFiledUnderTheWorkspaceWhereItWasPressed(t *testing.T) {
	w := newWorld(t, options{})
	w.runSocket()
	done := w.markDone(t, "U0LEARNER")
	if want := "@" + team + ":done " + w.first.Slug; done.Value != want {
		t.Fatalf("the button's value is %q, want %q: the command stamped with its workspace", done.Value, want)
	}
	// An org-wide install: Slack's payload names no workspace, and the presser's team_id is
	// the org's.
	sent := w.fake.SendPress(fakeslack.Press{Channel: channel, User: "U0LEARNER", UserName: "ada",
		ActionID: done.ActionID, Value: done.Value, Label: done.Text.Text, Enterprise: "E0ORG", OrgInstall: true})
	w.fake.WaitAck(sent.EnvelopeID)
	if m := w.fake.WaitResponse(sent.ResponseID); !strings.Contains(allText(t, m.Raw), "is done") {
		t.Errorf("the press answered:\n%s", allText(t, m.Raw))
	}
	if got := w.learner("U0LEARNER").State(w.first.Slug); got != bot.StateDone {
		t.Errorf("in the workspace where the button was pressed the topic is %s, want done", got)
	}
	org, err := w.store.Learner(context.Background(), bot.Community{Platform: bot.PlatformSlack, ID: "E0ORG"}, "U0LEARNER")
	if err != nil {
		t.Fatal(err)
	}
	if org.Version != 0 {
		t.Errorf("the press wrote a record under the presser's org: %+v", org)
	}
}

// markup is a display name made of every mrkdwn formatting Slack knows.
const markup = "*Ada* _the_ ~first~ `coder`"

// textObjects is every text object of a message: type and text.
func textObjects(t testing.TB, raw json.RawMessage) [][2]string {
	t.Helper()
	var out [][2]string
	for _, o := range jsonObjects(t, raw) {
		if typ, _ := o["type"].(string); typ == "mrkdwn" || typ == "plain_text" {
			text, _ := o["text"].(string)
			out = append(out, [2]string{typ, text})
		}
	}
	return out
}

// assertShownLiterally fails when a text object holding s is one Slack would format.
func assertShownLiterally(t testing.TB, raw json.RawMessage, s string) {
	t.Helper()
	found := false
	for _, o := range textObjects(t, raw) {
		if !strings.Contains(o[1], s) {
			continue
		}
		found = true
		if o[0] != "plain_text" {
			t.Errorf("%q reaches Slack in a %s object, which Slack formats: %q", s, o[0], o[1])
		}
	}
	if !found {
		t.Errorf("%q is not in the message: %s", s, raw)
	}
}

func TestPlainTextIsShownAsTypedNeverFormattedAsMrkdwn(t *testing.T) {
	r := bot.Response{
		Title:  "Leaderboard",
		Text:   "1. " + markup + " — 3 days\n> a quote?",
		Fields: []bot.Field{{Name: "Top", Value: markup, Inline: true}, {Name: markup, Value: "3 days"}, {Name: "Plain", Value: "nothing to format"}},
		Footer: "by " + markup,
	}
	raw, err := json.Marshal(map[string]any{"blocks": slackadapter.Render(r).Blocks})
	if err != nil {
		t.Fatal(err)
	}
	assertShownLiterally(t, raw, markup)
	assertShownLiterally(t, raw, "&gt; a quote?")
	assertVerbatim(t, raw)
	// A field that holds nothing mrkdwn could read keeps its bold name.
	bold := false
	for _, o := range textObjects(t, raw) {
		bold = bold || (o[0] == "mrkdwn" && o[1] == "*Plain*\nnothing to format")
	}
	if !bold {
		t.Errorf("a field with nothing to format lost its bold name: %s", raw)
	}

	// Lesson Markdown is still converted to mrkdwn and formatted.
	lesson := slackadapter.Render(bot.Response{Text: "Use **bold** here.", Markdown: true})
	rawLesson, _ := json.Marshal(map[string]any{"blocks": lesson.Blocks})
	if objs := textObjects(t, rawLesson); len(objs) == 0 || objs[0] != [2]string{"mrkdwn", "Use *bold* here."} {
		t.Errorf("lesson Markdown renders as %v, want mrkdwn with *bold*", objs)
	}
}

func TestAMarkupDisplayNameIsShownLiterallyInPublicCheckinsAndTheLeaderboard(t *testing.T) {
	w := newWorld(t, options{})
	w.fake.SetUser(user("U0MARKUP", markup, false, false, ""))
	w.runSocket()

	checkin := w.answer("U0MARKUP", "checkin")
	if checkin.ResponseType != "in_channel" {
		t.Fatalf("checkin response_type = %q, want in_channel", checkin.ResponseType)
	}
	assertShownLiterally(t, checkin.Raw, markup)
	lb := w.answer("U0LEARNER", "leaderboard")
	assertShownLiterally(t, lb.Raw, markup)
	assertNoMentions(t, lb.Raw)
}

// panicky panics for one user's commands and passes the rest on.
type panicky struct{ h slackadapter.Handler }

func (p panicky) Handle(ctx context.Context, req bot.Request) bot.Response {
	if req.UserID == "U0BOOM" {
		panic("a bug in one command")
	}
	return p.h.Handle(ctx, req)
}

func TestACommandThatPanicsIsAnsweredAndOthersGoOn(t *testing.T) {
	w := newWorld(t, options{signingSecret: secret, wrap: func(h slackadapter.Handler) slackadapter.Handler { return panicky{h} }})
	w.runSocket()
	base := w.serveHTTP()
	const apology = "Something went wrong on our side"

	t.Run("socket mode slash command", func(t *testing.T) {
		if m := w.answer("U0BOOM", "next"); !strings.Contains(allText(t, m.Raw), apology) {
			t.Errorf("the panicking command answered:\n%s", allText(t, m.Raw))
		}
	})
	t.Run("socket mode button press", func(t *testing.T) {
		sent := w.fake.SendPress(fakeslack.Press{Team: team, Channel: channel, User: "U0BOOM",
			ActionID: slackadapter.ActionIDPrefix + "0", Value: "next", Label: "Next"})
		if m := w.fake.WaitResponse(sent.ResponseID); !strings.Contains(allText(t, m.Raw), apology) {
			t.Errorf("the panicking press answered:\n%s", allText(t, m.Raw))
		}
	})
	t.Run("http slash command", func(t *testing.T) {
		body, _ := commandForm(w, "U0BOOM", "next")
		resp, out := w.post(signed{path: base + "/slack/commands", body: body})
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(out), apology) {
			t.Errorf("the panicking command answered %d %s", resp.StatusCode, out)
		}
	})
	if m := w.answer("U0LEARNER", "next"); !strings.Contains(m.Text, "Internet basics") {
		t.Errorf("after the panics another learner's command answered %q", m.Text)
	}
	logs := w.logs.String()
	if !strings.Contains(logs, "slack command panicked") || !strings.Contains(logs, "a bug in one command") ||
		!strings.Contains(logs, "goroutine") {
		t.Errorf("the panic was not logged with its stack:\n%s", logs)
	}
}

func TestHTTPRefusesABodyThatIsNotAForm(t *testing.T) {
	w := newWorld(t, options{signingSecret: secret})
	base := w.serveHTTP()
	form, _ := commandForm(w, "U0LEARNER", "checkin")
	asJSON, _ := json.Marshal(map[string]string{"team_id": team, "user_id": "U0LEARNER", "text": "checkin"})

	for _, tc := range []struct {
		name, contentType, body string
		want                    int
	}{
		{"JSON", "application/json", string(asJSON), http.StatusUnsupportedMediaType},
		{"plain text", "text/plain", form, http.StatusUnsupportedMediaType},
		{"multipart", "multipart/form-data; boundary=x", form, http.StatusUnsupportedMediaType},
		{"no content type", "", form, http.StatusUnsupportedMediaType},
		{"a form with a charset", "application/x-www-form-urlencoded; charset=utf-8", form, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/slack/commands", "/slack/interactions"} {
				if tc.want == http.StatusOK && path == "/slack/interactions" {
					continue
				}
				ts := strconv.FormatInt(w.clock.Now().Unix(), 10)
				req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(tc.body))
				if tc.contentType != "" {
					req.Header.Set("Content-Type", tc.contentType)
				}
				req.Header.Set(slackadapter.HeaderTimestamp, ts)
				req.Header.Set(slackadapter.HeaderSignature, signature(secret, ts, tc.body))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tc.want {
					t.Errorf("%s: status %d, want %d", path, resp.StatusCode, tc.want)
				}
			}
		})
		w.clock.Advance(time.Second) // each case is a fresh request, not a replay
	}
	if l := w.learner("U0LEARNER"); l.Streak.Current != 1 {
		t.Errorf("streak %d after one accepted check-in (the refused bodies must change nothing)", l.Streak.Current)
	}
}

func TestHTTPRefusesACommandItCannotFileUnderACommunityWithA400AndAWarning(t *testing.T) {
	w := newWorld(t, options{signingSecret: secret})
	base := w.serveHTTP()
	good, _ := commandForm(w, "U0LEARNER", "checkin")
	with := func(key, value string) string {
		v, _ := url.ParseQuery(good)
		if value == "" {
			v.Del(key)
		} else {
			v.Set(key, value)
		}
		return v.Encode()
	}
	pressWithTeam := func(teamID string) string {
		p := fakeslack.BlockActionsPayload(fakeslack.Press{Team: teamID, Channel: channel, User: "U0LEARNER",
			ActionID: slackadapter.ActionIDPrefix + "0", Value: "checkin", Label: "Check in"}, "https://hooks.slack.invalid/x")
		if teamID == "" {
			delete(p, "team")
		}
		raw, _ := json.Marshal(p)
		return url.Values{"payload": {string(raw)}}.Encode()
	}
	for _, tc := range []struct{ name, path, body string }{
		{"no team_id", "/slack/commands", with("team_id", "")},
		{"a team_id with a slash", "/slack/commands", with("team_id", "T/x")},
		{"a lower-case team_id", "/slack/commands", with("team_id", "t0study")},
		{"no user_id", "/slack/commands", with("user_id", "")},
		{"a bad enterprise_id", "/slack/commands", with("enterprise_id", "E0/../x")},
		{"a press without a team", "/slack/interactions", pressWithTeam("")},
		{"a press with team T/x", "/slack/interactions", pressWithTeam("T/x")},
		{"an interaction payload that is not JSON", "/slack/interactions", url.Values{"payload": {"{"}}.Encode()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, out := w.post(signed{path: base + tc.path, body: tc.body})
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d (%s), want 400", resp.StatusCode, out)
			}
		})
		w.clock.Advance(time.Second)
	}
	logs := w.logs.String()
	if strings.Contains(logs, "level=ERROR") {
		t.Errorf("a request Slack sent oddly was logged as an error:\n%s", logs)
	}
	if n := strings.Count(logs, "level=WARN msg=\"slack http: refused a signed request it cannot act on\""); n != 8 {
		t.Errorf("%d warnings for 8 refused requests:\n%s", n, logs)
	}
	if n := w.fake.UsersInfoCalls(); n != 0 {
		t.Errorf("refused requests made %d users.info calls", n)
	}
	if l := w.learner("U0LEARNER"); l.Version != 0 {
		t.Errorf("a refused request wrote the learner record: %+v", l)
	}
}

func TestSocketModeRefusesACommandOrPressWithoutAUsableTeam(t *testing.T) {
	w := newWorld(t, options{})
	w.runSocket()
	for _, teamID := range []string{"", "T/x"} {
		sent := w.fake.SendCommand(fakeslack.Command{Team: teamID, Channel: channel, User: "U0LEARNER", Text: "checkin"})
		ack := w.fake.WaitAck(sent.EnvelopeID)
		m, err := fakeslack.ParseMessage(ack.Payload)
		if err != nil || m.ResponseType != "ephemeral" || !strings.Contains(m.Text, "could not tell which workspace") {
			t.Errorf("team %q: acknowledged with %s", teamID, ack.Payload)
		}
	}
	// A press whose payload names no workspace and whose button names none either (an
	// org-wide install, a message from before buttons were stamped).
	sent := w.fake.SendPress(fakeslack.Press{Channel: channel, User: "U0LEARNER", ActionID: slackadapter.ActionIDPrefix + "0",
		Value: "checkin", Label: "Check in", Enterprise: "E0ORG", OrgInstall: true})
	if m := w.fake.WaitResponse(sent.ResponseID); m.ResponseType != "ephemeral" || !strings.Contains(m.Text, "could not tell which workspace") {
		t.Errorf("the press was answered with %s", m.Raw)
	}
	if logs := w.logs.String(); strings.Contains(logs, "level=ERROR") || strings.Count(logs, "refused a command it cannot act on") != 3 {
		t.Errorf("want three warnings and no error:\n%s", logs)
	}
	if w.fake.UsersInfoCalls() != 0 || w.learner("U0LEARNER").Version != 0 {
		t.Error("a refused command reached users.info or the store")
	}
}

// A client that sends the headers and one byte of a body, then nothing, must not hold a
// shutdown: the body is unauthenticated until it has arrived.
func TestHTTPShutdownCutsOffABodyStillArriving(t *testing.T) {
	w := newWorld(t, options{signingSecret: secret})
	h, err := w.adapter.HTTP()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", h.Commands())
	active := make(chan struct{}, 1)
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateActive {
			active <- struct{}{}
		}
	}
	srv.Start()
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- h.Run(ctx) }()

	reading := w.watch.logged("reading a request body")
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ts := strconv.FormatInt(w.clock.Now().Unix(), 10)
	fmt.Fprintf(conn, "POST /slack/commands HTTP/1.1\r\nHost: studybot\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Content-Length: 100\r\n%s: %s\r\n%s: v0=%064d\r\n\r\nt", slackadapter.HeaderTimestamp, ts, slackadapter.HeaderSignature, 0)
	waitFor(t, active, "the request to reach the server")
	select { // the handler is reading the body, which will never arrive
	case <-reading:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler never began to read the body")
	}

	cancel() // SIGTERM
	if err := <-ran; err != nil {
		t.Fatalf("Run = %v", err)
	}
	shutdownCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	if err := srv.Config.Shutdown(shutdownCtx); err != nil {
		t.Errorf("the server's shutdown waited on the slow client: %v", err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the slow client got no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("the slow client got %d, want 503", resp.StatusCode)
	}
	if w.fake.UsersInfoCalls() != 0 || w.learner("U0LEARNER").Version != 0 {
		t.Error("the cut-off request reached users.info or the store")
	}
}
