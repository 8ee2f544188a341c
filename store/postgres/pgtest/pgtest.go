// Package pgtest starts a real, throwaway PostgreSQL server for the tests of
// one package: initdb and pg_ctl in a temporary directory, listening on a
// Unix socket only (no TCP port to collide with), password authentication,
// fsync off. Each test gets a database of its own on it.
//
// A test package declares one Server and runs its tests through it:
//
//	var pg pgtest.Server
//
//	func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }
//
//	func TestX(t *testing.T) { dsn := pg.NewDatabase(t) ... }
//
// The server programs are looked up in PATH and under
// /usr/lib/postgresql/*/bin (Debian's layout); .ci/postgres.sh installs them
// when missing. Where none can be found the tests that need a server skip,
// saying so, unless TRAWL_TEST_POSTGRES=require, which makes them fail (CI
// sets it, so a missing install step cannot pass as skipped tests).
//
// PostgreSQL refuses to run as root. Run as root, the server runs as the
// postgres system user (or nobody), which then owns the temporary directory.
package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// RequireEnv names the environment variable that, set to "require", turns a
// missing PostgreSQL from a skip into a failure.
const RequireEnv = "TRAWL_TEST_POSTGRES"

// superuser is the role initdb creates; tests connect as it.
const superuser = "trawl"

// Server is one PostgreSQL server for a test binary. The zero value is ready
// for Run.
type Server struct {
	dir      string // temporary directory: data/, the socket, server.log
	bin      string // directory of initdb, pg_ctl and postgres
	password string
	runAs    *account // nil: run the programs as this process's user
	admin    string   // DSN of the postgres maintenance database
	opts     string   // the server's settings, for a restart
	skip     string   // why there is no server, when none was found
	err      error    // why the server did not start, when it should have
	n        atomic.Int64
}

// Run starts the server, runs the tests, stops the server and removes its
// directory, and returns the exit code for os.Exit. A server that cannot be
// found or started makes only the tests that ask for it skip or fail; the
// package's other tests run.
func (s *Server) Run(m *testing.M) int {
	s.start()
	code := m.Run()
	if err := s.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// NewDatabase creates an empty database for t on the server, dropped when t
// ends, and returns its connection string (a postgres:// URL with the
// password, reaching the server through its Unix socket).
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	s.ready(t)
	name := fmt.Sprintf("t%d_%s", s.n.Add(1), sanitize(t.Name()))
	ctx := context.Background()
	if err := s.exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		// WITH (FORCE) ends connections a failed test left open.
		if err := s.exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return s.url(name).String()
}

// DSN returns the connection string of database name on the server as user
// with password, for tests of what a wrong login does.
func (s *Server) DSN(t testing.TB, user, password, name string) string {
	t.Helper()
	s.ready(t)
	u := s.url(name)
	u.User = url.UserPassword(user, password)
	return u.String()
}

// SocketDir is the directory of the server's Unix socket (its "host").
func (s *Server) SocketDir(t testing.TB) string {
	t.Helper()
	s.ready(t)
	return s.dir
}

// ready skips or fails t when there is no server.
func (s *Server) ready(t testing.TB) {
	t.Helper()
	switch {
	case s.err != nil:
		t.Fatalf("pgtest: %v", s.err)
	case s.skip != "" && os.Getenv(RequireEnv) == "require":
		t.Fatalf("pgtest: %s (%s=require)", s.skip, RequireEnv)
	case s.skip != "":
		t.Skipf("pgtest: %s", s.skip)
	case s.admin == "":
		t.Fatal("pgtest: Server.Run was not called (declare TestMain)")
	}
}

func (s *Server) url(name string) *url.URL {
	q := url.Values{"host": {s.dir}, "sslmode": {"disable"}}
	return &url.URL{Scheme: "postgres", User: url.UserPassword(superuser, s.password), Path: "/" + name, RawQuery: q.Encode()}
}

func (s *Server) exec(ctx context.Context, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// sanitize turns a test name into something short and safe in a database
// name (63 bytes at most, with the prefix).
func sanitize(name string) string {
	name = strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(name, "_"))
	if len(name) > 40 {
		name = name[:40]
	}
	return name
}

// start finds the programs, makes the directory, runs initdb and starts the
// server. It records why in s.skip or s.err instead of returning an error,
// so that tests not needing the server still run.
func (s *Server) start() {
	bin, err := findBin()
	if err != nil {
		s.skip = err.Error()
		return
	}
	s.bin = bin
	if s.runAs, err = unprivileged(); err != nil {
		s.skip = err.Error()
		return
	}
	s.reapOrphans()
	if err := s.init(); err != nil {
		s.err = err
		if s.dir != "" {
			os.RemoveAll(s.dir)
		}
	}
}

