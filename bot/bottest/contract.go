package bottest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

// Stores is what the contract suite checks: the two ports the core keeps its records
// through. The bbolt store and Store each implement both on one value.
type Stores struct {
	Store     bot.Store
	Schedules bot.ScheduleStore
}

// StoreContract checks that a store behaves as the core relies on, whatever keeps the
// records: open returns a fresh, empty store, and is called once per check. It asserts what
// the ports promise, not what one implementation happens to do (such as the order of equal
// streaks or of a community's learners).
func StoreContract(t *testing.T, open func(t *testing.T) Stores) {
	checks := []struct {
		name string
		run  func(t *testing.T, s Stores)
	}{
		{"UnknownRecordsReadAsZero", contractUnknownRecordsReadAsZero},
		{"UpdatesSaveWhatFnLeft", contractUpdatesSaveWhatFnLeft},
		{"AnErrorFromFnWritesNothing", contractAnErrorFromFnWritesNothing},
		{"RecordsAreCopiedInAndOut", contractRecordsAreCopiedInAndOut},
		{"CommunitiesAreIsolated", contractCommunitiesAreIsolated},
		{"LearnersVisitsEachLearnerOnce", contractLearnersVisitsEachLearnerOnce},
		{"ConcurrentUpdatesLoseNone", contractConcurrentUpdatesLoseNone},
		{"RecordsThatCannotBeKeyedAreRefused", contractRecordsThatCannotBeKeyedAreRefused},
		{"FirstDueIsTheEarliestNext", contractFirstDueIsTheEarliestNext},
		{"TakeDueTakesTheEarliestUpToLimit", contractTakeDueTakesTheEarliestUpToLimit},
		{"TakeDueReindexesUnderTheNewNext", contractTakeDueReindexesUnderTheNewNext},
		{"AClearedNextLeavesTheIndex", contractAClearedNextLeavesTheIndex},
		{"AnErrorInTakeDueSavesNothing", contractAnErrorInTakeDueSavesNothing},
		{"LearnersByStreakRanksCurrentStreaks", contractLearnersByStreakRanksCurrentStreaks},
		{"LearnersByStreakStopsWhenTold", contractLearnersByStreakStopsWhenTold},
		{"LearnersByStreakFollowsUpdates", contractLearnersByStreakFollowsUpdates},
		{"NotesAreKeptPerLearnerAndLesson", contractNotesAreKeptPerLearnerAndLesson},
		{"ForgetLearnerDeletesOnlyThatLearner", contractForgetLearnerDeletesOnlyThatLearner},
		{"ForgetLearnerOfNobodyChangesNothing", contractForgetLearnerOfNobodyChangesNothing},
		{"LeavingAndDeletingACommunity", contractLeavingAndDeletingACommunity},
		{"PulsesFollowEachLearnerWrite", contractPulsesFollowEachLearnerWrite},
		{"RecapSchedulesAreKeptAndTakenLikeTheOthers", contractRecapSchedulesAreKeptAndTakenLikeTheOthers},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
	}
}

var (
	errContract = errors.New("fn refused the change")

	contractA = bot.Community{Platform: bot.PlatformDiscord, ID: "100"}
	contractB = bot.Community{Platform: bot.PlatformDiscord, ID: "200"}
	// contractBase has nanoseconds and a zone, which a stored Next must keep to the instant.
	contractBase = time.Date(2026, 11, 24, 9, 0, 0, 123456789, time.FixedZone("CET", 3600))
)

// asJSON is a record as the core would see it stored: equal records encode the same.
func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// richLearner fills every part of a record the core keeps, maps and history included.
func richLearner(user string) func(*bot.Learner) error {
	return func(l *bot.Learner) error {
		l.Version, l.UserID, l.Name = bot.SchemaVersion, user, "Name of "+user
		l.Lessons = bot.Progress{"dns": bot.StateDone, "tls": bot.StateLearning, "cdn": bot.StateSkipped}
		l.Streak = bot.Streak{Current: 3, Longest: 5, Previous: 2, Freezes: 1, Last: 20781, First: 20770,
			Ends: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), Studied: 0b1011, Frozen: 0b100}
		l.Zone, l.ProfileZone = "Europe/Berlin", "Asia/Tokyo"
		l.QuizAnswered, l.QuizRight = 4, 3
		l.Questions.Set("dns-1", bot.QuestionRecord{Shown: 2, Right: 1, Wrong: 1, Answered: 20781, LastGood: true})
		l.Updated = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
		return nil
	}
}

func richSchedule(key bot.ScheduleKey, next time.Time) func(*bot.Schedule) error {
	return func(s *bot.Schedule) error {
		s.Version, s.Kind = bot.SchemaVersion, key.Kind
		s.At, s.Zone = bot.TimeOfDay{Hour: 9, Minute: 30}, "Europe/Berlin"
		s.Next, s.Last, s.Posted = next, 20780, 20779
		s.Sending = &bot.Sending{Date: 20781, Due: next, Token: "token-1"}
		s.Day, s.Cursor, s.SetBy = 3, 4, "admin"
		s.Updated = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
		return nil
	}
}

func updateLearner(t *testing.T, s Stores, c bot.Community, user string, fn func(*bot.Learner) error) {
	t.Helper()
	if err := s.Store.UpdateLearner(t.Context(), c, user, fn); err != nil {
		t.Fatalf("update learner %s in %s: %v", user, c.Key(), err)
	}
}

func learner(t *testing.T, s Stores, c bot.Community, user string) bot.Learner {
	t.Helper()
	l, err := s.Store.Learner(t.Context(), c, user)
	if err != nil {
		t.Fatalf("read learner %s in %s: %v", user, c.Key(), err)
	}
	return l
}

func updateSchedule(t *testing.T, s Stores, key bot.ScheduleKey, fn func(*bot.Schedule) error) {
	t.Helper()
	if err := s.Schedules.UpdateSchedule(t.Context(), key, fn); err != nil {
		t.Fatalf("update schedule %s: %v", key, err)
	}
}

