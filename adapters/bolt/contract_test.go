package bolt_test

import (
	"path/filepath"
	"testing"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/bot/bottest"
)

// The file keeps every promise the core's tests rely on from their in-memory store.
func TestBoltStoreContract(t *testing.T) {
	bottest.StoreContract(t, func(t *testing.T) bottest.Stores {
		db, err := bolt.Open(filepath.Join(t.TempDir(), "studybot.db"), bolt.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return bottest.Stores{Store: db, Schedules: db}
	})
}
