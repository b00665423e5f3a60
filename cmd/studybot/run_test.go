package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// fakeService behaves like a service should, or like a broken one.
type fakeService struct {
	name    string
	failNow error // returned at once from Run
	stuck   bool  // ignores the end of ctx
}

func (f fakeService) Name() string { return f.name }

func (f fakeService) Run(ctx context.Context) error {
	if f.failNow != nil {
		return f.failNow
	}
	<-ctx.Done()
	if f.stuck {
		select {} // never returns
	}
	return nil
}

func TestRunServices(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name     string
		services []service
		want     string // "" for a clean stop
	}{
		{"every service stops when asked", []service{fakeService{name: "a"}, fakeService{name: "b"}}, ""},
		{"one failure stops the others and is reported", []service{fakeService{name: "a"}, fakeService{name: "http", failNow: errors.New("port taken")}}, "http: port taken"},
		{"a service that will not stop is named after the grace", []service{fakeService{name: "a"}, fakeService{name: "discord", stuck: true}}, "after shutdown began: discord"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- runServices(ctx, quiet, tt.services, 50*time.Millisecond) }()
			if !strings.Contains(tt.want, "port taken") {
				cancel() // SIGTERM; the failing service stops everything by itself
			}
			defer cancel()
			err := <-done
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("runServices = %v, want %q", err, tt.want)
			}
		})
	}
}