func schedule(t *testing.T, s Stores, key bot.ScheduleKey) bot.Schedule {
	t.Helper()
	sch, err := s.Schedules.Schedule(t.Context(), key)
	if err != nil {
		t.Fatalf("read schedule %s: %v", key, err)
	}
	return sch
}

// setNext gives key a schedule due at next (none when zero).
func setNext(t *testing.T, s Stores, key bot.ScheduleKey, next time.Time) {
	t.Helper()
	updateSchedule(t, s, key, func(sch *bot.Schedule) error {
		sch.Version, sch.Kind, sch.Next = bot.SchemaVersion, key.Kind, next
		return nil
	})
}

// firstDue is FirstDue, zero when nothing is scheduled.
func firstDue(t *testing.T, s Stores) time.Time {
	t.Helper()
	next, ok, err := s.Schedules.FirstDue(t.Context())
	if err != nil {
		t.Fatalf("first due: %v", err)
	}
	if ok == next.IsZero() {
		t.Fatalf("first due: %v with ok %v", next, ok)
	}
	return next
}

func wantFirstDue(t *testing.T, s Stores, want time.Time) {
	t.Helper()
	if got := firstDue(t, s); !got.Equal(want) {
		t.Errorf("first due %v, want %v", got, want)
	}
}

// takeDue is TakeDue that records which keys fn was given, in order.
func takeDue(t *testing.T, s Stores, until time.Time, limit int, fn func(bot.ScheduleKey, *bot.Schedule) error) (int, []bot.ScheduleKey) {
	t.Helper()
	var keys []bot.ScheduleKey
	n, err := s.Schedules.TakeDue(t.Context(), until, limit, func(k bot.ScheduleKey, sch *bot.Schedule) error {
		keys = append(keys, k)
		return fn(k, sch)
	})
	if err != nil {
		t.Fatalf("take due until %v: %v", until, err)
	}
	return n, keys
}

// visited is the user IDs Learners hands out, in order.
func visited(t *testing.T, s Stores, c bot.Community) []string {
	t.Helper()
	var ids []string
	if err := s.Store.Learners(t.Context(), c, func(l bot.Learner) error {
		ids = append(ids, l.UserID)
		return nil
	}); err != nil {
		t.Fatalf("learners of %s: %v", c.Key(), err)
	}
	return ids
}

// ranked is "user:streak" for every learner LearnersByStreak hands out, in order.
func ranked(t *testing.T, s Stores, c bot.Community) []string {
	t.Helper()
	var out []string
	if err := s.Store.LearnersByStreak(t.Context(), c, func(l bot.Learner) (bool, error) {
		out = append(out, fmt.Sprintf("%s:%d", l.UserID, l.Streak.Current))
		return true, nil
	}); err != nil {
		t.Fatalf("learners by streak of %s: %v", c.Key(), err)
	}
	return out
}

func contractUnknownRecordsReadAsZero(t *testing.T, s Stores) {
	ctx := t.Context()
	if l := learner(t, s, contractA, "nobody"); !reflect.DeepEqual(l, bot.Learner{}) {
		t.Errorf("an unknown learner reads as %s", asJSON(t, l))
	}
	if st, err := s.Store.Settings(ctx, contractA); err != nil || st != (bot.Settings{}) {
		t.Errorf("unknown settings read as %+v, %v", st, err)
	}
	if sch := schedule(t, s, bot.RemindKey(contractA, "nobody")); sch.Version != 0 || sch.Active() {
		t.Errorf("an unknown schedule reads as %s", asJSON(t, sch))
	}
	var seen bot.Learner
	updateLearner(t, s, contractA, "newcomer", func(l *bot.Learner) error { seen = *l; return nil })
	if !reflect.DeepEqual(seen, bot.Learner{}) {
		t.Errorf("UpdateLearner gave fn %s for a newcomer, want a zero record", asJSON(t, seen))
	}
	var seenSettings bot.Settings
	if err := s.Store.UpdateSettings(ctx, contractA, func(st *bot.Settings) error { seenSettings = *st; return nil }); err != nil {
		t.Fatal(err)
	}
	if seenSettings != (bot.Settings{}) {
		t.Errorf("UpdateSettings gave fn %+v for a new community, want a zero record", seenSettings)
	}
	var seenSchedule bot.Schedule
	updateSchedule(t, s, bot.NudgeKey(bot.Channel{Community: contractA, ID: "general"}), func(sch *bot.Schedule) error {
		seenSchedule = *sch
		return nil
	})
	if !reflect.DeepEqual(seenSchedule, bot.Schedule{}) {
		t.Errorf("UpdateSchedule gave fn %s for a new schedule, want a zero record", asJSON(t, seenSchedule))
	}
	if next := firstDue(t, s); !next.IsZero() {
		t.Errorf("first due %v with no schedule due", next)
	}
	if n, keys := takeDue(t, s, contractBase.AddDate(10, 0, 0), 10, func(bot.ScheduleKey, *bot.Schedule) error { return nil }); n != 0 || len(keys) != 0 {
		t.Errorf("took %d (%v) with no schedule due", n, keys)
	}
	if ids := visited(t, s, contractB); len(ids) != 0 {
		t.Errorf("an unknown community has learners %v", ids)
	}
	if ids := ranked(t, s, contractB); len(ids) != 0 {
		t.Errorf("an unknown community has streaks %v", ids)
	}
}

