package main

import (
	"path/filepath"
	"testing"

	"github.com/trawl-crawler/trawl/fixtures"
)

// sitemapSite is a home page linking /a, with /sitemap.xml (robots.txt
// names none, so trawl probes it) listing /orphan, which nothing links to.
func sitemapSite(t *testing.T) *fixtures.Host {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	html := map[string]string{"Content-Type": "text/html"}
	h.Handle("/{$}", fixtures.Status(200, html, `<a href="/a">a</a>`))
	h.Handle("/a", fixtures.Status(200, html, `leaf`))
	h.Handle("/orphan", fixtures.Status(200, html, `only the sitemap lists me`))
	h.Handle("/sitemap.xml", fixtures.Status(200, map[string]string{"Content-Type": "application/xml"},
		`<urlset><url><loc>`+h.URL+`/orphan</loc></url></urlset>`))
	return h
}

// requested counts the requests for each path from the log entry from on.
func requested(h *fixtures.Host, from int) map[string]int {
	got := map[string]int{}
	for _, e := range h.Log.Entries()[from:] {
		got[e.Path]++
	}
	return got
}

// TestSitemapsGivenAgainTakeEffect checks --sitemaps given on a resume and
// on a refresh against the same flag on a new crawl: on, the sitemap is read
// and the URL only it lists is crawled; off, the sitemap is not requested,
// even when an earlier invocation queued or fetched it. (--sitemaps=false
// on a resume or refresh was logged as overridden, and the sitemap queued
// by the earlier invocation was fetched and read all the same.)
func TestSitemapsGivenAgainTakeEffect(t *testing.T) {
	h := sitemapSite(t)
	crawl := func(t *testing.T, db string, code int, flags ...string) map[string]int {
		t.Helper()
		from := h.Log.Len()
		args := append([]string{"crawl", h.URL + "/", "--db", db, "--delay", "0", "--revisit-after", "0s", "--quiet"}, flags...)
		if r := trawl(t, args...); r.code != code {
			t.Fatalf("%v: exit %d, want %d: %s", args, r.code, code, r.stderr)
		}
		return requested(h, from)
	}
	check := func(t *testing.T, name string, got map[string]int, on bool) {
		t.Helper()
		if read := got["/sitemap.xml"] > 0 && got["/orphan"] > 0; read != on {
			t.Errorf("%s: sitemap requested %d times, /orphan %d times; want the sitemap read: %v", name, got["/sitemap.xml"], got["/orphan"], on)
		}
		if !on && got["/sitemap.xml"] > 0 {
			t.Errorf("%s: --sitemaps=false, and /sitemap.xml was requested", name)
		}
	}
	dir := t.TempDir()
	check(t, "new crawl --sitemaps", crawl(t, filepath.Join(dir, "new-on.db"), 0, "--sitemaps"), true)
	check(t, "new crawl --sitemaps=false", crawl(t, filepath.Join(dir, "new-off.db"), 0, "--sitemaps=false"), false)

	t.Run("resume", func(t *testing.T) {
		// --max-pages 1: the home page is fetched, /a (and the sitemap,
		// when on) stay queued.
		db := filepath.Join(t.TempDir(), "on.db")
		crawl(t, db, exitStopped, "--sitemaps=false", "--max-pages", "1")
		check(t, "resume --sitemaps", crawl(t, db, 0, "--sitemaps"), true)

		db = filepath.Join(t.TempDir(), "off.db")
		crawl(t, db, exitStopped, "--sitemaps", "--max-pages", "1")
		check(t, "resume --sitemaps=false", crawl(t, db, 0, "--sitemaps=false"), false)
		var state, reason string
		openDB(t, db).QueryRow(`SELECT state, coalesce(reason, '') FROM urls WHERE url = ?`, h.URL+"/sitemap.xml").Scan(&state, &reason)
		if state != "skipped" || reason != "sitemaps-off" {
			t.Errorf("the sitemap queued before --sitemaps=false is %s (%s), want skipped (sitemaps-off)", state, reason)
		}
	})
	t.Run("refresh", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "on.db")
		crawl(t, db, 0, "--sitemaps=false")
		check(t, "refresh --sitemaps", crawl(t, db, 0, "--sitemaps"), true)

		db = filepath.Join(t.TempDir(), "off.db")
		crawl(t, db, 0, "--sitemaps")
		check(t, "refresh --sitemaps=false", crawl(t, db, 0, "--sitemaps=false"), false)
	})
}
