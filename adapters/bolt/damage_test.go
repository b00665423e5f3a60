package bolt_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/adapters/bolt/bolttest"
	"github.com/studybot/studybot/bot"
)

var broken = bot.Community{Platform: bot.PlatformConsole, ID: "broken"}

// TestADamagedFileIsRefusedWhenOpenedAndLeftAsItWas covers what a disk does to a file: cut it
// short, scribble over a page, or hold something that was never a database. Each is refused
// with ErrDamaged before anything reads a record, and the file is not written.
func TestADamagedFileIsRefusedWhenOpenedAndLeftAsItWas(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
		want   string
	}{
		{"cut short, as truncate -s 10000 leaves it", func(t *testing.T, path string) {
			if err := os.Truncate(path, 10000); err != nil {
				t.Fatal(err)
			}
		}, "it was cut short"},
		{"a page overwritten, as dd from /dev/urandom leaves it", func(t *testing.T, path string) {
			bolttest.DamagePage(t, path, bolttest.LeafOf(t, path, "learner-077"))
		}, "Page expected to be"},
		{"not a database at all", func(t *testing.T, path string) {
			if err := os.WriteFile(path, bytes.Repeat([]byte("not a database\n"), 1000), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "neither meta page is valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "copy.db")
			bolttest.Fill(t, path, broken, 150)
			tt.damage(t, path)
			before, _ := os.ReadFile(path)

			db, err := bolt.Open(path, bolt.Options{})
			if err == nil {
				db.Close()
				t.Fatal("a damaged file opened")
			}
			var damaged *bolt.DamagedError
			if !errors.Is(err, bolt.ErrDamaged) || !errors.As(err, &damaged) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open: %v; want ErrDamaged saying %q", err, tt.want)
			}
			if _, err := bolt.Check(path, time.Second); !errors.Is(err, bolt.ErrDamaged) {
				t.Errorf("Check: %v, want ErrDamaged", err)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("refusing the file changed it")
			}
		})
	}
}

func TestCheckReportsACleanFileWithoutChangingIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	bolttest.Fill(t, path, broken, 150)
	before, _ := os.ReadFile(path)
	rep, err := bolt.Check(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if rep.PageSize != bolttest.PageSize || rep.Pages < 4 || rep.Size < int64(rep.Pages*rep.PageSize) || rep.Took <= 0 {
		t.Errorf("report %+v", rep)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the check changed the file")
	}
	if _, err := bolt.Check(filepath.Join(t.TempDir(), "missing.db"), time.Second); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Check of a missing file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(t.TempDir(), "missing.db")); !errors.Is(err, os.ErrNotExist) {
		t.Error("Check created the file")
	}
	holder := open(t, path)
	defer holder.Close()
	if _, err := bolt.Check(path, 50*time.Millisecond); !errors.Is(err, bolt.ErrLocked) {
		t.Errorf("Check of a file a running studybot holds: %v, want ErrLocked", err)
	}
}

// TestAPageDamagedWhileOpenFailsOnlyWhatReachesIt: bbolt panics when a transaction reaches a
// page that no longer says what it is. The store answers those reads and writes with
// ErrDamaged instead of taking the process down, other communities' records stay readable
// and writable, and the store reports itself failed from then on.
func TestAPageDamagedWhileOpenFailsOnlyWhatReachesIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	ids := bolttest.Fill(t, path, broken, 150)
	var panics atomic.Int32
	db, err := bolt.Open(path, bolt.Options{OnPanic: func() { panics.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fine := bot.Community{Platform: bot.PlatformConsole, ID: "fine"}
	if err := db.UpdateLearner(ctx, fine, "ana", func(l *bot.Learner) error { l.Name = "Ana"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err != nil {
		t.Fatalf("Ping before the damage: %v", err)
	}

	bolttest.DamagePage(t, path, bolttest.LeafOf(t, path, ids[77]))

	if _, err := db.Learner(ctx, broken, ids[77]); !errors.Is(err, bolt.ErrDamaged) {
		t.Errorf("reading a learner on the damaged page: %v, want ErrDamaged", err)
	}
	err = db.UpdateLearner(ctx, broken, ids[77], func(l *bot.Learner) error { l.Name = "changed"; return nil })
	if !errors.Is(err, bolt.ErrDamaged) {
		t.Errorf("writing a learner on the damaged page: %v, want ErrDamaged", err)
	}
	if l, err := db.Learner(ctx, fine, "ana"); err != nil || l.Name != "Ana" {
		t.Errorf("another community's learner: %+v, %v", l, err)
	}
	if err := db.UpdateLearner(ctx, fine, "ana", func(l *bot.Learner) error { l.Name = "Ana B"; return nil }); err != nil {
		t.Errorf("another community's write: %v", err)
	}
	if err := db.Ping(); !errors.Is(err, bolt.ErrDamaged) {
		t.Errorf("Ping after the damage: %v, want ErrDamaged", err)
	}
	if panics.Load() < 2 {
		t.Errorf("OnPanic heard %d panics, want one for the read and one for the write", panics.Load())
	}
}

// TestAPanicInACallersCallbackIsTheCallersOwn: a bug in the code a store runs inside a
// transaction is not damage to the file.
func TestAPanicInACallersCallbackIsTheCallersOwn(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	func() {
		defer func() {
			if r := recover(); r != "a bug" {
				t.Errorf("recovered %v, want the callback's own panic", r)
			}
		}()
		db.UpdateLearner(ctx, study, "u1", func(*bot.Learner) error { panic("a bug") })
	}()
	if err := db.Ping(); err != nil {
		t.Errorf("the store blames the file for a caller's bug: %v", err)
	}
}

func TestABackupOfADamagedDatabaseNeverTakesTheFilesPlace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.db")
	ids := bolttest.Fill(t, path, broken, 150)
	db := open(t, path)
	defer db.Close()
	target := filepath.Join(dir, "backup.db")
	if err := os.WriteFile(target, []byte("yesterday's backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	bolttest.DamagePage(t, path, bolttest.LeafOf(t, path, ids[10]))
	err := db.Backup(target)
	if !errors.Is(err, bolt.ErrDamaged) || !strings.Contains(err.Error(), "consistency check") {
		t.Fatalf("backup of a damaged file: %v", err)
	}
	if got, _ := os.ReadFile(target); string(got) != "yesterday's backup" {
		t.Error("a damaged copy replaced the previous backup")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "backup.db.tmp*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestABackupStoppedByShutdownLeavesNothingBehind(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.db")
	bolttest.Fill(t, path, broken, 150)
	db := open(t, path)
	defer db.Close()
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	if err := db.BackupContext(stopped, filepath.Join(dir, "b.db")); !errors.Is(err, context.Canceled) {
		t.Errorf("backup after shutdown began: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "b.db*")); len(left) > 0 {
		t.Errorf("files left: %v", left)
	}
}
