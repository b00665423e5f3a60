package slack_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/slack/internal/fakeslack"
	"github.com/studybot/studybot/bot"
)

var lesson = bot.Response{
	Title:   "Daily lesson: <!channel> Caching",
	Text:    "Cache what is read often & changes rarely.",
	Links:   []bot.Link{{Title: "HTTP caching", URL: "https://developer.mozilla.org/en-US/docs/Web/HTTP/Caching"}},
	Buttons: []bot.Button{{Label: "Quiz me", Command: "quiz caching"}},
}

func TestPostSendsBlockKitWithUnfurlsAndMentionsOff(t *testing.T) {
	w := newWorld(t, options{})
	var p bot.Poster = w.adapter

	if err := p.Post(context.Background(), bot.Channel{Community: bot.Community{Platform: bot.PlatformSlack, ID: team}, ID: channel}, lesson); err != nil {
		t.Fatal(err)
	}
	got := w.fake.WaitPost()
	if got.Channel != channel {
		t.Errorf("posted to %q, want %q", got.Channel, channel)
	}
	for field, want := range map[string]string{"unfurl_links": "false", "unfurl_media": "false", "link_names": "false"} {
		if v := got.Form.Get(field); v != want {
			t.Errorf("%s = %q, want %q", field, v, want)
		}
	}
	if !strings.Contains(got.Text, "&lt;!channel&gt;") || strings.Contains(got.Text, "<!channel>") {
		t.Errorf("fallback text not escaped: %q", got.Text)
	}
	assertNoMentions(t, got.Blocks)
	if !strings.Contains(allText(t, got.Blocks), "<https://developer.mozilla.org/en-US/docs/Web/HTTP/Caching|HTTP caching>") {
		t.Errorf("resource link missing from the blocks: %s", got.Blocks)
	}
}

func TestDirectMessageOpensTheConversationThenPosts(t *testing.T) {
	w := newWorld(t, options{})
	if err := w.adapter.DirectMessage(context.Background(), bot.Community{Platform: bot.PlatformSlack, ID: team}, "U0LEARNER", lesson); err != nil {
		t.Fatal(err)
	}
	if u := w.fake.WaitOpened(); u != "U0LEARNER" {
		t.Errorf("conversations.open for %q", u)
	}
	if got := w.fake.WaitPost(); got.Channel != "DU0LEARNER" {
		t.Errorf("direct message posted to %q, want the opened conversation", got.Channel)
	}
}

func TestPostFailuresSayWhetherARetryCanHelp(t *testing.T) {
	w := newWorld(t, options{})
	ch := bot.Channel{Community: bot.Community{Platform: bot.PlatformSlack, ID: team}, ID: channel}
	type class int
	const (
		transient class = iota
		permanent       // this channel or user: that schedule stops
		botWide         // the app itself: no channel is to blame
	)
	for _, tc := range []struct {
		fail       fakeslack.Failure
		want       class
		retryAfter time.Duration
	}{
		{fakeslack.Failure{Error: "channel_not_found"}, permanent, 0},
		{fakeslack.Failure{Error: "not_in_channel"}, permanent, 0},
		{fakeslack.Failure{Error: "is_archived"}, permanent, 0},
		{fakeslack.Failure{Error: "restricted_action"}, permanent, 0},
		{fakeslack.Failure{Error: "cannot_dm_bot"}, permanent, 0},
		{fakeslack.Failure{Error: "user_not_found"}, permanent, 0},
		{fakeslack.Failure{Error: "msg_too_long"}, permanent, 0},
		// Per conversation, per workspace or per admin decision: never the app as a whole.
		{fakeslack.Failure{Error: "no_permission"}, permanent, 0},
		{fakeslack.Failure{Error: "team_access_not_granted"}, permanent, 0},
		{fakeslack.Failure{Error: "ekm_access_denied"}, permanent, 0},
		{fakeslack.Failure{Error: "invalid_auth"}, botWide, 0},
		{fakeslack.Failure{Error: "not_authed"}, botWide, 0},
		{fakeslack.Failure{Error: "token_revoked"}, botWide, 0},
		{fakeslack.Failure{Error: "token_expired"}, botWide, 0},
		{fakeslack.Failure{Error: "account_inactive"}, botWide, 0},
		{fakeslack.Failure{Error: "missing_scope"}, botWide, 0},
		{fakeslack.Failure{Status: http.StatusUnauthorized}, botWide, 0},
		{fakeslack.Failure{Status: http.StatusNotFound}, botWide, 0},
		{fakeslack.Failure{Error: "internal_error"}, transient, 0},
		{fakeslack.Failure{Status: http.StatusTooManyRequests, RetryAfter: "7"}, transient, 7 * time.Second},
		{fakeslack.Failure{Status: http.StatusInternalServerError}, transient, 0},
		{fakeslack.Failure{Status: http.StatusServiceUnavailable}, transient, 0},
	} {
		w.fake.FailNextPost(tc.fail)
		err := w.adapter.Post(context.Background(), ch, lesson)
		w.fake.WaitPost()
		var pe *bot.PostError
		if !errors.As(err, &pe) {
			t.Errorf("%+v: error %v is not a *bot.PostError", tc.fail, err)
			continue
		}
		got := transient
		switch {
		case pe.BotWide && pe.Permanent:
			t.Errorf("%+v: both bot-wide and permanent", tc.fail)
		case pe.BotWide:
			got = botWide
		case pe.Permanent:
			got = permanent
		}
		if got != tc.want || pe.RetryAfter != tc.retryAfter {
			t.Errorf("%+v: class %d, retry after %s; want class %d, %s (0 transient, 1 permanent, 2 bot-wide)",
				tc.fail, got, pe.RetryAfter, tc.want, tc.retryAfter)
		}
		if strings.Contains(err.Error(), fakeslack.BotToken) {
			t.Errorf("the error message carries the token: %v", err)
		}
		// The disable reason an admin reads in `nudge status` says how to fix it.
		needsInvite := tc.fail.Error == "not_in_channel" || tc.fail.Error == "channel_not_found" || tc.fail.Error == "no_permission"
		if hint := "invite @studybot to the channel"; needsInvite != strings.Contains(err.Error(), hint) {
			t.Errorf("%+v: %v; want the invite hint exactly for a channel the bot cannot see", tc.fail, err)
		}
	}
}
