package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/adapters/internal/inflight"
	"github.com/studybot/studybot/bot"
)

// HTTP receives slash commands and button presses as signed HTTP requests from Slack
// (the Request URLs of the app's slash command and interactivity settings).
type HTTP struct {
	a        *Adapter
	secret   []byte
	inflight inflight.Tracker
	seen     replays
	bodies   bodyReads
}

// MaxBodyBytes is the largest request body accepted; a larger one is refused with 413
// before anything in it is looked at.
const MaxBodyBytes = 1 << 20

// SignatureWindow is how far a request's timestamp may be from now, either way. Older
// requests are refused so a captured request cannot be replayed later.
const SignatureWindow = 5 * time.Minute

// Slack's signing headers.
const (
	HeaderSignature = "X-Slack-Signature"
	HeaderTimestamp = "X-Slack-Request-Timestamp"
)

// HTTP returns the HTTP-mode receiver; the adapter needs a signing secret.
func (a *Adapter) HTTP() (*HTTP, error) {
	if a.cfg.SigningSecret == "" {
		return nil, errors.New("slack http mode: a signing secret is required")
	}
	return &HTTP{a: a, secret: []byte(a.cfg.SigningSecret)}, nil
}

// Name names the service in logs.
func (h *HTTP) Name() string { return "slack-http" }

// Run waits for ctx to end, then cuts off every request body still being read (a body is
// unauthenticated until it has all arrived, so a client trickling one in must not hold the
// shutdown) and waits for the answers still on their way to a response_url. The HTTP server
// itself belongs to the caller.
func (h *HTTP) Run(ctx context.Context) error {
	<-ctx.Done()
	if n := h.bodies.cut(); n > 0 {
		h.a.log.Info("slack http: shutting down; cut off requests whose bodies were still arriving", "requests", n)
	}
	// Requests that arrive from now on are still answered ("studybot is restarting"): the
	// HTTP server is the caller's and may deliver them until it shuts down itself.
	h.inflight.Drain()
	h.inflight.Wait(context.Background()) // commands are bounded by commandTimeout and replyTimeout
	return nil
}

// Commands serves POST /slack/commands: the answer is the response body when the core is
// done within AckWithin, else the body is empty and the answer goes to the response_url.
func (h *HTTP) Commands() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, ok := h.verified(w, r)
		if !ok {
			return
		}
		if form.Get("ssl_check") != "" {
			w.WriteHeader(http.StatusOK) // Slack checking our certificate
			return
		}
		in := incoming{
			team: form.Get("team_id"), enterprise: form.Get("enterprise_id"), channel: form.Get("channel_id"),
			user: form.Get("user_id"), userName: form.Get("user_name"), text: commandText(form.Get("text")),
			responseURL: form.Get("response_url"), triggerID: form.Get("trigger_id"),
		}
		if err := in.check(); err != nil {
			h.refuse(w, "slash command", err)
			return
		}
		ctx := context.WithoutCancel(r.Context())
		admission := h.inflight.Enter()
		defer h.inflight.Leave()
		if admission != inflight.Admitted {
			writeJSON(w, reply(restarting, true, in.team))
			return
		}
		result := inflight.Go(func() bot.Response { return h.a.answer(ctx, in) })
		if resp, ok := result.Within(h.a.ackWithin); ok {
			if modalOpen(resp) {
				w.WriteHeader(http.StatusOK)
				return
			}
			writeJSON(w, reply(resp, false, in.team))
			return
		}
		w.WriteHeader(http.StatusOK)
		// Counted before the deferred Leave, so a shutdown waits for the late answer too.
		h.inflight.Go(func(inflight.Admission) {
			if resp := result.Wait(); !modalOpen(resp) {
				h.a.postResponseURL(ctx, in.responseURL, reply(resp, false, in.team))
			}
		})
	})
}

// Interactions serves POST /slack/interactions: a button press is acknowledged with an
// empty 200 at once and answered privately through its response_url.
func (h *HTTP) Interactions() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, ok := h.verified(w, r)
		if !ok {
			return
		}
		var cb slack.InteractionCallback
		if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
			h.refuse(w, "interaction", errors.New("the payload is not JSON"))
			return
		}
		in, ok := buttonPress(cb)
		if !ok {
			in, ok = viewSubmission(cb) // acknowledged empty: the modal closes
		}
		if ok {
			if err := in.check(); err != nil {
				h.refuse(w, "button press", err)
				return
			}
		}
		w.WriteHeader(http.StatusOK)
		if ok {
			ctx := context.WithoutCancel(r.Context())
			h.inflight.Go(func(admission inflight.Admission) { h.a.answerPress(ctx, admission, in) })
		}
	})
}

// refuse answers a correctly signed request that studybot cannot file under a community
// (no team, or one that is not a Slack ID) with 400. It is logged as a warning: Slack sent
// something unexpected, nothing broke here.
func (h *HTTP) refuse(w http.ResponseWriter, what string, err error) {
	h.a.log.Warn("slack http: refused a signed request it cannot act on", "request", what, "reason", err.Error())
	http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
}

// formType is the content type Slack sends slash commands and interaction payloads in;
// jsonType the one of Events API requests.
const (
	formType = "application/x-www-form-urlencoded"
	jsonType = "application/json"
)

