package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/adapters/cron"
)

// A running studybot holds an exclusive lock on its bbolt file, so `studybot backup` cannot
// open it. Instead the running process listens on a unix socket beside the file and writes
// the copy itself, inside one read transaction: a hot, consistent backup.
//
// The socket makes this process write a full copy of everyone's data where it is told, so
// only its own user may use it: it lives in a directory only that user can enter (created
// 0700 and refused if anyone else could enter it), the peer's uid is checked (SO_PEERCRED)
// on every connection (its own user, or root), and the target must be one the CLI itself
// accepts.

// backupSocketDir is the private directory beside the database that holds its socket.
func backupSocketDir(dbPath string) string { return dbPath + ".sock.d" }

func backupSocket(dbPath string) string { return filepath.Join(backupSocketDir(dbPath), "backup.sock") }

// backupRequest is what `studybot backup` sends over the socket, as one JSON line.
type backupRequest struct {
	File  string `json:"file"`
	Force bool   `json:"force,omitempty"`
}

// serveBackups listens for backup requests until ctx ends; the returned func stops it.
func serveBackups(ctx context.Context, store *bolt.DB, log *slog.Logger) (stop func()) {
	if !peerCredentials {
		log.Info("hot backups over a socket need Linux (peer credentials); `studybot backup` works while studybot is stopped")
		return func() {}
	}
	dir, path := backupSocketDir(store.Path()), backupSocket(store.Path())
	if err := privateDir(dir); err != nil {
		log.Warn("hot backups unavailable", "err", err)
		return func() {}
	}
	if conn, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
		conn.Close() // someone answers: not ours to remove
		return func() {}
	}
	// The directory already keeps everyone else out; the socket's own mode says the same
	// from the moment it has its name: it is made under another name (with the process
	// umask), restricted, then renamed into place.
	tmp := path + ".new"
	os.Remove(tmp)
	ln, err := net.Listen("unix", tmp)
	if err != nil {
		log.Warn("hot backups unavailable: cannot listen beside the database", "socket", tmp, "err", err)
		return func() {}
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false) // its name moves; stop removes it
	err = os.Chmod(tmp, 0o600)
	if err == nil {
		err = os.Rename(tmp, path) // over a stale socket of a process that was killed
	}
	if err != nil {
		ln.Close()
		os.Remove(tmp)
		log.Warn("hot backups unavailable: cannot put the socket in place", "socket", path, "err", err)
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go handleBackup(conn, store, log, trustedPeer)
		}
	}()
	return func() {
		cancel()
		ln.Close()
		os.Remove(path)
		os.Remove(dir)
	}
}

// privateDir makes dir a directory only this process's user can enter: created 0700, or,
// when it exists, a real directory (not a link) owned by this user that no one else may enter.
func privateDir(dir string) error {
	err := os.Mkdir(dir, 0o700)
	if err == nil {
		return nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create socket directory: %w", err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("socket directory %s: %w", dir, err)
	}
	switch {
	case !st.IsDir():
		return fmt.Errorf("socket directory %s is not a directory; remove it", dir)
	case !ownedByMe(st):
		return fmt.Errorf("socket directory %s belongs to another user; remove it", dir)
	case st.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("socket directory %s is open to other users (mode %v); remove it and studybot recreates it private", dir, st.Mode().Perm())
	}
	return nil
}

// trustedPeer says whether a peer with this uid may ask for a backup: studybot's own user,
// or root, who can read the database file anyway (an operator's `sudo studybot backup`).
func trustedPeer(uid int) bool { return uid == os.Getuid() || uid == 0 }

// handleBackup answers one backup request, from a peer whose uid trusted accepts only.
func handleBackup(conn net.Conn, store *bolt.DB, log *slog.Logger, trusted func(uid int) bool) {
	defer conn.Close()
	uid, err := peerUID(conn)
	if err != nil || !trusted(uid) {
		log.Warn("backup request refused: the peer is not this process's user", "peer_uid", uid, "err", err)
		fmt.Fprintln(conn, "error: only the user studybot runs as (or root) may ask it for a backup")
		return
	}
	conn.SetDeadline(time.Now().Add(5 * time.Minute))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return
	}
	var req backupRequest
	if err := json.Unmarshal([]byte(line), &req); err != nil {
		fmt.Fprintln(conn, "error: not a backup request (is this `studybot backup` from another version?)")
		return
	}
	if !filepath.IsAbs(req.File) {
		fmt.Fprintln(conn, "error: backup path must be absolute")
		return
	}
	if err := checkBackupTarget(store.Path(), req.File, req.Force); err != nil {
		fmt.Fprintf(conn, "error: %s\n", strings.TrimPrefix(err.Error(), errBadTarget.Error()+": "))
		return
	}
	if err := store.Backup(req.File); err != nil {
		log.Error("backup failed", "err", err)
		fmt.Fprintf(conn, "error: %v\n", err)
		return
	}
	log.Info("backup written", "file", req.File)
	fmt.Fprintln(conn, "ok")
}

// errBadTarget marks a backup target refused before anything was copied: a usage problem.
var errBadTarget = errors.New("bad backup target")

