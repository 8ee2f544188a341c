package politeness

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// statusCase is one vector of testdata/robots-http-status.json.
type statusCase struct {
	Name          string `json:"name"`
	Status        *int   `json:"status"`
	Body          string `json:"body"`
	NetworkError  string `json:"network_error"`
	RedirectChain []int  `json:"redirect_chain"`
	RedirectTo    string `json:"redirect_to"`
	Loop          bool   `json:"loop"`
	FinalStatus   *int   `json:"final_status"`
	Expected      string `json:"expected"`
	Why           string `json:"why"`
	Section       string `json:"section"`
	Level         string `json:"level"`
}

// wantStatus derives the RobotsStatus a case must produce from the case
// itself, so that the table checks the status as well as the outcome.
func (c statusCase) wantStatus(t *testing.T) RobotsStatus {
	switch {
	case c.NetworkError != "":
		return RobotsDisallowAllError
	case c.Loop:
		return RobotsRedirectLoop
	case len(c.RedirectChain) > MaxRobotsRedirects:
		return RobotsTooManyRedirects
	}
	code := c.Status
	if len(c.RedirectChain) > 0 {
		code = c.FinalStatus
	}
	if code == nil {
		t.Fatalf("case %s has no final status", c.Name)
	}
	switch *code / 100 {
	case 2:
		return RobotsOK
	case 4:
		return RobotsAllowAll4xx
	case 5:
		return RobotsDisallowAll5xx
	}
	t.Fatalf("case %s: unexpected status %d", c.Name, *code)
	return ""
}

// checkOutcome asserts that r allows or disallows everything but
// /robots.txt, as expected says.
func checkOutcome(t *testing.T, r *Robots, expected string) {
	t.Helper()
	want := expected == "allow-all"
	if !want && expected != "disallow-all" {
		t.Fatalf("unknown expectation %q", expected)
	}
	for _, p := range []string{"/", "/page", "/a/b?c=d"} {
		if got := r.Allowed("trawl", &url.URL{Scheme: "http", Host: "h", Path: p}); got != want {
			t.Errorf("Allowed(%q) = %v, want %v (%s)", p, got, want, expected)
		}
	}
	if !r.AllowedPath("trawl", "/robots.txt") {
		t.Error("/robots.txt must always be allowed")
	}
}

func newClient(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func serve(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// startStatusServers serves one case: the origin answers /robots.txt and the
// redirect chain /hop/1.../hop/n-1, then /final; a second server on another
// port stands in for the other host of cross-host redirects.
func startStatusServers(t *testing.T, c statusCase) (origin *url.URL, requests *atomic.Int32) {
	requests = new(atomic.Int32)
	cdnMux := http.NewServeMux()
	cdn := httptest.NewServer(cdnMux)
	t.Cleanup(cdn.Close)
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)

	final := "/final"
	if c.RedirectTo != "" {
		final = strings.NewReplacer("https://example.com", ts.URL, "https://cdn.example.net", cdn.URL).Replace(c.RedirectTo)
	}
	finalStatus := 0
	if c.FinalStatus != nil {
		finalStatus = *c.FinalStatus
	}
	hop := func(w http.ResponseWriter, i int) {
		if i >= len(c.RedirectChain) {
			http.NotFound(w, nil)
			return
		}
		loc := final
		if i+1 < len(c.RedirectChain) {
			loc = "/hop/" + strconv.Itoa(i+1)
		}
		w.Header().Set("Location", loc)
		w.WriteHeader(c.RedirectChain[i])
	}
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if len(c.RedirectChain) == 0 {
			serve(w, *c.Status, c.Body)
			return
		}
		hop(w, 0)
	})
	mux.HandleFunc("/hop/{i}", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		i, _ := strconv.Atoi(r.PathValue("i"))
		hop(w, i)
	})
	mux.HandleFunc("/final", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		serve(w, finalStatus, c.Body)
	})
	cdnMux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		serve(w, finalStatus, c.Body)
	})
	return mustURL(t, ts.URL), requests
}

