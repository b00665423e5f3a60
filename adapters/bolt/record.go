package bolt

import (
	"encoding"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/studybot/studybot/bot"
	bbolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"
)

// A learner's record is read and written on nearly every command, inside the write
// transaction that every other learner's write waits for. As JSON, decoding even a new
// learner's few hundred bytes cost 4 µs there (reflection, two RFC 3339 times), most of the
// time a check-in held the transaction. So records are written in the protocol buffers wire
// format, through protowire (the primitives of Google's protobuf module: varints, tags,
// skipping a field this release does not know), after one leading byte, recordBinary, that
// no JSON document starts with, and before a CRC-32C of everything ahead of it (four bytes,
// little-endian): a message of that format has no end of its own, so a record damaged or cut
// short would otherwise read as a learner with less in it. Records written as JSON by
// earlier releases are still read, and are rewritten in this format on their next write.
//
// Field numbers, never to be reused: Learner 1 version, 2 user, 3 name, 4 lessons done,
// 5 lessons learning, 6 lessons skipped (space-separated slugs, see bot.Progress.Slugs),
// 7 streak (a message), 8 time zone, 9 profile zone, 10 quiz answered, 11 quiz right,
// 12 question history (bot.History's text), 13 updated, 14 a version 1 topic state (a
// message: 1 topic, 2 state), 15 a version 1 quiz rotation (1 topic, 2 next), 16 review
// cards (bot.Cards' text). Streak: 1 current, 2 longest, 3 previous, 4 freezes, 5 last day,
// 6 first day, 7 ends, 8 days, 9 studied, 10 frozen. Integers are zigzag varints (a damaged
// or odd record may hold a negative one) except the two bit masks; times are
// time.Time.MarshalBinary. A zero field is left out.
const recordBinary = 0x01

// getLearner decodes the record at key into l; a nil bucket or a missing key leaves l as
// it was.
func getLearner(b *bbolt.Bucket, key []byte, l *bot.Learner) error {
	if b == nil {
		return nil
	}
	if data := b.Get(key); data != nil {
		return decodeLearner(data, l)
	}
	return nil
}