// checkBackupTarget says whether target may receive a backup of the database at dbPath: its
// directory exists, it is not the database or its socket, and it is a new file, or, with
// force, an existing regular file to replace. The CLI and the socket both apply it.
func checkBackupTarget(dbPath, target string, force bool) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", errBadTarget, fmt.Sprintf(format, args...))
	}
	target = filepath.Clean(target)
	if bolt.SameFile(target, dbPath) {
		return bad("%s is the database itself; choose another file", target)
	}
	if absDir, _ := filepath.Abs(backupSocketDir(dbPath)); strings.HasPrefix(target, absDir+string(filepath.Separator)) || target == absDir {
		return bad("%s is studybot's socket directory; choose another file", target)
	}
	if st, err := os.Stat(filepath.Dir(target)); err != nil || !st.IsDir() {
		return bad("directory %s does not exist", filepath.Dir(target))
	}
	st, err := os.Lstat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return bad("%v", err)
	case !st.Mode().IsRegular():
		return bad("%s exists and is not a regular file", target)
	case !force:
		return bad("%s exists; pass --force to replace it", target)
	}
	return nil
}

// backup copies the database at dbPath to target: directly when no process holds it, else
// through the running studybot's backup socket. An existing target is replaced only with
// force.
func backup(ctx context.Context, dbPath, target string, force bool) error {
	target, err := filepath.Abs(target)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("backup %s: %w", dbPath, err)
	}
	if err := checkBackupTarget(dbPath, target, force); err != nil {
		return err
	}
	store, err := bolt.Open(dbPath, bolt.Options{LockTimeout: 300 * time.Millisecond})
	if err == nil {
		defer store.Close()
		return store.Backup(target)
	}
	if !errors.Is(err, bolt.ErrLocked) {
		return err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", backupSocket(dbPath))
	if err != nil {
		return fmt.Errorf("backup %s: the file is in use and its studybot does not answer on %s: %w", dbPath, backupSocket(dbPath), err)
	}
	defer conn.Close()
	req, _ := json.Marshal(backupRequest{File: target, Force: force})
	fmt.Fprintf(conn, "%s\n", req)
	reply, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("backup %s: no answer from the running studybot: %w", dbPath, err)
	}
	if reply = strings.TrimSpace(reply); reply != "ok" {
		return fmt.Errorf("backup %s: running studybot says %s", dbPath, strings.TrimPrefix(reply, "error: "))
	}
	return nil
}

// Scheduled backups (STUDYBOT_BACKUP_DIR): once a day at a quiet minute the running process
// writes a hot copy named after the database and the time, <name>-20060102T150405Z.db,
// checked before it is renamed into place (bolt.DB.Backup), then removes the oldest of its
// own copies beyond STUDYBOT_BACKUP_KEEP. A failure is logged and counted, never fatal: the
// bot goes on serving, and the next day tries again.

const backupStamp = "20060102T150405Z"

// newBackupJob is the daily backup as a service of `studybot run`.
func newBackupJob(c *core) (service, error) {
	job, err := cron.NewJob("backups", cron.DailyQuietSpec, c.cfg.Zone, func(ctx context.Context) {
		if _, err := scheduledBackup(ctx, c, time.Now()); err != nil && ctx.Err() == nil {
			c.log.Error("scheduled backup failed; the bot carries on and tries again tomorrow",
				"dir", c.cfg.BackupDir, "err", err)
		}
	}, c.log)
	if err != nil {
		return nil, err
	}
	c.metrics.Backups()
	return job, nil
}

// scheduledBackup writes today's copy into STUDYBOT_BACKUP_DIR and prunes the oldest. It
// returns the copy's path.
func scheduledBackup(ctx context.Context, c *core, now time.Time) (string, error) {
	base := strings.TrimSuffix(filepath.Base(c.store.Path()), filepath.Ext(c.store.Path()))
	path := filepath.Join(c.cfg.BackupDir, base+"-"+now.UTC().Format(backupStamp)+".db")
	err := c.store.BackupContext(ctx, path)
	var removed []string
	if err == nil {
		removed, err = pruneBackups(c.cfg.BackupDir, base, c.cfg.BackupKeep)
	}
	c.metrics.Backup(err)
	if err != nil {
		return path, err
	}
	c.log.Info("scheduled backup written and checked", "file", path, "removed", removed)
	return path, nil
}

// pruneBackups removes the oldest of dir's backups of the database named base beyond keep.
// Only files named as scheduledBackup names them are counted or touched.
func pruneBackups(dir, base string, keep int) (removed []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("prune backups: %w", err)
	}
	var ours []string
	var errs []error
	for _, e := range entries {
		stamp, ok := strings.CutPrefix(e.Name(), base+"-")
		if !ok || !e.Type().IsRegular() {
			continue
		}
		if stamp, ok := strings.CutSuffix(stamp, ".db"); ok {
			if _, err := time.Parse(backupStamp, stamp); err == nil {
				ours = append(ours, e.Name())
			}
			continue
		}
		// The temporary file of a backup whose process was killed half-way.
		if before, _, ok := strings.Cut(stamp, ".db.tmp"); ok {
			if _, err := time.Parse(backupStamp, before); err == nil {
				if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > time.Hour {
					if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
						errs = append(errs, err)
					}
				}
			}
		}
	}
	slices.Sort(ours) // the stamps sort as the times do
	for len(ours) > keep {
		if err := os.Remove(filepath.Join(dir, ours[0])); err != nil {
			errs = append(errs, err)
		} else {
			removed = append(removed, ours[0])
		}
		ours = ours[1:]
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("prune backups: %w", err)
	}
	return removed, nil
}