// networkFailure sets up one kind of failure without touching anything but
// loopback: it returns the client, origin and context to fetch with, and a
// check that the error is of the expected kind.
func networkFailure(t *testing.T, kind string) (*http.Client, *url.URL, context.Context, func(error) bool) {
	ctx := t.Context()
	switch kind {
	case "connection-refused":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return newClient(t), mustURL(t, "http://"+addr), ctx, func(err error) bool {
			var op *net.OpError
			return errors.As(err, &op) && op.Op == "dial"
		}
	case "dns-failure":
		// The dialer fails the way the resolver would; no query is sent.
		tr := &http.Transport{DialContext: func(_ context.Context, _, addr string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(addr)
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}}
		return &http.Client{Transport: tr}, mustURL(t, "http://robots-test.invalid"), ctx, func(err error) bool {
			var dns *net.DNSError
			return errors.As(err, &dns) && dns.IsNotFound
		}
	case "timeout":
		release := make(chan struct{})
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		t.Cleanup(ts.Close)
		t.Cleanup(func() { close(release) }) // runs first: unblock, then close
		ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		t.Cleanup(cancel)
		return newClient(t), mustURL(t, ts.URL), ctx, func(err error) bool {
			return errors.Is(err, context.DeadlineExceeded)
		}
	case "tls-handshake-failure":
		ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			serve(w, http.StatusOK, "User-agent: *\nAllow: /\n")
		}))
		ts.Config.ErrorLog = log.New(io.Discard, "", 0) // it logs the failed handshake
		ts.StartTLS()
		t.Cleanup(ts.Close)
		// A client that does not trust the test certificate.
		return newClient(t), mustURL(t, ts.URL), ctx, func(err error) bool {
			var cv *tls.CertificateVerificationError
			return errors.As(err, &cv)
		}
	}
	t.Fatalf("unknown network error kind %q", kind)
	return nil, nil, nil, nil
}

func TestRobotsHTTPStatusConformance(t *testing.T) {
	cases := loadJSON[statusCase](t, "robots-http-status.json")
	if len(cases) != 28 {
		t.Fatalf("loaded %d cases, want 28", len(cases))
	}
	passed := 0
	for _, c := range cases {
		ok := t.Run(c.Name, func(t *testing.T) {
			want := c.wantStatus(t)
			if c.NetworkError != "" {
				client, origin, ctx, isKind := networkFailure(t, c.NetworkError)
				r, st, err := FetchRobots(ctx, client, origin, "trawl/1.0")
				if st != want {
					t.Errorf("status = %q, want %q", st, want)
				}
				if err == nil {
					t.Fatal("want an error")
				}
				if !isKind(err) {
					t.Errorf("error %v (%T) is not a %s", err, errors.Unwrap(err), c.NetworkError)
				}
				if !strings.Contains(err.Error(), origin.Host) {
					t.Errorf("error %q does not name the URL", err)
				}
				checkOutcome(t, r, c.Expected)
				return
			}
			origin, requests := startStatusServers(t, c)
			r, st, err := FetchRobots(t.Context(), newClient(t), origin, "trawl/1.0")
			if err != nil {
				t.Fatalf("FetchRobots: %v", err)
			}
			if st != want {
				t.Errorf("status = %q, want %q", st, want)
			}
			if n := requests.Load(); n > MaxRobotsRedirects+1 {
				t.Errorf("%d requests, want at most %d", n, MaxRobotsRedirects+1)
			}
			checkOutcome(t, r, c.Expected)

			// Without the network: the same decision from status and body.
			if len(c.RedirectChain) == 0 {
				r, st := RobotsFromResponse(*c.Status, []byte(c.Body))
				if st != want {
					t.Errorf("RobotsFromResponse status = %q, want %q", st, want)
				}
				checkOutcome(t, r, c.Expected)
			}
		})
		if ok {
			passed++
		}
	}
	t.Logf("robots.txt HTTP status conformance: %d/%d passed", passed, len(cases))
}

func TestRobotsFromResponseOtherStatuses(t *testing.T) {
	for _, code := range []int{0, 100, 199, 300, 304, 399, 600, 999, -1} {
		r, st := RobotsFromResponse(code, []byte("User-agent: *\nAllow: /\n"))
		if st != RobotsDisallowAllStatus {
			t.Errorf("status %d: %q, want %q", code, st, RobotsDisallowAllStatus)
		}
		checkOutcome(t, r, "disallow-all")
	}
	for code, want := range map[int]RobotsStatus{200: RobotsOK, 299: RobotsOK, 400: RobotsAllowAll4xx, 499: RobotsAllowAll4xx, 500: RobotsDisallowAll5xx, 599: RobotsDisallowAll5xx} {
		if _, st := RobotsFromResponse(code, nil); st != want {
			t.Errorf("status %d: %q, want %q", code, st, want)
		}
	}
}

