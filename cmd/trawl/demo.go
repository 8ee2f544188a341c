package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trawl-crawler/trawl/store"
)

// demoSite is a small bookshop that `trawl demo` serves on loopback, so that a
// first crawl needs no internet. It has the things worth seeing in the
// database: a redirect, a broken link, a robots.txt rule, a noindex page, a PDF
// and an out-of-scope link.
//
//go:embed demosite
var demoSite embed.FS

// demoHandler serves the demo site.
func demoHandler() http.Handler {
	sub, err := fs.Sub(demoSite, "demosite")
	if err != nil {
		panic(err) // the embedded tree is part of the binary
	}
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServerFS(sub))
	mux.Handle("/old-catalogue", http.RedirectHandler("/books/", http.StatusMovedPermanently))
	// The sitemap names the server's own address, so it is written per request.
	// It lists one page that nothing links to.
	mux.HandleFunc("/sitemap.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>http://%[1]s/</loc><lastmod>2026-11-01</lastmod></url>
<url><loc>http://%[1]s/books/</loc><lastmod>2026-11-01</lastmod></url>
<url><loc>http://%[1]s/books/out-of-print.html</loc><lastmod>2020-05-17</lastmod></url>
</urlset>
`, r.Host)
	})
	return mux
}

// serveDemo starts the demo site on a loopback port and returns its URL.
func serveDemo(ctx context.Context) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("demo: listen on loopback: %w", err)
	}
	srv := &http.Server{Handler: demoHandler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("demo server:", err)
		}
	}()
	stop := func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-served
	}
	return "http://" + ln.Addr().String() + "/", stop, nil
}

func (a *app) demoCmd() *cobra.Command {
	var db string
	var serveOnly bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Serve a bundled demo site on loopback and crawl it (no internet needed)",
		Long: `Serve a small bundled bookshop on 127.0.0.1 and crawl it into --db, starting
fresh each time. Then query the result, for example:

  trawl query trawl-demo.db "SELECT status, count(*) FROM pages GROUP BY status"

A --db that holds a crawl of anything but the demo site is refused (exit 2),
so that the demo never adds its pages to a real crawl.

With --serve, only serve the site (until Ctrl-C) so you can point trawl crawl at it.`,
		Args: argCount(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			url, stop, err := serveDemo(ctx)
			if err != nil {
				return &exitError{code: exitFailed, err: err}
			}
			defer stop()
			if serveOnly {
				fmt.Fprintln(a.stdout, url)
				ctx, signals := a.watchSignals(ctx, nil, false)
				defer signals.stop()
				<-ctx.Done()
				return nil
			}
			if err := checkDemoDB(ctx, db); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "trawl: demo site at %s\n", url)
			code := a.run(ctx, []string{"crawl", url, "--db", db, "--fresh", "--delay", "10ms", "--per-host", "4"})
			if code != exitOK {
				return &exitError{code: code}
			}
			self, goRun := commandName(a.argv0)
			fmt.Fprintf(a.stderr, "trawl: done; try:\n  %s query %s %s\n", self, shellQuote(db),
				shellQuote("SELECT status, count(*) FROM pages GROUP BY status"))
			if goRun {
				fmt.Fprintln(a.stderr, "(or build trawl once with: go build -o trawl ./cmd/trawl, and run ./trawl)")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", "trawl-demo.db", "SQLite database file to write")
	cmd.Flags().BoolVar(&serveOnly, "serve", false, "only serve the demo site and print its URL")
	return cmd
}

// demoHomeTitle is the title of the demo site's home page, which tells a
// database of demo crawls from one that holds a real crawl.
func demoHomeTitle() string {
	b, err := demoSite.ReadFile("demosite/index.html")
	if err != nil {
		panic(err) // the embedded tree is part of the binary
	}
	m := regexp.MustCompile(`<title>([^<]*)</title>`).FindSubmatch(b)
	if m == nil {
		panic("demosite/index.html has no <title>")
	}
	return html.UnescapeString(string(m[1]))
}

// checkDemoDB refuses a database that holds a crawl other than the demo's:
// a run whose one seed is not the root of a loopback server, or whose seed
// page is not the demo's home page. A missing file, or one that is not a
// trawl database (which the crawl refuses with its own message), passes.
func checkDemoDB(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	db, err := store.OpenReadOnly(ctx, path)
	if err != nil {
		return nil
	}
	defer db.Close()
	runs, err := db.Runs(ctx)
	if err != nil {
		return nil // an empty file, with no runs table: nothing crawled yet
	}
	home := demoHomeTitle()
	for _, x := range runs {
		var cfg struct {
			Seeds []string `json:"seeds"`
		}
		_ = json.Unmarshal(x.Config, &cfg)
		demo := len(cfg.Seeds) == 1 && isLoopbackRoot(cfg.Seeds[0])
		if demo {
			title, found, err := db.PageTitle(ctx, x.ID, cfg.Seeds[0])
			demo = err == nil && (!found || title == home)
		}
		if !demo {
			what := "a crawl"
			if len(cfg.Seeds) > 0 {
				what = "a crawl of " + cfg.Seeds[0]
			}
			return usageErr("%s holds %s (run %d), not the demo's; trawl demo writes only to its own databases: give another --db (the default is trawl-demo.db)", path, what, x.ID)
		}
	}
	return nil
}

// isLoopbackRoot reports whether s is http://127.0.0.1:PORT/, where
// serveDemo listens.
func isLoopbackRoot(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "http" && u.Hostname() == "127.0.0.1" && u.Port() != "" && u.Path == "/" && u.RawQuery == ""
}

// commandName is how the user ran trawl, for hints that show a command to
// type: "go run ./cmd/trawl" under go run (whose binary lives in a temporary
// go-build directory that is gone when it exits; goRun is then true), the
// path as typed when it has one ("./trawl"), else "trawl".
func commandName(argv0 string) (name string, goRun bool) {
	dir := filepath.Dir(argv0)
	if filepath.Base(dir) == "exe" && strings.HasPrefix(filepath.Base(filepath.Dir(filepath.Dir(dir))), "go-build") {
		return "go run ./cmd/trawl", true
	}
	if argv0 == "" || !strings.ContainsRune(argv0, '/') && !strings.ContainsRune(argv0, filepath.Separator) {
		return "trawl", false
	}
	return shellQuote(argv0), false
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+,@%") == "" {
		return s
	}
	if !strings.ContainsAny(s, "\"$`\\!") {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
