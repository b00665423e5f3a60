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

// These tests run the real studybot binary, as an operator would, with Slack in HTTP mode
// against a fake Slack Web API.

const signingSecret = "test-signing-secret"

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

func studybotBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "studybot-bin")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "studybot")
		out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
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

// fakeSlackAPI answers users.info for anyone (a learner, not an admin) and collects what is
// posted to response_url, by user.
type fakeSlackAPI struct {
	*httptest.Server
	mu       sync.Mutex
	answered map[string]string // user -> text answered through response_url
}

func newFakeSlackAPI(t *testing.T) *fakeSlackAPI {
	f := &fakeSlackAPI{answered: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/users.info", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"name":"learner","tz":"UTC","is_admin":false,"is_owner":false,"profile":{"display_name":%q}}}`,
			r.Form.Get("user"), r.Form.Get("user"))
	})
	mux.HandleFunc("/response/{user}", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.answered[r.PathValue("user")] += string(body)
		f.mu.Unlock()
		w.Write([]byte("ok"))
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// process is a running studybot.
type process struct {
	cmd    *exec.Cmd
	addr   string
	db     string
	stderr *bottest.Buffer
	exited chan error
}

func startStudybot(t *testing.T, slackAPI string, extra ...string) *process {
	t.Helper()
	dir := t.TempDir()
	p := &process{addr: freeAddr(t), db: filepath.Join(dir, "studybot.db"), stderr: &bottest.Buffer{}, exited: make(chan error, 1)}
	p.cmd = exec.Command(studybotBinary(t), "run")
	p.cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"STUDYBOT_DB=" + p.db,
		"STUDYBOT_HTTP_ADDR=" + p.addr,
		"SLACK_BOT_TOKEN=xoxb-test-token",
		"SLACK_SIGNING_SECRET=" + signingSecret,
		"SLACK_API_URL=" + slackAPI + "/api/",
	}, extra...)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("studybot stderr:\n%s", p.stderr.String())
		}
	})
	waitFor(t, func() bool {
		resp, err := http.Get("http://" + p.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	})
	return p
}

// slash sends a signed /roadmap command as Slack would and returns the status and body.
func (p *process) slash(t *testing.T, slackAPI, user, text string) (int, string) {
	t.Helper()
	form := url.Values{
		"token": {"unused"}, "team_id": {"T0TEAM"}, "team_domain": {"study"}, "channel_id": {"C0GENERAL"},
		"channel_name": {"general"}, "user_id": {user}, "user_name": {user}, "command": {"/roadmap"},
		"text": {text}, "response_url": {slackAPI + "/response/" + user}, "trigger_id": {"1.2.3"},
	}.Encode()
	req, _ := http.NewRequest("POST", "http://"+p.addr+"/slack/commands", strings.NewReader(form))
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(signingSecret))
	mac.Write([]byte("v0:" + ts + ":" + form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
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

// stop sends SIGTERM and returns the exit error and how long the exit took.
func (p *process) stop(t *testing.T) (error, time.Duration) {
	t.Helper()
	began := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		return err, time.Since(began)
	case <-time.After(shutdownGrace + 10*time.Second):
		t.Fatal("studybot did not exit after SIGTERM")
		return nil, 0
	}
}

// privateRedis starts a redis-server of the test's own on a free port.
func privateRedis(t *testing.T) (url string, kill func()) {
	t.Helper()
	server, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server not installed: CI must provide it")
		}
		t.Skip("redis-server not installed; install Debian's redis-server to run this test")
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
	if err, took := p.stop(t); err != nil {
		t.Errorf("exit after SIGTERM: %v (after %v)", err, took)
	}
	if strings.Contains(p.stderr.String(), "xoxb-test-token") || strings.Contains(p.stderr.String(), signingSecret) {
		t.Error("a secret reached the logs")
	}
}

func TestSIGTERMDuringABurstKeepsEveryAnsweredCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	slack := newFakeSlackAPI(t)
	p := startStudybot(t, slack.URL)

	const learners = 300
	var (
		mu       sync.Mutex
		answered = map[string]bool{}
		wg       sync.WaitGroup
		sent     = make(chan string)
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for user := range sent {
				code, body := p.slash(t, slack.URL, user, "checkin")
				if code == http.StatusOK && strings.Contains(body, "checked in") {
					mu.Lock()
					answered[user] = true
					mu.Unlock()
				}
			}
		}()
	}
	var stopErr error
	var took time.Duration
	for i := range learners {
		if i == learners/3 {
			go func() { stopErr, took = p.stop(t); close(p.exited) }()
		}
		sent <- fmt.Sprintf("U%04d", i)
	}
	close(sent)
	wg.Wait()
	for range p.exited {
	}
	var exit *exec.ExitError
	if stopErr != nil {
		if errors.As(stopErr, &exit) {
			t.Fatalf("exit code %d after SIGTERM, want 0", exit.ExitCode())
		}
		t.Fatal(stopErr)
	}
	// Answers that went out through response_url count as answered too.
	slack.mu.Lock()
	for user, text := range slack.answered {
		if strings.Contains(text, "checked in") {
			answered[user] = true
		}
	}
	slack.mu.Unlock()
	if len(answered) < learners/4 {
		t.Fatalf("only %d check-ins answered before the shutdown", len(answered))
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
	t.Logf("%d of %d check-ins answered before SIGTERM took effect, all stored; exit 0 after %v", len(answered), learners, took)
}