func TestFetchRobotsRequest(t *testing.T) {
	var gotUA, gotAccept, gotPath string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUA, gotAccept, gotPath = r.UserAgent(), r.Header.Get("Accept"), r.URL.RequestURI()
		serve(w, http.StatusOK, "User-agent: trawl\nDisallow: /private\nCrawl-delay: 2\nSitemap: "+"http://x/s.xml\n")
	}))
	t.Cleanup(ts.Close)
	// Only scheme and host of origin count.
	origin := mustURL(t, ts.URL+"/some/page?q=1#frag")
	r, st, err := FetchRobots(t.Context(), newClient(t), origin, "trawl/1.0 (+https://example.org/bot)")
	if err != nil || st != RobotsOK {
		t.Fatalf("FetchRobots = %q, %v", st, err)
	}
	if gotPath != "/robots.txt" {
		t.Errorf("requested %q, want /robots.txt", gotPath)
	}
	if gotUA != "trawl/1.0 (+https://example.org/bot)" {
		t.Errorf("User-Agent = %q", gotUA)
	}
	if !strings.Contains(gotAccept, "text/plain") {
		t.Errorf("Accept = %q", gotAccept)
	}
	if r.AllowedPath("trawl", "/private/x") || !r.AllowedPath("trawl", "/public") {
		t.Error("rules not applied")
	}
	if d, ok := r.CrawlDelay("trawl"); !ok || d != 2*time.Second {
		t.Errorf("CrawlDelay = %v, %v", d, ok)
	}
	if s := r.Sitemaps(); len(s) != 1 || s[0] != "http://x/s.xml" {
		t.Errorf("Sitemaps = %q", s)
	}
	// A nil client means http.DefaultClient (loopback is never proxied).
	if _, st, err := FetchRobots(t.Context(), nil, origin, ""); err != nil || st != RobotsOK {
		t.Errorf("nil client: %q, %v", st, err)
	}
}

func TestFetchRobotsLeavesClientAlone(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/robots.txt", http.RedirectHandler("/elsewhere.txt", http.StatusMovedPermanently))
	mux.HandleFunc("/elsewhere.txt", func(w http.ResponseWriter, r *http.Request) {
		serve(w, http.StatusOK, "User-agent: *\nDisallow: /\n")
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)

	var calls atomic.Int32
	client := newClient(t)
	client.CheckRedirect = func(*http.Request, []*http.Request) error {
		calls.Add(1)
		return errors.New("caller's policy")
	}
	_, st, err := FetchRobots(t.Context(), client, mustURL(t, ts.URL), "trawl")
	if err != nil || st != RobotsOK {
		t.Fatalf("FetchRobots = %q, %v", st, err)
	}
	if calls.Load() != 0 {
		t.Error("the caller's CheckRedirect was used")
	}
	if client.CheckRedirect == nil {
		t.Error("the caller's CheckRedirect was replaced")
	}
	plain := newClient(t)
	if _, _, err := FetchRobots(t.Context(), plain, mustURL(t, ts.URL), "trawl"); err != nil {
		t.Fatal(err)
	}
	if plain.CheckRedirect != nil {
		t.Error("the caller's client was modified")
	}
}

func TestFetchRobotsRedirectEdges(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serve(w, http.StatusOK, "User-agent: *\nDisallow: /from-other\n")
	}))
	t.Cleanup(other.Close)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    RobotsStatus
		check   func(*Robots) bool
	}{
		{"relative location", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/robots.txt" {
				w.Header().Set("Location", "sub/r.txt")
				w.WriteHeader(http.StatusFound)
				return
			}
			if r.URL.Path != "/sub/r.txt" {
				http.NotFound(w, r)
				return
			}
			serve(w, http.StatusOK, "User-agent: *\nDisallow: /x\n")
		}, RobotsOK, func(r *Robots) bool { return !r.AllowedPath("trawl", "/x") }},
		{"303 see other to another port", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/robots.txt", http.StatusSeeOther)
		}, RobotsOK, func(r *Robots) bool { return !r.AllowedPath("trawl", "/from-other") }},
		{"redirect without location", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusFound)
		}, RobotsDisallowAllStatus, func(r *Robots) bool { return !r.AllowedPath("trawl", "/") }},
		{"redirect to ftp", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "ftp://127.0.0.1/robots.txt")
			w.WriteHeader(http.StatusMovedPermanently)
		}, RobotsDisallowAllStatus, func(r *Robots) bool { return !r.AllowedPath("trawl", "/") }},
		{"304 not modified", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNotModified)
		}, RobotsDisallowAllStatus, func(r *Robots) bool { return !r.AllowedPath("trawl", "/") }},
		{"loop over two URLs", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/robots.txt" {
				http.Redirect(w, r, "/b", http.StatusTemporaryRedirect)
				return
			}
			http.Redirect(w, r, "/robots.txt", http.StatusPermanentRedirect)
		}, RobotsRedirectLoop, func(r *Robots) bool { return r.AllowedPath("trawl", "/") }},
		{"redirect body ignored", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/robots.txt" {
				w.Header().Set("Location", "/gone")
				w.WriteHeader(http.StatusMovedPermanently)
				_, _ = w.Write([]byte("User-agent: *\nDisallow: /\n"))
				return
			}
			http.NotFound(w, r)
		}, RobotsAllowAll4xx, func(r *Robots) bool { return r.AllowedPath("trawl", "/") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(tt.handler)
			t.Cleanup(ts.Close)
			r, st, err := FetchRobots(t.Context(), newClient(t), mustURL(t, ts.URL), "trawl")
			if err != nil {
				t.Fatal(err)
			}
			if st != tt.want {
				t.Errorf("status = %q, want %q", st, tt.want)
			}
			if !tt.check(r) {
				t.Error("wrong rules")
			}
		})
	}
}