// putLearner writes l at key.
func putLearner(b *bbolt.Bucket, key []byte, l *bot.Learner) error {
	data, err := encodeLearner(l)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// isBinaryRecord tells a record in this format from one an earlier release wrote as JSON.
func isBinaryRecord(data []byte) bool { return len(data) > 0 && data[0] == recordBinary }

// decodeLearner reads a record in either format into l.
func decodeLearner(data []byte, l *bot.Learner) error {
	if !isBinaryRecord(data) {
		return json.Unmarshal(data, l)
	}
	body, ok := checked(data)
	if !ok {
		return errors.New("learner record: damaged (checksum)")
	}
	return decodeLearnerFields(body, l)
}

// checked is the fields of a binary record, and whether its checksum holds.
func checked(data []byte) ([]byte, bool) {
	if len(data) < 1+crc32.Size {
		return nil, false
	}
	body, sum := data[:len(data)-crc32.Size], data[len(data)-crc32.Size:]
	return body[1:], crc32.Checksum(body, castagnoli) == binary.LittleEndian.Uint32(sum)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// decodeLearnerFields reads the fields of a binary record into l.
func decodeLearnerFields(body []byte, l *bot.Learner) error {
	var (
		r                       = reader{data: body}
		done, learning, skipped string
		topics                  map[string]bot.State
		quizNext                map[string]int
	)
	*l = bot.Learner{}
	for r.next() {
		switch r.num {
		case 1:
			l.Version = r.int()
		case 2:
			l.UserID = r.string()
		case 3:
			l.Name = r.string()
		case 4:
			done = r.string()
		case 5:
			learning = r.string()
		case 6:
			skipped = r.string()
		case 7:
			if streak := r.bytes(); r.err == nil {
				r.err = decodeStreak(streak, &l.Streak)
			}
		case 8:
			l.Zone = r.string()
		case 9:
			l.ProfileZone = r.string()
		case 10:
			l.QuizAnswered = r.int()
		case 11:
			l.QuizRight = r.int()
		case 12:
			r.text(&l.Questions)
		case 13:
			l.Updated = r.time()
		case 14:
			var state string
			topic := r.entry(func(value *reader) { state = value.string() })
			if topics == nil {
				topics = map[string]bot.State{}
			}
			topics[topic] = bot.State(state)
		case 15:
			var next int
			topic := r.entry(func(value *reader) { next = value.int() })
			if quizNext == nil {
				quizNext = map[string]int{}
			}
			quizNext[topic] = next
		case 16:
			r.text(&l.Cards)
		default:
			r.skip()
		}
	}
	if r.err != nil {
		return fmt.Errorf("learner record: %w", r.err)
	}
	if done != "" || learning != "" || skipped != "" {
		l.Lessons = bot.ProgressOf(done, learning, skipped)
	}
	l.V1Topics, l.V1QuizNext = topics, quizNext
	return nil
}

func decodeStreak(data []byte, s *bot.Streak) error {
	r := reader{data: data}
	for r.next() {
		switch r.num {
		case 1:
			s.Current = r.int()
		case 2:
			s.Longest = r.int()
		case 3:
			s.Previous = r.int()
		case 4:
			s.Freezes = r.int()
		case 5:
			s.Last = r.day()
		case 6:
			s.First = r.day()
		case 7:
			s.Ends = r.time()
		case 8:
			s.Days = r.string()
		case 9:
			s.Studied = r.uint()
		case 10:
			s.Frozen = r.uint()
		default:
			r.skip()
		}
	}
	if r.err != nil {
		return fmt.Errorf("streak: %w", r.err)
	}
	return nil
}

// encodeLearner writes l in the format decodeLearner reads.
func encodeLearner(l *bot.Learner) ([]byte, error) {
	w := writer{buf: make([]byte, 1, 164+len(l.Name)+len(l.Streak.Days))}
	w.buf[0] = recordBinary
	w.int(1, l.Version)
	w.string(2, l.UserID)
	w.string(3, l.Name)
	done, learning, skipped := l.Lessons.Slugs()
	w.string(4, done)
	w.string(5, learning)
	w.string(6, skipped)
	w.message(7, func() {
		s := &l.Streak
		w.int(1, s.Current)
		w.int(2, s.Longest)
		w.int(3, s.Previous)
		w.int(4, s.Freezes)
		w.int(5, int(s.Last))
		w.int(6, int(s.First))
		w.time(7, s.Ends)
		w.string(8, s.Days)
		w.uint(9, s.Studied)
		w.uint(10, s.Frozen)
	})
	w.string(8, l.Zone)
	w.string(9, l.ProfileZone)
	w.int(10, l.QuizAnswered)
	w.int(11, l.QuizRight)
	w.text(12, &l.Questions)
	w.time(13, l.Updated)
	for _, topic := range sortedKeys(l.V1Topics) {
		w.message(14, func() { w.string(1, topic); w.string(2, string(l.V1Topics[topic])) })
	}
	for _, topic := range sortedKeys(l.V1QuizNext) {
		w.message(15, func() { w.string(1, topic); w.int(2, l.V1QuizNext[topic]) })
	}
	w.text(16, &l.Cards)
	if w.err != nil {
		return nil, fmt.Errorf("encode learner %s: %w", l.UserID, w.err)
	}
	return binary.LittleEndian.AppendUint32(w.buf, crc32.Checksum(w.buf, castagnoli)), nil
}

// sortedKeys is m's keys in order, so that a record's bytes do not depend on map order; nil
// without an allocation for the empty maps of every record written since version 2.
func sortedKeys[V any](m map[string]V) []string {
	if len(m) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(m))
}

// writer appends fields, leaving out zero values. The first error sticks.
type writer struct {
	buf []byte
	err error
}

func (w *writer) int(num protowire.Number, v int) {
	if v != 0 {
		w.buf = protowire.AppendTag(w.buf, num, protowire.VarintType)
		w.buf = protowire.AppendVarint(w.buf, protowire.EncodeZigZag(int64(v)))
	}
}

func (w *writer) uint(num protowire.Number, v uint64) {
	if v != 0 {
		w.buf = protowire.AppendTag(w.buf, num, protowire.VarintType)
		w.buf = protowire.AppendVarint(w.buf, v)
	}
}

func (w *writer) string(num protowire.Number, v string) {
	if v != "" {
		w.buf = protowire.AppendTag(w.buf, num, protowire.BytesType)
		w.buf = protowire.AppendString(w.buf, v)
	}
}

// message writes what fields writes as one length-delimited field, even an empty one. The
// length is only known afterwards, so it is slid in before the fields: a few bytes moved
// rather than a buffer per message.
func (w *writer) message(num protowire.Number, fields func()) {
	w.value(num, true, func(b []byte) []byte {
		w.buf = b
		fields()
		return w.buf
	})
}

// value writes what appendValue appends as a length-delimited field, unless it appends
// nothing and keepEmpty is false.
func (w *writer) value(num protowire.Number, keepEmpty bool, appendValue func([]byte) []byte) {
	start := len(w.buf)
	w.buf = appendValue(w.buf)
	n := len(w.buf) - start
	if n == 0 && !keepEmpty {
		return
	}
	var head [2 * binary.MaxVarintLen64]byte
	prefix := protowire.AppendVarint(protowire.AppendTag(head[:0], num, protowire.BytesType), uint64(n))
	w.buf = slices.Insert(w.buf, start, prefix...)
}

func (w *writer) text(num protowire.Number, v encoding.TextAppender) {
	w.value(num, false, func(b []byte) []byte {
		b, err := v.AppendText(b)
		w.err = errors.Join(w.err, err)
		return b
	})
}

// time writes t as time.Time.AppendBinary, refusing what JSON could not write (as the
// release before this format did): reading it back would fail, and the export too.
func (w *writer) time(num protowire.Number, t time.Time) {
	if err := jsonWritable(t); err != nil {
		w.err = errors.Join(w.err, fmt.Errorf("field %d: %w", num, err))
		return
	}
	if !t.IsZero() {
		w.value(num, true, func(b []byte) []byte {
			b, err := t.AppendBinary(b)
			w.err = errors.Join(w.err, err)
			return b
		})
	}
}

// reader walks the fields of a message: next reads a tag, then one of the typed methods
// (or skip) reads its value. The first error stops the walk and sticks.
type reader struct {
	data []byte
	num  protowire.Number
	typ  protowire.Type
	err  error
}

func (r *reader) next() bool {
	if r.err != nil || len(r.data) == 0 {
		return false
	}
	num, typ, n := protowire.ConsumeTag(r.data)
	if n < 0 {
		r.err = protowire.ParseError(n)
		return false
	}
	r.num, r.typ, r.data = num, typ, r.data[n:]
	return true
}

// skip passes over the current field's value.
func (r *reader) skip() {
	n := protowire.ConsumeFieldValue(r.num, r.typ, r.data)
	if n < 0 {
		r.err = protowire.ParseError(n)
		return
	}
	r.data = r.data[n:]
}

// entry reads a map entry, a message whose field 1 is the key and field 2 the value, which
// value reads.
func (r *reader) entry(value func(*reader)) (key string) {
	e := reader{data: r.bytes()}
	for r.err == nil && e.next() {
		switch e.num {
		case 1:
			key = e.string()
		case 2:
			value(&e)
		default:
			e.skip()
		}
	}
	r.err = errors.Join(r.err, e.err)
	return key
}

func (r *reader) uint() uint64 {
	if r.typ != protowire.VarintType {
		r.err = fmt.Errorf("field %d: want a varint, have wire type %d", r.num, r.typ)
		return 0
	}
	v, n := protowire.ConsumeVarint(r.data)
	if n < 0 {
		r.err = protowire.ParseError(n)
		return 0
	}
	r.data = r.data[n:]
	return v
}

func (r *reader) int() int { return int(protowire.DecodeZigZag(r.uint())) }

func (r *reader) bytes() []byte {
	if r.typ != protowire.BytesType {
		r.err = fmt.Errorf("field %d: want bytes, have wire type %d", r.num, r.typ)
		return nil
	}
	v, n := protowire.ConsumeBytes(r.data)
	if n < 0 {
		r.err = protowire.ParseError(n)
		return nil
	}
	r.data = r.data[n:]
	return v
}

func (r *reader) string() string { return string(r.bytes()) }

func (r *reader) text(v interface{ UnmarshalText([]byte) error }) {
	if data := r.bytes(); r.err == nil {
		r.err = v.UnmarshalText(data)
	}
}

// time reads a time.Time.MarshalBinary, refusing what JSON cannot write (the export could
// not be made).
func (r *reader) time() time.Time {
	var t time.Time
	if data := r.bytes(); r.err == nil {
		r.err = t.UnmarshalBinary(data)
	}
	if r.err == nil {
		if err := jsonWritable(t); err != nil {
			r.err = fmt.Errorf("field %d: %w", r.num, err)
		}
	}
	return t
}

// day reads a bot.Day, refusing one out of its range rather than wrapping it.
func (r *reader) day() bot.Day {
	v := r.int()
	if v < math.MinInt32 || v > math.MaxInt32 {
		r.err = fmt.Errorf("field %d: day %d out of range", r.num, v)
		return 0
	}
	return bot.Day(v)
}

// jsonWritable refuses a time JSON (RFC 3339) cannot write: a year outside 0 to 9999, or a
// zone offset of a day or more.
func jsonWritable(t time.Time) error {
	_, offset := t.Zone()
	if y := t.Year(); y < 0 || y > 9999 {
		return fmt.Errorf("time in the year %d", y)
	}
	if offset <= -24*60*60 || offset >= 24*60*60 {
		return fmt.Errorf("time at a zone offset of %ds", offset)
	}
	return nil
}
