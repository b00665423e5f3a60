package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/studybot/studybot/bot"
)

// answerButton is the command of the quiz's button for choice letter.
func answerButton(t *testing.T, quiz bot.Response, letter string) string {
	t.Helper()
	for _, b := range quiz.Buttons {
		if strings.HasPrefix(b.Command, "answer ") && strings.HasSuffix(b.Command, " "+letter) {
			return b.Command
		}
	}
	t.Fatalf("no answer button %s in %+v", letter, quiz.Buttons)
	return ""
}

// exportOf runs /roadmap export as user and decodes the file it answers with.
func exportOf(t *testing.T, r *rig, user string) (bot.Export, map[string]any, bot.Response) {
	t.Helper()
	resp := r.ok(user, "c1", "export")
	name := "studybot-export-console-study-" + user + ".json"
	f, ok := resp.FileNamed(name)
	if !ok || f.Type != "application/json" {
		t.Fatalf("export answered %+v, want the file %s (application/json)", resp, name)
	}
	if !resp.Ephemeral {
		t.Error("the export is not private")
	}
	if !strings.Contains(string(f.Data), "\n  \"format\": \"studybot-export\"") {
		t.Errorf("export is not pretty-printed:\n%.200s", f.Data)
	}
	var doc bot.Export
	var raw map[string]any
	if err := json.Unmarshal(f.Data, &doc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(f.Data, &raw); err != nil {
		t.Fatal(err)
	}
	return doc, raw, resp
}

func TestExportHoldsEveryStoredFact(t *testing.T) {
	r := newRig(t, utc("2026-12-01T10:00:00Z"))
	r.ok("ana", "c1", "timezone Europe/Berlin")
	r.ok("ana", "c1", "remind 20:00")
	r.ok("ana", "c1", "note caching TTL lives in Cache-Control")
	r.ok("ana", "c1", "done internet-basics")
	r.ok("ana", "c1", "start caching")
	r.ok("ana", "c1", "skip testing")
	quiz := r.ok("ana", "c1", "quiz caching")
	r.ok("ana", "c1", answerButton(t, quiz, "a"))
	// History the commands above cannot build in one day: earlier study days, a freeze, a
	// previous streak, a graded review, and a field of an older record.
	err := r.store.UpdateLearner(context.Background(), community, "ana", func(l *bot.Learner) error {
		if l.Streak.Days != "3" {
			return fmt.Errorf("today's history is %q; want a lesson done and a question answered (3)", l.Streak.Days)
		}
		// Today; a check-in the day before; a freeze; a missed day; a check-in.
		l.Streak.Days = "30*.0"
		l.Streak.Previous, l.Streak.Longest, l.Streak.Freezes = 4, 9, 1
		l.Cards.Grade("apis-1", bot.RatingHard, l.Streak.Last, 0)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := r.store.Learner(context.Background(), community, "ana")
	if err != nil {
		t.Fatal(err)
	}

	doc, raw, resp := exportOf(t, r, "ana")
	if !strings.Contains(resp.Text, "/roadmap forget") {
		t.Errorf("export answer %q does not say how to delete it all", resp.Text)
	}
	if doc.Format != bot.ExportFormat || doc.Version != bot.ExportVersion || doc.Community != "console/study" || doc.UserID != "ana" ||
		doc.DisplayName != "ana" || doc.TimeZone != "Europe/Berlin" || doc.DayFollows != "Europe/Berlin" || doc.LastUpdated.IsZero() {
		t.Errorf("header = %+v", doc)
	}
	wantProgress := []bot.ExportLesson{
		{Lesson: "internet-basics", Title: "Internet basics", Topic: "Internet basics", State: bot.StateDone},
		{Lesson: "caching", Title: "Caching", Topic: "Caching", State: bot.StateLearning},
		{Lesson: "testing", Title: "Testing", Topic: "Testing", State: bot.StateSkipped},
	}
	if !reflect.DeepEqual(doc.Progress, wantProgress) {
		t.Errorf("progress = %+v\nwant %+v", doc.Progress, wantProgress)
	}
	s := stored.Streak
	last := s.Last.String()
	if doc.Streak.Current != s.Current || doc.Streak.Longest != 9 || doc.Streak.Previous != 4 || doc.Streak.FreezesHeld != 1 ||
		doc.Streak.LastDay != last || doc.Streak.FirstDay != s.First.String() || !doc.Streak.LastDayEnds.Equal(s.Ends) {
		t.Errorf("streak = %+v, stored %+v", doc.Streak, s)
	}
	wantStudied := []bot.ExportDay{{Day: (s.Last - 4).String()}, {Day: (s.Last - 1).String()}, {Day: last, Lesson: true, Answers: true}}
	if !slices.Equal(doc.Streak.StudiedDays, wantStudied) || !slices.Equal(doc.Streak.FrozenDays, []string{(s.Last - 2).String()}) {
		t.Errorf("studied days %v (want %v), frozen days %v (want [%s])", doc.Streak.StudiedDays, wantStudied, doc.Streak.FrozenDays, (s.Last - 2))
	}
	if doc.Quiz.Answered != 1 || doc.Quiz.Right != 1 || len(doc.Quiz.Questions) != 1 ||
		doc.Quiz.Questions[0].Shown != 1 || doc.Quiz.Questions[0].Right != 1 || !doc.Quiz.Questions[0].LastRight ||
		doc.Quiz.Questions[0].LastAnswered != last {
		t.Errorf("quiz = %+v", doc.Quiz)
	}
	var cards []string
	for _, c := range doc.ReviewCards {
		cards = append(cards, c.Question)
		if c.Due == "" || c.LastReview == "" || c.Reviews == 0 || c.Stability == 0 || c.Difficulty == 0 {
			t.Errorf("card %+v lacks its schedule", c)
		}
	}
	slices.Sort(cards)
	if want := []string{"apis-1", doc.Quiz.Questions[0].Question}; !slices.Equal(cards, want) {
		t.Errorf("review cards %v, want %v", cards, want)
	}
	if len(doc.ReviewDays) != 1 || doc.ReviewDays[0].Day != last || doc.ReviewDays[0].Reviews != 2 {
		t.Errorf("review days = %+v", doc.ReviewDays)
	}
	if doc.LastGraded == nil || doc.LastGraded.Question != "apis-1" || doc.LastGraded.Rating != "hard" {
		t.Errorf("last graded = %+v", doc.LastGraded)
	}
	if want := []bot.ExportNote{{Lesson: "caching", Title: "Caching", Text: "TTL lives in Cache-Control"}}; !reflect.DeepEqual(doc.Notes, want) {
		t.Errorf("notes = %+v", doc.Notes)
	}
	if rm := doc.Reminder; rm == nil || rm.At != "20:00" || rm.TimeZone != "Europe/Berlin" || !rm.Active || rm.Next.IsZero() {
		t.Errorf("reminder = %+v", doc.Reminder)
	}
	if doc.LegacyData != nil {
		t.Errorf("legacy = %v; a record of this schema has nothing left to migrate", doc.LegacyData)
	}

	// Every part of the document is there under its documented name.
	for _, key := range []string{"format", "version", "exported_at", "community", "user_id", "display_name", "time_zone",
		"profile_time_zone", "day_follows", "progress", "streak", "quiz", "review_cards", "review_days", "last_graded", "notes", "reminder"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("export has no %q", key)
		}
	}
}

// TestExportCoversEveryFieldOfTheRecord fails when the learner's record gains a field that
// the export was not taught about: the export must stay "everything stored".
func TestExportCoversEveryFieldOfTheRecord(t *testing.T) {
	covered := map[string]string{
		"Version": "schema stamp, not a fact about the learner", "UserID": "user_id", "Name": "display_name",
		"Lessons": "progress", "Streak": "streak", "Zone": "time_zone", "ProfileZone": "profile_time_zone",
		"QuizAnswered": "quiz.answered", "QuizRight": "quiz.right", "Questions": "quiz.questions",
		"Updated": "last_updated", "V1Topics": "legacy.topics", "V1QuizNext": "legacy.quiz_next",
		"Cards": "review_cards, review_days, last_graded",
	}
	for f := range reflect.TypeFor[bot.Learner]().Fields() {
		if _, ok := covered[f.Name]; !ok {
			t.Errorf("bot.Learner.%s is not in the export (bot/export.go); add it, then here", f.Name)
		}
	}
}

func TestExportOfSomeoneNewIsEmptyNotMissing(t *testing.T) {
	r := newRig(t, utc("2026-12-01T10:00:00Z"))
	doc, raw, _ := exportOf(t, r, "zoe")
	if len(doc.Progress)+len(doc.Notes)+len(doc.ReviewCards) != 0 || doc.Reminder != nil {
		t.Errorf("a learner with no data exports %+v", doc)
	}
	if _, ok := raw["reminder"]; !ok || raw["progress"] == nil || raw["notes"] == nil {
		t.Errorf("empty parts must be [] and null, not left out: %v", raw)
	}
}

func TestForgetAsksThenDeletesOnlyWhenTheLearnerConfirms(t *testing.T) {
	r := newRig(t, utc("2026-12-01T10:00:00Z"))
	other := bot.Community{Platform: bot.PlatformConsole, ID: "elsewhere"}
	for _, user := range []string{"ana", "ben"} {
		r.ok(user, "c1", "checkin")
		r.ok(user, "c1", "note caching mine")
		r.ok(user, "c1", "remind 20:00")
		r.ok(user, "c1", "nudge set 09:00")
	}
	elsewhere := r.bot.Handle(context.Background(), bot.Request{Community: other, UserID: "ana", Text: "note caching kept"})
	if elsewhere.Outcome != bot.OutcomeOK {
		t.Fatal(elsewhere.Text)
	}

	ask := r.ok("ana", "c1", "forget")
	if !ask.Ephemeral || len(ask.Buttons) == 0 || ask.Buttons[0].Style != bot.StyleDanger {
		t.Fatalf("forget asked with %+v; want a private warning with a danger button", ask)
	}
	confirm := ask.Buttons[0].Command
	if !strings.Contains(ask.Text, "cannot be undone") {
		t.Errorf("warning %q", ask.Text)
	}

	// ben presses (or types) ana's button: refused, nothing of either goes.
	if resp := r.as("ben", "c1", confirm); resp.Outcome != bot.EFORBIDDEN || !resp.Ephemeral {
		t.Errorf("ben confirming ana's forget: %s %q", resp.Outcome, resp.Text)
	}
	for _, user := range []string{"ana", "ben"} {
		if l, _ := r.store.Learner(context.Background(), community, user); l.Streak.Current != 1 || note(t, r, user, "caching") != "mine" {
			t.Fatalf("a refused confirm changed %s's data", user)
		}
	}

	done := r.ok("ana", "c1", confirm)
	if !done.Ephemeral || !strings.Contains(done.Text, "deleted") {
		t.Errorf("confirmed: %+v", done)
	}
	if l, _ := r.store.Learner(context.Background(), community, "ana"); l.UserID != "" || l.Streak.Current != 0 {
		t.Errorf("ana's record is still there: %+v", l)
	}
	if note(t, r, "ana", "caching") != "" {
		t.Error("ana's note is still there")
	}
	if sch, _ := r.store.Schedule(context.Background(), bot.RemindKey(community, "ana")); sch.Version != 0 {
		t.Errorf("ana's reminder is still there: %+v", sch)
	}
	if board := r.ok("ben", "c1", "leaderboard"); strings.Contains(board.Text, "ana") || !strings.Contains(board.Text, "ben") {
		t.Errorf("leaderboard after ana was forgotten:\n%s", board.Text)
	}
	if l, _ := r.store.Learner(context.Background(), community, "ben"); l.Streak.Current != 1 || note(t, r, "ben", "caching") != "mine" {
		t.Error("forgetting ana changed ben's data")
	}
	if sch, _ := r.store.Schedule(context.Background(), bot.RemindKey(community, "ben")); !sch.Active() {
		t.Error("forgetting ana stopped ben's reminder")
	}
	if sch, _ := r.store.Schedule(context.Background(), bot.NudgeKey(bot.Channel{Community: community, ID: "c1"})); !sch.Active() || sch.SetBy == "ana" {
		t.Errorf("the channel's daily post after ana was forgotten: %+v; want it running, not naming her", sch)
	}
	if kept, _ := r.store.Note(context.Background(), other, "ana", "caching"); kept != "kept" {
		t.Error("forgetting ana here deleted her note in another community")
	}
	// What is forgotten is forgotten: the export is empty again.
	if doc, _, _ := exportOf(t, r, "ana"); len(doc.Notes) != 0 || doc.Reminder != nil || doc.Streak.Current != 0 {
		t.Errorf("export after forget: %+v", doc)
	}
}

func TestForgetDropsTheLearnersCooldowns(t *testing.T) {
	r := newRig(t, utc("2026-12-01T10:00:00Z"))
	cooldowns := bot.NewLocalCooldowns(r.clock)
	b, err := bot.New(bot.Config{Roadmap: bot.TestRoadmap(t), Store: r.store, Clock: r.clock, Cooldowns: cooldowns,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	run := func(user, text string) bot.Response {
		return b.Handle(context.Background(), bot.Request{Community: community, UserID: user, Text: text})
	}
	run("ben", "checkin")
	run("ana", "checkin")
	run("ana", "next")
	run("ana", "forget")
	if resp := run("ana", "forget confirm ana"); resp.Outcome != bot.OutcomeOK {
		t.Fatal(resp.Text)
	}
	if n := cooldowns.Len(); n != 1 {
		t.Errorf("%d cooldown keys held after ana was forgotten; want only ben's", n)
	}
}

func TestExportOfAnOldRecordKeepsWhatIsNotMigratedYet(t *testing.T) {
	r := newRig(t, utc("2026-12-01T10:00:00Z"))
	err := r.store.UpdateLearner(context.Background(), community, "old", func(l *bot.Learner) error {
		l.Version, l.UserID = 1, "old"
		l.V1Topics = map[string]bot.State{"caching": bot.StateDone}
		l.V1QuizNext = map[string]int{"caching": 2}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	doc, _, _ := exportOf(t, r, "old")
	if len(doc.Progress) != 1 || doc.Progress[0].Lesson != "caching" || doc.Progress[0].State != bot.StateDone {
		t.Errorf("progress = %+v; want the version 1 topic as its lesson, done", doc.Progress)
	}
	if doc.LegacyData["topics"] == nil || doc.LegacyData["quiz_next"] == nil {
		t.Errorf("legacy = %v; want the version 1 fields as stored", doc.LegacyData)
	}
}
