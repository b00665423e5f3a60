package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/adapters/bolt/bolttest"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// holdingConsole runs `studybot console` on the database at db until the test ends, as a
// running studybot holding the file, and waits until its backup socket answers.
func holdingConsole(t *testing.T, db string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdinR, stdinW := io.Pipe()
	done := make(chan int)
	go func() {
		done <- runMain(ctx, []string{"console"}, envOf(map[string]string{"STUDYBOT_DB": db}), stdinR, io.Discard, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		stdinW.Close()
		<-done
	})
	waitFor(t, func() bool {
		c, err := net.Dial("unix", backupSocket(db))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// TestBackupNeverReplacesAFileWithoutForce, whether studybot is running (the copy is made
// through its socket) or not (the file is copied directly).
func TestBackupNeverReplacesAFileWithoutForce(t *testing.T) {
	t.Parallel()
	for _, running := range []bool{false, true} {
		t.Run(map[bool]string{false: "stopped", true: "running"}[running], func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "studybot.db")
			bolttest.Fill(t, db, brokenCommunity, 20)
			if running {
				holdingConsole(t, db)
			}
			vars := map[string]string{"STUDYBOT_DB": db}
			target := filepath.Join(dir, "yesterday.db")
			os.WriteFile(target, []byte("yesterday's backup"), 0o600)

			code, _, stderr := run(t, vars, "", "backup", target)
			if code != exitConfig || !strings.Contains(stderr, "exists; pass --force to replace it") {
				t.Errorf("backup over an existing file: exit %d, %q", code, stderr)
			}
			if got, _ := os.ReadFile(target); string(got) != "yesterday's backup" {
				t.Fatal("the existing file was replaced without --force")
			}
			for _, args := range [][]string{{"backup", target, "--force"}, {"backup", "--force", target}} {
				if code, _, stderr := run(t, vars, "", args...); code != exitOK {
					t.Errorf("%v: exit %d, %q", args, code, stderr)
				}
				if _, err := bolt.Check(target, time.Second); err != nil {
					t.Errorf("%v: the copy does not check: %v", args, err)
				}
			}
		})
	}
}

// TestTheBackupSocketServesOnlyItsOwnUser: the socket lives in a directory only studybot's
// user may enter, answers only that user, and takes only targets the CLI would take.
func TestTheBackupSocketServesOnlyItsOwnUser(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "studybot.db")
	bolttest.Fill(t, db, brokenCommunity, 20)
	holdingConsole(t, db)

	for path, want := range map[string]os.FileMode{backupSocketDir(db): 0o700, backupSocket(db): 0o600} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", path, st.Mode().Perm(), want)
		}
	}
	if uid, err := func() (int, error) {
		c, err := net.Dial("unix", backupSocket(db))
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return peerUID(c) // the socket's side, seen from the client: this same process
	}(); err != nil || uid != os.Getuid() {
		t.Errorf("peerUID = %d, %v; want %d", uid, err, os.Getuid())
	}

	ask := func(req string) string {
		t.Helper()
		c, err := net.Dial("unix", backupSocket(db))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintln(c, req)
		reply, _ := bufio.NewReader(c).ReadString('\n')
		return strings.TrimSpace(reply)
	}
	request := func(file string, force bool) string {
		b, _ := json.Marshal(backupRequest{File: file, Force: force})
		return string(b)
	}
	existing := filepath.Join(dir, "existing.db")
	os.WriteFile(existing, []byte("keep me"), 0o600)
	tests := []struct {
		name, req, want string
	}{
		{"a relative path", request("copy.db", false), "error: backup path must be absolute"},
		{"an existing file without force", request(existing, false), "exists; pass --force"},
		{"a directory that does not exist", request(filepath.Join(dir, "nope", "copy.db"), false), "does not exist"},
		{"the database itself", request(db, true), "is the database itself"},
		{"the socket's own directory", request(filepath.Join(backupSocketDir(db), "x.db"), false), "socket directory"},
		{"a device", request("/dev/null", true), "not a regular file"},
		{"an old client's bare path", filepath.Join(dir, "old.db"), "error: not a backup request"},
		{"a new file", request(filepath.Join(dir, "new.db"), false), "ok"},
	}
	for _, tt := range tests {
		if got := ask(tt.req); !strings.Contains(got, tt.want) {
			t.Errorf("%s: answered %q, want %q", tt.name, got, tt.want)
		}
	}
	if got, _ := os.ReadFile(existing); string(got) != "keep me" {
		t.Error("a refused request changed the file")
	}
}

