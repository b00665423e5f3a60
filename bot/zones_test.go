package bot

import (
	"strings"
	"testing"
	"time"
)

// TestEveryListedZoneLoads keeps zones.txt honest: a name the list offers must be one the
// zone database this binary carries can load (go generate ./bot/ after a Go upgrade).
func TestEveryListedZoneLoads(t *testing.T) {
	spellings := zoneSpellings()
	if len(spellings) < 400 {
		t.Fatalf("only %d zones listed", len(spellings))
	}
	for lower, name := range spellings {
		if lower != strings.ToLower(name) {
			t.Errorf("%q is listed under %q", name, lower)
		}
		if _, err := time.LoadLocation(name); err != nil {
			t.Errorf("listed zone %q does not load: %v", name, err)
		}
	}
}
