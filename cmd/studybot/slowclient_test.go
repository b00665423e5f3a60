package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// slowClient opens a connection to addr, sends the headers of a 100-byte form POST to path
// with Expect: 100-continue, waits for the server's "100 Continue" (sent once the handler
// starts reading the body), then sends one byte and nothing more.
func slowClient(t *testing.T, addr, path string) *bufio.Reader {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(shutdownGrace + 10*time.Second))
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: studybot\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Content-Length: 100\r\nExpect: 100-continue\r\nX-Slack-Request-Timestamp: %d\r\nX-Slack-Signature: v0=%064d\r\n\r\n",
		path, time.Now().Unix(), 0)
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("the server did not start reading the body: %q %v", line, err)
	}
	if _, err := r.ReadString('\n'); err != nil { // the blank line ending the interim response
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte("t")); err != nil {
		t.Fatal(err)
	}
	return r
}

// The HTTP server's own share of the grace ends before the grace does: a connection still
// open then is closed, and the server stops cleanly.
func TestHTTPServerClosesWhatOutlivesItsShareOfTheGrace(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	reading := func(w http.ResponseWriter, r *http.Request) { io.ReadAll(r.Body) } // waits for the whole body
	svc := &httpService{addr: addr, handler: http.HandlerFunc(reading), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- svc.Run(ctx) }()
	waitFor(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	slowClient(t, addr, "/anything")

	began := time.Now()
	cancel()
	select {
	case err := <-ran:
		if err != nil {
			t.Errorf("Run = %v, want a clean stop", err)
		}
	case <-time.After(shutdownGrace):
		t.Fatalf("the HTTP server still held the slow connection after the whole %s grace", shutdownGrace)
	}
	if took := time.Since(began); took >= shutdownGrace {
		t.Errorf("the HTTP server took %s of the %s grace", took, shutdownGrace)
	}
}

// Issue 17: SIGTERM with one slow client exited 1 after the whole grace. Its body is
// unauthenticated, so the shutdown cuts it off and exits 0, well within the grace.
func TestSIGTERMWithASlowSlackClientExitsCleanlyWithinTheGrace(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	slack := newFakeSlackAPI(t)
	p := startStudybot(t, slack.URL)
	r := slowClient(t, p.addr, "/slack/commands")

	took, exit := p.stop(t)
	if exit != nil {
		t.Errorf("exit %v after SIGTERM, want 0", exit)
	}
	if took >= httpShutdownGrace {
		t.Errorf("exit took %s after SIGTERM: the slow client held the shutdown (grace %s, the HTTP server's share %s)",
			took, shutdownGrace, httpShutdownGrace)
	}
	if resp, err := http.ReadResponse(r, nil); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		code := 0
		if resp != nil {
			code = resp.StatusCode
		}
		t.Errorf("the slow client got %d (%v), want 503", code, err)
	}
	if out := p.stderr.String(); strings.Contains(out, "still running") || !strings.Contains(out, "studybot stopped cleanly") {
		t.Errorf("stderr:\n%s", out)
	}
	t.Logf("exit 0 %s after SIGTERM with a slow client open", took.Round(time.Millisecond))
}
