package bolt_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/data"
)

var (
	ctx   = context.Background()
	study = bot.Community{Platform: bot.PlatformDiscord, ID: "111"}
)

func open(t testing.TB, path string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestRecordsAreNamespacedByPlatformAndCommunity(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	communities := []bot.Community{study, {Platform: bot.PlatformDiscord, ID: "222"}, {Platform: bot.PlatformSlack, ID: "111"}}
	for i, c := range communities {
		err := db.UpdateLearner(ctx, c, "u1", func(l *bot.Learner) error {
			l.Name = fmt.Sprint("learner in ", i)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range communities {
		l, err := db.Learner(ctx, c, "u1")
		if err != nil || l.Name != fmt.Sprint("learner in ", i) {
			t.Errorf("%s: learner %q, %v", c.Key(), l.Name, err)
		}
		n := 0
		db.Learners(ctx, c, func(bot.Learner) error { n++; return nil })
		if n != 1 {
			t.Errorf("%s lists %d learners, want 1", c.Key(), n)
		}
	}
	got, err := db.Communities(ctx)
	if err != nil || len(got) != 3 {
		t.Errorf("communities = %v, %v", got, err)
	}
}

func TestAFailedUpdateChangesNothing(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	db.UpdateLearner(ctx, study, "u1", func(l *bot.Learner) error { l.Name = "before"; return nil })
	refused := errors.New("refused")
	err := db.UpdateLearner(ctx, study, "u1", func(l *bot.Learner) error { l.Name = "after"; return refused })
	if !errors.Is(err, refused) {
		t.Fatalf("error = %v", err)
	}
	if l, _ := db.Learner(ctx, study, "u1"); l.Name != "before" {
		t.Errorf("name = %q after a refused update", l.Name)
	}
}

func TestUnknownLearnerReadsAsZeroRecord(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	l, err := db.Learner(ctx, study, "nobody")
	if err != nil || l.Streak.Current != 0 || len(l.Lessons) != 0 {
		t.Errorf("new learner = %+v, %v", l, err)
	}
	s, err := db.Settings(ctx, study)
	if err != nil || s.Zone != "" {
		t.Errorf("new settings = %+v, %v", s, err)
	}
}

func TestSettingsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db := open(t, path)
	if err := db.UpdateSettings(ctx, study, func(s *bot.Settings) error { s.Zone = "Europe/Berlin"; return nil }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = open(t, path)
	defer db.Close()
	s, err := db.Settings(ctx, study)
	if err != nil || s.Zone != "Europe/Berlin" || s.Version != bot.SchemaVersion {
		t.Errorf("settings after reopen = %+v, %v", s, err)
	}
}

func TestASecondProcessGetsAClearLockError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db := open(t, path)
	defer db.Close()
	// bbolt's lock is flock(2), held per open file description, so a second Open in this
	// process meets it just as another process would.
	start := time.Now()
	_, err := bolt.Open(path, bolt.Options{LockTimeout: 100 * time.Millisecond})
	if !errors.Is(err, bolt.ErrLocked) || !strings.Contains(err.Error(), "another studybot running") {
		t.Fatalf("second open: %v", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("gave up after %v, want about the lock timeout", waited)
	}
}

func TestHotBackupIsAConsistentCopy(t *testing.T) {
	dir := t.TempDir()
	db := open(t, filepath.Join(dir, "s.db"))
	defer db.Close()
	// Writers keep going while the backup runs; the copy must open cleanly and hold a prefix
	// of the writes in which every learner record is whole.
	stop := make(chan struct{})
	var written atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				db.UpdateLearner(ctx, study, fmt.Sprintf("w%d-%d", w, i), func(l *bot.Learner) error {
					l.Name = "whole"
					return nil
				})
				written.Add(1)
			}
		}()
	}
	for written.Load() < 50 { // let some writes land before copying
		runtime.Gosched()
	}
	backup := filepath.Join(dir, "backup.db")
	err := db.Backup(backup)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	copyDB := open(t, backup)
	defer copyDB.Close()
	n := 0
	err = copyDB.Learners(ctx, study, func(l bot.Learner) error {
		n++
		if l.Name != "whole" {
			return fmt.Errorf("torn record %+v", l)
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Errorf("backup holds %d learners, %v", n, err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, "backup.db.tmp*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestBackupRefusesToReplaceTheDatabaseItself(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.db")
	db := open(t, path)
	defer db.Close()
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{path, filepath.Join(dir, ".", "s.db"), link} {
		if err := db.Backup(target); err == nil || !strings.Contains(err.Error(), "the database itself") {
			t.Errorf("backup to %s: %v, want a refusal", target, err)
		}
	}
	// The live file still takes writes under its name.
	if err := db.UpdateLearner(ctx, study, "ana", func(l *bot.Learner) error { l.Name = "ana"; return nil }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	reopened := open(t, path)
	defer reopened.Close()
	if l, _ := reopened.Learner(ctx, study, "ana"); l.Name != "ana" {
		t.Errorf("write after the refused backup was lost: %+v", l)
	}
}

func TestTheConsoleClockIsSavedAndNeverMovesBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db := open(t, path)
	if saved, err := db.ConsoleClock(); err != nil || !saved.IsZero() {
		t.Fatalf("a new file's console clock = %v, %v; want none", saved, err)
	}
	later := time.Date(2026, 12, 5, 15, 0, 0, 0, time.UTC)
	for _, at := range []time.Time{later.Add(-time.Hour), later, later.Add(-48 * time.Hour)} {
		if err := db.SaveConsoleClock(at); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db = open(t, path)
	defer db.Close()
	if saved, err := db.ConsoleClock(); err != nil || !saved.Equal(later) {
		t.Errorf("console clock after reopening = %v, %v; want the latest, %v", saved, err, later)
	}
}

// kill9Day is the day the child's check-ins fall on: a fixed clock, so the parent knows
// which day every acknowledged check-in must have recorded.
var kill9Day = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// TestAcknowledgedCheckinsSurviveKill9 runs a burst of concurrent `/roadmap checkin`s through
// the real core in a child process, kills it with SIGKILL mid-burst, and checks that every
// check-in the child had answered is in the file when it is reopened.
func TestAcknowledgedCheckinsSurviveKill9(t *testing.T) {
	if os.Getenv("STUDYBOT_KILL_CHILD_DB") != "" {
		t.Skip("running as the child")
	}
	path := filepath.Join(t.TempDir(), "s.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$", "-test.v")
	cmd.Env = append(os.Environ(), "STUDYBOT_KILL_CHILD_DB="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string // learners whose check-in was answered
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		user, ok := strings.CutPrefix(sc.Text(), "answered ")
		if !ok {
			continue
		}
		if acked = append(acked, user); len(acked) == 400 {
			cmd.Process.Signal(syscall.SIGKILL) // mid-burst: the child never stops on its own
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want killed by SIGKILL", err)
	}
	if len(acked) < 400 {
		t.Fatalf("child answered only %d check-ins", len(acked))
	}
	db := open(t, path)
	defer db.Close()
	today := bot.DayOf(kill9Day, time.UTC)
	for _, user := range acked {
		l, err := db.Learner(ctx, study, user)
		if err != nil {
			t.Fatal(err)
		}
		if l.Streak.Last != today || l.Streak.Current != 1 {
			t.Errorf("%s was told their check-in counted, but the file says last study %s, streak %d", user, l.Streak.Last, l.Streak.Current)
		}
	}
	t.Logf("%d answered check-ins all survived kill -9", len(acked))
}

// TestKill9Child is the child of TestAcknowledgedCheckinsSurviveKill9: 32 goroutines check
// new learners in through the core forever, printing each answer once Handle has returned it.
func TestKill9Child(t *testing.T) {
	path := os.Getenv("STUDYBOT_KILL_CHILD_DB")
	if path == "" {
		t.Skip("only runs as the child of TestAcknowledgedCheckinsSurviveKill9")
	}
	roadmap, err := data.Default()
	if err != nil {
		t.Fatal(err)
	}
	db := open(t, path)
	core, err := bot.New(bot.Config{Roadmap: roadmap, Store: db, Clock: bot.NewManualClock(kill9Day),
		Cooldowns: unlimited{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				user := fmt.Sprintf("learner-%d", next.Add(1))
				r := core.Handle(ctx, request(user, "/roadmap checkin"))
				if r.Outcome != bot.OutcomeOK || !strings.Contains(r.Title, "a 1-day streak") {
					panic(fmt.Sprintf("%s: %s %s", user, r.Title, r.Text))
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "answered %s\n", user)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}
