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
	for _, tc := range []struct {
		fail       fakeslack.Failure
		permanent  bool
		retryAfter time.Duration
	}{
		{fakeslack.Failure{Error: "channel_not_found"}, true, 0},
		{fakeslack.Failure{Error: "not_in_channel"}, true, 0},
		{fakeslack.Failure{Error: "is_archived"}, true, 0},
		{fakeslack.Failure{Error: "account_inactive"}, true, 0},
		{fakeslack.Failure{Error: "missing_scope"}, true, 0},
		{fakeslack.Failure{Error: "invalid_auth"}, true, 0},
		{fakeslack.Failure{Error: "internal_error"}, false, 0},
		{fakeslack.Failure{Status: http.StatusTooManyRequests, RetryAfter: "7"}, false, 7 * time.Second},
		{fakeslack.Failure{Status: http.StatusInternalServerError}, false, 0},
		{fakeslack.Failure{Status: http.StatusServiceUnavailable}, false, 0},
	} {
		w.fake.FailNextPost(tc.fail)
		err := w.adapter.Post(context.Background(), ch, lesson)
		w.fake.WaitPost()
		var pe *bot.PostError
		if !errors.As(err, &pe) {
			t.Errorf("%+v: error %v is not a *bot.PostError", tc.fail, err)
			continue
		}
		if pe.Permanent != tc.permanent || pe.RetryAfter != tc.retryAfter {
			t.Errorf("%+v: permanent %v, retry after %s; want %v, %s", tc.fail, pe.Permanent, pe.RetryAfter, tc.permanent, tc.retryAfter)
		}
		if strings.Contains(err.Error(), fakeslack.BotToken) {
			t.Errorf("the error message carries the token: %v", err)
		}
	}
}
