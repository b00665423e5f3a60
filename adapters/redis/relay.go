package redis

import (
	"context"
	"fmt"
	"strings"
)

// Publish sends msg to every Store that subscribed to topic under the same prefix and says
// how many received it: 0 means nobody listens (no process serves the topic, or Redis
// dropped the subscriber). Delivery is at most once; nothing is kept for a later subscriber.
func (s *Store) Publish(ctx context.Context, topic string, msg []byte) (listeners int, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	n, err := s.rdb.Publish(ctx, s.prefix+topic, msg).Result()
	if err != nil {
		return 0, fmt.Errorf("redis publish: %w", err)
	}
	return int(n), nil
}

// Subscribe calls fn, one message at a time, with every message published on topics from
// now until ctx ends or the Store closes. It returns once Redis has confirmed the
// subscription, or with the error when Redis did not; either way the subscription stays in
// place, and go-redis renews it whenever the connection comes back, so a Redis that is out
// now delays messages, it does not lose the subscriber for good.
func (s *Store) Subscribe(ctx context.Context, topics []string, fn func(topic string, msg []byte)) error {
	channels := make([]string, len(topics))
	for i, t := range topics {
		channels[i] = s.prefix + t
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("redis subscribe: the store is closed")
	}
	s.probing.Add(1) // Close waits for the delivery loop as it does for the prober
	s.mu.Unlock()

	ps := s.rdb.Subscribe(context.WithoutCancel(ctx), channels...)
	confirm, cancel := context.WithTimeout(ctx, max(s.timeout, startupTimeout))
	_, err := ps.Receive(confirm)
	cancel()
	msgs := ps.Channel()
	go func() {
		defer s.probing.Done()
		defer ps.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case <-s.stop:
				return
			case m, ok := <-msgs:
				if !ok {
					return
				}
				fn(strings.TrimPrefix(m.Channel, s.prefix), []byte(m.Payload))
			}
		}
	}()
	if err != nil {
		return fmt.Errorf("redis subscribe: %w", err)
	}
	return nil
}
