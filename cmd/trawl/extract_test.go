package main

import (
	"testing"
)

// TestExtractBadInput checks that extract refuses, with exit 2 and the
// database untouched, what it cannot do: a rule the config does not have, a
// run the database does not have, and a database that kept no bodies.
func TestExtractBadInput(t *testing.T) {
	db := fixtureDB(t) // runs 1 and 2, crawled without --store-body
	before := fileState(t, db)
	conf := "../../examples/books.yaml"
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown rule", []string{"extract", db, "--config", conf, "--rule", "nosuch"}, `--rule "nosuch": ` + conf + ` has no such rule (its rules: book)`},
		{"unknown run", []string{"extract", db, "--config", conf, "--run", "9"}, "no such run 9 in " + db + " (the latest is 2"},
		{"no bodies", []string{"extract", db, "--config", conf}, db + " keeps no page bodies, so there is nothing to re-extract; crawl with --store-body"},
		{"no bodies in the run", []string{"extract", db, "--config", conf, "--run", "1"}, "run 1 of " + db + " kept no page bodies"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := trawl(t, c.args...)
			wantOneLineError(t, r, exitUsage, c.want)
			if r.stdout != "" {
				t.Errorf("stdout %q", r.stdout)
			}
		})
	}
	if after := fileState(t, db); after != before {
		t.Fatalf("the database changed: %v -> %v", before, after)
	}
}