func contractUpdatesSaveWhatFnLeft(t *testing.T, s Stores) {
	var want bot.Learner
	richLearner("ana")(&want)
	updateLearner(t, s, contractA, "ana", richLearner("ana"))
	got := learner(t, s, contractA, "ana")
	if asJSON(t, got) != asJSON(t, want) {
		t.Errorf("stored learner:\n got %s\nwant %s", asJSON(t, got), asJSON(t, want))
	}
	if q := got.Questions.Get("dns-1"); q != (bot.QuestionRecord{Shown: 2, Right: 1, Wrong: 1, Answered: 20781, LastGood: true}) {
		t.Errorf("stored question history: %+v", q)
	}
	// The next update starts from what the last one saved.
	updateLearner(t, s, contractA, "ana", func(l *bot.Learner) error {
		if asJSON(t, *l) != asJSON(t, want) {
			t.Errorf("fn was given %s, want the saved record %s", asJSON(t, *l), asJSON(t, want))
		}
		l.Streak.Current++
		l.Lessons["tls"] = bot.StateDone
		return nil
	})
	if l := learner(t, s, contractA, "ana"); l.Streak.Current != 4 || l.State("tls") != bot.StateDone || l.State("dns") != bot.StateDone {
		t.Errorf("after a second update: streak %d, tls %s, dns %s", l.Streak.Current, l.State("tls"), l.State("dns"))
	}

	if err := s.Store.UpdateSettings(t.Context(), contractA, func(st *bot.Settings) error { st.Zone = "Asia/Tokyo"; return nil }); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Store.Settings(t.Context(), contractA); err != nil || st.Zone != "Asia/Tokyo" {
		t.Errorf("stored settings %+v, %v; want zone Asia/Tokyo", st, err)
	}

	key := bot.NudgeKey(bot.Channel{Community: contractA, ID: "general"})
	var wantSchedule bot.Schedule
	richSchedule(key, contractBase)(&wantSchedule)
	updateSchedule(t, s, key, richSchedule(key, contractBase))
	if got := schedule(t, s, key); asJSON(t, got) != asJSON(t, wantSchedule) || !got.Next.Equal(contractBase) {
		t.Errorf("stored schedule:\n got %s\nwant %s", asJSON(t, got), asJSON(t, wantSchedule))
	}
	wantFirstDue(t, s, contractBase)
}

func contractAnErrorFromFnWritesNothing(t *testing.T, s Stores) {
	ctx := t.Context()
	updateLearner(t, s, contractA, "ana", richLearner("ana"))
	before := asJSON(t, learner(t, s, contractA, "ana"))
	err := s.Store.UpdateLearner(ctx, contractA, "ana", func(l *bot.Learner) error {
		l.Streak.Current = 99
		l.Lessons["cdn"] = bot.StateDone
		l.Questions.Set("cdn-1", bot.QuestionRecord{Shown: 1})
		return errContract
	})
	if !errors.Is(err, errContract) {
		t.Errorf("UpdateLearner returned %v, want fn's error", err)
	}
	if after := asJSON(t, learner(t, s, contractA, "ana")); after != before {
		t.Errorf("a refused update changed the learner:\nbefore %s\nafter  %s", before, after)
	}
	err = s.Store.UpdateLearner(ctx, contractA, "ghost", func(l *bot.Learner) error {
		l.UserID, l.Streak.Current = "ghost", 1
		return errContract
	})
	if !errors.Is(err, errContract) {
		t.Errorf("UpdateLearner of a newcomer returned %v, want fn's error", err)
	}
	if ids := visited(t, s, contractA); !slices.Equal(ids, []string{"ana"}) {
		t.Errorf("learners %v after a refused first update, want only ana", ids)
	}
	if ids := ranked(t, s, contractA); !slices.Equal(ids, []string{"ana:3"}) {
		t.Errorf("streaks %v after refused updates, want only ana's 3", ids)
	}

	if err := s.Store.UpdateSettings(ctx, contractA, func(st *bot.Settings) error { st.Zone = "Asia/Tokyo"; return nil }); err != nil {
		t.Fatal(err)
	}
	err = s.Store.UpdateSettings(ctx, contractA, func(st *bot.Settings) error { st.Zone = "UTC"; return errContract })
	if st, _ := s.Store.Settings(ctx, contractA); !errors.Is(err, errContract) || st.Zone != "Asia/Tokyo" {
		t.Errorf("a refused settings update returned %v and left zone %q, want fn's error and Asia/Tokyo", err, st.Zone)
	}

	key := bot.RemindKey(contractA, "ana")
	later := contractBase.Add(time.Hour)
	updateSchedule(t, s, key, richSchedule(key, later))
	beforeSchedule := asJSON(t, schedule(t, s, key))
	err = s.Schedules.UpdateSchedule(ctx, key, func(sch *bot.Schedule) error {
		sch.Next, sch.Day, sch.Sending = contractBase, 9, nil
		return errContract
	})
	if !errors.Is(err, errContract) {
		t.Errorf("UpdateSchedule returned %v, want fn's error", err)
	}
	fresh := bot.RemindKey(contractA, "ghost")
	err = s.Schedules.UpdateSchedule(ctx, fresh, func(sch *bot.Schedule) error {
		sch.Version, sch.Kind, sch.Next = bot.SchemaVersion, fresh.Kind, contractBase
		return errContract
	})
	if !errors.Is(err, errContract) {
		t.Errorf("UpdateSchedule of a new schedule returned %v, want fn's error", err)
	}
	if after := asJSON(t, schedule(t, s, key)); after != beforeSchedule {
		t.Errorf("a refused update changed the schedule:\nbefore %s\nafter  %s", beforeSchedule, after)
	}
	if sch := schedule(t, s, fresh); sch.Version != 0 {
		t.Errorf("a refused first update stored %s", asJSON(t, sch))
	}
	wantFirstDue(t, s, later) // neither refused Next reached the index
}

