package discordtest

import (
	"encoding/json"
	"strings"
	"testing"
)

// Like Discord, the fake sends guild events only to a session that asked for GUILDS, and a
// removal is told from an outage by unavailable alone.
func TestGuildEventsNeedTheGuildsIntent(t *testing.T) {
	for _, intents := range []int{0, IntentGuilds} {
		s := Start("tok")
		c := dialGateway(t, s)
		c.send(OpIdentify, map[string]any{"token": "Bot tok", "intents": intents, "properties": map[string]string{}})
		if p := c.read(); p.T != "READY" {
			t.Fatalf("first dispatch %s, want READY", p.T)
		}
		err := s.RemoveFromGuild("600000000000000001")
		if intents == 0 {
			if err == nil || !strings.Contains(err.Error(), "GUILDS") {
				t.Errorf("GUILD_DELETE to a session without GUILDS: %v, want refused", err)
			}
			s.Close()
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := s.GuildOutage("600000000000000001"); err != nil {
			t.Fatal(err)
		}
		if err := s.AddToGuild("600000000000000001"); err != nil {
			t.Fatal(err)
		}
		var got []string
		for range 3 {
			p := c.read()
			var g map[string]any
			json.Unmarshal(p.D, &g)
			_, has := g["unavailable"]
			got = append(got, p.T+":"+g["id"].(string)+":"+map[bool]string{true: "u=" + jsonBool(g["unavailable"]), false: "no-u"}[has])
		}
		want := []string{"GUILD_DELETE:600000000000000001:no-u", "GUILD_DELETE:600000000000000001:u=true", "GUILD_CREATE:600000000000000001:u=false"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("dispatches %v, want %v", got, want)
		}
		s.Close()
	}
}

func jsonBool(v any) string {
	if b, ok := v.(bool); ok && b {
		return "true"
	}
	return "false"
}

// Like Discord, READY lists each guild of the shard the bot is in, as unavailable guild
// objects, and a guild the bot was removed from while no session listened is not among them.
func TestReadyListsTheShardsGuilds(t *testing.T) {
	const shard0, shard1, gone = "600000000000000001", "600000000004194304", "600000000000000002"
	s := Start("tok")
	defer s.Close()
	s.SetGuilds(shard0, shard1, gone)
	if err := s.RemoveFromGuild(gone); err == nil {
		t.Fatal("GUILD_DELETE with no session: sent, want refused")
	}
	c := dialGateway(t, s)
	c.send(OpIdentify, map[string]any{"token": "Bot tok", "intents": IntentGuilds, "shard": [2]int{0, 2}, "properties": map[string]string{}})
	p := c.read()
	var ready struct {
		Guilds []struct {
			ID          string `json:"id"`
			Unavailable bool   `json:"unavailable"`
		} `json:"guilds"`
	}
	if err := json.Unmarshal(p.D, &ready); err != nil || p.T != "READY" {
		t.Fatalf("first dispatch %s (%v), want READY", p.T, err)
	}
	if len(ready.Guilds) != 1 || ready.Guilds[0].ID != shard0 || !ready.Guilds[0].Unavailable {
		t.Errorf("READY of shard 0 of 2 lists %+v, want only %s, unavailable", ready.Guilds, shard0)
	}
}
