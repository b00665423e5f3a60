package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/studybot/studybot/bot/bottest"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/bot"
)

// These tests run the real studybot binary as an operator would: with Slack in HTTP mode
// against a fake Slack Web API. The binary is built once per test run (see TestMain), with
// the flags this test binary was built with (-race included), so every package it needs is
// already in the build cache and the build is a link; CI builds the static release binary
// with deploy/build.sh on its own.

const signingSecret = "test-signing-secret"

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

func studybotBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(buildStudybot)
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// buildStudybot builds the binary into testDir, once (through buildOnce). TestMain starts it
// as the run begins when every test runs, so the link overlaps the tests that need no binary.
func buildStudybot() {
	binary = filepath.Join(testDir, "studybot")
	args := []string{"build", "-o", binary, "-ldflags=-X main.version=test"}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	if out, err := build.CombinedOutput(); err != nil {
		buildErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// fakeSlackAPI answers users.info for anyone (a learner, not an admin), after lookupDelay, and
// collects what is posted to response_url, by user. studybot looks each user up once before
// running their first command, so lookedUp is every user whose command reached the core.
type fakeSlackAPI struct {
	*httptest.Server
	lookupDelay time.Duration
	// hang holds response_url posts until the test ends; hanging gets each held user.
	hang    bool
	hanging chan string

	mu       sync.Mutex
	lookedUp map[string]bool
	answered map[string]string // user -> text answered through response_url
}

func newFakeSlackAPI(t *testing.T, opts ...func(*fakeSlackAPI)) *fakeSlackAPI {
	f := &fakeSlackAPI{lookedUp: map[string]bool{}, answered: map[string]string{}, hanging: make(chan string, 16)}
	for _, o := range opts {
		o(f)
	}
	done := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/api/users.info", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		f.mu.Lock()
		f.lookedUp[r.Form.Get("user")] = true
		f.mu.Unlock()
		select {
		case <-time.After(f.lookupDelay):
		case <-r.Context().Done():
			return
		}
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"name":"learner","tz":"UTC","is_admin":false,"is_owner":false,"profile":{"display_name":%q}}}`,
			r.Form.Get("user"), r.Form.Get("user"))
	})
	mux.HandleFunc("/response/{user}", func(w http.ResponseWriter, r *http.Request) {
		if f.hang {
			f.hanging <- r.PathValue("user")
			select {
			case <-done:
			case <-r.Context().Done():
			}
			return
		}
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.answered[r.PathValue("user")] += string(body)
		f.mu.Unlock()
		w.Write([]byte("ok"))
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	t.Cleanup(func() { close(done) }) // runs before Close, which waits for held requests
	return f
}

// process is a running studybot.
type process struct {
	cmd     *exec.Cmd
	addr    string
	db      string
	stderr  *bottest.Buffer
	exited  chan struct{} // closed when the process has exited; then exitErr and exitAt hold
	exitErr error
	exitAt  time.Time
}

// startStudybot runs `studybot run` with Slack in HTTP mode against slackAPI and waits until
// /healthz answers.
func startStudybot(t *testing.T, slackAPI string, extra ...string) *process {
	t.Helper()
	p := startBinary(t, append([]string{
		"SLACK_BOT_TOKEN=xoxb-test-token",
		"SLACK_SIGNING_SECRET=" + signingSecret,
		"SLACK_API_URL=" + slackAPI + "/api/",
	}, extra...)...)
	waitFor(t, func() bool {
		resp, err := http.Get("http://" + p.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	})
	return p
}

// startBinary runs `studybot run` with its own database and HTTP address plus env.
func startBinary(t *testing.T, env ...string) *process {
	t.Helper()
	dir := t.TempDir()
	p := &process{addr: freeAddr(t), db: filepath.Join(dir, "studybot.db"), stderr: &bottest.Buffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(studybotBinary(t), "run")
	p.cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"STUDYBOT_DB=" + p.db,
		"STUDYBOT_HTTP_ADDR=" + p.addr,
	}, env...)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		p.exitErr, p.exitAt = err, time.Now()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("studybot stderr:\n%s", p.stderr.String())
		}
	})
	return p
}

// slash sends a signed /roadmap command as Slack would and returns the status and body (the
// transport error's text when there was no answer).
func (p *process) slash(t *testing.T, slackAPI, user, text string) (int, string) {
	t.Helper()
	code, body, err := p.trySlash(slackAPI, user, text)
	if err != nil {
		return 0, err.Error()
	}
	return code, body
}

// trySlash sends a signed /roadmap command as Slack would; err is set when no answer came.
func (p *process) trySlash(slackAPI, user, text string) (int, string, error) {
	form := url.Values{
		"token": {"unused"}, "team_id": {"T0TEAM"}, "team_domain": {"study"}, "channel_id": {"C0GENERAL"},
		"channel_name": {"general"}, "user_id": {user}, "user_name": {user}, "command": {"/roadmap"},
		"text": {text}, "response_url": {slackAPI + "/response/" + user}, "trigger_id": {"1.2.3"},
	}.Encode()
	return p.postSigned("/slack/commands", form)
}

// postSigned POSTs form to path, signed with the signing secret as Slack signs it.
func (p *process) postSigned(path, form string) (int, string, error) {
	req, _ := http.NewRequest("POST", "http://"+p.addr+path, strings.NewReader(form))
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(signingSecret))
	mac.Write([]byte("v0:" + ts + ":" + form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", err // the answer was cut off
	}
	return resp.StatusCode, string(body), nil
}

func (p *process) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + p.addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// stop sends SIGTERM and returns how long the exit took and the exit error.
func (p *process) stop(t *testing.T) (time.Duration, error) {
	t.Helper()
	began := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(t)
	return p.exitAt.Sub(began), p.exitErr
}

// wait waits for the process to exit, failing the test if it does not after the grace.
func (p *process) wait(t *testing.T) {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(shutdownGrace + 10*time.Second):
		t.Fatal("studybot did not exit")
	}
}

// privateRedis starts a redis-server of the test's own on a free port.
func privateRedis(t *testing.T) (url string, kill func()) {
	t.Helper()
	server, err := exec.LookPath("redis-server")
	if err != nil {
		bottest.Missing(t, "redis-server not found: CI must install it (Debian package redis-server)",
			"redis-server not found; install it (apt-get install redis-server) to run this test")
	}
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(server, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill = func() { cmd.Process.Kill(); cmd.Wait() }
	t.Cleanup(kill)
	waitFor(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return "redis://" + addr + "/0", kill
}

func TestBinaryCountsCommandsAndStaysReadyWhenRedisGoesAway(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	redisURL, killRedis := privateRedis(t)
	slack := newFakeSlackAPI(t)
	p := startStudybot(t, slack.URL, "REDIS_URL="+redisURL)

	for _, user := range []string{"U1", "U2", "U3"} {
		if code, body := p.slash(t, slack.URL, user, "checkin"); code != http.StatusOK || !strings.Contains(body, "checked in") {
			t.Fatalf("checkin for %s: %d %s", user, code, body)
		}
	}
	p.slash(t, slack.URL, "U1", "next")
	p.slash(t, slack.URL, "U1", "dance")
	_, metrics := p.get(t, "/metrics")
	for _, want := range []string{
		`studybot_commands_total{command="checkin",outcome="ok",platform="slack"} 3`,
		`studybot_commands_total{command="next",outcome="ok",platform="slack"} 1`,
		`studybot_commands_total{command="unparsed",outcome="invalid",platform="slack"} 1`,
		`studybot_checkins_total{platform="slack"} 3`,
		`studybot_command_duration_seconds_count{platform="slack"} 5`,
		`studybot_redis_fallback 0`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code, body := p.get(t, "/readyz"); code != http.StatusOK || !strings.Contains(body, `"redis":"ok"`) {
		t.Errorf("/readyz with Redis up: %d %s", code, body)
	}

	killRedis()
	// The first command after the outage meets it; it is answered from the fallback.
	if code, body := p.slash(t, slack.URL, "U4", "checkin"); code != http.StatusOK || !strings.Contains(body, "checked in") {
		t.Errorf("checkin with Redis down: %d %s", code, body)
	}
	waitFor(t, func() bool {
		_, body := p.get(t, "/readyz")
		return strings.Contains(body, "fallback active")
	})
	code, body := p.get(t, "/readyz")
	var report readyReport
	if err := json.Unmarshal([]byte(body), &report); err != nil || code != http.StatusOK || !report.Ready {
		t.Errorf("/readyz with Redis down: %d %s, want ready with the fallback reported", code, body)
	}
	if _, metrics := p.get(t, "/metrics"); !strings.Contains(metrics, "studybot_redis_fallback 1") {
		t.Error("/metrics does not report the fallback")
	}
	if took, err := p.stop(t); err != nil {
		t.Errorf("exit after SIGTERM: %v (after %v)", err, took)
	}
	if strings.Contains(p.stderr.String(), "xoxb-test-token") || strings.Contains(p.stderr.String(), signingSecret) {
		t.Error("a secret reached the logs")
	}
}

func TestSIGTERMDuringABurstKeepsEveryAnsweredCommand(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	// A slow users.info keeps every command in flight for a while, so SIGTERM lands on some.
	slack := newFakeSlackAPI(t, func(f *fakeSlackAPI) { f.lookupDelay = 300 * time.Millisecond })
	p := startStudybot(t, slack.URL)

	const learners, senders = 150, 16
	type result struct {
		user string
		code int
		body string
		err  error
		at   time.Time
	}
	var (
		results = make(chan result, learners)
		sent    = make(chan string)
		wg      sync.WaitGroup
	)
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for user := range sent {
				code, body, err := p.trySlash(slack.URL, user, "checkin")
				results <- result{user, code, body, err, time.Now()}
			}
		}()
	}
	var sigterm time.Time
	for i := range learners {
		if i == learners/3 {
			sigterm = time.Now()
			p.cmd.Process.Signal(syscall.SIGTERM)
		}
		sent <- fmt.Sprintf("U%04d", i)
	}
	close(sent)
	wg.Wait()
	close(results)
	p.wait(t)

	var exit *exec.ExitError
	switch took := p.exitAt.Sub(sigterm); {
	case errors.As(p.exitErr, &exit):
		t.Fatalf("exit %v after SIGTERM, want 0", exit)
	case p.exitErr != nil:
		t.Fatal(p.exitErr)
	case took >= shutdownGrace:
		t.Errorf("exit took %v after SIGTERM, want less than the %v grace", took, shutdownGrace)
	}

	slack.mu.Lock()
	defer slack.mu.Unlock()
	answered := map[string]bool{}
	var afterSIGTERM int
	for r := range results {
		if r.err != nil {
			// Refused before it reached studybot (the listener is closed) is fine; cut off
			// after the core took it is a dropped command.
			if slack.lookedUp[r.user] {
				t.Errorf("%s: the command was in flight, but its answer was cut off: %v", r.user, r.err)
			}
			continue
		}
		// Answers that went out through response_url count as answered too.
		if r.code == http.StatusOK && (strings.Contains(r.body, "checked in") || strings.Contains(slack.answered[r.user], "checked in")) {
			answered[r.user] = true
			if r.at.After(sigterm) {
				afterSIGTERM++
			}
		} else if slack.lookedUp[r.user] {
			t.Errorf("%s: the command was in flight, but the answer was %d %q", r.user, r.code, r.body)
		}
	}
	if afterSIGTERM == 0 {
		t.Error("no command was answered after SIGTERM: none was in flight when it came, so this test shows nothing")
	}
	// At SIGTERM each sender holds at most one command: the others sent so far were answered.
	if least := learners/3 - senders; len(answered) < least {
		t.Fatalf("only %d check-ins answered, want at least the %d done before SIGTERM", len(answered), least)
	}
	db, err := bolt.Open(p.db, bolt.Options{})
	if err != nil {
		t.Fatalf("database after shutdown: %v", err)
	}
	defer db.Close()
	for user := range answered {
		l, err := db.Learner(context.Background(), bot.Community{Platform: bot.PlatformSlack, ID: "T0TEAM"}, user)
		if err != nil || l.Streak.Current != 1 {
			t.Errorf("%s was answered but the check-in is not stored (%+v, %v)", user, l.Streak, err)
		}
	}
	t.Logf("%d of %d check-ins answered (%d after SIGTERM), all stored; exit 0 after %v",
		len(answered), learners, afterSIGTERM, p.exitAt.Sub(sigterm))
}

func TestASecondSIGTERMEndsAShutdownThatIsStillWaiting(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	// The answer to a button press goes to a response_url that never answers: a graceful
	// shutdown waits for it, up to the grace.
	slack := newFakeSlackAPI(t, func(f *fakeSlackAPI) { f.hang = true })
	p := startStudybot(t, slack.URL)
	// A block_actions payload as Slack sends it for a press of studybot's first button.
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "team": map[string]string{"id": "T0TEAM", "domain": "study"},
		"user": map[string]string{"id": "U1", "name": "ada", "team_id": "T0TEAM"}, "channel": map[string]string{"id": "C0GENERAL"},
		"response_url": slack.URL + "/response/U1", "trigger_id": "1.2.3",
		"actions": []map[string]string{{"type": "button", "block_id": "b1", "action_id": "roadmap-0", "value": "next",
			"action_ts": "1700000001.000200"}},
	})
	if code, _, err := p.postSigned("/slack/interactions", url.Values{"payload": {string(payload)}}.Encode()); err != nil || code != http.StatusOK {
		t.Fatalf("button press: %d %v", code, err)
	}
	select {
	case <-slack.hanging:
	case <-time.After(15 * time.Second):
		t.Fatal("the button's answer never reached the response_url")
	}

	p.cmd.Process.Signal(syscall.SIGTERM)
	waitFor(t, func() bool { return strings.Contains(p.stderr.String(), "shutting down") })
	// An operator who will not wait presses Ctrl-C again (or kubelet, or systemd, signals
	// again): studybot ends now rather than when the grace runs out.
	again := time.Now()
	for ended := false; !ended; {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
			ended = true
		case <-time.After(100 * time.Millisecond):
		}
		if time.Since(again) > shutdownGrace/2 {
			t.Fatalf("still running %v after the second SIGTERM", time.Since(again))
		}
	}
	var exit *exec.ExitError
	if !errors.As(p.exitErr, &exit) || exit.ExitCode() == 0 {
		t.Errorf("exit %v after the second SIGTERM, want ended by it", p.exitErr)
	}
}

func TestBinaryRunsDiscordAndSlackSocketModeInOneProcess(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	// Nothing answers at these addresses: the adapters may give up connecting, but both must
	// start, side by side, over one set of metrics (TestDiscordAndSlackSocketModeShareOneProcessMetrics
	// reads them).
	p := startBinary(t, "DISCORD_TOKEN=abc", "SLACK_BOT_TOKEN=xoxb-1", "SLACK_APP_TOKEN=xapp-1",
		"DISCORD_API_URL=http://127.0.0.1:1", "SLACK_API_URL=http://127.0.0.1:1/api/")
	started := func() bool {
		logs := p.stderr.String()
		return strings.Contains(logs, `"msg":"service starting","service":"discord"`) &&
			strings.Contains(logs, `"msg":"service starting","service":"slack-socket-mode"`)
	}
	waitFor(t, func() bool {
		select {
		case <-p.exited:
			return true
		default:
			return started()
		}
	})
	select {
	case <-p.exited: // an adapter gave up on its unreachable API
	default:
		p.stop(t)
	}
	logs := p.stderr.String()
	if strings.Contains(logs, "panic") || !started() {
		t.Fatalf("Discord and Slack Socket Mode did not both start:\n%s", logs)
	}
	var exit *exec.ExitError
	if errors.As(p.exitErr, &exit) && exit.ExitCode() != exitFail {
		t.Errorf("exit %v, want 0 or, with nothing to connect to, 1", p.exitErr)
	}
}
