package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheckTimeout bounds one probe; container runtimes kill a check that outlives theirs.
const healthcheckTimeout = 2 * time.Second

// cmdHealthcheck asks the running studybot in this container (or on this host) whether it is
// alive: it GETs /healthz on STUDYBOT_HTTP_ADDR and exits 0 on 200, 1 on anything else, a
// bad address included: Docker reserves HEALTHCHECK exit code 2, so 1 is the only "unhealthy".
// It is the image's HEALTHCHECK, so it needs no shell, curl or wget; it reads no other
// configuration, so it cannot fail on a variable that only `run` cares about.
func cmdHealthcheck(ctx context.Context, e env, args []string) int {
	if len(args) > 0 {
		fmt.Fprintf(e.stderr, "studybot healthcheck: unexpected argument %q\n", args[0])
		return exitFail
	}
	target, err := healthzURL(e.getenv("STUDYBOT_HTTP_ADDR"))
	if err != nil {
		fmt.Fprintf(e.stderr, "studybot healthcheck: %v\n", err)
		return exitFail
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		fmt.Fprintf(e.stderr, "studybot healthcheck: %v\n", err)
		return exitFail
	}
	client := &http.Client{
		// The probe targets this machine: no proxy from HTTP_PROXY, and a redirect is not
		// "healthy", so it is reported as the status it is.
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(e.stderr, "studybot healthcheck: %v\n", err) // names the URL already
		return exitFail
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(e.stderr, "studybot healthcheck: GET %s answered %s\n", target, resp.Status)
		return exitFail
	}
	return exitOK
}

// healthzURL turns the address studybot listens on into the URL a local probe can reach: a
// wildcard or empty host (":8080", "0.0.0.0:8080", "[::]:8080") means "every interface", which
// includes loopback; an explicit host is kept, since the server may listen only there.
func healthzURL(addr string) (string, error) {
	if addr == "" {
		return "", fmt.Errorf("STUDYBOT_HTTP_ADDR is not set, so studybot serves no /healthz to check (set it, e.g. STUDYBOT_HTTP_ADDR=:8080, for both run and healthcheck)")
	}
	host, port, err := splitHTTPAddr(addr)
	if err != nil {
		return "", err
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}