func TestFetchRobotsFailures(t *testing.T) {
	t.Run("hijack and close", func(t *testing.T) {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}))
		t.Cleanup(ts.Close)
		r, st, err := FetchRobots(t.Context(), newClient(t), mustURL(t, ts.URL), "trawl")
		if err == nil || st != RobotsDisallowAllError {
			t.Fatalf("got %q, %v; want an error", st, err)
		}
		checkOutcome(t, r, "disallow-all")
	})
	t.Run("body cut short", func(t *testing.T) {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("User-agent: *\nAllow: /\n"))
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // drops the connection mid-body
		}))
		t.Cleanup(ts.Close)
		r, st, err := FetchRobots(t.Context(), newClient(t), mustURL(t, ts.URL), "trawl")
		if err == nil || st != RobotsDisallowAllError {
			t.Fatalf("got %q, %v; want an error", st, err)
		}
		if !strings.Contains(err.Error(), "/robots.txt") {
			t.Errorf("error %q does not name the URL", err)
		}
		checkOutcome(t, r, "disallow-all")
	})
	t.Run("canceled context", func(t *testing.T) {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			serve(w, http.StatusOK, "")
		}))
		t.Cleanup(ts.Close)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, st, err := FetchRobots(ctx, newClient(t), mustURL(t, ts.URL), "trawl")
		if !errors.Is(err, context.Canceled) || st != RobotsDisallowAllError {
			t.Fatalf("got %q, %v; want context.Canceled", st, err)
		}
	})
	t.Run("invalid origin", func(t *testing.T) {
		for _, o := range []*url.URL{nil, {Scheme: "ftp", Host: "127.0.0.1"}, {Scheme: "http"}, {Path: "/x"}} {
			r, st, err := FetchRobots(t.Context(), newClient(t), o, "trawl")
			if err == nil || st != RobotsDisallowAllError {
				t.Errorf("origin %v: got %q, %v; want an error", o, st, err)
			}
			checkOutcome(t, r, "disallow-all")
		}
	})
}

func TestFetchRobotsBodyLimit(t *testing.T) {
	// An endless body: FetchRobots must stop reading at the limit and use
	// what came before it.
	var written atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		n, _ := w.Write([]byte("User-agent: *\nDisallow: /early\n"))
		written.Add(int64(n))
		chunk := []byte(strings.Repeat("# filler filler filler filler filler\n", 1000))
		for {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil || r.Context().Err() != nil {
				return
			}
		}
	}))
	t.Cleanup(ts.Close)
	r, st, err := FetchRobots(t.Context(), newClient(t), mustURL(t, ts.URL), "trawl")
	if err != nil || st != RobotsOK {
		t.Fatalf("FetchRobots = %q, %v", st, err)
	}
	if r.AllowedPath("trawl", "/early") {
		t.Error("rule at the start of a huge body was lost")
	}

	// A body just over the limit: the rule past it is ignored.
	body := "User-agent: *\nDisallow: /a\n" + strings.Repeat("#\n", MaxRobotsSize/2) + "Disallow: /b\n"
	ts2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serve(w, http.StatusOK, body)
	}))
	t.Cleanup(ts2.Close)
	r, st, err = FetchRobots(t.Context(), newClient(t), mustURL(t, ts2.URL), "trawl")
	if err != nil || st != RobotsOK {
		t.Fatalf("FetchRobots = %q, %v", st, err)
	}
	if r.AllowedPath("trawl", "/a") || !r.AllowedPath("trawl", "/b") {
		t.Error("size limit not applied as documented")
	}
}

func ExampleFetchRobots() {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\nCrawl-delay: 1.5\n")
	}))
	defer ts.Close()
	origin, _ := url.Parse(ts.URL)

	robots, status, err := FetchRobots(context.Background(), ts.Client(), origin, "trawl")
	if err != nil {
		fmt.Println("error:", err)
	}
	page, _ := url.Parse(ts.URL + "/private/report.html")
	delay, _ := robots.CrawlDelay("trawl")
	fmt.Println(status, robots.Allowed("trawl", page), delay)
	// Output: ok false 1.5s
}
