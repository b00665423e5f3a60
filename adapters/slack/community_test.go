package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt/bolttest"
	"github.com/studybot/studybot/adapters/cron"
	slackadapter "github.com/studybot/studybot/adapters/slack"
	"github.com/studybot/studybot/adapters/slack/internal/fakeslack"
	"github.com/studybot/studybot/bot"
)

const otherTeam = "T0OTHER"

// withScheduler gives the world the scheduler `studybot run` has, posting through the
// adapter; advance moves the clock and runs it over that stretch.
func (w *world) withScheduler() (advance func(time.Duration)) {
	w.t.Helper()
	sched, err := bot.NewScheduler(bot.SchedulerConfig{Bot: w.core, Store: w.store,
		Deliverer: cron.NewDelivery(cron.DeliveryOptions{Posters: map[string]bot.Poster{bot.PlatformSlack: w.adapter}, Clock: w.clock})})
	if err != nil {
		w.t.Fatal(err)
	}
	return func(d time.Duration) {
		w.t.Helper()
		from := w.clock.Now()
		if err := sched.RunDue(context.Background(), from, w.clock.Advance(d)); err != nil {
			w.t.Fatal(err)
		}
	}
}

// lessonsIn is the daily lessons posted to ch since the last call.
func lessonsIn(posts []fakeslack.Post, ch string) []fakeslack.Post {
	return slices.DeleteFunc(posts, func(p fakeslack.Post) bool { return p.Channel != ch })
}

// left lists the communities the store has recorded as left.
func (w *world) left() []string {
	w.t.Helper()
	var out []string
	if err := w.store.LeftCommunities(context.Background(), func(c bot.Community, _ time.Time) error {
		out = append(out, c.Key())
		return nil
	}); err != nil {
		w.t.Fatal(err)
	}
	return out
}

// holding lists where in the world's bbolt file needle appears.
func (w *world) holding(needle string) []string {
	w.t.Helper()
	return bolttest.Holding(w.t, w.store, needle)
}

// setUp gives the workspace a 09:00 daily lesson, a learner with a 20:00 reminder and a
// day studied.
func (w *world) setUp() {
	w.t.Helper()
	w.fake.SetUser(user("U0ADMIN", "Grace", true, false, ""))
	if m := w.answer("U0ADMIN", "nudge set 09:00 Europe/Berlin"); !strings.Contains(allText(w.t, m.Raw), "Daily lesson on") {
		w.t.Fatalf("nudge set answered %s", allText(w.t, m.Raw))
	}
	w.answer("U0LEARNER", "remind 20:00")
	w.answer("U0LEARNER", "checkin")
}

func TestAnUninstallStopsTheWorkspacesPostsUntilItIsBack(t *testing.T) {
	w := newWorld(t, options{})
	w.runSocket()
	advance := w.withScheduler()
	w.setUp()

	sent := w.fake.SendEvent(team, fakeslack.Uninstalled())
	if ack := w.fake.WaitAck(sent.EnvelopeID); ack.HasPayload() {
		t.Errorf("the app_uninstalled envelope was acknowledged with %s; Slack wants no payload", ack.Payload)
	}
	// Slack sends tokens_revoked too, in either order: it changes nothing more.
	w.fake.WaitAck(w.fake.SendEvent(team, fakeslack.TokensRevoked([]string{"U0STUDYBOT"}, nil)).EnvelopeID)
	if got := w.left(); !slices.Equal(got, []string{"slack/" + team}) {
		t.Fatalf("left communities after the uninstall: %v", got)
	}
	w.fake.TakePosts()
	w.fake.TakeOpened()
	advance(72 * time.Hour)
	if posts := w.fake.TakePosts(); len(posts) != 0 {
		t.Errorf("three days after the uninstall %d messages were posted for the workspace", len(posts))
	}
	if opened := w.fake.TakeOpened(); len(opened) != 0 {
		t.Errorf("three days after the uninstall direct messages were opened to %v", opened)
	}

	// Reinstalled: the first command from the workspace brings it back.
	w.answer("U0LEARNER", "help")
	if got := w.left(); len(got) != 0 {
		t.Errorf("left communities after a command from the workspace: %v", got)
	}
	advance(24 * time.Hour)
	posts := w.fake.TakePosts()
	lessons := lessonsIn(slices.Clone(posts), channel)
	if len(lessons) != 1 || !strings.Contains(lessons[0].Text+string(lessons[0].Blocks), "Day 1") {
		t.Fatalf("a day after coming back the channel got %d posts, want Day 1 alone: the missed days are not sent", len(lessons))
	}
	if opened := w.fake.TakeOpened(); slices.Index(opened, "U0LEARNER") < 0 || len(slices.DeleteFunc(opened, func(u string) bool { return u != "U0LEARNER" })) != 1 {
		t.Errorf("a day after coming back direct messages were opened to %v, want the learner's reminder once", opened)
	}
	if l := w.learner("U0LEARNER"); l.Streak.Longest != 1 {
		t.Errorf("the learner's streak after coming back: %+v, want the day studied before the uninstall", l.Streak)
	}
}

