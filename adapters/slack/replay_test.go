package slack

import (
	"fmt"
	"testing"
	"time"
)

func TestReplayMemoryForgetsRequestsOnceTheirWindowHasPassed(t *testing.T) {
	var r replays
	at := time.Unix(1_700_000_000, 0)
	expires := at.Add(SignatureWindow)
	for i := range 5000 {
		if !r.first(fmt.Sprint("v0=", i), expires, at) {
			t.Fatalf("signature %d refused the first time", i)
		}
	}
	if r.first("v0=42", expires, at) {
		t.Fatal("a signature seen before was accepted again inside the window")
	}
	// Memory stays within twice what is still inside the window.
	later := expires.Add(time.Second)
	for i := range 4000 {
		r.first(fmt.Sprint("later=", i), later.Add(SignatureWindow), later)
	}
	if n := len(r.seen); n > 2*4000 || r.seen["v0=42"] != (time.Time{}) {
		t.Errorf("%d signatures remembered, expired ones among them, when 4,000 are inside the window", n)
	}
}
