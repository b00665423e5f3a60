package bottest

import (
	"slices"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

// pulses is each learner's pulse in c, by user ID.
func pulses(t *testing.T, s Stores, c bot.Community) map[string]bot.Pulse {
	t.Helper()
	ps, ok := s.Store.(bot.PulseStore)
	if !ok {
		t.Fatalf("%T keeps no pulses: the weekly recap would decode every learner", s.Store)
	}
	got := map[string]bot.Pulse{}
	err := ps.Pulses(t.Context(), c, func(user string, p bot.Pulse) error {
		if _, twice := got[user]; twice {
			t.Errorf("Pulses visited %s twice", user)
		}
		got[user] = p
		return nil
	})
	if err != nil {
		t.Fatalf("pulses of %s: %v", c.Key(), err)
	}
	return got
}

// A learner's pulse is written with their record and gone with it: a lesson marked done and
// a streak milestone reached show in it, another community's learners do not, and a
// forgotten learner is not visited.
func contractPulsesFollowEachLearnerWrite(t *testing.T, s Stores) {
	const monday bot.Day = 20780 // 2026-11-23
	study := func(day bot.Day, streak int, done ...string) func(*bot.Learner) error {
		return func(l *bot.Learner) error {
			l.Version, l.Name = bot.SchemaVersion, "Ada"
			l.Streak.Current, l.Streak.Last, l.Streak.Days = streak, day, "0"
			if l.Streak.First == 0 {
				l.Streak.First = day
			}
			for _, slug := range done {
				if l.Lessons == nil {
					l.Lessons = bot.Progress{}
				}
				l.Lessons[slug] = bot.StateDone
			}
			return nil
		}
	}
	updateLearner(t, s, contractA, "u1", study(monday, 6, "dns"))
	updateLearner(t, s, contractA, "u1", study(monday+1, 7, "tls", "cdn"))
	updateLearner(t, s, contractA, "u2", study(monday, 1))
	updateLearner(t, s, contractB, "u3", study(monday, 1, "dns"))
	got := pulses(t, s, contractA)
	if ids := slices.Sorted(mapsKeys(got)); !slices.Equal(ids, []string{"u1", "u2"}) {
		t.Fatalf("pulses of A: %v, want u1 and u2", ids)
	}
	p := got["u1"]
	if p.Name != "Ada" || p.Streak != 7 || p.Last != monday+1 || p.Week != monday || p.Lessons != 3 {
		t.Errorf("u1's pulse %+v: want Ada, streak 7 on %d, 3 lessons in the week of %d", p, monday+1, monday)
	}
	if p.Milestone != 7 || p.MilestoneOn != monday+1 {
		t.Errorf("u1's milestone %d on %d, want 7 on %d", p.Milestone, p.MilestoneOn, monday+1)
	}
	if err := s.Store.ForgetLearner(t.Context(), contractA, "u1"); err != nil {
		t.Fatal(err)
	}
	if got := pulses(t, s, contractA); len(got) != 1 || got["u2"].V == 0 {
		t.Errorf("pulses of A after forgetting u1: %+v", got)
	}
	one, err := s.Store.(bot.PulseStore).Pulse(t.Context(), contractB, "u3")
	if err != nil || one.Lessons != 1 {
		t.Errorf("u3's pulse in B: %+v, %v", one, err)
	}
}

func mapsKeys(m map[string]bot.Pulse) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// A channel's weekly recap is a schedule of its own kind, kept apart from its daily lesson
// under the same channel ID and indexed and taken like every schedule.
func contractRecapSchedulesAreKeptAndTakenLikeTheOthers(t *testing.T, s Stores) {
	if s.Schedules == nil {
		t.Skip("no schedule store")
	}
	ch := bot.Channel{Community: contractA, ID: "c1"}
	next := contractBase.Add(time.Hour)
	updateSchedule(t, s, bot.NudgeKey(ch), richSchedule(bot.NudgeKey(ch), next.Add(time.Hour)))
	updateSchedule(t, s, bot.RecapKey(ch), richSchedule(bot.RecapKey(ch), next))
	if sch := schedule(t, s, bot.RecapKey(ch)); sch.Kind != bot.KindRecap || !sch.Next.Equal(next) {
		t.Errorf("recap read back as %s", asJSON(t, sch))
	}
	if sch := schedule(t, s, bot.NudgeKey(ch)); sch.Kind != bot.KindNudge {
		t.Errorf("the recap overwrote the daily lesson: %s", asJSON(t, sch))
	}
	wantFirstDue(t, s, next)
	n, keys := takeDue(t, s, next, 10, func(_ bot.ScheduleKey, sch *bot.Schedule) error { sch.Next = time.Time{}; return nil })
	if n != 1 || len(keys) != 1 || keys[0] != bot.RecapKey(ch) {
		t.Errorf("took %d: %v, want the recap alone", n, keys)
	}
}
