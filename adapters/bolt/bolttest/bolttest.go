// Package bolttest builds what every adapter's tests drive: the real core over a real bbolt
// file in the test's temporary directory, teaching the embedded roadmap unless told otherwise.
package bolttest

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/data"
)

// Core returns a core configured as cfg says, filling in what cfg leaves out: the embedded
// roadmap, a fresh store (closed when the test ends) and a logger that discards.
func Core(t testing.TB, cfg bot.Config) (*bot.Bot, *bolt.DB) {
	t.Helper()
	if cfg.Roadmap == nil {
		roadmap, err := data.Default()
		if err != nil {
			t.Fatal(err)
		}
		cfg.Roadmap = roadmap
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