func contractRecordsAreCopiedInAndOut(t *testing.T, s Stores) {
	ctx := t.Context()
	var kept *bot.Learner
	updateLearner(t, s, contractA, "ana", func(l *bot.Learner) error {
		kept = l
		return richLearner("ana")(l)
	})
	before := asJSON(t, learner(t, s, contractA, "ana"))
	// Whatever a caller does with a record it was given afterwards stays with the caller.
	kept.Lessons["kept"] = bot.StateDone
	kept.Streak.Current = 99
	kept.Questions.Set("kept-1", bot.QuestionRecord{Shown: 1})
	got := learner(t, s, contractA, "ana")
	got.Lessons["read"] = bot.StateDone
	got.Questions.Set("read-1", bot.QuestionRecord{Shown: 1})
	if err := s.Store.Learners(ctx, contractA, func(l bot.Learner) error {
		l.Lessons["listed"] = bot.StateDone
		l.Questions.Set("listed-1", bot.QuestionRecord{Shown: 1})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Store.LearnersByStreak(ctx, contractA, func(l bot.Learner) (bool, error) {
		l.Lessons["ranked"] = bot.StateDone
		l.Questions.Set("ranked-1", bot.QuestionRecord{Shown: 1})
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	if after := asJSON(t, learner(t, s, contractA, "ana")); after != before {
		t.Errorf("changing records handed out changed the stored one:\nbefore %s\nafter  %s", before, after)
	}

	key := bot.NudgeKey(bot.Channel{Community: contractA, ID: "general"})
	var keptSchedule *bot.Schedule
	updateSchedule(t, s, key, func(sch *bot.Schedule) error {
		keptSchedule = sch
		return richSchedule(key, contractBase)(sch)
	})
	beforeSchedule := asJSON(t, schedule(t, s, key))
	keptSchedule.Next = contractBase.Add(-time.Hour)
	keptSchedule.Sending.Token = "kept"
	readSchedule := schedule(t, s, key)
	readSchedule.Sending.Token = "read"
	if after := asJSON(t, schedule(t, s, key)); after != beforeSchedule {
		t.Errorf("changing schedules handed out changed the stored one:\nbefore %s\nafter  %s", beforeSchedule, after)
	}
	wantFirstDue(t, s, contractBase)
	n, _ := takeDue(t, s, contractBase, 1, func(_ bot.ScheduleKey, sch *bot.Schedule) error {
		keptSchedule = sch
		sch.Next = contractBase.Add(24 * time.Hour)
		return nil
	})
	if n != 1 {
		t.Fatalf("took %d, want the one schedule due", n)
	}
	afterTake := asJSON(t, schedule(t, s, key))
	keptSchedule.Next = contractBase.Add(-time.Hour)
	keptSchedule.Sending.Token = "taken"
	if got := asJSON(t, schedule(t, s, key)); got != afterTake {
		t.Errorf("changing a taken schedule afterwards changed the stored one:\nbefore %s\nafter  %s", afterTake, got)
	}
	wantFirstDue(t, s, contractBase.Add(24*time.Hour))
}

func contractCommunitiesAreIsolated(t *testing.T, s Stores) {
	ctx := t.Context()
	// One ID on every platform and in two guilds: each is a community of its own.
	communities := []bot.Community{contractA, contractB,
		{Platform: bot.PlatformSlack, ID: "100"}, {Platform: bot.PlatformConsole, ID: "100"}}
	zones := []string{"UTC", "Asia/Tokyo", "Europe/Berlin", "America/New_York"}
	for i, c := range communities {
		updateLearner(t, s, c, "u1", func(l *bot.Learner) error {
			l.UserID, l.Name, l.Streak.Current = "u1", c.Key(), i+1
			return nil
		})
		own := fmt.Sprintf("only-%d", i)
		updateLearner(t, s, c, own, func(l *bot.Learner) error { l.UserID = own; return nil })
		if err := s.Store.UpdateSettings(ctx, c, func(st *bot.Settings) error { st.Zone = zones[i]; return nil }); err != nil {
			t.Fatal(err)
		}
		updateSchedule(t, s, bot.RemindKey(c, "u1"), func(sch *bot.Schedule) error { sch.Day = i + 1; return nil })
		// A channel and a learner may share an ID: a nudge and a reminder are apart too.
		updateSchedule(t, s, bot.NudgeKey(bot.Channel{Community: c, ID: "u1"}), func(sch *bot.Schedule) error { sch.Day = 100 + i; return nil })
	}
	for i, c := range communities {
		if l := learner(t, s, c, "u1"); l.Name != c.Key() || l.Streak.Current != i+1 {
			t.Errorf("u1 in %s reads as %s", c.Key(), asJSON(t, l))
		}
		ids := visited(t, s, c)
		slices.Sort(ids)
		if want := []string{fmt.Sprintf("only-%d", i), "u1"}; !slices.Equal(ids, want) {
			t.Errorf("learners of %s: %v, want %v", c.Key(), ids, want)
		}
		if got, want := ranked(t, s, c), []string{fmt.Sprintf("u1:%d", i+1)}; !slices.Equal(got, want) {
			t.Errorf("streaks of %s: %v, want %v", c.Key(), got, want)
		}
		if st, err := s.Store.Settings(ctx, c); err != nil || st.Zone != zones[i] {
			t.Errorf("settings of %s: %+v, %v; want zone %s", c.Key(), st, err, zones[i])
		}
		if sch := schedule(t, s, bot.RemindKey(c, "u1")); sch.Day != i+1 {
			t.Errorf("u1's reminder in %s: day %d, want %d", c.Key(), sch.Day, i+1)
		}
		if sch := schedule(t, s, bot.NudgeKey(bot.Channel{Community: c, ID: "u1"})); sch.Day != 100+i {
			t.Errorf("channel u1's nudge in %s: day %d, want %d", c.Key(), sch.Day, 100+i)
		}
	}
}

func contractLearnersVisitsEachLearnerOnce(t *testing.T, s Stores) {
	var want []string
	for i := range 40 {
		id := fmt.Sprintf("learner-%02d", i)
		want = append(want, id)
		updateLearner(t, s, contractA, id, func(l *bot.Learner) error { l.UserID = id; return nil })
	}
	for i := range 10 { // rewritten records are still one learner each
		id := fmt.Sprintf("learner-%02d", i)
		updateLearner(t, s, contractA, id, func(l *bot.Learner) error { l.Name = "again"; return nil })
	}
	for i := range 5 {
		id := fmt.Sprintf("elsewhere-%d", i)
		updateLearner(t, s, contractB, id, func(l *bot.Learner) error { l.UserID = id; return nil })
	}
	got := visited(t, s, contractA)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("learners visited: %v\nwant each of %v once", got, want)
	}
	calls := 0
	err := s.Store.Learners(t.Context(), contractA, func(bot.Learner) error { calls++; return errContract })
	if !errors.Is(err, errContract) || calls != 1 {
		t.Errorf("fn failing: Learners returned %v after %d calls, want fn's error after 1", err, calls)
	}
}

func contractConcurrentUpdatesLoseNone(t *testing.T, s Stores) {
	const workers, each = 16, 8
	ctx := t.Context()
	key := bot.RemindKey(contractA, "ana")
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() { // reads go on beside the writes
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.Store.Learner(ctx, contractA, "ana"); err != nil {
				t.Error(err)
				return
			}
			if err := s.Store.Learners(ctx, contractA, func(bot.Learner) error { return nil }); err != nil {
				t.Error(err)
				return
			}
		}
	})
	var writers sync.WaitGroup
	for w := range workers {
		writers.Go(func() {
			own := fmt.Sprintf("worker-%d", w)
			for range each {
				for _, user := range []string{"ana", own} {
					if err := s.Store.UpdateLearner(ctx, contractA, user, func(l *bot.Learner) error {
						l.UserID = user
						l.QuizAnswered++
						runtime.Gosched() // let other writers in, if the store lets them
						return nil
					}); err != nil {
						t.Error(err)
					}
				}
				if err := s.Schedules.UpdateSchedule(ctx, key, func(sch *bot.Schedule) error {
					sch.Day++
					runtime.Gosched()
					return nil
				}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	writers.Wait()
	close(stop)
	readers.Wait()
	if n := learner(t, s, contractA, "ana").QuizAnswered; n != workers*each {
		t.Errorf("%d concurrent increments of one learner kept %d", workers*each, n)
	}
	for w := range workers {
		if n := learner(t, s, contractA, fmt.Sprintf("worker-%d", w)).QuizAnswered; n != each {
			t.Errorf("worker-%d: %d increments kept of %d", w, n, each)
		}
	}
	if n := schedule(t, s, key).Day; n != workers*each {
		t.Errorf("%d concurrent increments of one schedule kept %d", workers*each, n)
	}
}

func contractRecordsThatCannotBeKeyedAreRefused(t *testing.T, s Stores) {
	ctx := t.Context()
	write := func(*bot.Learner) error { return nil }
	if err := s.Store.UpdateLearner(ctx, contractA, "", write); err == nil {
		t.Error("a learner without a user ID was stored")
	}
	bad := bot.Community{Platform: "irc", ID: "100"}
	if err := s.Store.UpdateLearner(ctx, bad, "ana", write); err == nil {
		t.Error("a learner of an unknown platform was stored")
	}
	if err := s.Store.UpdateSettings(ctx, bot.Community{Platform: bot.PlatformSlack, ID: "a/b"}, func(*bot.Settings) error { return nil }); err == nil {
		t.Error("settings of a community ID with a slash were stored")
	}
	if err := s.Schedules.UpdateSchedule(ctx, bot.ScheduleKey{Kind: "daily", Community: contractA, Target: "general"}, func(sch *bot.Schedule) error {
		sch.Next = contractBase
		return nil
	}); err == nil {
		t.Error("a schedule of an unknown kind was stored")
	}
	if ids := visited(t, s, contractA); len(ids) != 0 {
		t.Errorf("learners %v after refused writes", ids)
	}
	if next := firstDue(t, s); !next.IsZero() {
		t.Errorf("first due %v after a refused schedule", next)
	}
}

func contractFirstDueIsTheEarliestNext(t *testing.T, s Stores) {
	early := bot.RemindKey(contractA, "early")
	middle := bot.NudgeKey(bot.Channel{Community: contractB, ID: "general"})
	late := bot.RemindKey(contractA, "late")
	setNext(t, s, late, contractBase.Add(3*time.Hour))
	setNext(t, s, early, contractBase.Add(time.Hour).In(time.FixedZone("JST", 9*3600)))
	setNext(t, s, middle, contractBase.Add(2*time.Hour))
	setNext(t, s, bot.RemindKey(contractA, "off"), time.Time{})
	wantFirstDue(t, s, contractBase.Add(time.Hour))
	setNext(t, s, early, contractBase.Add(5*time.Hour))
	wantFirstDue(t, s, contractBase.Add(2*time.Hour))
	setNext(t, s, middle, contractBase.Add(30*time.Minute)) // moved earlier
	wantFirstDue(t, s, contractBase.Add(30*time.Minute))
	for _, k := range []bot.ScheduleKey{early, middle, late} {
		setNext(t, s, k, time.Time{})
	}
	if next := firstDue(t, s); !next.IsZero() {
		t.Errorf("first due %v with every schedule off", next)
	}
}

// dueFive gives five schedules, of both kinds and two communities, Next one minute apart
// from contractBase+1m, written out of order, plus one due an hour later. It returns the
// five in the order they fall due.
func dueFive(t *testing.T, s Stores) (keys []bot.ScheduleKey, later bot.ScheduleKey) {
	keys = []bot.ScheduleKey{
		bot.RemindKey(contractB, "bo"),
		bot.NudgeKey(bot.Channel{Community: contractA, ID: "general"}),
		bot.RemindKey(contractA, "ana"),
		bot.NudgeKey(bot.Channel{Community: contractB, ID: "random"}),
		bot.RemindKey(contractA, "cy"),
	}
	for _, i := range []int{3, 0, 4, 2, 1} {
		setNext(t, s, keys[i], contractBase.Add(time.Duration(i+1)*time.Minute))
	}
	later = bot.RemindKey(contractA, "later")
	setNext(t, s, later, contractBase.Add(time.Hour))
	return keys, later
}

func contractTakeDueTakesTheEarliestUpToLimit(t *testing.T, s Stores) {
	keys, later := dueFive(t, s)
	until := contractBase.Add(5 * time.Minute) // the fifth is due at until itself: due
	tomorrow := contractBase.Add(24 * time.Hour)
	seen := map[bot.ScheduleKey]int{}
	move := func(k bot.ScheduleKey, sch *bot.Schedule) error {
		seen[k]++
		if i := slices.Index(keys, k); i < 0 || !sch.Next.Equal(contractBase.Add(time.Duration(i+1)*time.Minute)) {
			t.Errorf("fn was given %s due %v", k, sch.Next)
		}
		sch.Day++
		sch.Next = tomorrow
		return nil
	}
	var taken []bot.ScheduleKey
	for _, want := range []int{2, 2, 1, 0} {
		n, got := takeDue(t, s, until, 2, move)
		if n != want || len(got) != want {
			t.Errorf("took %d (fn ran on %v), want %d", n, got, want)
		}
		taken = append(taken, got...)
	}
	if !slices.Equal(taken, keys) {
		t.Errorf("taken in the order\n%v\nwant earliest first\n%v", taken, keys)
	}
	for _, k := range keys {
		if seen[k] != 1 {
			t.Errorf("fn ran %d times on %s, want once", seen[k], k)
		}
		if sch := schedule(t, s, k); sch.Day != 1 || !sch.Next.Equal(tomorrow) {
			t.Errorf("%s after it was taken: day %d, next %v; want what fn left", k, sch.Day, sch.Next)
		}
	}
	if sch := schedule(t, s, later); sch.Day != 0 {
		t.Errorf("%s, not due until an hour later, was taken", later)
	}
	wantFirstDue(t, s, contractBase.Add(time.Hour))
}

func contractTakeDueReindexesUnderTheNewNext(t *testing.T, s Stores) {
	keys, later := dueFive(t, s)
	tomorrow := contractBase.Add(24 * time.Hour)
	// Due again tomorrow in the reverse order: the index must follow the records.
	n, _ := takeDue(t, s, contractBase.Add(5*time.Minute), 10, func(k bot.ScheduleKey, sch *bot.Schedule) error {
		sch.Next = tomorrow.Add(time.Duration(len(keys)-slices.Index(keys, k)) * time.Minute)
		return nil
	})
	if n != len(keys) {
		t.Fatalf("took %d, want %d", n, len(keys))
	}
	want := []bot.ScheduleKey{later}
	for i := range keys {
		want = append(want, keys[len(keys)-1-i])
	}
	n, got := takeDue(t, s, tomorrow.Add(time.Hour), 10, func(_ bot.ScheduleKey, sch *bot.Schedule) error {
		sch.Next = tomorrow.Add(24 * time.Hour)
		return nil
	})
	if n != len(want) || !slices.Equal(got, want) {
		t.Errorf("took %d in the order\n%v\nwant\n%v", n, got, want)
	}
	wantFirstDue(t, s, tomorrow.Add(24*time.Hour))
}

func contractAClearedNextLeavesTheIndex(t *testing.T, s Stores) {
	off := bot.NudgeKey(bot.Channel{Community: contractA, ID: "general"})
	given := bot.RemindKey(contractA, "ana")
	setNext(t, s, off, contractBase)
	setNext(t, s, given, contractBase.Add(time.Minute))
	updateSchedule(t, s, off, func(sch *bot.Schedule) error {
		sch.Next, sch.Disabled, sch.Day = time.Time{}, "turned off", 4
		return nil
	})
	wantFirstDue(t, s, contractBase.Add(time.Minute))
	n, got := takeDue(t, s, contractBase.Add(time.Hour), 10, func(_ bot.ScheduleKey, sch *bot.Schedule) error {
		sch.Next, sch.Disabled = time.Time{}, "given up"
		return nil
	})
	if n != 1 || !slices.Equal(got, []bot.ScheduleKey{given}) {
		t.Errorf("took %d: %v, want only %s (the other was turned off)", n, got, given)
	}
	if next := firstDue(t, s); !next.IsZero() {
		t.Errorf("first due %v with every schedule cleared", next)
	}
	if n, got := takeDue(t, s, contractBase.AddDate(1, 0, 0), 10, func(bot.ScheduleKey, *bot.Schedule) error { return nil }); n != 0 {
		t.Errorf("took %d (%v) with every schedule cleared", n, got)
	}
	if sch := schedule(t, s, off); sch.Disabled != "turned off" || sch.Day != 4 || !sch.Next.IsZero() {
		t.Errorf("a schedule turned off reads as %s: the record stays, only its Next goes", asJSON(t, sch))
	}
	if sch := schedule(t, s, given); sch.Disabled != "given up" {
		t.Errorf("a schedule given up reads as %s", asJSON(t, sch))
	}
}

func contractAnErrorInTakeDueSavesNothing(t *testing.T, s Stores) {
	first := bot.RemindKey(contractA, "ana")
	second := bot.RemindKey(contractA, "bo")
	setNext(t, s, first, contractBase.Add(time.Minute))
	setNext(t, s, second, contractBase.Add(2*time.Minute))
	n, err := s.Schedules.TakeDue(t.Context(), contractBase.Add(time.Hour), 10, func(k bot.ScheduleKey, sch *bot.Schedule) error {
		if k == second {
			return errContract
		}
		sch.Day, sch.Next = 7, contractBase.Add(24*time.Hour)
		return nil
	})
	if !errors.Is(err, errContract) {
		t.Errorf("TakeDue returned %d, %v; want fn's error", n, err)
	}
	// One write transaction: the schedule fn had already changed is rolled back too.
	if sch := schedule(t, s, first); sch.Day != 0 || !sch.Next.Equal(contractBase.Add(time.Minute)) {
		t.Errorf("%s after TakeDue failed: day %d, next %v; want it unchanged", first, sch.Day, sch.Next)
	}
	wantFirstDue(t, s, contractBase.Add(time.Minute))
	n, got := takeDue(t, s, contractBase.Add(time.Hour), 10, func(_ bot.ScheduleKey, sch *bot.Schedule) error {
		sch.Next = time.Time{}
		return nil
	})
	if want := []bot.ScheduleKey{first, second}; n != 2 || !slices.Equal(got, want) {
		t.Errorf("after the failure took %d: %v, want %v still due", n, got, want)
	}
}

// streaks writes learners of contractA with these stored current streaks (and one with a
// lapsed streak, one who never studied, and a longer streak in another community).
func streaks(t *testing.T, s Stores, current map[string]int) {
	t.Helper()
	for id, n := range current {
		updateLearner(t, s, contractA, id, func(l *bot.Learner) error {
			l.UserID, l.Name = id, "Name of "+id
			l.Streak = bot.Streak{Current: n, Longest: n, Last: 20781}
			return nil
		})
	}
	updateLearner(t, s, contractA, "lapsed", func(l *bot.Learner) error {
		l.UserID, l.Streak = "lapsed", bot.Streak{Previous: 4, Longest: 4, Last: 20700}
		return nil
	})
	updateLearner(t, s, contractA, "never", func(l *bot.Learner) error { l.UserID = "never"; return nil })
	updateLearner(t, s, contractB, "elsewhere", func(l *bot.Learner) error {
		l.UserID, l.Streak = "elsewhere", bot.Streak{Current: 50, Last: 20781}
		return nil
	})
}

// wantRanked checks the ranking of contractA against want ("user:streak", highest first):
// learners with equal streaks may come in either order.
func wantRanked(t *testing.T, s Stores, want []string) {
	t.Helper()
	got := ranked(t, s, contractA)
	streakOf := func(e string) string { return e[strings.LastIndexByte(e, ':'):] }
	ok := len(got) == len(want) && slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)))
	for i := 0; ok && i < len(got); i++ {
		ok = streakOf(got[i]) == streakOf(want[i])
	}
	if !ok {
		t.Errorf("ranked %v, want %v: stored current streaks above zero, highest first (equal ones in any order)", got, want)
	}
}

func contractLearnersByStreakRanksCurrentStreaks(t *testing.T, s Stores) {
	streaks(t, s, map[string]int{"one": 1, "five": 5, "three-a": 3, "twelve": 12, "three-b": 3})
	wantRanked(t, s, []string{"twelve:12", "five:5", "three-a:3", "three-b:3", "one:1"})
	if err := s.Store.LearnersByStreak(t.Context(), contractA, func(l bot.Learner) (bool, error) {
		if l.Name != "Name of "+l.UserID || l.Streak.Last != 20781 {
			t.Errorf("LearnersByStreak handed out a partial record: %s", asJSON(t, l))
		}
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
}

func contractLearnersByStreakStopsWhenTold(t *testing.T, s Stores) {
	streaks(t, s, map[string]int{"one": 1, "five": 5, "three": 3, "twelve": 12})
	var got []string
	err := s.Store.LearnersByStreak(t.Context(), contractA, func(l bot.Learner) (bool, error) {
		got = append(got, l.UserID)
		return len(got) < 2, nil
	})
	if err != nil || !slices.Equal(got, []string{"twelve", "five"}) {
		t.Errorf("fn asking to stop after 2: visited %v, returned %v; want [twelve five], nil", got, err)
	}
	calls := 0
	err = s.Store.LearnersByStreak(t.Context(), contractA, func(bot.Learner) (bool, error) {
		calls++
		return true, errContract
	})
	if !errors.Is(err, errContract) || calls != 1 {
		t.Errorf("fn failing: LearnersByStreak returned %v after %d calls, want fn's error after 1", err, calls)
	}
}

func contractLearnersByStreakFollowsUpdates(t *testing.T, s Stores) {
	streaks(t, s, map[string]int{"one": 1, "five": 5, "three-a": 3, "three-b": 3})
	setStreak := func(id string, n int) {
		t.Helper()
		updateLearner(t, s, contractA, id, func(l *bot.Learner) error {
			l.UserID, l.Streak.Current = id, n
			return nil
		})
	}
	setStreak("five", 2)   // lowered
	setStreak("one", 0)    // broken: out of the ranking
	setStreak("lapsed", 7) // a new streak
	setStreak("never", 4)  // a first one
	updateLearner(t, s, contractA, "three-a", func(l *bot.Learner) error { l.Name = "renamed"; return nil })
	wantRanked(t, s, []string{"lapsed:7", "never:4", "three-a:3", "three-b:3", "five:2"})
	setStreak("three-b", 9)
	wantRanked(t, s, []string{"three-b:9", "lapsed:7", "never:4", "three-a:3", "five:2"})
}

func setNote(t *testing.T, s Stores, c bot.Community, user, lesson, text string) {
	t.Helper()
	if err := s.Store.SetNote(t.Context(), c, user, lesson, text); err != nil {
		t.Fatalf("set note of %s on %s in %s: %v", user, lesson, c.Key(), err)
	}
}

// notesOf is the learner's notes as "lesson=text", in the order Notes gives them.
func notesOf(t *testing.T, s Stores, c bot.Community, user string) []string {
	t.Helper()
	var out []string
	err := s.Store.Notes(t.Context(), c, user, func(lesson, text string) error {
		out = append(out, lesson+"="+text)
		return nil
	})
	if err != nil {
		t.Fatalf("notes of %s in %s: %v", user, c.Key(), err)
	}
	return out
}

func noteOf(t *testing.T, s Stores, c bot.Community, user, lesson string) string {
	t.Helper()
	text, err := s.Store.Note(t.Context(), c, user, lesson)
	if err != nil {
		t.Fatalf("note of %s on %s in %s: %v", user, lesson, c.Key(), err)
	}
	return text
}

func contractNotesAreKeptPerLearnerAndLesson(t *testing.T, s Stores) {
	if got := noteOf(t, s, contractA, "u1", "dns"); got != "" {
		t.Errorf("a note never written reads %q", got)
	}
	multi := "line one\n\n  line **two** @everyone <@1>"
	setNote(t, s, contractA, "u1", "tls", multi)
	setNote(t, s, contractA, "u1", "dns", "first")
	setNote(t, s, contractA, "u1", "dns", "second") // replaces
	// A user whose ID starts with another's, and the same user in another community.
	setNote(t, s, contractA, "u10", "dns", "someone else")
	setNote(t, s, contractB, "u1", "dns", "other community")
	if got := noteOf(t, s, contractA, "u1", "tls"); got != multi {
		t.Errorf("note = %q, want it byte for byte: %q", got, multi)
	}
	if got, want := notesOf(t, s, contractA, "u1"), []string{"dns=second", "tls=" + multi}; !slices.Equal(got, want) {
		t.Errorf("notes of u1 = %q, want %q (by lesson slug)", got, want)
	}
	if got, want := notesOf(t, s, contractA, "u10"), []string{"dns=someone else"}; !slices.Equal(got, want) {
		t.Errorf("notes of u10 = %q, want %q", got, want)
	}
	if got, want := notesOf(t, s, contractB, "u1"), []string{"dns=other community"}; !slices.Equal(got, want) {
		t.Errorf("notes of u1 in B = %q, want %q", got, want)
	}
	setNote(t, s, contractA, "u1", "dns", "")
	if got := noteOf(t, s, contractA, "u1", "dns"); got != "" {
		t.Errorf("a deleted note reads %q", got)
	}
	if got, want := notesOf(t, s, contractA, "u1"), []string{"tls=" + multi}; !slices.Equal(got, want) {
		t.Errorf("after deleting dns: %q, want %q", got, want)
	}
	setNote(t, s, contractA, "u1", "never-written", "") // deleting nothing is no error
	// Notes live outside the learner's record: writing one creates no learner.
	if l := learner(t, s, contractA, "u1"); l.UserID != "" {
		t.Errorf("a note created a learner record: %s", asJSON(t, l))
	}
	stop := errors.New("stop")
	n := 0
	err := s.Store.Notes(t.Context(), contractA, "u1", func(string, string) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Notes after fn failed: %v after %d calls; want fn's error after 1", err, n)
	}
}

// forgetFixture stores, for u1 and u2 in A and u1 in B: a full record with a streak, two
// notes and a reminder; u1 also set up A's daily post in channel c1.
func forgetFixture(t *testing.T, s Stores, next time.Time) {
	for _, c := range []bot.Community{contractA, contractB} {
		for _, user := range []string{"u1", "u2"} {
			if c == contractB && user == "u2" {
				continue
			}
			updateLearner(t, s, c, user, richLearner(user))
			setNote(t, s, c, user, "dns", "note of "+user)
			setNote(t, s, c, user, "tls", "more")
			updateSchedule(t, s, bot.RemindKey(c, user), richSchedule(bot.RemindKey(c, user), next))
		}
	}
	nudge := bot.NudgeKey(bot.Channel{Community: contractA, ID: "c1"})
	updateSchedule(t, s, nudge, richSchedule(nudge, next.Add(time.Hour)))
	updateSchedule(t, s, nudge, func(sch *bot.Schedule) error { sch.SetBy = "u1"; return nil })
}

func contractForgetLearnerDeletesOnlyThatLearner(t *testing.T, s Stores) {
	next := contractBase.Add(time.Hour)
	forgetFixture(t, s, next)
	if err := s.Store.ForgetLearner(t.Context(), contractA, "u1"); err != nil {
		t.Fatal(err)
	}
	if l := learner(t, s, contractA, "u1"); l.UserID != "" || l.Streak.Current != 0 {
		t.Errorf("u1 in A after forget: %s", asJSON(t, l))
	}
	if ids := visited(t, s, contractA); !slices.Equal(ids, []string{"u2"}) {
		t.Errorf("learners of A after forgetting u1: %v, want [u2]", ids)
	}
	if got := ranked(t, s, contractA); !slices.Equal(got, []string{"u2:3"}) {
		t.Errorf("streaks of A after forgetting u1: %v, want [u2:3]", got)
	}
	if got := notesOf(t, s, contractA, "u1"); len(got) != 0 {
		t.Errorf("u1's notes in A after forget: %q", got)
	}
	if s.Schedules != nil {
		if sch := schedule(t, s, bot.RemindKey(contractA, "u1")); sch.Version != 0 {
			t.Errorf("u1's reminder in A after forget: %s", asJSON(t, sch))
		}
		// The other reminders are still due at next; u1's is not among them.
		n, keys := takeDue(t, s, next, 10, func(_ bot.ScheduleKey, sch *bot.Schedule) error { sch.Next = time.Time{}; return nil })
		var got []string
		for _, k := range keys {
			got = append(got, k.String())
		}
		slices.Sort(got)
		if want := []string{bot.RemindKey(contractA, "u2").String(), bot.RemindKey(contractB, "u1").String()}; n != 2 || !slices.Equal(got, want) {
			t.Errorf("due after forgetting u1 in A: %v, want %v", got, want)
		}
		nudge := schedule(t, s, bot.NudgeKey(bot.Channel{Community: contractA, ID: "c1"}))
		if nudge.SetBy != "" || nudge.Day != 3 || !nudge.Next.Equal(next.Add(time.Hour)) {
			t.Errorf("the daily post u1 set up: %s; want it kept, naming nobody", asJSON(t, nudge))
		}
	}
	// The others keep everything.
	for _, who := range []struct {
		c    bot.Community
		user string
	}{{contractA, "u2"}, {contractB, "u1"}} {
		want := bot.Learner{}
		if err := richLearner(who.user)(&want); err != nil {
			t.Fatal(err)
		}
		if got := learner(t, s, who.c, who.user); asJSON(t, got) != asJSON(t, want) {
			t.Errorf("%s in %s after forgetting u1 in A: %s", who.user, who.c.Key(), asJSON(t, got))
		}
		if got, want := notesOf(t, s, who.c, who.user), []string{"dns=note of " + who.user, "tls=more"}; !slices.Equal(got, want) {
			t.Errorf("notes of %s in %s: %q, want %q", who.user, who.c.Key(), got, want)
		}
		if s.Schedules != nil {
			if sch := schedule(t, s, bot.RemindKey(who.c, who.user)); sch.Version == 0 {
				t.Errorf("reminder of %s in %s is gone", who.user, who.c.Key())
			}
		}
	}
	if got := ranked(t, s, contractB); !slices.Equal(got, []string{"u1:3"}) {
		t.Errorf("streaks of B: %v, want [u1:3]", got)
	}
}

func contractForgetLearnerOfNobodyChangesNothing(t *testing.T, s Stores) {
	if err := s.Store.ForgetLearner(t.Context(), contractA, "nobody"); err != nil {
		t.Errorf("forgetting an unknown learner in an unknown community: %v", err)
	}
	forgetFixture(t, s, contractBase.Add(time.Hour))
	if err := s.Store.ForgetLearner(t.Context(), contractA, "nobody"); err != nil {
		t.Errorf("forgetting an unknown learner: %v", err)
	}
	if ids := visited(t, s, contractA); len(ids) != 2 {
		t.Errorf("learners of A: %v", ids)
	}
	if err := s.Store.ForgetLearner(t.Context(), bot.Community{Platform: "irc", ID: "x"}, "u1"); err == nil {
		t.Error("a community no adapter could produce was accepted")
	}
}
