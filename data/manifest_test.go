package data_test

// The Slack app manifest is YAML, and go.yaml.in/yaml belongs to this package, so the test
// that reads it lives here rather than beside the Slack adapter.

import (
	"os"
	"slices"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// manifest is the part of Slack's app manifest format studybot depends on.
type manifest struct {
	Features struct {
		AppHome struct {
			MessagesTabEnabled         bool `yaml:"messages_tab_enabled"`
			MessagesTabReadOnlyEnabled bool `yaml:"messages_tab_read_only_enabled"`
		} `yaml:"app_home"`
		BotUser struct {
			DisplayName string `yaml:"display_name"`
		} `yaml:"bot_user"`
		SlashCommands []struct {
			Command      string `yaml:"command"`
			Description  string `yaml:"description"`
			ShouldEscape *bool  `yaml:"should_escape"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
	OAuthConfig struct {
		Scopes struct {
			Bot  []string `yaml:"bot"`
			User []string `yaml:"user"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		EventSubscriptions struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
			UserEvents []string `yaml:"user_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			IsEnabled bool `yaml:"is_enabled"`
		} `yaml:"interactivity"`
		SocketModeEnabled bool `yaml:"socket_mode_enabled"`
	} `yaml:"settings"`
}

func TestSlackAppManifestDeclaresWhatTheAdapterUses(t *testing.T) {
	src, err := os.ReadFile("../deploy/slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := yaml.Unmarshal(src, &m); err != nil {
		t.Fatalf("the manifest is not valid YAML: %v", err)
	}

	// Exactly what adapters/slack calls, each scope for one thing: commands for /roadmap,
	// chat:write for chat.postMessage (daily lessons, reminders), chat:write.public so a
	// lesson reaches a public channel nobody invited the bot to, users:read for users.info
	// (admin or owner, profile time zone, name), im:write for the conversations.open of a
	// reminder's direct message (and of a private card's or export's), files:write for the
	// files upload v2 of cards and exports. A scope added or dropped changes what every
	// workspace must approve.
	got := slices.Sorted(slices.Values(m.OAuthConfig.Scopes.Bot))
	if want := []string{"chat:write", "chat:write.public", "commands", "files:write", "im:write", "users:read"}; !slices.Equal(got, want) {
		t.Errorf("manifest bot scopes %v, want exactly %v", got, want)
	}
	if len(m.OAuthConfig.Scopes.User) > 0 {
		t.Errorf("the manifest asks for user scopes %v; studybot acts only as its bot", m.OAuthConfig.Scopes.User)
	}

	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/roadmap" {
		t.Errorf("slash commands %+v, want exactly /roadmap", m.Features.SlashCommands)
	} else if esc := m.Features.SlashCommands[0].ShouldEscape; esc == nil || *esc {
		// Escaping turns @names and #channels into <@U…> markup, which the grammar would
		// see instead of what the learner typed.
		t.Error("/roadmap must set should_escape: false")
	}
	// Exactly the events adapters/slack acts on: an uninstall stops the workspace's posts
	// and starts its retention. Neither needs a scope; any other event would be delivered
	// for nothing (or need a scope every workspace must approve).
	ev := m.Settings.EventSubscriptions
	if got := slices.Sorted(slices.Values(ev.BotEvents)); !slices.Equal(got, []string{"app_uninstalled", "tokens_revoked"}) {
		t.Errorf("bot events %v, want exactly [app_uninstalled tokens_revoked]", got)
	}
	if len(ev.UserEvents) > 0 {
		t.Errorf("the manifest subscribes to user events %v; studybot acts only as its bot", ev.UserEvents)
	}
	if ev.RequestURL != "" && m.Settings.SocketModeEnabled {
		t.Errorf("event_subscriptions has a request_url (%s) although Socket Mode delivers events", ev.RequestURL)
	}
	if !m.Settings.Interactivity.IsEnabled {
		t.Error("interactivity is off: no button would work")
	}
	if !m.Settings.SocketModeEnabled {
		t.Error("Socket Mode is off, yet the manifest's instructions and the default setup use it")
	}
	if !m.Features.AppHome.MessagesTabEnabled || m.Features.AppHome.MessagesTabReadOnlyEnabled {
		t.Errorf("app_home %+v: reminders need the Messages tab, and a learner must be able to type /roadmap there", m.Features.AppHome)
	}
	if m.Features.BotUser.DisplayName != "studybot" {
		t.Errorf("bot display name %q; the manifest and README tell people to invite @studybot", m.Features.BotUser.DisplayName)
	}
}