// TestABackupRequestFromAnotherUserIsRefused: the peer's uid, as the kernel reports it, must
// be one studybot trusts (its own user, or root). Here the request comes from this process,
// and the server is told to trust no one.
func TestABackupRequestFromAnotherUserIsRefused(t *testing.T) {
	if !peerCredentials {
		t.Skip("peer credentials need Linux")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "studybot.db")
	store, err := bolt.Open(db, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ln, err := net.Listen("unix", filepath.Join(dir, "s.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	logs := &bottest.Buffer{}
	go func() {
		if conn, err := ln.Accept(); err == nil {
			handleBackup(conn, store, slog.New(slog.NewTextHandler(logs, nil)), func(int) bool { return false })
		}
	}()
	c, err := net.Dial("unix", filepath.Join(dir, "s.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, _ := json.Marshal(backupRequest{File: filepath.Join(dir, "stolen.db")})
	fmt.Fprintf(c, "%s\n", b)
	reply, _ := bufio.NewReader(c).ReadString('\n')
	if !strings.Contains(reply, "only the user studybot runs as") {
		t.Errorf("answered %q", reply)
	}
	if _, err := os.Stat(filepath.Join(dir, "stolen.db")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a copy was written for another user")
	}
	if !strings.Contains(logs.String(), "backup request refused") {
		t.Errorf("the refusal is not logged: %s", logs.String())
	}
	for uid, want := range map[int]bool{os.Getuid(): true, 0: true, 65534: os.Getuid() == 65534, os.Getuid() + 1000: false} {
		if trustedPeer(uid) != want {
			t.Errorf("trustedPeer(%d) = %v, want %v", uid, !want, want)
		}
	}
}

// TestASocketDirectoryOthersCouldEnterIsNotUsed: a directory left open to other users (or
// planted by one) is not trusted with the socket.
func TestASocketDirectoryOthersCouldEnterIsNotUsed(t *testing.T) {
	if !peerCredentials {
		t.Skip("the backup socket needs Linux")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "studybot.db")
	store, err := bolt.Open(db, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := os.Mkdir(backupSocketDir(db), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(backupSocketDir(db), 0o755) // whatever the umask
	logs := &bottest.Buffer{}
	stop := serveBackups(context.Background(), store, slog.New(slog.NewTextHandler(logs, nil)))
	defer stop()
	if _, err := os.Stat(backupSocket(db)); !errors.Is(err, os.ErrNotExist) {
		t.Error("the socket was made in a directory others can enter")
	}
	if !strings.Contains(logs.String(), "is open to other users") {
		t.Errorf("not said why: %s", logs.String())
	}
}

// TestScheduledBackupsAreCheckedAndTheOldestBeyondKeepGo: each day's copy is a checked,
// complete database named after the file and the time; only the newest KEEP of studybot's
// own copies stay, and nothing else in the directory is touched.
func TestScheduledBackupsAreCheckedAndTheOldestBeyondKeepGo(t *testing.T) {
	t.Parallel()
	dir, backups := t.TempDir(), t.TempDir()
	db := filepath.Join(dir, "studybot.db")
	bolttest.Fill(t, db, brokenCommunity, 20)
	foreign := []string{"notes.txt", "other-20260101T041730Z.db", "studybot-latest.db"}
	for _, name := range foreign {
		os.WriteFile(filepath.Join(backups, name), []byte("not ours"), 0o600)
	}
	// What a backup killed half-way left behind a day ago goes; one under way now stays.
	killed, running := filepath.Join(backups, "studybot-20260228T041730Z.db.tmp123"), filepath.Join(backups, "studybot-20260301T041730Z.db.tmp456")
	os.WriteFile(killed, []byte("half a copy"), 0o600)
	os.WriteFile(running, []byte("half a copy"), 0o600)
	os.Chtimes(killed, time.Now().Add(-24*time.Hour), time.Now().Add(-24*time.Hour))
	foreign = append(foreign, filepath.Base(running))
	c := testCoreOn(t, map[string]string{"STUDYBOT_DB": db, "STUDYBOT_BACKUP_DIR": backups, "STUDYBOT_BACKUP_KEEP": "3"})
	srv := httptest.NewServer(c.mux)
	defer srv.Close()

	day := time.Date(2026, 3, 1, 4, 17, 30, 0, time.UTC)
	for i := range 5 {
		path, err := scheduledBackup(context.Background(), c, day.AddDate(0, 0, i))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("studybot-202603%02dT041730Z.db", i+1); filepath.Base(path) != want {
			t.Errorf("backup named %s, want %s", filepath.Base(path), want)
		}
	}
	entries, _ := os.ReadDir(backups)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := append([]string{"studybot-20260303T041730Z.db", "studybot-20260304T041730Z.db", "studybot-20260305T041730Z.db"}, foreign...)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("the directory holds %v, want %v", names, want)
	}
	copyDB, err := bolt.Open(filepath.Join(backups, "studybot-20260305T041730Z.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if l, err := copyDB.Learner(context.Background(), brokenCommunity, "learner-019"); err != nil || l.Name == "" {
		t.Errorf("the backup lacks a learner: %+v %v", l, err)
	}
	copyDB.Close()

	// A failure is counted and logged, never fatal: the directory went away.
	os.RemoveAll(backups)
	if _, err := scheduledBackup(context.Background(), c, day.AddDate(0, 0, 6)); err == nil {
		t.Error("a backup into a directory that is gone succeeded")
	}
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`studybot_backups_total{result="ok"} 5`, `studybot_backups_total{result="failed"} 1`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s:\n%s", want, grepLines(string(body), "studybot_backups"))
		}
	}
	if r := c.bot.Handle(context.Background(), bot.Request{Community: bot.Community{Platform: bot.PlatformConsole, ID: "broken"},
		UserID: "learner-001", Text: "/roadmap checkin"}); r.Outcome != bot.OutcomeOK {
		t.Errorf("the bot after a failed backup: %+v", r)
	}
}

// testCoreOn is the core `studybot run` opens for vars, closed when the test ends.
func testCoreOn(t *testing.T, vars map[string]string) *core {
	t.Helper()
	cfg, problems := loadConfig(envOf(vars))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	c, err := openCore(cfg, bot.SystemClock{}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRunTakesDailyBackupsOnlyWhenADirectoryIsSet(t *testing.T) {
	for _, dir := range []string{"", t.TempDir()} {
		c := testCoreOn(t, map[string]string{"STUDYBOT_DB": filepath.Join(t.TempDir(), "s.db"), "STUDYBOT_BACKUP_DIR": dir})
		services, err := wireServices(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range services {
			names = append(names, s.Name())
		}
		if got := slices.Contains(names, "backups"); got != (dir != "") {
			t.Errorf("STUDYBOT_BACKUP_DIR=%q: services %v", dir, names)
		}
	}
}

func TestBackupSettingsAreCheckedAtStartup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, nil, 0o600)
	tests := []struct {
		dir, keep string
		want      []string
	}{
		{dir, "", nil},
		{dir, "30", nil},
		{"", "7", []string{"STUDYBOT_BACKUP_KEEP: set, but STUDYBOT_BACKUP_DIR is not"}},
		{dir, "0", []string{`STUDYBOT_BACKUP_KEEP: "0" is not a whole number from 1 to 3650`}},
		{dir, "a week", []string{`STUDYBOT_BACKUP_KEEP: "a week" is not a whole number`}},
		{filepath.Join(dir, "missing"), "", []string{"STUDYBOT_BACKUP_DIR: " + filepath.Join(dir, "missing") + " does not exist"}},
		{file, "x", []string{`STUDYBOT_BACKUP_KEEP: "x"`, "STUDYBOT_BACKUP_DIR: " + file + " is not a directory"}},
	}
	for _, tt := range tests {
		vars := map[string]string{"STUDYBOT_DB": filepath.Join(t.TempDir(), "s.db"), "STUDYBOT_BACKUP_DIR": tt.dir, "STUDYBOT_BACKUP_KEEP": tt.keep}
		cfg, problems := loadConfig(envOf(vars))
		if len(problems) != len(tt.want) {
			t.Errorf("dir %q keep %q: problems %q, want %q", tt.dir, tt.keep, problems, tt.want)
			continue
		}
		for i, w := range tt.want {
			if !strings.HasPrefix(problems[i], w) {
				t.Errorf("dir %q keep %q: problem %q, want it to start %q", tt.dir, tt.keep, problems[i], w)
			}
		}
		if len(tt.want) == 0 && tt.keep == "30" && cfg.BackupKeep != 30 {
			t.Errorf("keep %q read as %d", tt.keep, cfg.BackupKeep)
		}
		if len(tt.want) == 0 && tt.keep == "" && cfg.BackupKeep != 7 {
			t.Errorf("keep defaults to %d, want 7", cfg.BackupKeep)
		}
	}
	// Through the front door: exit 2, one line per problem.
	code, _, stderr := run(t, map[string]string{"STUDYBOT_DB": filepath.Join(dir, "s.db"), "STUDYBOT_BACKUP_DIR": file, "STUDYBOT_BACKUP_KEEP": "-1"}, "", "console")
	if code != exitConfig || strings.Count(stderr, "\n  STUDYBOT_BACKUP_") != 2 {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	if os.Getuid() != 0 { // root writes anywhere
		ro := t.TempDir()
		os.Chmod(ro, 0o500)
		defer os.Chmod(ro, 0o700)
		if _, problems := loadConfig(envOf(map[string]string{"STUDYBOT_DB": filepath.Join(dir, "s.db"), "STUDYBOT_BACKUP_DIR": ro})); len(problems) != 1 || !strings.Contains(problems[0], "cannot be written") {
			t.Errorf("a directory studybot cannot write: %q", problems)
		}
	}
}
