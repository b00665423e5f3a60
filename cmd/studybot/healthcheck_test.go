package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheckExitCodeFollowsHealthz(t *testing.T) {
	healthz := func(status int) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/healthz" || r.Method != http.MethodGet {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(status)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	port := func(srv *httptest.Server) string {
		_, p, err := net.SplitHostPort(srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	healthy, failing := healthz(http.StatusOK), healthz(http.StatusServiceUnavailable)
	stopped := healthz(http.StatusOK)
	stopped.Close() // nothing listens on its port any more

	tests := []struct {
		name       string
		addr       string
		want       int
		wantStderr string // "" means stderr must stay empty
	}{
		{"200 is healthy", healthy.Listener.Addr().String(), exitOK, ""},
		{"a wildcard host probes loopback", ":" + port(healthy), exitOK, ""},
		{"0.0.0.0 probes loopback", "0.0.0.0:" + port(healthy), exitOK, ""},
		{"503 is unhealthy", failing.Listener.Addr().String(), exitFail, "503 Service Unavailable"},
		{"nothing listening is unhealthy", stopped.Listener.Addr().String(), exitFail, `Get "http://127.0.0.1:`},
		// Docker reads exit code 2 as reserved, not as unhealthy: every failure is 1.
		{"unset address is unhealthy", "", exitFail, "STUDYBOT_HTTP_ADDR is not set"},
		{"malformed address is unhealthy", "8080", exitFail, "is not host:port"},
		{"a random port is unhealthy", "127.0.0.1:0", exitFail, "port from 1 to 65535"},
		{"an argument is unhealthy", healthy.Listener.Addr().String() + " --verbose", exitFail, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			addr, arg, _ := strings.Cut(tt.addr, " ") // an address, then maybe an argument
			vars := map[string]string{"STUDYBOT_HTTP_ADDR": addr}
			args := []string{"healthcheck"}
			if arg != "" {
				args = append(args, arg)
			}
			code := runMain(context.Background(), args, envOf(vars), strings.NewReader(""), &stdout, &stderr)
			if code != tt.want {
				t.Errorf("exit code %d, want %d (stderr: %q)", code, tt.want, stderr.String())
			}
			if tt.wantStderr == "" && stderr.Len() > 0 {
				t.Errorf("stderr should be empty, got %q", stderr.String())
			}
			if tt.wantStderr != "" {
				if !strings.Contains(stderr.String(), tt.wantStderr) {
					t.Errorf("stderr %q lacks %q", stderr.String(), tt.wantStderr)
				}
				if lines := strings.Count(strings.TrimSuffix(stderr.String(), "\n"), "\n") + 1; lines != 1 {
					t.Errorf("stderr has %d lines, want one: %q", lines, stderr.String())
				}
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout should stay empty, got %q", stdout.String())
			}
		})
	}
}

func TestHealthcheckKeepsAnExplicitHost(t *testing.T) {
	tests := []struct{ addr, want string }{
		{":8080", "http://127.0.0.1:8080/healthz"},
		{"[::]:8080", "http://127.0.0.1:8080/healthz"},
		{"10.1.2.3:9000", "http://10.1.2.3:9000/healthz"},
		{"[::1]:8080", "http://[::1]:8080/healthz"},
		{"localhost:8080", "http://localhost:8080/healthz"},
	}
	for _, tt := range tests {
		got, err := healthzURL(tt.addr)
		if err != nil || got != tt.want {
			t.Errorf("healthzURL(%q) = %q, %v; want %q", tt.addr, got, err, tt.want)
		}
	}
}
