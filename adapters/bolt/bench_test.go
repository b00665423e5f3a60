package bolt_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/data"
	bbolt "go.etcd.io/bbolt"
)

// benchCore is the real core over a real bbolt file in a temp dir, with cooldowns that
// never refuse (a benchmark hammers one learner far past any human rate).
func benchCore(b *testing.B) (*bot.Bot, *bolt.DB, *bot.ManualClock) {
	b.Helper()
	roadmap, err := data.Default()
	if err != nil {
		b.Fatal(err)
	}
	db := open(b, filepath.Join(b.TempDir(), "bench.db"))
	b.Cleanup(func() { db.Close() })
	clock := bot.NewManualClock(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	core, err := bot.New(bot.Config{Roadmap: roadmap, Store: db, Clock: clock, Cooldowns: unlimited{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	return core, db, clock
}

type unlimited struct{}

func (unlimited) Allow(context.Context, string, bot.Limit) (time.Duration, error) { return 0, nil }

func request(user, text string) bot.Request {
	return bot.Request{Community: bot.Community{Platform: bot.PlatformDiscord, ID: "111"}, UserID: user, UserName: user, Text: text}
}

// BenchmarkNext is `/roadmap next` through the core: a read transaction and rendering.
func BenchmarkNext(b *testing.B) {
	benchCommand(b, "/roadmap next", "done internet-basics", "done programming-languages")
}

// BenchmarkNextSynthetic100Lessons is `/roadmap next` for a learner halfway through a
// roadmap of 10 topics × 10 lessons, each of lesson length (a body of about 600 words and a
// code block, four questions): the record holds 50 lesson states and the core walks them.
func BenchmarkNextSynthetic100Lessons(b *testing.B) {
	body := strings.Repeat("A sentence of a lesson body that explains one idea. ", 60) +
		"\n\n```sh\n" + strings.Repeat("curl -i http://localhost:8000/books\n", 10) + "```"
	var topics []bot.Topic
	for i := range 10 {
		t := bot.Topic{Slug: fmt.Sprintf("topic-%d", i), Title: fmt.Sprintf("Topic %d", i), Overview: "Why it matters."}
		for j := range 10 {
			l := bot.Lesson{Slug: fmt.Sprintf("lesson-%d-%d", i, j), Title: fmt.Sprintf("Lesson %d.%d", i, j), Minutes: 25,
				Body: body, Exercise: "Do it. Done when it works.", KeyPoints: []string{"One.", "Two.", "Three."},
				Resources: []bot.Resource{{Title: "Docs", URL: "https://example.org/a", Section: "All"}, {Title: "More", URL: "https://example.org/b"}}}
			for k := range 4 {
				l.Questions = append(l.Questions, bot.Question{Text: fmt.Sprintf("Question %d?", k), Choices: []string{"A", "B", "C", "D"}, Explain: "Because."})
			}
			t.Lessons = append(t.Lessons, l)
		}
		topics = append(topics, t)
	}
	roadmap, err := bot.NewRoadmap("Synthetic", topics)
	if err != nil {
		b.Fatal(err)
	}
	db := open(b, filepath.Join(b.TempDir(), "bench.db"))
	b.Cleanup(func() { db.Close() })
	core, err := bot.New(bot.Config{Roadmap: roadmap, Store: db, Cooldowns: unlimited{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 5 {
		core.Handle(ctx, request("ana", fmt.Sprintf("done topic-%d", i)))
	}
	req := request("ana", "/roadmap next")
	b.ReportAllocs()
	for b.Loop() {
		if r := core.Handle(ctx, req); r.Outcome != bot.OutcomeOK || !strings.Contains(r.Title, "Lesson 5.0") {
			b.Fatal(r.Title, r.Text)
		}
	}
}

// BenchmarkCheckin is `/roadmap checkin` through the core: one durable write transaction
// each (the day is already counted after the first, but the record is still rewritten).
func BenchmarkCheckin(b *testing.B) {
	benchCommand(b, "/roadmap checkin")
}

// benchCommand times one learner's command through the core, after the setup commands.
func benchCommand(b *testing.B, text string, setup ...string) {
	core, _, _ := benchCore(b)
	for _, s := range setup {
		core.Handle(ctx, request("ana", s))
	}
	req := request("ana", text)
	b.ReportAllocs()
	for b.Loop() {
		if r := core.Handle(ctx, req); r.Outcome != bot.OutcomeOK {
			b.Fatal(r.Text)
		}
	}
}

// BenchmarkConcurrentCheckins has 1,000 learners check in at once, through the core and,
// in the same run, as a bare bbolt Batch loop writing the very bytes the core writes: each
// check-in rewrites the learner's record and their pulse (the recap's index) and moves their
// entry in the streak index, so the bare loop puts the record and pulse the core left on
// disk, deletes yesterday's streak entry and puts today's, at the same keys. The ratio of
// the two is the core's overhead over the storage engine's own limit; "bare-record" writes
// the record alone, for comparison with the figures of earlier releases, and "store" makes
// the core's change through the store alone.
//
// "side-by-side" gives the ratios: each round, on a day of its own, is a burst through the
// core, the same burst as the bare loop and through the store alone, timed apart and each
// first in turn, so that all three meet the machine in the same state (on this shared
// virtual machine the same run's speed drifts by half within a minute, more than the
// differences measured). It reports each one's time and CPU per check-in, and the core's
// and the store's throughput as fractions of the bare loop's.
func BenchmarkConcurrentCheckins(b *testing.B) {
	const learners = 1000
	core, db, clock := benchCore(b)
	c := request("", "").Community
	// Each burst is on a day of its own, the day after the last, so every check-in counts and
	// every streak grows: the callers advance the clock.
	coreBurst := func(b *testing.B) {
		var wg sync.WaitGroup
		for i := range learners {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r := core.Handle(ctx, request(fmt.Sprint("learner-", i), "/roadmap checkin")); r.Outcome != bot.OutcomeOK {
					b.Error(r.Text)
				}
			}()
		}
		wg.Wait()
	}
	b.Run("core", func(b *testing.B) {
		defer reportCPU(b, learners)()
		for b.Loop() {
			clock.Advance(24 * time.Hour)
			coreBurst(b)
		}
	})
	// The same check-ins through the store alone (in another community): the streak rule
	// as the core applies it, without parsing the command, cooldowns or the answer.
	other := bot.Community{Platform: bot.PlatformDiscord, ID: "222"}
	storeBurst := func(b *testing.B, now time.Time) {
		var wg sync.WaitGroup
		for i := range learners {
			wg.Add(1)
			go func() {
				defer wg.Done()
				user := fmt.Sprint("learner-", i)
				err := db.UpdateLearner(ctx, other, user, func(l *bot.Learner) error {
					l.Streak, _ = l.Streak.Study(now, time.UTC, bot.ActivityCheckin)
					l.Version, l.UserID, l.Name, l.Updated = bot.SchemaVersion, user, user, now
					return nil
				})
				if err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	b.Run("store", func(b *testing.B) {
		defer reportCPU(b, learners)()
		for b.Loop() {
			storeBurst(b, clock.Advance(24*time.Hour))
		}
	})
	// What the core wrote, for the bare loops: a burst is made first when the core has not run.
	type written struct{ record, pulse []byte }
	wrote := map[string]written{}
	snapshot := func() error {
		return db.Bolt().View(func(tx *bbolt.Tx) error {
			pulses, records := bolt.ExistingCommunityBucket(tx, c, []byte("pulses")), bolt.ExistingCommunityBucket(tx, c, []byte("learners"))
			if records == nil {
				return nil
			}
			return records.ForEach(func(k, v []byte) error {
				wrote[string(k)] = written{record: bytes.Clone(v), pulse: bytes.Clone(pulses.Get(k))}
				return nil
			})
		})
	}
	err := snapshot()
	if err == nil && len(wrote) == 0 {
		clock.Advance(24 * time.Hour)
		coreBurst(b)
		err = snapshot()
	}
	if err != nil || len(wrote) != learners {
		b.Fatalf("core left %d records (%v), want %d", len(wrote), err, learners)
	}
	openBare := func(b *testing.B) *bbolt.DB {
		bare, err := bbolt.Open(filepath.Join(b.TempDir(), "bare.db"), 0o600, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { bare.Close() })
		bare.MaxBatchDelay = db.Bolt().MaxBatchDelay
		if err := bare.Update(func(tx *bbolt.Tx) error {
			_, err := tx.CreateBucketIfNotExists([]byte("communities"))
			return err
		}); err != nil {
			b.Fatal(err)
		}
		return bare
	}
	streakKey := func(streak uint32, user string) []byte {
		return append(binary.BigEndian.AppendUint32(nil, ^streak), user...)
	}
	// bareBurst writes what the core wrote for every learner, on day (whose streak entry
	// replaces the one of the day before).
	bareBurst := func(b *testing.B, bare *bbolt.DB, day uint32, recordOnly bool) {
		var wg sync.WaitGroup
		for user, w := range wrote {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := bare.Batch(func(tx *bbolt.Tx) error {
					community, err := tx.Bucket([]byte("communities")).CreateBucketIfNotExists([]byte(c.Key()))
					if err != nil {
						return err
					}
					records, err := community.CreateBucketIfNotExists([]byte("learners"))
					if err != nil || recordOnly {
						return errors.Join(err, records.Put([]byte(user), w.record))
					}
					pulses, err := community.CreateBucketIfNotExists([]byte("pulses"))
					if err != nil {
						return err
					}
					streaks, err := community.CreateBucketIfNotExists([]byte("streaks"))
					if err != nil {
						return err
					}
					return errors.Join(records.Put([]byte(user), w.record), pulses.Put([]byte(user), w.pulse),
						streaks.Delete(streakKey(day-1, user)), streaks.Put(streakKey(day, user), []byte{}))
				})
				if err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	bareRun := func(b *testing.B, recordOnly bool) {
		bare := openBare(b)
		defer reportCPU(b, learners)()
		day := uint32(0)
		for b.Loop() {
			day++
			bareBurst(b, bare, day, recordOnly)
		}
	}
	b.Run("bare-batch", func(b *testing.B) { bareRun(b, false) })
	b.Run("bare-record", func(b *testing.B) { bareRun(b, true) })
	b.Run("side-by-side", func(b *testing.B) {
		bare, day, now := openBare(b), uint32(0), time.Time{}
		runs := []struct {
			name      string
			burst     func()
			wall, cpu time.Duration
		}{
			{name: "core", burst: func() { coreBurst(b) }},
			{name: "bare", burst: func() { bareBurst(b, bare, day, false) }},
			{name: "store", burst: func() { storeBurst(b, now) }},
		}
		for round := 0; b.Loop(); round++ {
			now, day = clock.Advance(24*time.Hour), day+1
			// Each in turn goes first: what one burst leaves behind (garbage to collect, pages
			// to write back) is charged to the next.
			for k := range runs {
				r := &runs[(round+k)%len(runs)]
				began, cpu := time.Now(), cpuTime(b)
				r.burst()
				r.wall += time.Since(began)
				r.cpu += cpuTime(b) - cpu
			}
		}
		for _, r := range runs {
			b.ReportMetric(r.wall.Seconds()*1e3/float64(b.N), r.name+"-ms")
			b.ReportMetric(r.cpu.Seconds()*1e6/float64(b.N*learners), r.name+"-cpu-µs/checkin")
		}
		coreWall, bareWall, storeWall := runs[0].wall.Seconds(), runs[1].wall.Seconds(), runs[2].wall.Seconds()
		b.ReportMetric(bareWall/coreWall, "core/bare")
		b.ReportMetric(bareWall/storeWall, "store/bare")
	})
}

// reportCPU, deferred at the start of a benchmark, reports the CPU time the process spent
// per operation's items (garbage collection included), and the items per second: with two
// cores, a benchmark that keeps both busy is bound by the CPU it spends, not by the disk.
func reportCPU(b *testing.B, items int) func() {
	began := cpuTime(b)
	return func() {
		b.ReportMetric(float64((cpuTime(b)-began).Microseconds())/float64(items*b.N), "cpu-µs/checkin")
		b.ReportMetric(float64(items*b.N)/b.Elapsed().Seconds(), "checkins/s")
	}
}

func cpuTime(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// BenchmarkLeaderboard is `/roadmap leaderboard` through the core in communities of 1,000,
// 10,000 and 50,000 learners, a third of whose streaks have lapsed (a week ago), the rest
// going. Streak lengths fall off geometrically as in any habit (half the learners at 6 days
// or fewer, one in 20,000 past 80), so a few learners hold each of the top ranks. The
// "ties" case puts them evenly on 1..60 days instead: about 830 learners share each length,
// and the board must read every one sharing its last rank to order them by longest streak
// and name. The communities are written in one transaction each, as the store writes them.
func BenchmarkLeaderboard(b *testing.B) {
	for _, tc := range []struct {
		name    string
		n       int
		streaks func(i int) int
	}{
		{"1000", 1000, geometricStreak},
		{"10000", 10000, geometricStreak},
		{"50000", 50000, geometricStreak},
		{"50000-ties", 50000, func(i int) int { return 1 + i*7919%60 }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			core, db, clock := benchCore(b)
			fillCommunity(b, db, request("", "").Community, clock.Now(), tc.n, tc.streaks)
			req := request("ana", "/roadmap leaderboard")
			b.ReportAllocs()
			for b.Loop() {
				if r := core.Handle(ctx, req); r.Outcome != bot.OutcomeOK || !strings.Contains(r.Text, "🥇") {
					b.Fatal(r.Title, r.Text)
				}
			}
		})
	}
}

// geometricStreak is learner i's streak: 1 + ⌊8·ln(1/u)⌋ for u spread evenly over (0, 1],
// so each further 5.5 days halves the learners who reach it.
func geometricStreak(i int) int {
	u := float64(i*7919%100003+1) / 100003
	return 1 + int(-8*math.Log(u))
}

// fillCommunity writes n learners with lesson progress and a streak each, every third one
// lapsed a week ago.
func fillCommunity(b *testing.B, db *bolt.DB, c bot.Community, now time.Time, n int, streak func(int) int) {
	b.Helper()
	today := bot.DayOf(now, time.UTC)
	learners := make([]bot.Learner, n)
	for i := range learners {
		current := streak(i)
		last := today - bot.Day(i%2)
		if i%3 == 0 {
			last = today - 7
		}
		l := bot.Learner{Version: bot.SchemaVersion, UserID: fmt.Sprintf("%018d", 100000+i), Name: fmt.Sprintf("learner %d", i),
			Lessons: bot.Progress{}, Updated: now,
			Streak: bot.Streak{Current: current, Longest: current + i%5, Last: last, First: last - bot.Day(current), Studied: 1<<min(current, 63) - 1}}
		for j := range 12 {
			l.Lessons[fmt.Sprintf("lesson-%d", j)] = bot.StateDone
		}
		learners[i] = l
	}
	if err := db.PutLearners(c, learners); err != nil {
		b.Fatal(err)
	}
}
