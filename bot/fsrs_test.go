package bot

import (
	"math"
	"testing"
)

// Where the expected numbers below come from:
//
//   - "py-fsrs test_basic.py" is tests/test_basic.py of github.com/open-spaced-repetition/py-fsrs
//     (version 6.3.1, commit 3abe686); "fsrs-rs inference.rs" is src/inference.rs of
//     github.com/open-spaced-repetition/fsrs-rs (commit 0cbb9d3). Both pin values for the
//     default FSRS-6 weights.
//   - "by hand" is the published formulas evaluated step by step with the default weights
//     (arithmetic in the comment), then cross-checked by running py-fsrs 6.3.1's own
//     Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False), which is the
//     bot's day-based schedule: it gave the same intervals.
//
// With the default weights: decay = −w20 = −0.1542, factor = 0.9^(1/decay) − 1 = 0.980346,
// D0(G) = w4 − e^(w5·(G−1)) + 1 gives D0(1..4) = 6.4133, 5.1122, 2.1181, −4.7716 (unclamped;
// D0(4) is the mean-reversion target), and I(0.9, S) = S, so each interval is the new
// stability rounded.

// review walks one card through ratings, each given on the day the previous one made it
// due, and returns the interval after each.
func review(f *FSRS, ratings []Rating) []int {
	var m Memory
	var out []int
	elapsed := 0
	for _, g := range ratings {
		m = f.Next(m, elapsed, g)
		elapsed = f.Interval(m.Stability, DefaultRetention)
		out = append(out, elapsed)
	}
	return out
}

func TestFSRSIntervalsOfFixedRatingSequencesReviewedWhenDue(t *testing.T) {
	const (
		A = RatingAgain
		H = RatingHard
		G = RatingGood
		E = RatingEasy
	)
	for _, tc := range []struct {
		name    string
		ratings []Rating
		want    []int
		source  string
	}{{
		// By hand. S0(Good) = w2 = 2.3065 → 2 days; D = D0(3) = 2.1181.
		// Day 2: R = (1 + 0.980346·2/2.3065)^−0.1542 = 0.90949;
		//   SInc = 1 + e^w8·(11−D)·S^−w9·(e^(w10·(1−R))−1) = 4.75367, S = 10.9643 → 11;
		//   D = 0.001·D0(4) + 0.999·D = 2.1112 (Good moves D only by mean reversion).
		// Day 13: R = 0.89978, SInc = 4.22098, S = 46.2802 → 46.
		// Day 59: R = 0.90042, SInc = 3.51905, S = 162.862 → 163.
		// Day 222: R = 0.89994, SInc = 3.05441, S = 497.447 → 497.
		// (py-fsrs test_basic.py test_review_card pins 2, 11, 46, 163, 498 for the same Goods
		// after a same-day learning step, whose extra mean reversion makes the last 497.88.)
		name: "good x5", ratings: []Rating{G, G, G, G, G}, want: []int{2, 11, 46, 163, 497},
		source: "by hand; py-fsrs 6.3.1 scheduler",
	}, {
		// By hand. S0(Again) = w0 = 0.212 → 1 day (never less); D = D0(1) = 6.4133.
		// Then Goods on the day due: S = 1.8868, 6.2692, 17.3792, 43.8421.
		name: "again, good x4", ratings: []Rating{A, G, G, G, G}, want: []int{1, 2, 6, 17, 44},
		source: "by hand; py-fsrs 6.3.1 scheduler",
	}, {
		// By hand. S0(Easy) = w3 = 8.2956 → 8; D = D0(4) clamped to 1.
		// Easy bonus w16 = 1.8729: S = 65.6242, 396.775.
		name: "easy x3", ratings: []Rating{E, E, E}, want: []int{8, 66, 397},
		source: "by hand; py-fsrs 6.3.1 scheduler",
	}, {
		// By hand. Hard on day 2: penalty w15 = 0.6014, S = 7.5133 → 8, and
		// D = 2.1181 + 3.0194·(10−2.1181)/9 → 4.7529 after reversion; then S = 26.4079, 77.4319.
		name: "good, hard, good, good", ratings: []Rating{G, H, G, G}, want: []int{2, 8, 26, 77},
		source: "by hand; py-fsrs 6.3.1 scheduler",
	}, {
		// By hand. S0(Hard) = w1 = 1.2931 → 1, D0(2) = 5.1122; then S = 4.546, 16.5513, 50.1916.
		name: "hard, good x3", ratings: []Rating{H, G, G, G}, want: []int{1, 5, 17, 50},
		source: "by hand; py-fsrs 6.3.1 scheduler",
	}, {
		// By hand. A lapse on day 59 at S = 46.2802, R = 0.90042:
		//   S′f = w11·D^−w12·((S+1)^w13−1)·e^(w14·(1−R)) = 2.9326 → 3 (below S/e^(w17·w18));
		//   D = 7.3900. Then Goods: S = 7.7782, 18.7816.
		name: "good x3, again, good x2", ratings: []Rating{G, G, G, A, G, G}, want: []int{2, 11, 46, 3, 8, 19},
		source: "by hand; py-fsrs 6.3.1 scheduler",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := review(DefaultFSRS, tc.ratings)
			if len(got) != len(tc.want) {
				t.Fatalf("%d intervals, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if absDays(got[i]-tc.want[i]) > 1 {
					t.Errorf("intervals %v, want %v within a day (%s)", got, tc.want, tc.source)
					break
				}
			}
		})
	}
}

