package slack_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	slackadapter "github.com/studybot/studybot/adapters/slack"
	"github.com/studybot/studybot/adapters/slack/internal/fakeslack"
	"github.com/studybot/studybot/bot"
)

func TestSlashNextIsAcknowledgedWithTheFirstTopic(t *testing.T) {
	w := newWorld(t, options{})
	w.runSocket()

	m := w.answer("U0LEARNER", "next")

	if m.ResponseType != "ephemeral" {
		t.Errorf("response_type = %q, want ephemeral (a personal answer)", m.ResponseType)
	}
	if !strings.Contains(m.Text, "Internet basics") {
		t.Errorf("fallback text %q does not name the first topic", m.Text)
	}
	body := allText(t, m.Raw)
	for _, want := range []string{"lesson 1 of 1 · Internet basics", "*Resources*", "Mark done", "done " + w.first.Slug} {
		if !strings.Contains(body, want) {
			t.Errorf("answer lacks %q:\n%s", want, body)
		}
	}
	if m.UnfurlLinks == nil || *m.UnfurlLinks {
		t.Error("resource links would unfurl into the chat")
	}
	seen := map[string]bool{}
	var labels []string
	for _, b := range buttons(t, m) {
		if !strings.HasPrefix(b.ActionID, slackadapter.ActionIDPrefix) || seen[b.ActionID] {
			t.Errorf("button %q has action_id %q: want unique ids starting %q", b.Text.Text, b.ActionID, slackadapter.ActionIDPrefix)
		}
		seen[b.ActionID] = true
		labels = append(labels, b.Text.Text)
	}
	if want := []string{"Mark done", "Skip", "Quiz me", "Add note"}; !slices.Equal(labels, want) {
		t.Errorf("buttons %q, want %q", labels, want)
	}
	if w.fake.Pongs() == 0 {
		t.Error("the client never answered Slack's pings")
	}
}

func TestButtonPressRunsItsCommandForThePresser(t *testing.T) {
	w := newWorld(t, options{})
	w.runSocket()
	done := w.markDone(t, "U0LEARNER")
	if got := w.learner("U0LEARNER").State(w.first.Slug); got != bot.StateTodo {
		t.Fatalf("before the press the topic is %s, want todo", got)
	}

	sent := w.fake.SendPress(fakeslack.Press{Team: team, Channel: channel, User: "U0LEARNER", UserName: "ada",
		ActionID: done.ActionID, Value: done.Value, Label: done.Text.Text})
	if ack := w.fake.WaitAck(sent.EnvelopeID); ack.HasPayload() {
		t.Errorf("a block_actions acknowledgement carries a payload: %s", ack.Payload)
	}
	m := w.fake.WaitResponse(sent.ResponseID)

	if m.ResponseType != "ephemeral" || m.ReplaceOriginal {
		t.Errorf("button answer: response_type %q, replace_original %v; want a new ephemeral message", m.ResponseType, m.ReplaceOriginal)
	}
	if !strings.Contains(allText(t, m.Raw), "is done") {
		t.Errorf("button answer does not confirm the topic is done:\n%s", allText(t, m.Raw))
	}
	if got := w.learner("U0LEARNER").State(w.first.Slug); got != bot.StateDone {
		t.Errorf("after pressing Mark done the topic is %s, want done", got)
	}
	// Another learner's record is untouched: the command ran for the presser only.
	if got := w.learner("U0OTHER").State(w.first.Slug); got != bot.StateTodo {
		t.Errorf("a learner who pressed nothing has the topic %s", got)
	}
}

func TestButtonPressActsOnlyInThePressersTeam(t *testing.T) {
	w := newWorld(t, options{})
	w.runSocket()
	const otherTeam = "T0ELSEWHERE"
	sent := w.fake.SendPress(fakeslack.Press{Team: otherTeam, Channel: "C0THERE", User: "U0LEARNER",
		ActionID: slackadapter.ActionIDPrefix + "0", Value: "done " + w.first.Slug, Label: "Mark done"})
	w.fake.WaitAck(sent.EnvelopeID)
	w.fake.WaitResponse(sent.ResponseID)

	there, err := w.store.Learner(context.Background(), bot.Community{Platform: bot.PlatformSlack, ID: otherTeam}, "U0LEARNER")
	if err != nil {
		t.Fatal(err)
	}
	if got := there.State(w.first.Slug); got != bot.StateDone {
		t.Errorf("in the team where the button was pressed the topic is %s, want done", got)
	}
	if got := w.learner("U0LEARNER").State(w.first.Slug); got != bot.StateTodo {
		t.Errorf("a press in another team changed this team's topic to %s", got)
	}
}

