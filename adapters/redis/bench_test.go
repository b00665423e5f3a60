package redis_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/redis"
)

// BenchmarkCooldownVersusPing times a cooldown check next to a bare PING on the same client,
// interleaved so both see the same machine. One round trip means a p50 ratio close to 1.
func BenchmarkCooldownVersusPing(b *testing.B) {
	url := redisURL(b)
	s := open(b, redis.Options{URL: url, Prefix: testPrefix(b, url), Timeout: patient})
	ctx := context.Background()
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("discord/g1/learner%d/next", i)
	}
	allow := make([]time.Duration, 0, b.N)
	ping := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		if err := s.Ping(ctx); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := s.Allow(ctx, keys[i%len(keys)], readLimit); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		ping = append(ping, t1.Sub(t0))
		allow = append(allow, t2.Sub(t1))
	}
	b.StopTimer()
	if s.Fallback() {
		b.Fatal("the store fell back to in-process cooldowns during the benchmark; the figures are not Redis's")
	}
	p50a, p99a := percentile(allow, 50), percentile(allow, 99)
	p50p, p99p := percentile(ping, 50), percentile(ping, 99)
	b.ReportMetric(float64(p50a.Nanoseconds()), "allow-p50-ns")
	b.ReportMetric(float64(p99a.Nanoseconds()), "allow-p99-ns")
	b.ReportMetric(float64(p50p.Nanoseconds()), "ping-p50-ns")
	b.ReportMetric(float64(p99p.Nanoseconds()), "ping-p99-ns")
	b.ReportMetric(float64(p50a)/float64(p50p), "p50-ratio")
	b.ReportMetric(float64(p99a)/float64(p99p), "p99-ratio")
}

func percentile(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}