func TestAWorkspaceGoneLongerThanTheRetentionIsDeletedAndNoOtherIs(t *testing.T) {
	w := newWorld(t, options{})
	w.runSocket()
	w.setUp()
	sent := w.fake.SendCommand(fakeslack.Command{Team: otherTeam, Channel: "C0OTHER", User: "U0LEARNER", UserName: "ada", Text: "checkin"})
	w.fake.WaitAck(sent.EnvelopeID)
	w.fake.WaitAck(w.fake.SendEvent(team, fakeslack.Uninstalled()).EnvelopeID)

	ctx := context.Background()
	w.clock.Advance(bot.DefaultCommunityRetention + time.Minute)
	if n, err := w.core.PurgeLeft(ctx, w.clock.Now().Add(-bot.DefaultCommunityRetention)); err != nil || n != 1 {
		t.Fatalf("purge after the retention deleted %d communities (%v), want 1", n, err)
	}
	if where := w.holding(team); len(where) != 0 {
		t.Errorf("after the retention the file still holds the workspace at %q", where)
	}
	l, err := w.store.Learner(ctx, bot.Community{Platform: bot.PlatformSlack, ID: otherTeam}, "U0LEARNER")
	if err != nil || l.Streak.Longest != 1 {
		t.Errorf("the other workspace's learner after the purge: %+v, %v", l.Streak, err)
	}
}

// postEvent sends an Events API request as Slack does in HTTP mode: JSON, signed.
func postEvent(t *testing.T, w *world, url string, body []byte, contentType, sig string) (int, string) {
	t.Helper()
	ts := strconv.FormatInt(w.clock.Now().Unix(), 10)
	req, err := http.NewRequest(http.MethodPost, url+"/slack/events", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set(slackadapter.HeaderTimestamp, ts)
	if sig == "" {
		sig = signature(secret, ts, string(body))
	}
	req.Header.Set(slackadapter.HeaderSignature, sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func TestHTTPEventsAreSignedAndTellAnUninstallFromARevokedUserToken(t *testing.T) {
	w := newWorld(t, options{signingSecret: secret})
	w.runSocket() // for the commands that set the workspace up
	advance := w.withScheduler()
	w.setUp()
	h, err := w.adapter.HTTP()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /slack/events", h.Events())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	event := func(e map[string]any) []byte {
		b, _ := json.Marshal(w.fake.EventPayload(team, e))
		return b
	}

	// Nothing is acted on before the signature, the size and the type are checked.
	revoked := event(fakeslack.TokensRevoked([]string{"U0STUDYBOT"}, nil))
	for _, tc := range []struct {
		name, contentType, sig string
		body                   []byte
		want                   int
	}{
		{"unsigned", "application/json", "v0=00", revoked, http.StatusUnauthorized},
		{"a form", "application/x-www-form-urlencoded", "", revoked, http.StatusUnsupportedMediaType},
		{"over 1 MiB", "application/json", "", append(bytes.Repeat([]byte(" "), slackadapter.MaxBodyBytes), revoked...), http.StatusRequestEntityTooLarge},
	} {
		if code, _ := postEvent(t, w, srv.URL, tc.body, tc.contentType, tc.sig); code != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, code, tc.want)
		}
	}
	if got := w.left(); len(got) != 0 {
		t.Fatalf("refused requests left the workspace: %v", got)
	}

	challenge, _ := json.Marshal(map[string]any{"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"})
	if code, body := postEvent(t, w, srv.URL, challenge, "application/json", ""); code != http.StatusOK || body != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("url_verification answered %d %q, want the challenge", code, body)
	}

	// A user token revoked is no uninstall: studybot holds none.
	if code, _ := postEvent(t, w, srv.URL, event(fakeslack.TokensRevoked(nil, []string{"U0ADMIN"})), "application/json", ""); code != http.StatusOK {
		t.Fatalf("tokens_revoked (user) answered %d", code)
	}
	if got := w.left(); len(got) != 0 {
		t.Fatalf("a revoked user token left the workspace: %v", got)
	}
	// The bot's token revoked is.
	if code, _ := postEvent(t, w, srv.URL, revoked, "application/json", ""); code != http.StatusOK {
		t.Fatalf("tokens_revoked (bot) answered %d", code)
	}
	if got := w.left(); !slices.Equal(got, []string{"slack/" + team}) {
		t.Fatalf("left communities after the bot token was revoked: %v", got)
	}
	w.fake.TakePosts()
	advance(24 * time.Hour)
	if posts := w.fake.TakePosts(); len(posts) != 0 {
		t.Errorf("a day after the bot token was revoked %d messages were posted", len(posts))
	}
	// app_installed (sent to org-wide apps) brings it back.
	if code, _ := postEvent(t, w, srv.URL, event(map[string]any{"type": "app_installed", "app_id": "A0STUDY", "team_id": team}), "application/json", ""); code != http.StatusOK {
		t.Fatalf("app_installed answered %d", code)
	}
	if got := w.left(); len(got) != 0 {
		t.Errorf("left communities after app_installed: %v", got)
	}
	advance(24 * time.Hour)
	if lessons := lessonsIn(w.fake.TakePosts(), channel); len(lessons) != 1 {
		t.Errorf("a day after coming back the channel got %d lessons, want 1", len(lessons))
	}
}
