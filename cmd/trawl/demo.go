package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
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
			fmt.Fprintf(a.stderr, "trawl: demo site at %s\n", url)
			code := a.run(ctx, []string{"crawl", url, "--db", db, "--fresh", "--delay", "10ms", "--per-host", "4"})
			if code != exitOK {
				return &exitError{code: code}
			}
			fmt.Fprintf(a.stderr, "trawl: done; try:\n  trawl query %s \"SELECT status, count(*) FROM pages GROUP BY status\"\n", db)
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", "trawl-demo.db", "SQLite database file to write")
	cmd.Flags().BoolVar(&serveOnly, "serve", false, "only serve the demo site and print its URL")
	return cmd
}
