package bottest

import (
	"slices"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

// knownCommunities lists the communities of platform the store keeps anything of, sorted.
func knownCommunities(t *testing.T, cs bot.CommunityStore, platform string) []string {
	t.Helper()
	var ids []string
	if err := cs.CommunitiesOf(t.Context(), platform, func(c bot.Community) error {
		if c.Platform != platform {
			t.Errorf("listing the %s communities gave %s", platform, c.Key())
		}
		ids = append(ids, c.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

// contractLeavingAndDeletingACommunity: leaving runs stop on every schedule of that community
// only and keeps the first time it left; returning runs resume and clears it; deleting takes
// everything of the community, its due entries included, only while it is still left.
func contractLeavingAndDeletingACommunity(t *testing.T, s Stores) {
	cs, ok := s.Store.(bot.CommunityStore)
	if !ok || s.Schedules == nil {
		t.Skip("the store keeps no record of communities the bot left")
	}
	if ids := knownCommunities(t, cs, bot.PlatformDiscord); len(ids) != 0 {
		t.Errorf("a fresh store lists communities %v", ids)
	}
	next := contractBase.Add(time.Hour)
	forgetFixture(t, s, next)
	if err := s.Store.UpdateSettings(t.Context(), contractA, func(st *bot.Settings) error { st.Zone = "Europe/Berlin"; return nil }); err != nil {
		t.Fatal(err)
	}
	// Communities are listed whatever they hold: settings alone, a learner alone.
	settingsOnly := bot.Community{Platform: bot.PlatformDiscord, ID: "300"}
	slack := bot.Community{Platform: bot.PlatformSlack, ID: "T100"}
	for _, c := range []bot.Community{settingsOnly, slack} {
		if err := s.Store.UpdateSettings(t.Context(), c, func(st *bot.Settings) error { st.Zone = "Asia/Tokyo"; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	learnerOnly := bot.Community{Platform: bot.PlatformDiscord, ID: "400"}
	updateLearner(t, s, learnerOnly, "u9", func(l *bot.Learner) error { l.Streak.Current = 1; return nil })
	if ids := knownCommunities(t, cs, bot.PlatformDiscord); !slices.Equal(ids, []string{"100", "200", "300", "400"}) {
		t.Errorf("Discord communities %v, want A, B, the one with settings only and the one with a learner only", ids)
	}
	if ids := knownCommunities(t, cs, bot.PlatformSlack); !slices.Equal(ids, []string{"T100"}) {
		t.Errorf("Slack communities %v, want the one workspace", ids)
	}
	if at, err := cs.ReturnToCommunity(t.Context(), contractA, func(bot.ScheduleKey, *bot.Schedule) { t.Error("resume ran for a community never left") }); err != nil || !at.IsZero() {
		t.Errorf("returning to a community never left: %v, %v; want zero and no error", at, err)
	}
	stop := func(_ bot.ScheduleKey, sch *bot.Schedule) { sch.Next, sch.Disabled = time.Time{}, bot.DisabledLeft }
	var stopped []string
	if err := cs.LeaveCommunity(t.Context(), contractA, contractBase, func(k bot.ScheduleKey, sch *bot.Schedule) {
		stopped = append(stopped, k.String())
		stop(k, sch)
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(stopped)
	stopped = slices.Compact(stopped) // stop may run more than once
	if len(stopped) != 3 {
		t.Errorf("stop ran on %v, want A's two reminders and its daily post", stopped)
	}
	// Leaving again keeps the first time.
	if err := cs.LeaveCommunity(t.Context(), contractA, contractBase.Add(time.Hour), stop); err != nil {
		t.Fatal(err)
	}
	left := map[bot.Community]time.Time{}
	if err := cs.LeftCommunities(t.Context(), func(c bot.Community, at time.Time) error { left[c] = at; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || !left[contractA].Equal(contractBase) {
		t.Errorf("left communities %v, want only A, left at %v", left, contractBase)
	}
	// Only B's reminder is still due.
	if got := firstDue(t, s); !got.Equal(next) {
		t.Errorf("first due after A left: %v, want B's reminder at %v", got, next)
	}
	if deleted, err := cs.DeleteLeftCommunity(t.Context(), contractA, contractBase.Add(-time.Second)); err != nil || deleted {
		t.Errorf("deleting A, left after the cutoff: deleted %v, %v; want kept", deleted, err)
	}
	at, err := cs.ReturnToCommunity(t.Context(), contractA, func(_ bot.ScheduleKey, sch *bot.Schedule) {
		sch.Disabled, sch.Next = "", next.Add(24*time.Hour)
	})
	if err != nil || !at.Equal(contractBase) {
		t.Fatalf("returning to A: %v, %v; want it left at %v", at, err, contractBase)
	}
	if sch := schedule(t, s, bot.RemindKey(contractA, "u2")); sch.Disabled != "" || !sch.Next.Equal(next.Add(24*time.Hour)) {
		t.Errorf("u2's reminder after A came back: %s", asJSON(t, sch))
	}
	if deleted, err := cs.DeleteLeftCommunity(t.Context(), contractA, contractBase.Add(time.Hour)); err != nil || deleted {
		t.Errorf("deleting A after it came back: deleted %v, %v; want kept", deleted, err)
	}

	if err := cs.LeaveCommunity(t.Context(), contractA, contractBase, stop); err != nil {
		t.Fatal(err)
	}
	if deleted, err := cs.DeleteLeftCommunity(t.Context(), contractA, contractBase); err != nil || !deleted {
		t.Fatalf("deleting A: deleted %v, %v", deleted, err)
	}
	if ids := visited(t, s, contractA); len(ids) != 0 {
		t.Errorf("learners of A after deletion: %v", ids)
	}
	if got := ranked(t, s, contractA); len(got) != 0 {
		t.Errorf("streaks of A after deletion: %v", got)
	}
	if got := notesOf(t, s, contractA, "u1"); len(got) != 0 {
		t.Errorf("notes in A after deletion: %q", got)
	}
	if st, err := s.Store.Settings(t.Context(), contractA); err != nil || st.Zone != "" {
		t.Errorf("settings of A after deletion: %+v, %v", st, err)
	}
	for _, key := range []bot.ScheduleKey{bot.RemindKey(contractA, "u1"), bot.NudgeKey(bot.Channel{Community: contractA, ID: "c1"})} {
		if sch := schedule(t, s, key); sch.Version != 0 {
			t.Errorf("%s after deletion: %s", key, asJSON(t, sch))
		}
	}
	if ps, ok := s.Store.(bot.PulseStore); ok {
		n := 0
		if err := ps.Pulses(t.Context(), contractA, func(string, bot.Pulse) error { n++; return nil }); err != nil || n != 0 {
			t.Errorf("pulses of A after deletion: %d, %v", n, err)
		}
	}
	left = map[bot.Community]time.Time{}
	cs.LeftCommunities(t.Context(), func(c bot.Community, at time.Time) error { left[c] = at; return nil })
	if len(left) != 0 {
		t.Errorf("left communities after deletion: %v", left)
	}
	if ids := knownCommunities(t, cs, bot.PlatformDiscord); !slices.Equal(ids, []string{"200", "300", "400"}) {
		t.Errorf("Discord communities after deleting A: %v, want all but A", ids)
	}
	// B keeps everything, and only its reminder is due.
	if ids := visited(t, s, contractB); !slices.Equal(ids, []string{"u1"}) {
		t.Errorf("learners of B: %v", ids)
	}
	if got := notesOf(t, s, contractB, "u1"); len(got) != 2 {
		t.Errorf("notes of u1 in B: %q", got)
	}
	n, keys := takeDue(t, s, next.Add(48*time.Hour), 10, func(_ bot.ScheduleKey, sch *bot.Schedule) error { sch.Next = time.Time{}; return nil })
	if n != 1 || len(keys) != 1 || keys[0] != bot.RemindKey(contractB, "u1") {
		t.Errorf("due after deleting A: %v, want B's reminder only", keys)
	}
}