func TestPressesOfOtherActionsAreAcknowledgedAndIgnored(t *testing.T) {
	w := newWorld(t, options{})
	stop := w.runSocket()
	sent := w.fake.SendPress(fakeslack.Press{Team: team, Channel: channel, User: "U0LEARNER",
		ActionID: "someone-else", Value: "done " + w.first.Slug, Label: "x"})
	if ack := w.fake.WaitAck(sent.EnvelopeID); ack.HasPayload() {
		t.Errorf("the acknowledgement of a foreign press carries %s", ack.Payload)
	}
	// The press is acknowledged before its command would run; Run returns only once every
	// command it started has finished, so after stop a wrongly run command has landed.
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := w.learner("U0LEARNER").State(w.first.Slug); got != bot.StateTodo {
		t.Errorf("a foreign action changed the topic to %s", got)
	}
	if m, ok := w.fake.Response(sent.ResponseID); ok {
		t.Errorf("a foreign action was answered: %s", m.Raw)
	}
}

func TestNudgeNeedsAWorkspaceAdminOrOwner(t *testing.T) {
	w := newWorld(t, options{})
	w.fake.SetUser(user("U0ADMIN", "Grace", true, false, ""))
	w.fake.SetUser(user("U0OWNER", "Linus", false, true, ""))
	w.runSocket()
	const refusal = "Only community admins"

	for _, tc := range []struct {
		user    string
		refused bool
	}{
		{"U0LEARNER", true},
		{"U0ADMIN", false},
		{"U0OWNER", false},
	} {
		m := w.answer(tc.user, "nudge set 09:00")
		body := allText(t, m.Raw)
		if got := strings.Contains(body, refusal); got != tc.refused {
			t.Errorf("%s: refused = %v, want %v:\n%s", tc.user, got, tc.refused, body)
		}
		if m.ResponseType != "ephemeral" {
			t.Errorf("%s: the answer to nudge is public", tc.user)
		}
	}
}

func TestBroadcastMentionsNeverReachSlackUnescaped(t *testing.T) {
	w := newWorld(t, options{})
	w.fake.SetUser(user("U0SNEAKY", "<!here> Bob & <@U0LEARNER>", false, false, ""))
	w.runSocket()

	for _, text := range []string{"topic <!channel>", "topic &lt;!everyone&gt;", "topic <@U0LEARNER> @here"} {
		m := w.answer("U0LEARNER", text)
		assertNoMentions(t, m.Raw)
		if body := allText(t, m.Raw); !strings.Contains(body, "&lt;") {
			t.Errorf("/roadmap %s: the echoed input is not shown escaped:\n%s", text, body)
		}
	}

	// A check-in is public and carries the learner's display name.
	m := w.answer("U0SNEAKY", "checkin")
	if m.ResponseType != "in_channel" {
		t.Fatalf("checkin response_type = %q, want in_channel", m.ResponseType)
	}
	assertNoMentions(t, m.Raw)
	if body := allText(t, m.Raw); !strings.Contains(body, "&lt;!here&gt; Bob &amp; &lt;@U0LEARNER&gt;") {
		t.Errorf("the display name is not escaped:\n%s", body)
	}
	lb := w.answer("U0LEARNER", "leaderboard")
	assertNoMentions(t, lb.Raw)
}

func TestReconnectsAfterEveryKindOfDisconnect(t *testing.T) {
	w := newWorld(t, options{})
	w.runSocket()
	w.answer("U0LEARNER", "next")

	// One socket through all of them, each reason in turn: the client must come back
	// every time, not only the first.
	for i, reason := range []string{fakeslack.DisconnectWarning, fakeslack.DisconnectLinkDisabled, fakeslack.DisconnectRefresh} {
		conn := i + 2
		w.fake.SendDisconnect(reason)
		w.fake.WaitConnected(conn)

		if got := w.fake.Opens(); got != int64(conn) {
			t.Errorf("after %s apps.connections.open was called %d times, want %d (one per connection)", reason, got, conn)
		}
		if m := w.answer("U0LEARNER", "next"); !strings.Contains(m.Text, "Internet basics") {
			t.Errorf("after %s and a reconnect /roadmap next is answered with %q", reason, m.Text)
		}
	}
}

