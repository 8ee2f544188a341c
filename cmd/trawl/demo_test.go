package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoRefusesARealCrawl checks that trawl demo does not add the demo
// site to a database that holds a real crawl, even one of a server on
// 127.0.0.1, and leaves it untouched; a database of demo crawls is reused.
func TestDemoRefusesARealCrawl(t *testing.T) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, `<!doctype html><title>Staging shop</title><p>Hello</p>`)
	}))
	defer site.Close()
	local := filepath.Join(t.TempDir(), "staging.db")
	if r := trawl(t, "crawl", site.URL+"/", "--db", local, "--quiet", "--delay", "0"); r.code != exitOK {
		t.Fatalf("crawl: exit %d: %s", r.code, r.stderr)
	}
	for _, c := range []struct{ db, want string }{
		{local, local + " holds a crawl of " + site.URL + "/ (run 1), not the demo's"},
		{fixtureDB(t), "(run 1), not the demo's"},
	} {
		before := fileState(t, c.db)
		r := trawl(t, "demo", "--db", c.db)
		wantOneLineError(t, r, exitUsage, c.want)
		if after := fileState(t, c.db); after != before {
			t.Fatalf("demo changed %s", c.db)
		}
	}

	demo := filepath.Join(t.TempDir(), "demo.db")
	for i := 0; i < 2; i++ {
		if r := trawl(t, "demo", "--db", demo); r.code != exitOK {
			t.Fatalf("demo #%d on a demo database: exit %d: %s", i+1, r.code, r.stderr)
		}
	}
	var runs int
	openDB(t, demo).QueryRow(`SELECT count(*) FROM runs`).Scan(&runs)
	if runs != 2 {
		t.Fatalf("%d runs after two demos, want 2", runs)
	}
}

// TestDemoHintIsTheCommandAsRun checks that the command the demo suggests
// at the end is one the user can type: the binary as it was started, or
// go run when it was started by go run (whose binary is gone by then).
func TestDemoHintIsTheCommandAsRun(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.db")
	r := trawl(t, "demo", "--db", db)
	want := trawlBin + " query " + db + ` "SELECT status, count(*) FROM pages GROUP BY status"`
	if r.code != exitOK || !strings.Contains(r.stderr, "\n  "+want+"\n") || strings.Contains(r.stderr, "go run") {
		t.Fatalf("exit %d, stderr %s\nwant the hint %s", r.code, r.stderr, want)
	}

	// Where go run puts the binary it builds: $WORK/b001/exe/trawl.
	goRunBin := filepath.Join(dir, "go-build1234567", "b001", "exe", "trawl")
	b, err := os.ReadFile(trawlBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(goRunBin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goRunBin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goRunBin, "demo", "--db", db)
	var errb strings.Builder
	cmd.Stderr = &errb
	err = cmd.Run()
	r = result{stderr: errb.String()}
	if err != nil {
		r.code = -1
	}
	want = "go run ./cmd/trawl query " + db + ` "SELECT status, count(*) FROM pages GROUP BY status"`
	if r.code != exitOK || !strings.Contains(r.stderr, "\n  "+want+"\n") || !strings.Contains(r.stderr, "go build -o trawl ./cmd/trawl") {
		t.Fatalf("under go run: exit %d, stderr %s\nwant the hint %s", r.code, r.stderr, want)
	}
}
