//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nobody is the user that root runs the binary as, so that file permissions
// bind it.
const nobody = 65534

// trawlUnprivileged runs the binary as this user, or as nobody when the
// tests run as root (who may write anywhere, so that a permission test would
// prove nothing). Files it must reach have to be readable by nobody.
func trawlUnprivileged(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, trawlBin, args...)
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run trawl %v: %v", args, err)
	}
	return r
}

// reachable makes dir and the path up to it (below the system's temporary
// directory) and the test binary usable by nobody when the tests run as root.
func reachable(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	stop := filepath.Clean(os.TempDir())
	for _, d := range []string{filepath.Dir(trawlBin), dir, filepath.Dir(dir)} {
		if d == stop {
			continue
		}
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// ownedFile copies the file at src to dst with mode perm, owned by the user
// trawlUnprivileged runs as.
func ownedFile(t *testing.T, src, dst string, perm os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dst, perm); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(dst, nobody, nobody); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUnwritableDatabaseSaysWhy checks that a database trawl cannot write is
// refused with exit 2 and the real reason (the directory, where SQLite must
// create the -wal file, or the file itself), not SQLite's "attempt to write a
// readonly database", and that the file is left as it was.
func TestUnwritableDatabaseSaysWhy(t *testing.T) {
	src := fixtureDB(t)
	base := t.TempDir()
	reachable(t, base)
	ro := filepath.Join(base, "ro")
	rw := filepath.Join(base, "rw")
	for _, d := range []string{ro, rw} {
		if err := os.Mkdir(d, 0o777); err != nil {
			t.Fatal(err)
		}
		os.Chmod(d, 0o777)
	}
	inRO := filepath.Join(ro, "site.db")
	ownedFile(t, src, inRO, 0o644)
	readOnly := filepath.Join(rw, "site.db")
	ownedFile(t, src, readOnly, 0o444)
	if err := os.Chmod(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(ro, 0o755) })
	if r := trawlUnprivileged(t, "query", inRO, "SELECT count(*) FROM runs"); r.code != 0 {
		t.Fatalf("the copy cannot be read; the test proves nothing: %s", r.stderr)
	}
	before := [2][2]string{fileState(t, inRO), fileState(t, readOnly)}

	cases := []struct {
		args []string
		want string
	}{
		{[]string{"crawl", "--db", inRO, "http://127.0.0.1:1/"},
			"trawl: cannot write " + inRO + ": its directory " + ro + " is not writable, and SQLite must create site.db-wal and -shm there"},
		{[]string{"extract", inRO, "--config", "../../examples/books.yaml"}, ""}, // no bodies: refused before opening for writing
		{[]string{"crawl", "--db", filepath.Join(ro, "new.db"), "http://127.0.0.1:1/"},
			"trawl: cannot create " + filepath.Join(ro, "new.db") + ": the directory " + ro + " is not writable (permission denied)"},
		{[]string{"crawl", "--db", readOnly, "http://127.0.0.1:1/"},
			"trawl: cannot write " + readOnly + ": the file is read-only (permission denied)"},
	}
	for _, c := range cases {
		r := trawlUnprivileged(t, c.args...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.code != exitUsage || len(lines) != 1 || !strings.HasPrefix(lines[0], c.want) {
			t.Errorf("trawl %q: exit %d, stderr\n%s\nwant %d and one line starting\n%s", c.args, r.code, r.stderr, exitUsage, c.want)
		}
		for _, word := range internals {
			if strings.Contains(r.stderr, word) {
				t.Errorf("trawl %q: stderr %q shows %q", c.args, r.stderr, word)
			}
		}
	}
	if after := [2][2]string{fileState(t, inRO), fileState(t, readOnly)}; after != before {
		t.Fatalf("a database changed: %v -> %v", before, after)
	}
}