func TestEventsAPIEnvelopesAreAcknowledgedWithoutAnAnswer(t *testing.T) {
	w := newWorld(t, options{})
	w.runSocket()
	sent := w.fake.SendEvent(team, map[string]any{"type": "app_home_opened", "user": "U0LEARNER",
		"channel": "D0LEARNER", "tab": "messages", "event_ts": "1700000000.000100"})
	if ack := w.fake.WaitAck(sent.EnvelopeID); ack.HasPayload() {
		t.Errorf("an events_api acknowledgement carries %s; Slack wants none", ack.Payload)
	}
	// The connection carries on.
	if m := w.answer("U0LEARNER", "next"); !strings.Contains(m.Text, "Internet basics") {
		t.Errorf("after an event /roadmap next is answered with %q", m.Text)
	}
}

func TestSlowCommandIsAcknowledgedAtOnceAndAnsweredThroughResponseURL(t *testing.T) {
	var g *gate
	w := newWorld(t, options{ackWithin: 20 * time.Millisecond, wrap: func(h slackadapter.Handler) slackadapter.Handler {
		g = newGate(h)
		return g
	}})
	w.runSocket()

	ack, sent := w.command("U0LEARNER", "next")
	if ack.HasPayload() {
		t.Fatalf("the command is still running, yet the acknowledgement carries %s", ack.Payload)
	}
	close(g.release)
	m := w.fake.WaitResponse(sent.ResponseID)
	if !strings.Contains(allText(t, m.Raw), "Internet basics") || m.ResponseType != "ephemeral" {
		t.Errorf("late answer: %s", m.Raw)
	}
}

func TestShutdownLetsACommandInFlightFinish(t *testing.T) {
	var g *gate
	w := newWorld(t, options{wrap: func(h slackadapter.Handler) slackadapter.Handler {
		g = newGate(h)
		return g
	}})
	stop := w.runSocket()
	stopping := w.watch.logged("slack socket mode stopping")

	sent := w.fake.SendCommand(fakeslack.Command{Team: team, Channel: channel, User: "U0LEARNER", Text: "done"})
	waitFor(t, g.started, "the command to start")
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	waitFor(t, stopping, "the shutdown to begin")

	// What arrives while the command in flight finishes is acknowledged, not left for
	// Slack to time out, and changes nothing.
	late := w.fake.SendCommand(fakeslack.Command{Team: team, Channel: channel, User: "U0OTHER", Text: "done"})
	if ack := w.fake.WaitAck(late.EnvelopeID); !strings.Contains(string(ack.Payload), "restarting") {
		t.Errorf("a command sent during shutdown was acknowledged with %s", ack.Payload)
	}
	press := w.fake.SendPress(fakeslack.Press{Team: team, Channel: channel, User: "U0OTHER",
		ActionID: slackadapter.ActionIDPrefix + "0", Value: "done " + w.first.Slug, Label: "Mark done"})
	if ack := w.fake.WaitAck(press.EnvelopeID); ack.HasPayload() {
		t.Errorf("a block_actions acknowledgement carries a payload: %s", ack.Payload)
	}
	// Slack shows nothing for an acknowledged press; the presser is told through the
	// response_url, as HTTP mode does.
	if m := w.fake.WaitResponse(press.ResponseID); !strings.Contains(m.Text, "restarting") || m.ResponseType != "ephemeral" {
		t.Errorf("a press during shutdown was answered with %s", m.Raw)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Run returned (%v) while a command was in flight", err)
	default:
	}

	close(g.release)
	if err := <-stopped; err != nil {
		t.Errorf("Run after shutdown = %v, want nil", err)
	}
	w.fake.WaitAck(sent.EnvelopeID)
	if m := w.fake.WaitResponse(sent.ResponseID); !strings.Contains(allText(t, m.Raw), "is done") {
		t.Errorf("the command in flight at shutdown was answered with %s", m.Raw)
	}
	if got := w.learner("U0LEARNER").State(w.first.Slug); got != bot.StateDone {
		t.Errorf("the command in flight at shutdown left the topic %s, want done", got)
	}
	if got := w.learner("U0OTHER").State(w.first.Slug); got != bot.StateTodo {
		t.Errorf("a command or press during shutdown changed the topic to %s", got)
	}
}

func TestUsersInfoFailureKeepsReadCommandsWorking(t *testing.T) {
	w := newWorld(t, options{})
	w.fake.SetUser(user("U0ADMIN", "Grace", true, false, ""))
	w.fake.FailUsersInfo("internal_error")
	w.runSocket()

	for _, u := range []string{"U0LEARNER", "U0ADMIN"} {
		if m := w.answer(u, "next"); !strings.Contains(m.Text, "Internet basics") {
			t.Errorf("%s: /roadmap next without users.info: %s", u, m.Text)
		}
	}
	if m := w.answer("U0ADMIN", "nudge set 09:00"); !strings.Contains(allText(t, m.Raw), "Only community admins") {
		t.Errorf("an unverifiable admin was let through: %s", allText(t, m.Raw))
	}
	if n := strings.Count(w.logs.String(), "users.info failed"); n != 1 {
		t.Errorf("users.info failure logged %d times, want once:\n%s", n, w.logs.String())
	}
}

