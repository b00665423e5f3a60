package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	bbolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"
)

// fullLearner has every field of a learner record set, as JSON from an earlier release
// would give it: decoding JSON is what this release still does for such records.
func fullLearner(t testing.TB) bot.Learner {
	t.Helper()
	berlin := time.FixedZone("", 3600)
	var l bot.Learner
	record := map[string]any{
		"v": 3, "user": "U0123", "name": "Ada \"the first\" Lovelace 🧮",
		"lessons": map[string]string{"done": "dns http-basics", "learning": "tls", "skipped": "ftp"},
		"streak": map[string]any{"current": 12, "longest": 40, "previous": 9, "freezes": 2, "last": 20794, "first": 20700,
			"ends": time.Date(2026, 12, 7, 0, 0, 0, 0, berlin), "days": "0*123.0", "studied": uint64(1)<<63 | 5, "frozen": 6},
		"tz": "Europe/Berlin", "profile_tz": "America/New_York", "quiz_answered": 31, "quiz_right": 27,
		"questions": "dns-1 2 1 1 20790 1;tls-2 1 0 1 20791 0",
		"updated":   time.Date(2026, 12, 6, 18, 30, 15, 123456789, time.UTC),
		"topics":    map[string]string{"caching": "done", "git": "learning"},
		"quiz_next": map[string]int{"caching": 2, "git": -1},
		"cards":     "#20790 3 2;2 dns-1 4.5 5.25 3 1 20790",
	}
	data, err := json.Marshal(record)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatal(err)
	}
	// A field added to the record and not to this learner would go untested: every one is set.
	for _, v := range []reflect.Value{reflect.ValueOf(l), reflect.ValueOf(l.Streak)} {
		for i := range v.NumField() {
			if v.Field(i).IsZero() {
				t.Fatalf("fullLearner leaves %s.%s zero: set it, and give it a field number in record.go", v.Type().Name(), v.Type().Field(i).Name)
			}
		}
	}
	return l
}

// sameRecord reports whether a and b hold the same learner, compared as JSON.
func sameRecord(t testing.TB, a, b bot.Learner) {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ja, jb) {
		t.Fatalf("records differ:\n%s\n%s", ja, jb)
	}
}

func roundTrip(t testing.TB, l bot.Learner) (bot.Learner, []byte) {
	t.Helper()
	data, err := encodeLearner(&l)
	if err != nil {
		t.Fatal(err)
	}
	var back bot.Learner
	if err := decodeLearner(data, &back); err != nil {
		t.Fatalf("decode %x: %v", data, err)
	}
	return back, data
}

func TestLearnerRecordKeepsEveryField(t *testing.T) {
	full := fullLearner(t)
	graded := fullLearner(t)
	graded.Questions.Set("git-3", bot.QuestionRecord{Shown: 1, Right: 1, Answered: 20794, LastGood: true})
	graded.Lessons["git-basics"] = bot.StateDone
	for _, tc := range []struct {
		name string
		l    bot.Learner
	}{
		{"every field", full},
		{"changed since read", graded},
		{"new learner", bot.Learner{Version: bot.SchemaVersion, UserID: "U9"}},
		{"zero", bot.Learner{}},
		{"negative numbers", bot.Learner{UserID: "U8", QuizRight: -3, Streak: bot.Streak{Current: -1, Last: -20000}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			back, data := roundTrip(t, tc.l)
			if data[0] != recordBinary {
				t.Fatalf("record starts %#x, want %#x", data[0], recordBinary)
			}
			sameRecord(t, tc.l, back)
			if !back.Updated.Equal(tc.l.Updated) || !back.Streak.Ends.Equal(tc.l.Streak.Ends) {
				t.Errorf("times: %v %v, want %v %v", back.Updated, back.Streak.Ends, tc.l.Updated, tc.l.Streak.Ends)
			}
			if _, offset := back.Streak.Ends.Zone(); !tc.l.Streak.Ends.IsZero() && offset != 3600 {
				t.Errorf("ends at offset %d, want the +01:00 it was counted in", offset)
			}
		})
	}
}

