package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/studybot/studybot/adapters/bolt"
)

// A running studybot holds an exclusive lock on its bbolt file, so `studybot backup` cannot
// open it. Instead the running process listens on a unix socket beside the file and writes
// the copy itself, inside one read transaction: a hot, consistent backup.

func backupSocket(dbPath string) string { return dbPath + ".sock" }

// serveBackups listens for backup requests until ctx ends; the returned func stops it.
func serveBackups(ctx context.Context, store *bolt.DB, log *slog.Logger) (stop func()) {
	path := backupSocket(store.Path())
	if conn, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
		conn.Close() // someone answers: not ours to remove
		return func() {}
	}
	os.Remove(path) // a stale socket from a process that was killed
	ln, err := net.Listen("unix", path)
	if err != nil {
		log.Warn("hot backups unavailable: cannot listen beside the database", "socket", path, "err", err)
		return func() {}
	}
	if err := os.Chmod(path, 0o600); err != nil {
		log.Warn("hot backups: cannot restrict the socket", "err", err)
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
			go handleBackup(conn, store, log)
		}
	}()
	return func() {
		cancel()
		ln.Close()
		os.Remove(path)
	}
}

func handleBackup(conn net.Conn, store *bolt.DB, log *slog.Logger) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Minute))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return
	}
	target := strings.TrimSpace(line)
	if !filepath.IsAbs(target) {
		fmt.Fprintln(conn, "error: backup path must be absolute")
		return
	}
	if err := store.Backup(target); err != nil {
		log.Error("backup failed", "err", err)
		fmt.Fprintf(conn, "error: %v\n", err)
		return
	}
	log.Info("backup written", "file", target)
	fmt.Fprintln(conn, "ok")
}

// backup copies the database at dbPath to target: directly when no process holds it, else
// through the running studybot's backup socket.
func backup(ctx context.Context, dbPath, target string) error {
	target, err := filepath.Abs(target)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("backup %s: %w", dbPath, err)
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
	fmt.Fprintln(conn, target)
	reply, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("backup %s: no answer from the running studybot: %w", dbPath, err)
	}
	if reply = strings.TrimSpace(reply); reply != "ok" {
		return fmt.Errorf("backup %s: running studybot says %s", dbPath, strings.TrimPrefix(reply, "error: "))
	}
	return nil
}