// py-fsrs test_basic.py test_review_card reviews Good ×6, Again ×2, Good ×5, each when due,
// with learning steps of 1 and 10 minutes, and pins the intervals
// [0, 2, 11, 46, 163, 498, 0, 0, 2, 4, 7, 12, 21]. The bot has no minute steps: a review 10
// minutes later is a same-day review, so the same days replay the same memory states, and
// every interval py-fsrs scheduled in days must come out the same.
func TestFSRSReplaysPyFSRSPublishedIntervals(t *testing.T) {
	ratings := []Rating{3, 3, 3, 3, 3, 3, 1, 1, 3, 3, 3, 3, 3}
	want := []int{0, 2, 11, 46, 163, 498, 0, 0, 2, 4, 7, 12, 21}
	var m Memory
	for i, g := range ratings {
		elapsed := 0
		if i > 0 {
			elapsed = want[i-1]
		}
		m = DefaultFSRS.Next(m, elapsed, g)
		got := DefaultFSRS.Interval(m.Stability, DefaultRetention)
		if want[i] == 0 {
			if got < 1 {
				t.Errorf("review %d: interval %d, the bot waits at least a day", i+1, got)
			}
			continue
		}
		if absDays(got-want[i]) > 1 {
			t.Errorf("review %d (%v): interval %d, py-fsrs pins %d", i+1, g, got, want[i])
		}
	}
}

// fsrs-rs inference.rs test_memory_state and py-fsrs test_basic.py test_memo_state: Again,
// Good, Good, Good, Good, Good at day offsets 0, 0, 1, 3, 8, 21 end at S = 53.62691,
// D = 6.3574867 (py-fsrs asserts within 1e-4).
func TestFSRSMatchesThePublishedMemoryState(t *testing.T) {
	var m Memory
	for i, step := range []struct {
		g       Rating
		elapsed int
	}{{1, 0}, {3, 0}, {3, 1}, {3, 3}, {3, 8}, {3, 21}} {
		if i == 0 {
			m = DefaultFSRS.Next(Memory{}, 0, step.g)
			continue
		}
		m = DefaultFSRS.Next(m, step.elapsed, step.g)
	}
	if math.Abs(m.Stability-53.62691) > 1e-4 || math.Abs(m.Difficulty-6.3574867) > 1e-4 {
		t.Errorf("memory %+v, want S 53.62691 D 6.3574867", m)
	}
}

// fsrs-rs inference.rs test_next_interval: at S = 1, desired retention 0.1 … 1.0 gives
// 3116766, 34793, 2508, 387, 90, 27, 9, 3, 1, 1 days (rounded, at least 1, no maximum).
func TestFSRSIntervalAtEachRetention(t *testing.T) {
	want := []float64{3116766, 34793, 2508, 387, 90, 27, 9, 3, 1, 1}
	for i, w := range want {
		r := float64(i+1) / 10
		got := max(math.Round(DefaultFSRS.RawInterval(1, r)), 1)
		// fsrs-rs computes in float32: allow its rounding on the largest values.
		if math.Abs(got-w) > max(1, w*1e-5) {
			t.Errorf("retention %.1f: %v days, fsrs-rs pins %v", r, got, w)
		}
		if capped := DefaultFSRS.Interval(1, r); absDays(capped-min(int(w), MaxInterval)) > 1 {
			t.Errorf("retention %.1f: interval %d, want %d (capped at %d)", r, capped, min(int(w), MaxInterval), MaxInterval)
		}
	}
	if got := DefaultFSRS.Interval(0.001, 0.9); got != 1 {
		t.Errorf("a tiny stability waits %d days, want 1", got)
	}
}

