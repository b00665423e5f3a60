package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/redis"
)

func TestAPublishedMessageReachesTheProcessSubscribedToItsTopicOnly(t *testing.T) {
	url := redisURL(t)
	prefix := testPrefix(t, url)
	sender := open(t, redis.Options{URL: url, Prefix: prefix, Timeout: patient})
	receiver := open(t, redis.Options{URL: url, Prefix: prefix, Timeout: patient})
	other := open(t, redis.Options{URL: url, Prefix: "another-deployment:" + prefix, Timeout: patient})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	got := make(chan [2]string, 4)
	if err := receiver.Subscribe(ctx, []string{"discord/shard/1"}, func(topic string, msg []byte) {
		got <- [2]string{topic, string(msg)}
	}); err != nil {
		t.Fatal(err)
	}
	strays := make(chan string, 4)
	if err := other.Subscribe(ctx, []string{"discord/shard/1"}, func(_ string, msg []byte) { strays <- string(msg) }); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		topic string
		want  int
	}{
		{"discord/shard/1", 1}, // the receiver; not the other deployment's subscriber
		{"discord/shard/2", 0}, // nobody serves it
	} {
		n, err := sender.Publish(ctx, tc.topic, []byte("press on "+tc.topic))
		if err != nil || n != tc.want {
			t.Errorf("Publish(%s) = %d, %v; want %d listeners", tc.topic, n, err, tc.want)
		}
	}
	select {
	case m := <-got:
		if m != [2]string{"discord/shard/1", "press on discord/shard/1"} {
			t.Errorf("received %q", m)
		}
	case <-time.After(patient):
		t.Fatal("the subscriber received nothing")
	}

	// Once its context ends the subscriber is gone: a publish reaches nobody.
	cancel()
	deadline := time.Now().Add(patient)
	for {
		n, err := sender.Publish(context.Background(), "discord/shard/1", []byte("late"))
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %d listeners after the subscriber's context ended", n)
		}
		time.Sleep(5 * time.Millisecond) // polling for the unsubscribe to reach Redis
	}
	select {
	case m := <-strays:
		t.Errorf("another deployment's subscriber received %q", m)
	default:
	}
}
