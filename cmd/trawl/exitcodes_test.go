package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/fixtures"
	"github.com/trawl-crawler/trawl/store"
)

// TestREADMEExitCodesAreTheTable checks that README.md shows exitCodes as
// it is, so that the documented table cannot drift from the code.
func TestREADMEExitCodesAreTheTable(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), exitCodesMarkdown()) {
		t.Fatalf("README.md does not contain the exit code table; it should have:\n%s", exitCodesMarkdown())
	}
}

// helpExitCodes returns the "Exit codes:" block of a --help text and the
// codes it lists.
func helpExitCodes(t *testing.T, help string) (string, []int) {
	t.Helper()
	i := strings.Index(help, "Exit codes:\n")
	if i < 0 {
		return "", nil
	}
	block, _, _ := strings.Cut(help[i:], "\n\n")
	var codes []int
	for _, m := range regexp.MustCompile(`(?m)^  (\d+) `).FindAllStringSubmatch(block, -1) {
		n, _ := strconv.Atoi(m[1])
		codes = append(codes, n)
	}
	return block, codes
}

// TestHelpExitCodesAreTheTable checks every command's --help: what it says
// about exit codes is rows of exitCodes, word for word, and trawl --help
// and trawl crawl --help show all of them.
func TestHelpExitCodesAreTheTable(t *testing.T) {
	commands := [][]string{{}, {"crawl"}, {"demo"}, {"query"}, {"export"}, {"runs"}, {"diff"}, {"extract"}, {"version"}}
	for _, c := range commands {
		r := trawl(t, append(c, "--help")...)
		if r.code != exitOK {
			t.Fatalf("%v --help: exit %d: %s", c, r.code, r.stderr)
		}
		block, codes := helpExitCodes(t, r.stdout)
		if block == "" {
			continue
		}
		if want := exitCodesHelp(codes...); block != want {
			t.Errorf("trawl %v --help says\n%s\nwant\n%s", c, block, want)
		}
		if len(c) == 0 || c[0] == "crawl" {
			if want := exitCodesHelp(); block != want {
				t.Errorf("trawl %v --help does not show every exit code:\n%s", c, block)
			}
		}
	}
}

// TestEveryExitCode makes the real binary end with each code of the table,
// in the situation the table describes. A code added to the table without a
// case here fails the test.
func TestEveryExitCode(t *testing.T) {
	dir := t.TempDir()
	db := fixtureDB(t)
	cases := map[int]func(t *testing.T) result{
		exitOK: func(t *testing.T) result { return trawl(t, "runs", db) },
		exitFailed: func(t *testing.T) result {
			return trawl(t, "export", db, "--out", filepath.Join(dir, "missing", "pages.jsonl"))
		},
		exitUsage: func(t *testing.T) result { return trawl(t, "crawl", "--db", filepath.Join(dir, "u.db"), "example.com") },
		exitStopped: func(t *testing.T) result {
			cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 1, PagesPerHost: 20, Seed: 3, MinBytes: 500, MaxBytes: 1000})
			return trawl(t, "crawl", "--db", filepath.Join(dir, "budget.db"), "--delay", "0", "--quiet", "--max-pages", "2", cl.Seeds()[0])
		},
		exitLocked: func(t *testing.T) result {
			path := filepath.Join(dir, "locked.db")
			s, err := store.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Lock(context.Background()); err != nil {
				t.Fatal(err)
			}
			return trawl(t, "crawl", "--db", path, "http://127.0.0.1:1/")
		},
		exitNoSuccess: func(t *testing.T) result {
			h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
			h.SetRobots(200, "User-agent: *\nDisallow: /\n")
			return trawl(t, "crawl", "--db", filepath.Join(dir, "dead.db"), "--quiet", h.URL+"/")
		},
		exitInterrupted: func(t *testing.T) result { return interruptedCrawl(t, filepath.Join(dir, "int.db"), syscall.SIGINT) },
		exitTerminated:  func(t *testing.T) result { return interruptedCrawl(t, filepath.Join(dir, "term.db"), syscall.SIGTERM) },
	}
	for _, c := range exitCodes() {
		t.Run(strconv.Itoa(c.code), func(t *testing.T) {
			run, ok := cases[c.code]
			if !ok {
				t.Fatalf("no case makes trawl exit %d (%s)", c.code, c.meaning)
			}
			if r := run(t); r.code != c.code {
				t.Fatalf("exit %d, want %d (%s); stderr: %s", r.code, c.code, c.meaning, r.stderr)
			}
		})
	}
}

