package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// internals are words of the code that a message for people must not show.
var internals = []string{"urlkey", "store:", ".trawl-probe", "error parsing regexp", "(1544)", "readonly database"}

// TestMessagesSpeakOfTheInput checks that bad input is reported in terms of
// what the user typed: a URL without a scheme gets the URL it probably
// meant, a misspelt scheme is not called missing, a bad pattern names its
// flag, and a database path names the directory that is the problem.
func TestMessagesSpeakOfTheInput(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "a.db")
	file := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(file, []byte("notes"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"crawl", "--db", db, "example.com"},
			`trawl: invalid seed URL "example.com": not an http or https URL: missing scheme (did you mean https://example.com/?)`},
		{[]string{"crawl", "--db", db, "example.com:8080/shop"},
			`trawl: invalid seed URL "example.com:8080/shop": not an http or https URL: scheme "example.com" (did you mean https://example.com:8080/shop?)`},
		{[]string{"crawl", "--db", db, "ht!tp://x"},
			`trawl: invalid seed URL "ht!tp://x": not an http or https URL: invalid character '!' in scheme "ht!tp"`},
		{[]string{"crawl", "--db", db, "--allow", "(", "http://127.0.0.1:1/"},
			`trawl: --allow pattern "(" is not a valid regular expression: missing closing )`},
		{[]string{"crawl", "--db", db, "--deny", "a[z", "http://127.0.0.1:1/"},
			`trawl: --deny pattern "a[z" is not a valid regular expression: missing closing ] at "[z"`},
		{[]string{"crawl", "--db", filepath.Join(dir, "nodir", "a.db"), "http://127.0.0.1:1/"},
			"trawl: cannot create " + filepath.Join(dir, "nodir", "a.db") + ": the directory " + filepath.Join(dir, "nodir") + " does not exist"},
		{[]string{"crawl", "--db", filepath.Join(file, "sub", "a.db"), "http://127.0.0.1:1/"},
			"trawl: cannot create " + filepath.Join(file, "sub", "a.db") + ": " + file + " is a file, not a directory"},
	}
	for _, c := range cases {
		r := trawl(t, c.args...)
		if r.code != exitUsage || strings.TrimSpace(r.stderr) != c.want {
			t.Errorf("trawl %q: exit %d, stderr\n%s\nwant %d and\n%s", c.args, r.code, r.stderr, exitUsage, c.want)
		}
		for _, word := range internals {
			if strings.Contains(r.stderr, word) {
				t.Errorf("trawl %q: stderr %q shows %q", c.args, r.stderr, word)
			}
		}
	}
	seeds := filepath.Join(dir, "seeds.txt")
	if err := os.WriteFile(seeds, []byte("https://example.com/\nexample.org\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantOneLineError(t, trawl(t, "crawl", "--db", db, "--seeds-file", seeds), exitUsage,
		seeds+`:2: invalid seed URL "example.org": not an http or https URL: missing scheme (did you mean https://example.org/?)`)
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatalf("a database was created for bad input (%v)", err)
	}
}
