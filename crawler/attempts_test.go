package crawler

import (
	"fmt"
	"testing"

	"github.com/trawl-crawler/trawl/fixtures"
)

// TestEveryRequestOnTheWireIsAnAttempt: a URL that resets the connection is
// requested exactly as often as the database shows attempts (the retry
// budget), even on kept-alive connections, where net/http would otherwise
// send an idempotent request again by itself.
func TestEveryRequestOnTheWireIsAnAttempt(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	h.SetRobots(404, "")
	links := ""
	for i := range 6 {
		links += fmt.Sprintf(`<a href="/reset%d">r</a><a href="/ok%d">o</a>`, i, i)
		h.Handle(fmt.Sprintf("/reset%d", i), fixtures.ResetConn())
		h.Handle(fmt.Sprintf("/ok%d", i), fixtures.Status(200, map[string]string{"Content-Type": "text/html"}, "<title>ok</title>"))
	}
	h.Handle("/{$}", fixtures.Status(200, map[string]string{"Content-Type": "text/html"}, links))
	db := testDB(t)
	cfg := testConfig(h.URL + "/")
	cfg.PerHost = 1 // one connection, kept alive and reused
	cfg.Retries = 2
	crawlRun(t, db, cfg)
	for i := range 6 {
		path := fmt.Sprintf("/reset%d", i)
		wire := 0
		for _, r := range h.Log.Entries() {
			if r.Path == path {
				wire++
			}
		}
		rows := queryInt(t, db, `SELECT count(*) FROM fetches f JOIN urls u ON u.id = f.url_id WHERE u.url = ?`, h.URL+path)
		// The server may see fewer requests than were sent: a request written
		// to a kept-alive connection the server had just reset never reaches
		// its handler, and is still an attempt. It must never see more.
		if wire > rows || wire == 0 || rows != cfg.Retries+1 {
			t.Errorf("%s: the server saw %d requests, the database has %d attempts; want %d attempts and no more requests", path, wire, rows, cfg.Retries+1)
		}
	}
}