func (s *Server) init() error {
	dir, err := os.MkdirTemp(baseDir(), "trawl-pg-")
	if err != nil {
		return fmt.Errorf("make a directory for PostgreSQL: %w", err)
	}
	s.dir = dir
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return err
	}
	pw := make([]byte, 16)
	rand.Read(pw)
	s.password = hex.EncodeToString(pw)
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.password+"\n"), 0o600); err != nil {
		return err
	}
	if err := s.runAs.own(dir, pwfile); err != nil {
		return fmt.Errorf("hand %s to the server's user: %w", dir, err)
	}
	data := filepath.Join(dir, "data")
	if out, err := s.command("initdb", "-D", data, "-U", superuser, "--pwfile", pwfile,
		"--auth", "scram-sha-256", "--encoding", "UTF8", "--locale", "C", "--no-sync").CombinedOutput(); err != nil {
		return fmt.Errorf("initdb in %s: %w\n%s", data, err, out)
	}
	os.Remove(pwfile)
	// Unix socket only; durability is not needed for throwaway data, and a
	// crash test that needs it can restart with the defaults.
	opts := fmt.Sprintf("-c listen_addresses='' -c unix_socket_directories='%s' -c fsync=off "+
		"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB", dir)
	s.opts = opts
	if err := s.pgStart(); err != nil {
		return err
	}
	s.admin = s.url("postgres").String()
	return nil
}

// pgStart starts the server in s.dir and waits until it accepts
// connections.
func (s *Server) pgStart() error {
	data, log := filepath.Join(s.dir, "data"), filepath.Join(s.dir, "server.log")
	if out, err := s.command("pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", log, "-o", s.opts).CombinedOutput(); err != nil {
		logText, _ := os.ReadFile(log)
		return fmt.Errorf("pg_ctl start in %s: %w\n%s\n%s", data, err, out, logText)
	}
	return nil
}

// Stop stops the server as an administrator's restart does (fast: the
// connections are ended), keeping its data, for a test of what its
// clients do while it is away; Start starts it again.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.ready(t)
	if out, err := s.command("pg_ctl", "stop", "-w", "-m", "fast", "-D", filepath.Join(s.dir, "data")).CombinedOutput(); err != nil {
		t.Fatalf("pgtest: pg_ctl stop: %v\n%s", err, out)
	}
}

// Start starts the server Stop stopped, with its data and settings.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	s.ready(t)
	if err := s.pgStart(); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
}

// Restart stops the server and starts it again (see Stop).
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop(t)
	s.Start(t)
}

// baseDir is where servers' directories go: directly under /tmp where there
// is one, since a Unix socket path is limited to about 100 bytes and
// os.TempDir is long on some systems.
func baseDir() string {
	if st, err := os.Stat("/tmp"); err == nil && st.IsDir() {
		return "/tmp"
	}
	return os.TempDir()
}

// ownerFile, in a server's directory, holds the pid of the test binary that
// started it.
const ownerFile = "owner.pid"

// reapOrphans stops the servers, and removes the directories, that test
// binaries killed before their cleanup (a test timeout, a signal) left
// behind.
func (s *Server) reapOrphans() {
	dirs, _ := filepath.Glob(filepath.Join(baseDir(), "trawl-pg-*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || processAlive(pid) {
			continue
		}
		orphan := &Server{dir: dir, bin: s.bin, runAs: s.runAs}
		if _, err := os.Stat(filepath.Join(dir, "data", "postmaster.pid")); err == nil {
			orphan.command("pg_ctl", "stop", "-w", "-m", "immediate", "-D", filepath.Join(dir, "data")).Run()
		}
		os.RemoveAll(dir)
	}
}

// stop stops the server (fast: connections are ended) and removes its
// directory.
func (s *Server) stop() error {
	if s.dir == "" {
		return nil
	}
	defer os.RemoveAll(s.dir)
	if s.admin == "" {
		return nil
	}
	if out, err := s.command("pg_ctl", "stop", "-w", "-m", "fast", "-D", filepath.Join(s.dir, "data")).CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

// command runs a server program as the server's user, in its directory, with
// none of the caller's PG* settings (a PGHOST or PGPORT would redirect
// pg_ctl's readiness check).
func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") && !strings.HasPrefix(kv, "LC_") && !strings.HasPrefix(kv, "LANG=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "LC_ALL=C")
	s.runAs.apply(cmd)
	return cmd
}

// findBin returns the directory holding initdb, pg_ctl and postgres: PATH
// first, then the newest /usr/lib/postgresql/N/bin.
func findBin() (string, error) {
	has := func(dir string) bool {
		for _, p := range []string{"initdb", "pg_ctl", "postgres"} {
			if st, err := os.Stat(filepath.Join(dir, p)); err != nil || st.IsDir() {
				return false
			}
		}
		return true
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		// Debian links only some programs into PATH; use the real directory.
		if real, err := filepath.EvalSymlinks(p); err == nil && has(filepath.Dir(real)) {
			return filepath.Dir(real), nil
		}
		if has(filepath.Dir(p)) {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if has(d) {
			return d, nil
		}
	}
	return "", errors.New("no PostgreSQL server found (initdb, pg_ctl and postgres in PATH or /usr/lib/postgresql/*/bin); " +
		"run .ci/postgres.sh to install Debian's postgresql package")
}

// versionOf reads N from /usr/lib/postgresql/N/bin, 0 if not a number.
func versionOf(dir string) int {
	var n int
	fmt.Sscanf(filepath.Base(filepath.Dir(dir)), "%d", &n)
	return n
}

// Log returns the server's log so far, for a failing test to print.
func (s *Server) Log() string {
	if s.dir == "" {
		return ""
	}
	b, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
	return string(bytes.TrimSpace(b))
}