func TestProfileTimeZoneIsTheDayBoundaryUntilTheLearnerSetsOne(t *testing.T) {
	w := newWorld(t, options{})
	w.fake.SetUser(user("U0KIWI", "Kiri", false, false, "Pacific/Auckland"))
	w.runSocket()

	if body := allText(t, w.answer("U0KIWI", "streak").Raw); !strings.Contains(body, "Pacific/Auckland") {
		t.Errorf("streak does not use the Slack profile's zone:\n%s", body)
	}
	w.answer("U0KIWI", "timezone Europe/Berlin")
	if body := allText(t, w.answer("U0KIWI", "streak").Raw); !strings.Contains(body, "Europe/Berlin") {
		t.Errorf("the learner's own zone does not win over the profile's:\n%s", body)
	}
}

func TestUserLookupsAreCachedBriefly(t *testing.T) {
	w := newWorld(t, options{})
	w.runSocket()
	w.answer("U0LEARNER", "next")
	w.answer("U0LEARNER", "topics")
	if got := w.fake.UsersInfoCalls(); got != 1 {
		t.Errorf("users.info called %d times for one user's two commands, want 1", got)
	}
	w.clock.Advance(6 * time.Minute)
	w.answer("U0LEARNER", "progress")
	if got := w.fake.UsersInfoCalls(); got != 2 {
		t.Errorf("after the cache expired users.info was called %d times in all, want 2", got)
	}
}

// bigAnswer answers every command with more Block Kit than a Socket Mode acknowledgement
// may carry (20 KB).
type bigAnswer struct{}

func (bigAnswer) Handle(context.Context, bot.Request) bot.Response {
	return bot.Response{Title: "Big", Text: strings.Repeat("A long lesson line.\n", 2000), Ephemeral: true}
}

func TestAnswerTooBigForTheAcknowledgementGoesThroughResponseURL(t *testing.T) {
	w := newWorld(t, options{wrap: func(slackadapter.Handler) slackadapter.Handler { return bigAnswer{} }})
	w.runSocket()

	ack, sent := w.command("U0LEARNER", "next")
	if ack.HasPayload() {
		t.Fatalf("an acknowledgement of %d bytes was sent; Slack drops those over 20 KB", len(ack.Payload))
	}
	m := w.fake.WaitResponse(sent.ResponseID)
	if len(m.Raw) < 20*1024 || !strings.Contains(allText(t, m.Raw), "A long lesson line.") {
		t.Errorf("response_url got %d bytes", len(m.Raw))
	}
}

func TestConcurrentCommandsAreAllAcknowledged(t *testing.T) {
	w := newWorld(t, options{})
	w.runSocket()
	var sent []fakeslack.Sent
	for i := range 30 {
		sent = append(sent, w.fake.SendCommand(fakeslack.Command{Team: team, Channel: channel,
			User: fmt.Sprintf("U%d", i%10), Text: []string{"next", "done", "progress"}[i%3]}))
	}
	for _, s := range sent {
		if ack := w.fake.WaitAck(s.EnvelopeID); !ack.HasPayload() {
			t.Errorf("envelope %s acknowledged without its answer", s.EnvelopeID)
		}
	}
	for i := range 10 {
		if got := w.learner(fmt.Sprintf("U%d", i)).State(w.first.Slug); got != bot.StateDone {
			t.Errorf("U%d: topic %s after /roadmap done", i, got)
		}
	}
}

func TestConnectedFollowsTheSocket(t *testing.T) {
	w := newWorld(t, options{})
	stop := w.runSocket()

	// One connection's events are handled in order, so once a command is acknowledged
	// Slack's hello before it has been seen.
	w.answer("U0LEARNER", "next")
	if !w.socket.Connected() {
		t.Error("not connected after Slack's hello")
	}
	w.fake.SendDisconnect(fakeslack.DisconnectRefresh)
	w.fake.WaitConnected(2)
	w.answer("U0LEARNER", "next")
	if !w.socket.Connected() {
		t.Error("not connected after reconnecting")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if w.socket.Connected() {
		t.Error("still connected after shutdown")
	}
}
