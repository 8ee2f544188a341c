package main

import (
	"strings"
	"testing"
)

// TestDiffHidesNotFetched checks that diff lists what changed and, unless
// --all, leaves out the URLs that RUN_B did not fetch (in a refresh run,
// most of them) and those that did not change, counting them on stderr.
func TestDiffHidesNotFetched(t *testing.T) {
	db := fixtureDB(t) // run 2 refetches / unchanged; /b and /c only in run 1
	r := trawl(t, "diff", db, "1", "2", "--format", "csv")
	if r.code != exitOK || r.stdout != "url,diff,status_a,status_b,title_a,title_b\n" {
		t.Fatalf("diff 1 2: exit %d, stdout %q; want the header only", r.code, r.stdout)
	}
	if r.stderr != "trawl: diff: not shown: 2 not-fetched and 1 same URLs (--all shows them)\n" {
		t.Fatalf("diff 1 2: stderr %q", r.stderr)
	}

	r = trawl(t, "diff", db, "1", "2", "--format", "csv", "--all")
	want := `url,diff,status_a,status_b,title_a,title_b
http://a.test/b,not-fetched,200,,B,
http://a.test/c,not-fetched,404,,,
http://a.test/,same,200,200,Home,Home v2
`
	if r.code != exitOK || r.stdout != want || r.stderr != "" {
		t.Fatalf("diff 1 2 --all: exit %d, stdout\n%s\nstderr %q; want\n%s", r.code, r.stdout, r.stderr, want)
	}

	r = trawl(t, "diff", db, "2", "1", "--format", "csv")
	if r.code != exitOK || strings.Count(r.stdout, ",added,") != 2 || !strings.Contains(r.stderr, "0 not-fetched and 1 same") {
		t.Fatalf("diff 2 1: exit %d, stdout %q, stderr %q; want the two added URLs", r.code, r.stdout, r.stderr)
	}
}
