package warc

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// warcioVersion is the warcio release the files are read with. Each
// version is installed into a cache directory of its own, so a new one
// here is installed on the next run.
const warcioVersion = "2.4.11"

// warcio returns node and a directory whose node_modules holds warcio:
// TRAWL_WARCIO_DIR if set, else a cache directory shared by test runs,
// where warcio is installed with the npm on PATH when it is not there yet.
// Without node or npm, or when the install fails, the test is skipped and
// says why; with TRAWL_TEST_WARCIO=require (as in CI) it fails instead.
func warcio(t *testing.T) (node, modDir string) {
	t.Helper()
	unavailable := func(format string, args ...any) {
		t.Helper()
		msg := "not reading the files with warcio, the second reader: " + fmt.Sprintf(format, args...)
		if os.Getenv("TRAWL_TEST_WARCIO") == "require" {
			t.Fatal("TRAWL_TEST_WARCIO=require, and " + msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("no node on PATH to run warcio with (Debian: apt-get install nodejs npm)")
	}
	if dir := os.Getenv("TRAWL_WARCIO_DIR"); dir != "" {
		v, err := installedWarcio(dir)
		if err != nil {
			t.Fatalf("TRAWL_WARCIO_DIR=%s: %v", dir, err)
		}
		t.Logf("warcio %s from TRAWL_WARCIO_DIR=%s", v, dir)
		return node, dir
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	base = filepath.Join(base, "trawl-test", "warcio")
	final := filepath.Join(base, warcioVersion)
	if v, err := installedWarcio(final); err == nil && v == warcioVersion {
		return node, final
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		unavailable("no npm on PATH to install warcio %s with (Debian: apt-get install npm)", warcioVersion)
	}
	// Install into a directory of this process's own and rename it into
	// place: two test processes doing this at once both install, and the
	// loser of the rename uses the winner's.
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(base, ".install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	// A package.json of its own keeps npm from installing into a
	// project it finds in a parent directory.
	if err := os.WriteFile(filepath.Join(tmp, "package.json"), []byte(`{"private": true}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// One retry rather than npm's two with backoff: offline, a failed
	// install then costs every test run some seconds, not a minute.
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--fetch-retries=1", "warcio@"+warcioVersion)
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		unavailable("npm install warcio@%s failed: %v\n%s", warcioVersion, err, strings.Join(lines[max(0, len(lines)-12):], "\n"))
	}
	if v, err := installedWarcio(tmp); err != nil || v != warcioVersion {
		unavailable("npm install warcio@%s installed %q: %v", warcioVersion, v, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		if v, err2 := installedWarcio(final); err2 != nil || v != warcioVersion {
			t.Fatalf("installing warcio into %s: %v", final, err)
		}
	} else {
		t.Logf("installed warcio %s into %s", warcioVersion, final)
	}
	return node, final
}

// installedWarcio is the version of the warcio in dir/node_modules.
func installedWarcio(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "warcio", "package.json"))
	if err != nil {
		return "", fmt.Errorf("no warcio installed: %w", err)
	}
	var p struct{ Version string }
	if err := json.Unmarshal(b, &p); err != nil {
		return "", fmt.Errorf("warcio's package.json: %w", err)
	}
	return p.Version, nil
}

// warcioRecord is a record as testdata/warcio-read.mjs reports it.
type warcioRecord struct {
	File, Type, URI string
	Status          int
	RecordID        string
	ConcurrentTo    string
	WarcinfoID      string
	Profile         string
	Truncated       string
	BlockDigestOK   *bool
	PayloadDigest   string
	PayloadDigestOK *bool
	PayloadSHA1     string
	PayloadLength   int
	Payload         []byte
}

// readWithWarcio reads every record of files with warcio.
func readWithWarcio(t *testing.T, files []string) []warcioRecord {
	t.Helper()
	node, modDir := warcio(t)
	script, err := filepath.Abs(filepath.Join("testdata", "warcio-read.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, append([]string{script, modDir, "--payloads"}, files...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("warcio: %v\n%s", err, stderr.Bytes())
	}
	// warcio reports what it tolerates (a Content-Length that does not
	// match the record, say) as warnings on stderr.
	if stderr.Len() > 0 {
		t.Errorf("warcio warned:\n%s", stderr.Bytes())
	}
	var recs []warcioRecord
	dec := json.NewDecoder(&stdout)
	for {
		var r warcioRecord
		if err := dec.Decode(&r); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("warcio's output: %v", err)
		}
		recs = append(recs, r)
	}
	return recs
}

// warcioSHA1 is a digest as warcio-read.mjs prints payloadSHA1.
func warcioSHA1(b []byte) string {
	sum := sha1.Sum(b)
	return "sha1:" + base32.StdEncoding.EncodeToString(sum[:])
}

// TestWarcioReadsTheFiles reads the files with a second, independent
// implementation, warcio (npm) run with node, and checks what it read:
// record types, target URIs, the links between records, both digests of
// every record, and the payload bytes of each response.
func TestWarcioReadsTheFiles(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(Options{Dir: dir, MaxSize: 4000, Info: map[string]string{"trawl-run": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	html := []byte(strings.Repeat("<p>hello warcio</p>\n", 50))
	binary := make([]byte, 3000)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	type page struct {
		path      string
		status    int
		ctype     string
		body      []byte
		truncated bool
	}
	pages := []page{
		{"/a", 200, "text/html", html, false},
		{"/img.bin", 200, "application/octet-stream", binary, false},
		{"/cut", 200, "text/html", html[:100], true},
		{"/missing", 404, "text/plain", []byte("not found\n"), false},
		{"/a", 304, "", nil, false},
	}
	for _, p := range pages {
		u, _ := url.Parse("http://example.test" + p.path)
		req := &http.Request{Method: "GET", URL: u, Header: http.Header{"User-Agent": {"trawl/test"}}}
		h := http.Header{}
		if p.ctype != "" {
			h.Set("Content-Type", p.ctype)
		}
		resp := &http.Response{StatusCode: p.status, Status: fmt.Sprintf("%d %s", p.status, http.StatusText(p.status)), Header: h}
		if err := w.Write(Exchange{At: at, Request: req, Response: resp, Body: p.body, Truncated: p.truncated, IP: "127.0.0.1"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.warc.gz"))
	if len(files) < 2 {
		t.Fatalf("%d files, want rotation at 4000 bytes", len(files))
	}
	recs := readWithWarcio(t, files)

	warcinfo := map[string]string{} // file -> its warcinfo's record ID
	requests := map[string]warcioRecord{}
	var responses []warcioRecord
	count := map[string]int{}
	for _, r := range recs {
		count[r.Type]++
		if r.BlockDigestOK == nil || !*r.BlockDigestOK {
			t.Errorf("%s %s %s: WARC-Block-Digest missing or not the block's (%v)", r.File, r.Type, r.URI, r.BlockDigestOK)
		}
		if r.PayloadDigestOK != nil && !*r.PayloadDigestOK {
			t.Errorf("%s %s %s: WARC-Payload-Digest %s is not the payload's, %s", r.File, r.Type, r.URI, r.PayloadDigest, r.PayloadSHA1)
		}
		switch r.Type {
		case "warcinfo":
			if _, dup := warcinfo[r.File]; dup {
				t.Errorf("%s: two warcinfo records", r.File)
			}
			warcinfo[r.File] = r.RecordID
			continue
		case "request":
			requests[r.RecordID] = r
		case "response", "revisit":
			responses = append(responses, r)
		default:
			t.Errorf("%s: record of type %q", r.File, r.Type)
		}
		if id, ok := warcinfo[r.File]; !ok || r.WarcinfoID != id {
			t.Errorf("%s %s %s: WARC-Warcinfo-ID %q, the file's warcinfo is %q", r.File, r.Type, r.URI, r.WarcinfoID, id)
		}
	}
	if count["warcinfo"] != len(files) || count["request"] != len(pages) || count["response"] != len(pages)-1 || count["revisit"] != 1 {
		t.Errorf("warcio read %v from %d files; want a warcinfo per file, %d requests, %d responses, 1 revisit",
			count, len(files), len(pages), len(pages)-1)
	}
	if len(responses) != len(pages) {
		t.Fatalf("%d responses and revisits for %d exchanges", len(responses), len(pages))
	}
	// Records are in as many files as there are writers, in no order
	// across them: find each exchange's by its URI and status.
	for _, p := range pages {
		uri := "http://example.test" + p.path
		i := slices.IndexFunc(responses, func(r warcioRecord) bool { return r.URI == uri && r.Status == p.status })
		if i < 0 {
			t.Errorf("warcio read no response record for %s with status %d", uri, p.status)
			continue
		}
		r := responses[i]
		if r.Status != p.status {
			t.Errorf("%s: status %d, want %d", r.URI, r.Status, p.status)
		}
		req, ok := requests[r.ConcurrentTo]
		if !ok || req.URI != r.URI || req.File != r.File {
			t.Errorf("%s: WARC-Concurrent-To %q is not a request for it in %s", r.URI, r.ConcurrentTo, r.File)
		}
		if r.Type == "response" && r.PayloadDigestOK == nil {
			t.Errorf("%s %s: no WARC-Payload-Digest", r.Type, r.URI)
		}
		if !bytes.Equal(r.Payload, p.body) {
			t.Errorf("%s: warcio read a payload of %d bytes (%s), written were %d (%s)",
				r.URI, len(r.Payload), r.PayloadSHA1, len(p.body), warcioSHA1(p.body))
		}
		if want := map[bool]string{true: "length"}[p.truncated]; r.Truncated != want {
			t.Errorf("%s: WARC-Truncated %q, want %q", r.URI, r.Truncated, want)
		}
		if r.Type == "revisit" && r.Profile != "http://netpreserve.org/warc/1.1/revisit/server-not-modified" {
			t.Errorf("%s: revisit profile %q", r.URI, r.Profile)
		}
	}
}
