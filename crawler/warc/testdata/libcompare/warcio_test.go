package libcompare

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// warcioVersion is the one crawler/warc's tests install, into the same
// cache directory; this module uses that install and makes none of its
// own: run `go test ./crawler/warc/` at the repository root once first.
const warcioVersion = "2.4.11"

// readWarcio reads the files with ../warcio-read.mjs, which checks both
// digests of every record against the bytes warcio read. ok is false, and
// the test says so, where node or the installed warcio is missing.
func readWarcio(t *testing.T, names []string) (recs []got, ok bool) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Log("no node on PATH: not read with warcio")
		return nil, false
	}
	modDir := os.Getenv("TRAWL_WARCIO_DIR")
	if modDir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		modDir = filepath.Join(cache, "trawl-test", "warcio", warcioVersion)
	}
	if _, err := os.Stat(filepath.Join(modDir, "node_modules", "warcio")); err != nil {
		t.Logf("no warcio in %s (go test ./crawler/warc/ installs it): not read with warcio", modDir)
		return nil, false
	}
	cmd := exec.Command(node, append([]string{"../warcio-read.mjs", modDir}, names...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Errorf("warcio: %v\n%s", err, stderr.Bytes())
		return nil, false
	}
	if stderr.Len() > 0 {
		t.Errorf("warcio warned:\n%s", stderr.Bytes())
	}
	dec := json.NewDecoder(&stdout)
	for {
		var r struct {
			File, Type, URI string
			BlockDigestOK   *bool
			PayloadDigestOK *bool
			PayloadSHA1     string
		}
		if err := dec.Decode(&r); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Errorf("warcio's output: %v", err)
			}
			break
		}
		recs = append(recs, got{file: r.File, typ: r.Type, uri: r.URI, blockOK: r.BlockDigestOK, payloadOK: r.PayloadDigestOK, payloadSHA1: r.PayloadSHA1})
	}
	return recs, true
}