func TestLearnerRecordFromAnEarlierReleaseIsReadAndRewritten(t *testing.T) {
	l := fullLearner(t)
	js, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	var read bot.Learner
	if err := decodeLearner(js, &read); err != nil {
		t.Fatal(err)
	}
	sameRecord(t, l, read)

	db, err := Open(filepath.Join(t.TempDir(), "studybot.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := bot.Community{Platform: bot.PlatformDiscord, ID: "111"}
	err = db.Bolt().Update(func(tx *bbolt.Tx) error {
		b, err := CommunityBucket(tx, c, bucketLearners)
		if err != nil {
			return err
		}
		return b.Put([]byte(l.UserID), js)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateLearner(context.Background(), c, l.UserID, func(l *bot.Learner) error { l.QuizRight++; return nil }); err != nil {
		t.Fatal(err)
	}
	var stored []byte
	db.Bolt().View(func(tx *bbolt.Tx) error {
		stored = bytes.Clone(ExistingCommunityBucket(tx, c, bucketLearners).Get([]byte(l.UserID)))
		return nil
	})
	if stored[0] != recordBinary {
		t.Fatalf("rewritten record starts %q, want the binary format", stored[:1])
	}
	got, err := db.Learner(context.Background(), c, l.UserID)
	if err != nil {
		t.Fatal(err)
	}
	l.QuizRight++
	sameRecord(t, l, got)
}

// A later release may add fields; this one reads its records and passes over what it does
// not know, in the learner and in the streak.
func TestLearnerRecordSkipsFieldsItDoesNotKnow(t *testing.T) {
	l := fullLearner(t)
	data, err := encodeLearner(&l)
	if err != nil {
		t.Fatal(err)
	}
	later := protowire.AppendVarint(protowire.AppendTag(bytes.Clone(data[:len(data)-4]), 99, protowire.VarintType), 7)
	later = protowire.AppendString(protowire.AppendTag(later, 100, protowire.BytesType), "a new thing")
	later = protowire.AppendFixed64(protowire.AppendTag(later, 101, protowire.Fixed64Type), 1)
	streak := protowire.AppendString(protowire.AppendTag(nil, 50, protowire.BytesType), "new streak field")
	streak = protowire.AppendVarint(protowire.AppendTag(streak, 1, protowire.VarintType), protowire.EncodeZigZag(12))
	later = protowire.AppendBytes(protowire.AppendTag(later, 7, protowire.BytesType), streak)
	var back bot.Learner
	if err := decodeLearner(withSum(later), &back); err != nil {
		t.Fatal(err)
	}
	sameRecord(t, l, back)
}

func TestADamagedLearnerRecordIsAnErrorNotAPanic(t *testing.T) {
	l := fullLearner(t)
	data, err := encodeLearner(&l)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(data)
	flipped[len(flipped)/2] ^= 0x10
	for name, damaged := range map[string][]byte{
		"cut short":          data[:len(data)/2],
		"cut at a field":     withSum(data[:len(data)-4-20]),
		"one bit flipped":    flipped,
		"no checksum":        data[:len(data)-4],
		"user as a number":   withSum(protowire.AppendVarint(protowire.AppendTag([]byte{recordBinary}, 2, protowire.VarintType), 1)),
		"streak as a number": withSum(protowire.AppendVarint(protowire.AppendTag([]byte{recordBinary}, 7, protowire.VarintType), 1)),
		"day past int32":     withSum(protowire.AppendBytes(protowire.AppendTag([]byte{recordBinary}, 7, protowire.BytesType), protowire.AppendVarint(protowire.AppendTag(nil, 5, protowire.VarintType), protowire.EncodeZigZag(1<<33+5)))),
		"bad time":           withSum(protowire.AppendString(protowire.AppendTag([]byte{recordBinary}, 13, protowire.BytesType), "not a time")),
		"year 10000":         withSum(protowire.AppendBytes(protowire.AppendTag([]byte{recordBinary}, 13, protowire.BytesType), binaryTime(t, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)))),
		"offset of a day":    withSum(protowire.AppendBytes(protowire.AppendTag([]byte{recordBinary}, 13, protowire.BytesType), binaryTime(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600))))),
		"length past end":    withSum([]byte{recordBinary, 0x12, 0x7f, 'a'}),
		"only the marker":    {recordBinary},
		"not JSON either":    []byte("{\"v\":"),
	} {
		t.Run(name, func(t *testing.T) {
			var back bot.Learner
			if err := decodeLearner(damaged, &back); err == nil {
				t.Errorf("decoded %x without an error: %+v", damaged, back)
			}
		})
	}
}

func binaryTime(t *testing.T, at time.Time) []byte {
	data, err := at.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// withSum is body, a record's marker and fields, with its checksum.
func withSum(body []byte) []byte {
	body = bytes.Clone(body)
	return binary.LittleEndian.AppendUint32(body, crc32.Checksum(body, castagnoli))
}

// FuzzDecodeLearner: whatever a record's fields hold (the checksum is made to fit, so that
// the parser itself is explored), decoding returns an error or a learner, never a panic;
// and a learner it returns is written and read back unchanged.
func FuzzDecodeLearner(f *testing.F) {
	l := fullLearner(f)
	data, err := encodeLearner(&l)
	if err != nil {
		f.Fatal(err)
	}
	js, _ := json.Marshal(l)
	f.Add(data[:len(data)-4])
	f.Add(js)
	f.Add([]byte{recordBinary})
	f.Add(data[:20])
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 0 && data[0] == recordBinary {
			data = withSum(data)
		}
		var l bot.Learner
		if decodeLearner(data, &l) != nil {
			return
		}
		back, _ := roundTrip(t, l)
		sameRecord(t, l, back)
	})
}