// verified reads and checks a request: 401 without a fresh, valid signature, 415 for a body
// that is not a form, 413 for a body over MaxBodyBytes. Nothing is parsed and nothing
// changes before these checks pass.
func (h *HTTP) verified(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	body, ok := h.verifiedBody(w, r, formType)
	if !ok {
		return nil, false
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad form body", http.StatusBadRequest)
		return nil, false
	}
	return form, true
}

// verifiedBody is verified for a body of media type want, returned unparsed.
func (h *HTTP) verifiedBody(w http.ResponseWriter, r *http.Request, want string) ([]byte, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil, false
	}
	timestamp, signature := r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature)
	now := h.a.clock.Now()
	sent, err := checkTimestamp(timestamp, now)
	if err != nil || signature == "" {
		http.Error(w, "missing or stale signature", http.StatusUnauthorized)
		return nil, false
	}
	if mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mediaType != want {
		w.Header().Set("Accept-Post", want)
		http.Error(w, "unsupported content type: Slack sends "+want, http.StatusUnsupportedMediaType)
		return nil, false
	}
	if r.ContentLength > MaxBodyBytes {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	body, cut, err := h.readBody(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		case cut:
			http.Error(w, "studybot is restarting", http.StatusServiceUnavailable)
		default:
			http.Error(w, "could not read the request body", http.StatusBadRequest)
		}
		return nil, false
	}
	if !validSignature(h.secret, timestamp, body, signature) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return nil, false
	}
	if !h.seen.first(signature, sent.Add(SignatureWindow), now) {
		http.Error(w, "replayed request", http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}

// readBody reads a request body of at most MaxBodyBytes; cut says a shutdown cut it off.
func (h *HTTP) readBody(w http.ResponseWriter, r *http.Request) (body []byte, cut bool, err error) {
	rc := http.NewResponseController(w)
	h.a.log.Debug("slack http: reading a request body", "path", r.URL.Path)
	if !h.bodies.begin(rc) {
		// Shutting down: whatever has not arrived yet will not be waited for.
		rc.SetReadDeadline(time.Now())
	}
	rd := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	body, err = io.ReadAll(rd)
	rd.Close()
	return body, h.bodies.end(rc) && err != nil, err
}

// bodyReads is the set of requests whose bodies are being read. A shutdown cuts them all off
// by moving their connections' read deadline to now, and every body read that begins after
// it starts cut off.
type bodyReads struct {
	mu      sync.Mutex
	closing bool
	reading map[*http.ResponseController]struct{}
}

// begin registers a body read; false means a shutdown has begun.
func (b *bodyReads) begin(rc *http.ResponseController) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing {
		return false
	}
	if b.reading == nil {
		b.reading = map[*http.ResponseController]struct{}{}
	}
	b.reading[rc] = struct{}{}
	return true
}

// end unregisters a body read and reports whether a shutdown has begun.
func (b *bodyReads) end(rc *http.ResponseController) (closing bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.reading, rc)
	return b.closing
}

// cut ends every body read in progress and refuses new ones; it returns how many it ended.
func (b *bodyReads) cut() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closing = true
	now := time.Now()
	for rc := range b.reading {
		rc.SetReadDeadline(now)
	}
	return len(b.reading)
}

// checkTimestamp accepts a Unix-seconds timestamp within SignatureWindow of now and
// returns the moment it names.
func checkTimestamp(timestamp string, now time.Time) (time.Time, error) {
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return time.Time{}, errors.New("bad timestamp")
	}
	sent := time.Unix(secs, 0)
	if d := now.Sub(sent); d > SignatureWindow || d < -SignatureWindow {
		return time.Time{}, errors.New("timestamp outside the window")
	}
	return sent, nil
}

// replays remembers the signature of every accepted request until its timestamp has left
// the window, so a captured request cannot be sent again while it would still pass. Slack
// does not retry slash commands or interactions, so a repeat is never legitimate. Only
// correctly signed requests are remembered: nobody without the signing secret can grow it.
type replays struct {
	mu      sync.Mutex
	seen    map[string]time.Time // signature → when its timestamp leaves the window
	sweepAt int                  // the size at which expired entries are next dropped
}

// first records signature and reports whether it is new.
func (r *replays) first(signature string, expires, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.seen[signature]; ok {
		return false
	}
	if r.seen == nil {
		r.seen = map[string]time.Time{}
	}
	if len(r.seen) >= r.sweepAt {
		for sig, exp := range r.seen {
			if now.After(exp) { // past the window: checkTimestamp refuses it now
				delete(r.seen, sig)
			}
		}
		r.sweepAt = max(1024, 2*len(r.seen)) // sweeping stays amortised O(1) per request
	}
	r.seen[signature] = expires
	return true
}

// validSignature checks Slack's v0 signature: HMAC-SHA256 over "v0:<timestamp>:<body>"
// with the signing secret, compared in constant time.
func validSignature(secret []byte, timestamp string, body []byte, signature string) bool {
	return hmac.Equal([]byte(sign(secret, timestamp, body)), []byte(signature))
}

// sign computes the X-Slack-Signature value for a request.
func sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

func writeJSON(w http.ResponseWriter, msg *slack.WebhookMessage) {
	body, err := json.Marshal(msg)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(body)
}
