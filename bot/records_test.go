package bot

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestALearnerRecordRoundTripsItsProgressAndHistory(t *testing.T) {
	l := Learner{Version: SchemaVersion, UserID: "ana", Lessons: Progress{"dns": StateDone, "http": StateDone, "tls": StateLearning, "git": StateSkipped}}
	l.Questions.Set("dns-1", QuestionRecord{Shown: 3, Right: 1, Wrong: 2, Answered: 20425, LastGood: true})
	l.Questions.Set("http-2", QuestionRecord{Shown: 1})
	raw, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"lessons":{"done":"dns http","learning":"tls","skipped":"git"}`) {
		t.Errorf("progress is not stored compactly: %s", raw)
	}
	var back Learner
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	for slug, s := range l.Lessons {
		if back.State(slug) != s {
			t.Errorf("%s = %s after a round trip, want %s", slug, back.State(slug), s)
		}
	}
	if got := back.Questions.Get("dns-1"); got != (QuestionRecord{Shown: 3, Right: 1, Wrong: 2, Answered: 20425, LastGood: true}) {
		t.Errorf("dns-1 = %+v", got)
	}
	if back.Questions.Len() != 2 || back.Questions.Get("nope").Shown != 0 {
		t.Errorf("history = %+v", back.Questions)
	}
	// A record read and written again without looking at its history keeps it as it was.
	again, _ := json.Marshal(back)
	var untouched Learner
	json.Unmarshal(again, &untouched)
	if untouched.Questions.Get("http-2").Shown != 1 {
		t.Errorf("history lost on a rewrite: %s", again)
	}
	empty, _ := json.Marshal(Learner{UserID: "ben"})
	if strings.Contains(string(empty), "questions") || strings.Contains(string(empty), "lessons") {
		t.Errorf("an empty record stores empty fields: %s", empty)
	}
}
