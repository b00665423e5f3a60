package bot

import (
	"math"
	"strings"
)

// This file is FSRS-6, the Free Spaced Repetition Scheduler of the open-spaced-repetition
// project, written here from its published formulas: the "The Algorithm" page of the
// open-spaced-repetition/fsrs4anki wiki (section FSRS-6), checked against the two reference
// implementations, github.com/open-spaced-repetition/py-fsrs (fsrs/scheduler.py, version
// 6.3.1, commit 3abe686) and github.com/open-spaced-repetition/fsrs-rs (src/model.rs,
// src/inference.rs, commit 0cbb9d3). No Go module of it is served by the registry this
// project builds from.
//
// The default weights are DEFAULT_PARAMETERS of py-fsrs fsrs/scheduler.py and of fsrs-rs
// src/inference.rs (the same 21 numbers in both): the defaults the project ships for a
// learner who has no review history of their own to optimize weights from.
//
// The bot schedules in whole local days and has no intraday learning steps: a card is
// graded at most meaningfully once a day, so it goes straight to the day-based schedule, as
// fsrs-rs's next_states and py-fsrs with empty learning and relearning steps do. A second
// grade on the day of the last one is a same-day review and uses FSRS-6's short-term
// stability formula, as both implementations do.

// Rating is how well a learner recalled a card; the numbers are FSRS's grades.
type Rating int8

// The four grades of FSRS. In the bot a wrong answer is Again and a right one Good, unless
// the learner presses Hard or Easy after it.
const (
	RatingAgain Rating = 1
	RatingHard  Rating = 2
	RatingGood  Rating = 3
	RatingEasy  Rating = 4
)

// Valid reports a rating FSRS knows.
func (r Rating) Valid() bool { return r >= RatingAgain && r <= RatingEasy }

// String is the button's word.
func (r Rating) String() string {
	switch r {
	case RatingAgain:
		return "again"
	case RatingHard:
		return "hard"
	case RatingGood:
		return "good"
	case RatingEasy:
		return "easy"
	}
	return "unrated"
}

// ParseRating reads a button's word ("hard", "Good", …) or its number ("1"–"4").
func ParseRating(s string) (Rating, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for r := RatingAgain; r <= RatingEasy; r++ {
		if s == r.String() || s == string(rune('0'+r)) {
			return r, true
		}
	}
	return 0, false
}

// RatingOf is the grade of an answer before any button: Good when right, Again when wrong.
func RatingOf(right bool) Rating {
	if right {
		return RatingGood
	}
	return RatingAgain
}

// DefaultRetention is the probability of recall a review is scheduled for: FSRS's default
// desired retention.
const DefaultRetention = 0.9

// MaxInterval is the longest a card waits, in days (py-fsrs's maximum_interval, fsrs-rs's
// S_MAX): a hundred years, so "never again" is never literally never.
const MaxInterval = 36500

// Bounds of the memory state, as in both reference implementations.
const (
	minStability  = 0.001
	maxStability  = 36500.0
	minDifficulty = 1.0
	maxDifficulty = 10.0
)

// FSRS6Weights are the 21 default weights w0…w20 of FSRS-6 (see the top of this file for
// their source). w0–w3 are the first stabilities per grade; w4–w7 difficulty; w8–w10 recall;
// w11–w14 forgetting; w15, w16 the Hard penalty and Easy bonus; w17–w19 same-day reviews;
// w20 the decay of the forgetting curve.
var FSRS6Weights = [21]float64{
	0.212, 1.2931, 2.3065, 8.2956,
	6.4133, 0.8334, 3.0194, 0.001,
	1.8722, 0.1666, 0.796,
	1.4835, 0.0614, 0.2629, 1.6483,
	0.6014, 1.8729,
	0.5425, 0.0912, 0.0658,
	0.1542,
}

// FSRS is the model with one set of weights. Its zero value is not usable; DefaultFSRS is.
type FSRS struct {
	w      [21]float64
	decay  float64 // −w20: the forgetting curve's exponent
	factor float64 // chosen so that R(S, S) = 0.9: stability is the 90 % interval
}

// NewFSRS is the model with weights w (an optimizer's output, or FSRS6Weights).
func NewFSRS(w [21]float64) *FSRS {
	decay := -w[20]
	return &FSRS{w: w, decay: decay, factor: math.Pow(0.9, 1/decay) - 1}
}

// DefaultFSRS is FSRS-6 with its default weights.
var DefaultFSRS = NewFSRS(FSRS6Weights)

// Memory is FSRS's state of one card: stability S, the days after which recall falls to
// 90 %, and difficulty D in [1, 10]. The zero Memory is a card never reviewed.
type Memory struct {
	Stability  float64
	Difficulty float64
}

// Retrievability is the probability of recall after elapsed days at stability s, FSRS-6's
// power forgetting curve R(t, S) = (1 + factor·t/S)^decay.
func (f *FSRS) Retrievability(elapsed, s float64) float64 {
	if s <= 0 {
		return 0
	}
	return math.Pow(1+f.factor*max(elapsed, 0)/s, f.decay)
}

// RawInterval is the forgetting curve solved for t at the retention wanted,
// I(r, S) = S/factor·(r^(1/decay) − 1), in fractional days; I(0.9, S) = S.
func (f *FSRS) RawInterval(s, retention float64) float64 {
	return s / f.factor * (math.Pow(retention, 1/f.decay) - 1)
}