func TestFSRSForgettingCurveIsNinetyPercentAtStability(t *testing.T) {
	for _, s := range []float64{0.5, 2.3065, 46, 500} {
		if r := DefaultFSRS.Retrievability(s, s); math.Abs(r-0.9) > 1e-9 {
			t.Errorf("R(S=%v, t=S) = %v, want 0.9", s, r)
		}
	}
	if r := DefaultFSRS.Retrievability(0, 10); r != 1 {
		t.Errorf("R right after a review = %v, want 1", r)
	}
}

func TestFSRSSameDayReviews(t *testing.T) {
	m := Memory{Stability: 5, Difficulty: 5}
	for _, g := range []Rating{RatingHard, RatingGood, RatingEasy} {
		if got := DefaultFSRS.Next(m, 0, g); got.Stability < m.Stability {
			t.Errorf("a same-day %v lowered stability %v → %v", g, m.Stability, got.Stability)
		}
	}
	// SInc = e^(w17·(1−3+w18))·S^−w19 = e^(0.5425·−1.9088)·5^−0.0658 = 0.35505·0.89951 = 0.31936.
	if got := DefaultFSRS.Next(m, 0, RatingAgain); math.Abs(got.Stability-5*0.31936) > 1e-3 {
		t.Errorf("a same-day Again: S = %v, want %v", got.Stability, 5*0.31936)
	}
	// py-fsrs test_basic.py test_repeated_correct_reviews: ten Easy reviews at (nearly) the
	// same time bring difficulty to its floor, 1.
	m = Memory{}
	for range 10 {
		m = DefaultFSRS.Next(m, 0, RatingEasy)
	}
	if m.Difficulty != 1 {
		t.Errorf("difficulty after ten Easy = %v, want 1", m.Difficulty)
	}
}

func TestFSRSWrongAnswerComesBackSoonerThanRightOne(t *testing.T) {
	m := Memory{Stability: 20, Difficulty: 5}
	again := DefaultFSRS.Interval(DefaultFSRS.Next(m, 20, RatingAgain).Stability, DefaultRetention)
	hard := DefaultFSRS.Interval(DefaultFSRS.Next(m, 20, RatingHard).Stability, DefaultRetention)
	good := DefaultFSRS.Interval(DefaultFSRS.Next(m, 20, RatingGood).Stability, DefaultRetention)
	easy := DefaultFSRS.Interval(DefaultFSRS.Next(m, 20, RatingEasy).Stability, DefaultRetention)
	if !(again < hard && hard < good && good < easy) {
		t.Errorf("intervals again %d, hard %d, good %d, easy %d: want increasing", again, hard, good, easy)
	}
	// A higher target retention schedules sooner.
	if DefaultFSRS.Interval(20, 0.95) >= DefaultFSRS.Interval(20, 0.9) {
		t.Errorf("retention 0.95 does not review sooner than 0.9")
	}
}

func absDays(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func TestFSRSRatingFromAButtonOrAnAnswer(t *testing.T) {
	for in, want := range map[string]Rating{"again": RatingAgain, " Hard": RatingHard, "GOOD": RatingGood, "easy": RatingEasy, "4": RatingEasy, "1": RatingAgain} {
		if got, ok := ParseRating(in); !ok || got != want {
			t.Errorf("ParseRating(%q) = %v %v, want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "0", "5", "great", "goo"} {
		if _, ok := ParseRating(in); ok {
			t.Errorf("ParseRating(%q) accepted", in)
		}
	}
	if RatingOf(true) != RatingGood || RatingOf(false) != RatingAgain {
		t.Errorf("a right answer is %v and a wrong one %v", RatingOf(true), RatingOf(false))
	}
}
