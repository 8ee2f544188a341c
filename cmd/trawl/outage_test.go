package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/fixtures"
)

// TestDatabaseOutageSetting: --db-outage bounds how long a crawl waits for
// a PostgreSQL server that went away. Past it the crawl stops, having lost
// nothing, and the same command resumes it once the server is back. On a
// SQLite file it is bad input.
func TestDatabaseOutageSetting(t *testing.T) {
	dsn := pg.NewDatabase(t)
	arrived, release := make(chan struct{}), make(chan struct{})
	var once, released sync.Once
	unblock := func() { released.Do(func() { close(release) }) }
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	h.Handle("/{$}", fixtures.Status(200, map[string]string{"Content-Type": "text/html"}, `<title>home</title><a href="/slow">slow</a>`))
	h.Handle("/slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(arrived) })
		<-release
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<title>slow</title>")
	}))
	args := []string{"crawl", "--db", dsn, "--delay", "0", "-q", "--sitemaps=false", "--db-outage", "1s", h.URL + "/"}
	cmd := exec.Command(trawlBin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	// Registered after the fixture's own cleanup, so run before it: the
	// handler is let go and the child ended before the server closes, and
	// the database is back for the tests after this one.
	t.Cleanup(func() {
		unblock()
		cmd.Process.Kill()
		if stopped {
			pg.Start(t)
		}
	})
	select {
	case <-arrived:
	case err := <-exited:
		t.Fatalf("trawl exited before fetching /slow: %v\n%s", err, stderr.String())
	case <-time.After(time.Minute):
		t.Fatal("trawl never asked for /slow")
	}
	// The server goes away while /slow is in flight: its outcome cannot be
	// committed.
	stopped = true
	pg.Stop(t)
	unblock()
	var err error
	select {
	case err = <-exited:
	case <-time.After(2 * time.Minute):
		t.Fatalf("trawl did not give up on the database after --db-outage 1s:\n%s", stderr.String())
	}
	stopped = false
	pg.Start(t)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitFailed {
		t.Errorf("trawl exited with %v, want exit %d", err, exitFailed)
	}
	if !strings.Contains(stderr.String(), "database away for more than 1s") {
		t.Errorf("stderr does not say the database was away for longer than --db-outage:\n%s", stderr.String())
	}
	r := trawl(t, args...)
	if r.code != exitOK {
		t.Fatalf("the resume: exit %d: %s", r.code, r.stderr)
	}
	if n := scalarPG(t, dsn, `SELECT count(*) FROM pages WHERE status = 200`); n != 2 {
		t.Errorf("%d pages after the resume, want 2 (the home page and /slow)", n)
	}

	sq := filepath.Join(t.TempDir(), "site.db")
	r = trawl(t, "crawl", "--db", sq, "--db-outage", "30s", h.URL+"/")
	wantOneLineError(t, r, exitUsage, "--db-outage is for a crawl on PostgreSQL")
	r = trawl(t, "crawl", "--db", dsn, "--db-outage", "soon", h.URL+"/")
	wantOneLineError(t, r, exitUsage, `--db-outage "soon": want a positive duration`)
}