// Interval is the days until the next review: RawInterval rounded to whole days, at least
// one (the bot reviews at most daily) and at most MaxInterval.
func (f *FSRS) Interval(s, retention float64) int {
	if retention <= 0 || retention > 1 {
		retention = DefaultRetention
	}
	days := math.Round(f.RawInterval(s, retention))
	if math.IsNaN(days) || days > MaxInterval {
		return MaxInterval
	}
	return max(int(days), 1)
}

// InitialStability is S0(G) = w[G−1].
func (f *FSRS) InitialStability(g Rating) float64 {
	return clampStability(f.w[g-1])
}

// InitialDifficulty is D0(G) = w4 − e^(w5·(G−1)) + 1, clamped to [1, 10].
func (f *FSRS) InitialDifficulty(g Rating) float64 {
	return clampDifficulty(f.initialDifficulty(g))
}

// initialDifficulty is D0 unclamped: the mean-reversion target D0(Easy) is below 1 with the
// default weights, and FSRS reverts towards that value, not towards 1.
func (f *FSRS) initialDifficulty(g Rating) float64 {
	return f.w[4] - math.Exp(f.w[5]*float64(g-1)) + 1
}

// NextDifficulty moves D by −w6·(G−3), damped linearly as D nears 10, then reverts it by
// w7 towards D0(Easy): D′ = w7·D0(4) + (1−w7)·(D + ΔD·(10−D)/9), clamped to [1, 10].
func (f *FSRS) NextDifficulty(d float64, g Rating) float64 {
	delta := -f.w[6] * float64(g-3)
	damped := d + delta*(10-d)/9
	return clampDifficulty(f.w[7]*f.initialDifficulty(RatingEasy) + (1-f.w[7])*damped)
}

// RecallStability is S′r after a successful review (Hard, Good or Easy) at retrievability r:
// S·(1 + e^w8·(11−D)·S^−w9·(e^(w10·(1−R))−1)·hard·easy), with hard = w15 for Hard and
// easy = w16 for Easy. The lower R was, the more a recall strengthens the memory.
func (f *FSRS) RecallStability(d, s, r float64, g Rating) float64 {
	bonus := 1.0
	switch g {
	case RatingHard:
		bonus = f.w[15]
	case RatingEasy:
		bonus = f.w[16]
	}
	inc := math.Exp(f.w[8]) * (11 - d) * math.Pow(s, -f.w[9]) * (math.Exp(f.w[10]*(1-r)) - 1) * bonus
	return s * (1 + inc)
}

// ForgetStability is S′f after a lapse (Again) at retrievability r:
// w11·D^−w12·((S+1)^w13 − 1)·e^(w14·(1−R)), never above S/e^(w17·w18), so forgetting never
// leaves a card more stable than a same-day Again would.
func (f *FSRS) ForgetStability(d, s, r float64) float64 {
	long := f.w[11] * math.Pow(d, -f.w[12]) * (math.Pow(s+1, f.w[13]) - 1) * math.Exp(f.w[14]*(1-r))
	return min(long, s/math.Exp(f.w[17]*f.w[18]))
}

// ShortTermStability is S′ after a second review on the same day (FSRS-6):
// S·SInc with SInc = e^(w17·(G−3+w18))·S^−w19. A passing grade never lowers stability
// (SInc ≥ 1 for Hard, Good and Easy, as fsrs-rs's model does; py-fsrs leaves Hard
// unclamped); Again may.
func (f *FSRS) ShortTermStability(s float64, g Rating) float64 {
	inc := math.Exp(f.w[17]*(float64(g)-3+f.w[18])) * math.Pow(s, -f.w[19])
	if g >= RatingHard {
		inc = max(inc, 1)
	}
	return s * inc
}

// Next is the memory after a review graded g, elapsed whole days after the previous one.
// The zero Memory is a first review: S0 and D0. A review on the day of the previous one
// (elapsed 0) uses the short-term formula; otherwise recall or forgetting at the
// retrievability the card had reached.
func (f *FSRS) Next(m Memory, elapsed int, g Rating) Memory {
	if !g.Valid() {
		return m
	}
	if m.Stability <= 0 {
		return Memory{Stability: f.InitialStability(g), Difficulty: f.InitialDifficulty(g)}
	}
	s, d := clampStability(m.Stability), clampDifficulty(m.Difficulty)
	var next float64
	switch {
	case elapsed <= 0:
		next = f.ShortTermStability(s, g)
	case g == RatingAgain:
		next = f.ForgetStability(d, s, f.Retrievability(float64(elapsed), s))
	default:
		next = f.RecallStability(d, s, f.Retrievability(float64(elapsed), s), g)
	}
	return Memory{Stability: clampStability(next), Difficulty: f.NextDifficulty(d, g)}
}

func clampStability(s float64) float64 {
	if math.IsNaN(s) {
		return minStability
	}
	return min(max(s, minStability), maxStability)
}

func clampDifficulty(d float64) float64 {
	if math.IsNaN(d) {
		return maxDifficulty
	}
	return min(max(d, minDifficulty), maxDifficulty)
}
