package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// LockError says which process holds the run lock; it matches ErrLocked.
type LockError struct {
	Path     string
	PID      int
	Hostname string
	Since    time.Time
}

func (e *LockError) Error() string {
	return fmt.Sprintf("%s is in use by trawl process %d on %s since %s", e.Path, e.PID, e.Hostname,
		e.Since.Local().Format(time.DateTime))
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *LockError) Unwrap() error { return ErrLocked }

// processStart identifies a process incarnation, so that a recycled pid does not
// look like the process that took the lock. On Linux it is the start time from
// /proc/PID/stat; elsewhere it is empty and only the pid is compared.
func processStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	// The command name (field 2) may contain spaces and parentheses; fields
	// after the last ')' are space separated, starttime is field 22.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

func alive(pid int, start string) bool {
	if pid <= 0 {
		return false
	}
	if !processExists(pid) {
		return false
	}
	if s := processStart(pid); s != "" && start != "" && s != start {
		return false
	}
	return true
}

// Lock takes the run lock for this process: a second crawl on the same
// database gets a *LockError. A lock left by a process that has died (kill -9,
// reboot) is taken over. Readers never need the lock.
func (db *DB) Lock(ctx context.Context) error {
	host, _ := os.Hostname()
	pid := os.Getpid()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return db.diskFull(fmt.Errorf("store: lock %s: %w", db.path, err))
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var holder LockError
	var start, since string
	err = tx.QueryRowContext(ctx, `SELECT pid, pid_start, hostname, since FROM run_lock WHERE id = 1`).
		Scan(&holder.PID, &start, &holder.Hostname, &since)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return db.diskFull(fmt.Errorf("store: lock %s: %w", db.path, err))
	case holder.PID == pid && holder.Hostname == host:
		// Ours already.
	case holder.Hostname != host || alive(holder.PID, start):
		// A process on another machine cannot be checked; assume it lives.
		holder.Path = db.path
		holder.Since, _ = time.Parse(time.RFC3339Nano, since)
		return &holder
	}
	_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO run_lock(id, pid, pid_start, hostname, since) VALUES (1, ?, ?, ?, ?)`,
		pid, processStart(pid), host, formatTime(time.Now()))
	if err != nil {
		return db.diskFull(fmt.Errorf("store: lock %s: %w", db.path, err))
	}
	if err := tx.Commit(); err != nil {
		return db.diskFull(fmt.Errorf("store: lock %s: %w", db.path, err))
	}
	return nil
}

// LockHeld reports whether a live process holds the run lock (one on another
// machine is assumed alive). It only reads, so read-only commands can tell a
// run in progress from one whose process died.
func (db *DB) LockHeld(ctx context.Context) (bool, error) {
	var pid int
	var start, hostname string
	err := db.r.QueryRowContext(ctx, `SELECT pid, pid_start, hostname FROM run_lock WHERE id = 1`).Scan(&pid, &start, &hostname)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("store: read the lock of %s: %w", db.path, err)
	}
	host, _ := os.Hostname()
	return hostname != host || alive(pid, start), nil
}

// Unlock releases the run lock if this process holds it.
func (db *DB) Unlock(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `DELETE FROM run_lock WHERE pid = ?`, os.Getpid()); err != nil {
		return db.diskFull(fmt.Errorf("store: unlock %s: %w", db.path, err))
	}
	return nil
}
