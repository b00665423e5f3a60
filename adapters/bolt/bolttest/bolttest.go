// Package bolttest builds what every adapter's tests drive: the real core over a real bbolt
// file in the test's temporary directory, teaching a short fixed roadmap unless told otherwise.
package bolttest

import (
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/data"
)

// ShortRoadmap is the version 1 roadmap kept as a test fixture: 17 topics of one short
// lesson each, whose lesson and question IDs match their topics ("caching", "caching-2").
// Adapter tests use it so that they test the machinery, not today's wording of the content.
func ShortRoadmap(t testing.TB) *bot.Roadmap {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	roadmap, err := data.Load(filepath.Join(filepath.Dir(here), "..", "..", "..", "data", "testdata", "v1-roadmap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return roadmap
}

// Core returns a core configured as cfg says, filling in what cfg leaves out: the short
// roadmap, choices shown as written, a fresh store (closed when the test ends) and a logger
// that discards.
func Core(t testing.TB, cfg bot.Config) (*bot.Bot, *bolt.DB) {
	t.Helper()
	if cfg.Roadmap == nil {
		cfg.Roadmap = ShortRoadmap(t)
	}
	if cfg.Intn == nil {
		cfg.Intn = func(int) int { return 0 }
	}
	store, err := bolt.Open(filepath.Join(t.TempDir(), "studybot.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg.Store = store
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	core, err := bot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return core, store
}
