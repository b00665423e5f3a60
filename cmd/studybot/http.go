package main

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// A readinessCheck reports whether one part of studybot can serve: the store, each chat
// adapter's connection, Redis. detail is shown on /readyz; ok=false makes the process unready.
type readinessCheck struct {
	name string
	fn   func(ctx context.Context) (detail string, ok bool)
}

// readiness is the set of checks /readyz runs; parts of `studybot run` add theirs as they
// are wired.
type readiness struct {
	mu     sync.Mutex
	checks []readinessCheck
}

func (r *readiness) add(name string, fn func(ctx context.Context) (string, bool)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checks = append(r.checks, readinessCheck{name, fn})
}

type readyReport struct {
	Ready  bool              `json:"ready"`
	Checks map[string]string `json:"checks"`
}

func (r *readiness) report(ctx context.Context) readyReport {
	r.mu.Lock()
	checks := append([]readinessCheck(nil), r.checks...)
	r.mu.Unlock()
	rep := readyReport{Ready: true, Checks: map[string]string{}}
	for _, c := range checks {
		detail, ok := c.fn(ctx)
		rep.Checks[c.name] = detail
		rep.Ready = rep.Ready && ok
	}
	return rep
}

// routeHealth adds /healthz (the process answers), /readyz (every part can serve) and
// /metrics to c.mux.
func (c *core) routeHealth() {
	c.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	c.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		rep := c.ready.report(ctx)
		w.Header().Set("Content-Type", "application/json")
		if !rep.Ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		json.NewEncoder(w).Encode(rep)
	})
	c.mux.Handle("GET /metrics", c.metrics.Handler())
	c.ready.add("store", func(context.Context) (string, bool) {
		if err := c.store.Ping(); err != nil {
			return "error: " + err.Error(), false
		}
		return "ok", true
	})
}
