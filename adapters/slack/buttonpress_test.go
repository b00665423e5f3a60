package slack

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/adapters/slack/internal/fakeslack"
)

// TestOnlyPressesOfStudybotsOwnButtonsRunACommand feeds buttonPress the payloads Slack sends,
// decoded by slack-go as both receivers decode them.
func TestOnlyPressesOfStudybotsOwnButtonsRunACommand(t *testing.T) {
	ours := fakeslack.Press{Team: "T0STUDY", Channel: "C0GENERAL", User: "U0LEARNER", UserName: "ada",
		ActionID: ActionIDPrefix + "0", Value: "done caching", Label: "Mark done"}
	const responseURL = "https://hooks.slack.com/actions/T0STUDY/1/abc"
	for _, tc := range []struct {
		name    string
		press   func(p *fakeslack.Press)     // changes the press before its payload is built
		payload func(payload map[string]any) // changes the payload Slack sends
		want    *incoming                    // nil: ignored
	}{
		{"our button runs its command for the presser", nil, nil,
			&incoming{team: "T0STUDY", channel: "C0GENERAL", user: "U0LEARNER", userName: "ada", text: "done caching", responseURL: responseURL}},
		{"a stamped button runs its command in the payload's team", func(p *fakeslack.Press) { p.Value = "@T0STUDY:done caching" }, nil,
			&incoming{team: "T0STUDY", channel: "C0GENERAL", user: "U0LEARNER", userName: "ada", text: "done caching", responseURL: responseURL}},
		{"an org-wide install's press is filed under the workspace its button was made for, not the presser's",
			func(p *fakeslack.Press) {
				p.Value, p.Enterprise, p.OrgInstall = "@T0STUDY:done caching", "E0ORG", true
			}, nil,
			&incoming{team: "T0STUDY", enterprise: "E0ORG", channel: "C0GENERAL", user: "U0LEARNER", userName: "ada", text: "done caching", responseURL: responseURL}},
		{"a workspace of a Grid org passes the org on", func(p *fakeslack.Press) { p.Enterprise = "E0ORG" }, nil,
			&incoming{team: "T0STUDY", enterprise: "E0ORG", channel: "C0GENERAL", user: "U0LEARNER", userName: "ada", text: "done caching", responseURL: responseURL}},
		{"without a team or a stamp the press names no workspace: never the presser's own",
			func(p *fakeslack.Press) { p.Enterprise, p.OrgInstall = "E0ORG", true }, nil,
			&incoming{enterprise: "E0ORG", channel: "C0GENERAL", user: "U0LEARNER", userName: "ada", text: "done caching", responseURL: responseURL}},
		{"a stamp that is not a Slack ID is part of the command", func(p *fakeslack.Press) { p.Value = "@T/x:done caching" }, nil,
			&incoming{team: "T0STUDY", channel: "C0GENERAL", user: "U0LEARNER", userName: "ada", text: "@T/x:done caching", responseURL: responseURL}},
		{"without a channel the message's channel is used", nil, func(m map[string]any) { delete(m, "channel") },
			&incoming{team: "T0STUDY", channel: "C0GENERAL", user: "U0LEARNER", userName: "ada", text: "done caching", responseURL: responseURL}},
		{"another app's action is ignored", func(p *fakeslack.Press) { p.ActionID = "someone-else" }, nil, nil},
		{"an action id that only contains the prefix is ignored", func(p *fakeslack.Press) { p.ActionID = "x" + ActionIDPrefix + "0" }, nil, nil},
		{"the prefix without its dash is ignored", func(p *fakeslack.Press) { p.ActionID = "roadmap0" }, nil, nil},
		{"a button without a value is ignored", func(p *fakeslack.Press) { p.Value = "" }, nil, nil},
		{"a payload without actions is ignored", nil, func(m map[string]any) { m["actions"] = []any{} }, nil},
		{"a modal submission is ignored", nil, func(m map[string]any) { m["type"] = "view_submission" }, nil},
		{"a message shortcut is ignored", nil, func(m map[string]any) { m["type"] = "message_action" }, nil},
		{"a global shortcut is ignored", nil, func(m map[string]any) { m["type"] = "shortcut" }, nil},
		{"a legacy attachment button is ignored", nil, func(m map[string]any) { m["type"] = "interactive_message" }, nil},
		{"an options request is ignored", nil, func(m map[string]any) { m["type"] = "block_suggestion" }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ours
			if tc.press != nil {
				tc.press(&p)
			}
			payload := fakeslack.BlockActionsPayload(p, responseURL)
			if tc.payload != nil {
				tc.payload(payload)
			}
			raw, err := json.Marshal(payload)
			if err != nil {
				t.Fatal(err)
			}
			var cb slack.InteractionCallback
			if err := json.Unmarshal(raw, &cb); err != nil {
				t.Fatal(err)
			}
			got, ok := buttonPress(cb)
			if ok {
				// A press can open a modal, and its answer shows to the presser alone.
				if got.triggerID != cb.TriggerID || got.triggerID == "" || !got.private {
					t.Errorf("trigger %q (payload's %q), private %v", got.triggerID, cb.TriggerID, got.private)
				}
				got.triggerID, got.private = "", false
			}
			switch {
			case tc.want == nil && ok:
				t.Errorf("ran %q for %s", got.text, got.user)
			case tc.want != nil && !ok:
				t.Error("the press was ignored")
			case tc.want != nil && got != *tc.want:
				t.Errorf("got %+v, want %+v", got, *tc.want)
			}
		})
	}
}