// interruptedCrawl starts a crawl of a slow site, sends sig once pages are
// being fetched, and returns how the process ended.
func interruptedCrawl(t *testing.T, db string, sig syscall.Signal) result {
	t.Helper()
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 1, PagesPerHost: 200, Seed: 5,
		MinBytes: 500, MaxBytes: 1000, Latency: 5 * time.Millisecond})
	cmd := exec.Command(trawlBin, "crawl", "--db", db, "--delay", "0", "--quiet", cl.Seeds()[0])
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() // a no-op once it has exited
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.Log.Wait(ctx, func(rs []fixtures.Request) bool { return len(rs) >= 5 }); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Signal(sig)
	err := cmd.Wait()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestVersionFlag checks that trawl --version prints what trawl version does.
func TestVersionFlag(t *testing.T) {
	want := trawl(t, "version")
	if want.code != exitOK || !strings.HasPrefix(want.stdout, "trawl ") {
		t.Fatalf("trawl version: exit %d, %q", want.code, want.stdout)
	}
	if r := trawl(t, "--version"); r.code != exitOK || r.stdout != want.stdout {
		t.Fatalf("trawl --version: exit %d, stdout %q, stderr %q; want %q", r.code, r.stdout, r.stderr, want.stdout)
	}
	// -v is --verbose in trawl crawl; at the top it is not a second name
	// for --version.
	if r := trawl(t, "-v"); r.code != exitUsage {
		t.Fatalf("trawl -v: exit %d, stdout %q; want %d (unknown flag)", r.code, r.stdout, exitUsage)
	}
}

// TestArgumentCountErrorsShowUsage checks that a wrong number of arguments
// says what the command takes and shows its usage line.
func TestArgumentCountErrorsShowUsage(t *testing.T) {
	cases := []struct {
		args       []string
		want, line string
	}{
		{[]string{"runs"}, "trawl: runs takes 1 argument, got 0", "usage: trawl runs DB [flags]"},
		{[]string{"runs", "a.db", "b.db"}, "trawl: runs takes 1 argument, got 2", "usage: trawl runs DB [flags]"},
		{[]string{"diff", "a.db", "1"}, "trawl: diff takes 3 arguments, got 2", "usage: trawl diff DB RUN_A RUN_B [flags]"},
		{[]string{"query"}, "trawl: query takes 1 or 2 arguments, got 0", "usage: trawl query DB [SQL] [flags]"},
		{[]string{"query", "a.db", "SELECT 1", "SELECT 2"}, "trawl: query takes 1 or 2 arguments, got 3", "usage: trawl query DB [SQL] [flags]"},
		{[]string{"export"}, "trawl: export takes 1 argument, got 0", "usage: trawl export DB [flags]"},
		{[]string{"extract"}, "trawl: extract takes 1 argument, got 0", "usage: trawl extract DB --config FILE [flags]"},
		{[]string{"version", "x"}, "trawl: version takes no arguments, got 1", "usage: trawl version [flags]"},
		{[]string{"demo", "x"}, "trawl: demo takes no arguments, got 1", "usage: trawl demo [flags]"},
	}
	for _, c := range cases {
		r := trawl(t, c.args...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.code != exitUsage || len(lines) != 2 || lines[0] != c.want || !strings.HasPrefix(lines[1], c.line) {
			t.Errorf("trawl %v: exit %d, stderr %q; want %d, %q and %q", c.args, r.code, r.stderr, exitUsage, c.want, c.line)
		}
	}
}
