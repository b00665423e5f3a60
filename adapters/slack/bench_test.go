package slack_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/slack/internal/fakeslack"
)

// BenchmarkSlashCommandAck measures, over Socket Mode against the fake, the time from the
// fake starting to write a slash_commands envelope to it reading the acknowledgement,
// which carries the full Block Kit answer. Commands go one at a time from 250 learners in
// turn (a first command per learner includes a users.info lookup; later ones hit the cache),
// each `/roadmap next` against the real core and bbolt. Run it with -benchtime=1000x for
// 1,000 commands.
func BenchmarkSlashCommandAck(b *testing.B) {
	w := newWorld(b, options{})
	const learners = 250
	for i := range learners {
		w.fake.SetUser(user(fmt.Sprintf("U%05d", i), fmt.Sprintf("Learner %d", i), false, false, "Europe/Berlin"))
	}
	w.runSocket()

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		sent := w.fake.SendCommand(fakeslack.Command{Team: team, Channel: channel,
			User: fmt.Sprintf("U%05d", i%learners), UserName: "learner", Text: "next"})
		ack := w.fake.WaitAck(sent.EnvelopeID)
		if !ack.HasPayload() {
			b.Fatalf("command %d acknowledged without its answer", i)
		}
		lat = append(lat, ack.Received.Sub(ack.Sent))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p int) float64 { return float64(lat[(len(lat)-1)*p/100].Microseconds()) }
	b.ReportMetric(pct(50), "p50-µs")
	b.ReportMetric(pct(99), "p99-µs")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
}