// BenchmarkLearnerRecord decodes and encodes a learner well along the path (120 lessons
// done, 300 questions answered, 300 review cards), in this format and as JSON.
func BenchmarkLearnerRecord(b *testing.B) {
	l := fullLearner(b)
	var slugs, questions, cards []string
	for i := range 300 {
		if i < 120 {
			slugs = append(slugs, fmt.Sprintf("lesson-%03d", i))
		}
		questions = append(questions, fmt.Sprintf("lesson-%03d-%d %d 1 0 %d 1", i/3, i%3, 1+i%4, 20500+i))
		cards = append(cards, fmt.Sprintf("%d lesson-%03d-%d 12.5 5.1 3 0 %d", i%3, i/3, i%3, 20500+i))
	}
	l.Lessons = bot.ProgressOf(strings.Join(slugs, " "), "", "")
	if err := l.Questions.UnmarshalText([]byte(strings.Join(questions, ";"))); err != nil {
		b.Fatal(err)
	}
	if err := l.Cards.UnmarshalText([]byte(strings.Join(cards, ";"))); err != nil {
		b.Fatal(err)
	}
	binary, err := encodeLearner(&l)
	if err != nil {
		b.Fatal(err)
	}
	js, err := json.Marshal(l)
	if err != nil {
		b.Fatal(err)
	}
	for _, format := range []struct {
		name   string
		data   []byte
		encode func(*bot.Learner) ([]byte, error)
	}{{"binary", binary, encodeLearner}, {"json", js, encodeJSON[bot.Learner]}} {
		b.Run(format.name+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var l bot.Learner
				if err := decodeLearner(format.data, &l); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(format.data)), "record-bytes")
		})
		b.Run(format.name+"/encode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := format.encode(&l); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The file of the release before this format (schema 3, JSON records) is upgraded once:
// every learner rewritten in the binary format, nothing else changed, and the file's
// version raised past 3, which is what makes that earlier release refuse the file at start
// ("schema version … is newer than this studybot understands") instead of failing on every
// learner. A file of a later version is refused by this release the same way.
func TestAFileOfJSONRecordsIsUpgradedAndThenRefusedByEarlierReleases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "studybot.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := bot.Community{Platform: bot.PlatformSlack, ID: "T1"}
	full := fullLearner(t)
	full.V1Topics, full.V1QuizNext = nil, nil // a schema 3 record has none left
	plain := bot.Learner{Version: bot.SchemaVersion, UserID: "U2", Name: "Bo", Streak: bot.Streak{Current: 2, Longest: 2, Last: 20794}}
	err = db.Bolt().Update(func(tx *bbolt.Tx) error {
		b, err := CommunityBucket(tx, c, bucketLearners)
		if err != nil {
			return err
		}
		for _, l := range []bot.Learner{full, plain} {
			if err := PutJSON(b, []byte(l.UserID), l); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte("3"))
	})
	if err != nil {
		t.Fatal(err)
	}
	learners, schedules, err := db.Upgrade(context.Background(), nil)
	if err != nil || learners != 2 || schedules != 0 {
		t.Fatalf("Upgrade = %d learners, %d schedules, %v; want both learners rewritten", learners, schedules, err)
	}
	var version string
	db.Bolt().View(func(tx *bbolt.Tx) error {
		version = string(tx.Bucket(bucketMeta).Get(keySchema))
		return ExistingCommunityBucket(tx, c, bucketLearners).ForEach(func(k, v []byte) error {
			if !isBinaryRecord(v) {
				t.Errorf("%s is still JSON after the upgrade", k)
			}
			return nil
		})
	})
	if n, err := strconv.Atoi(version); err != nil || n <= 3 || n <= bot.SchemaVersion {
		t.Errorf("file version %q: the release before this format (schema 3) would open it and fail on every learner", version)
	}
	for _, want := range []bot.Learner{full, plain} {
		got, err := db.Learner(context.Background(), c, want.UserID)
		if err != nil {
			t.Fatal(err)
		}
		sameRecord(t, want, got)
	}
	if l, s, err := db.Upgrade(context.Background(), nil); l+s != 0 || err != nil {
		t.Errorf("a second Upgrade changed %d records (%v)", l+s, err)
	}
	err = db.Bolt().Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, []byte(strconv.Itoa(fileVersion+1)))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{}); err == nil || !strings.Contains(err.Error(), "newer than this studybot understands") {
		t.Errorf("a file of a later version opened: %v", err)
	}
}

// What JSON could not store, the binary format refuses too, at the write: a record written
// must read back.
func TestATimeJSONCannotWriteIsRefusedAtTheWrite(t *testing.T) {
	for name, at := range map[string]time.Time{
		"year 10000":         time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		"year -1":            time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		"offset of 25 hours": time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 25*3600)),
	} {
		t.Run(name, func(t *testing.T) {
			for _, l := range []bot.Learner{{UserID: "u", Updated: at}, {UserID: "u", Streak: bot.Streak{Ends: at}}} {
				if data, err := encodeLearner(&l); err == nil {
					t.Errorf("encoded %v as %x", at, data)
				}
				if _, err := json.Marshal(l); err == nil {
					t.Errorf("JSON writes %v: the binary format may too", at)
				}
			}
		})
	}
}
