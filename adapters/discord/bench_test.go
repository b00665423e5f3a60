package discord_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt/bolttest"
	"github.com/studybot/studybot/adapters/discord/discordtest"
	"github.com/studybot/studybot/bot"
)

// BenchmarkInteractionLatency measures, against the fake Discord, the time from the fake
// sending INTERACTION_CREATE on the gateway to it receiving the callback POST: gateway read
// and decode in discordgo, the core's answer (a bbolt read for next, a bbolt write for done),
// rendering, and the REST call. Each interaction comes from a new learner, so cooldowns
// never refuse one. It reports p50 and p99 in microseconds, and the same for bare bbolt
// Updates (below) in the same run; run 1,000 of each with
//
//	go test -run '^$' -bench InteractionLatency -benchtime 1000x ./adapters/discord/
func BenchmarkInteractionLatency(b *testing.B) {
	for _, tc := range []struct {
		name     string
		opt      discordtest.Option
		parallel int
	}{
		{"next", discordtest.Sub("next"), 1},
		{"done", discordtest.Sub("done", discordtest.Str("topic", "caching")), 1},
		{"next-16-at-once", discordtest.Sub("next"), 16},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h := start(b, setup{})
			ids := make([]string, b.N)
			var wg sync.WaitGroup
			next := make(chan int)
			b.ResetTimer()
			for range tc.parallel {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range next {
						u := discordtest.User{ID: fmt.Sprintf("5%017d", i), Username: "bench", Permissions: learner.Permissions}
						id, err := h.fake.Command(guild, channel, u, tc.opt)
						if err != nil {
							b.Error(err)
							return
						}
						if _, ok := h.fake.AwaitAnswer(id, wait); !ok {
							b.Errorf("interaction %d was not answered", i)
							return
						}
						ids[i] = id
					}
				}()
			}
			for i := range b.N {
				next <- i
			}
			close(next)
			wg.Wait()
			b.StopTimer()
			var lat []time.Duration
			for _, id := range ids {
				if d, ok := h.fake.Latency(id); ok {
					lat = append(lat, d)
				}
			}
			if len(lat) == 0 {
				return
			}
			reportLatencies(b, lat)
			b.ReportMetric(float64(len(lat)), "interactions")
		})
	}
	// The floor for a write: bare bbolt Updates on the same disk in the same run, of the
	// record `done` leaves ("bare-update"), and of everything its transaction writes: the
	// record, the learner's pulse and streak index entry ("bare-update-same-bytes"). The
	// issue's target for a lone `done` is p99 ≤ 2 × the bare p99 + 1 ms.
	written := bolttest.Wrote(b, bot.Learner{Version: bot.SchemaVersion, UserID: fmt.Sprintf("5%017d", 0), Name: "bench",
		Lessons: bot.Progress{"caching-http-headers": bot.StateDone, "caching-redis": bot.StateDone},
		Streak:  bot.Streak{Current: 1, Longest: 1, Last: 20000, First: 20000, Days: "1", Ends: t0}, Updated: t0})
	b.Run("bare-update", func(b *testing.B) { reportLatencies(b, bolttest.BareUpdates(b, b.N, written, false)) })
	b.Run("bare-update-same-bytes", func(b *testing.B) { reportLatencies(b, bolttest.BareUpdates(b, b.N, written, true)) })
}

// reportLatencies reports the median and 99th percentile of lat, in microseconds.
func reportLatencies(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}
