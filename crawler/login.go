package crawler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trawl-crawler/trawl/crawler/urlkey"
	"github.com/trawl-crawler/trawl/extract"
	"github.com/trawl-crawler/trawl/store/record"
)

// Login is the login step, written in a config file only: before the
// crawl, trawl fetches the page at URL, fills the form Form selects (the
// first form with a password input when empty) with Fields over the
// form's own values (hidden inputs such as CSRF tokens are kept), submits
// it as the form says (method and action) and checks Success. The crawl
// then runs with the session's cookies, in the cookie jar. When the
// session expires mid-crawl (see loginStep.expired), it logs in again, at
// most Relogins times in one invocation.
type Login struct {
	URL  string `json:"url"`
	Form string `json:"form,omitempty"`
	// Fields are the values to fill in, by the controls' names: env:VAR,
	// file:PATH or the value itself, which (like every Secret) is never
	// stored, only where it came from.
	Fields  map[string]Secret `json:"fields"`
	Success LoginSuccess      `json:"success"`
	// Relogins is how many times an expired session is logged into again
	// in one invocation; nil means DefaultRelogins.
	Relogins *int `json:"relogins,omitempty"`
	// Logout is a regular expression over a link's path and query: links
	// it matches are not followed (reason logout), since fetching one ends
	// the session. Empty means DefaultLogout.
	Logout string `json:"logout,omitempty"`
}

// DefaultLogout matches the usual logout links, a whole path segment or
// query value: /logout, /log-out, /user/logoff, /signout.php,
// ?action=logout, /auth/sign_out; not an article's slug such as
// /how-to-log-out-of-gmail.
const DefaultLogout = `(?i)(^|/)(log|sign)[-_]?(out|off)(\.[a-z]+)?/?(\?|$)|[?&=](log|sign)[-_]?(out|off)(&|$)`

// logoutPattern is Logout, compiled.
func (l *Login) logoutPattern() (*regexp.Regexp, error) {
	re, err := regexp.Compile(cmp.Or(l.Logout, DefaultLogout))
	if err != nil {
		return nil, fmt.Errorf("login: logout %q: %w", l.Logout, err)
	}
	return re, nil
}

// LoginSuccess is how a login is known to have worked; every condition
// given must hold, and at least one must be given.
type LoginSuccess struct {
	// Cookie is a cookie the submit's responses (the redirects after it
	// included) must set.
	Cookie string `json:"cookie,omitempty"`
	// Selector must match, and Absent must not match, an element of the
	// page the submit ends on (after its redirects).
	Selector string `json:"selector,omitempty"`
	Absent   string `json:"absent,omitempty"`
}

// DefaultRelogins is Login.Relogins when it is not given.
const DefaultRelogins = 3

// viaLogin is urls.via of a URL first recorded by the login step, and
// ReasonLogin its urls.reason: the login page and the form's action are
// fetched by the login step only, never as pages of the crawl.
const (
	viaLogin    = "login"
	ReasonLogin = "login"
)

// relogins is the bound on logins after the first.
func (l *Login) relogins() int {
	if l.Relogins == nil {
		return DefaultRelogins
	}
	return *l.Relogins
}

// validateLogin checks the login block without the environment.
func (c *Config) validateLogin() error {
	l := c.Login
	if l == nil {
		return nil
	}
	u, err := url.Parse(l.URL)
	switch {
	case l.URL == "":
		return errors.New("login: url: the login page's URL is missing")
	case err != nil:
		return fmt.Errorf("login: url %q: %w", l.URL, err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return fmt.Errorf("login: url %q: want an absolute http:// or https:// URL", l.URL)
	case len(l.Fields) == 0:
		return errors.New("login: fields: name the form's fields to fill in (e.g. user: env:SITE_USER)")
	case l.Success == LoginSuccess{}:
		return errors.New("login: success: give a cookie the login sets, or a selector present (selector) or absent (absent) after it")
	case l.Relogins != nil && *l.Relogins < 0:
		return fmt.Errorf("login: relogins %d: want zero or more", *l.Relogins)
	}
	for key, sel := range map[string]string{"form": l.Form, "success.selector": l.Success.Selector, "success.absent": l.Success.Absent} {
		if sel == "" {
			continue
		}
		if err := extract.CheckSelector(sel); err != nil {
			return fmt.Errorf("login: %s: bad CSS selector %q: %v", key, sel, err)
		}
	}
	for name := range l.Fields {
		if strings.TrimSpace(name) == "" {
			return errors.New("login: fields: a field without a name")
		}
	}
	_, err = l.logoutPattern()
	return err
}

// LoginError is a login that did not work: Condition names what failed.
type LoginError struct {
	URL       string // the login page
	Condition string
	Err       error
}

func (e *LoginError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("login at %s failed: %s: %v", e.URL, e.Condition, e.Err)
	}
	return fmt.Sprintf("login at %s failed: %s", e.URL, e.Condition)
}

// Unwrap returns the cause, if any.
func (e *LoginError) Unwrap() error { return e.Err }

// loginStep logs in, before the crawl and again when the session expires.
type loginStep struct {
	spec   *Login
	values map[string]string
	page   *url.URL // canonical login page
	canon  urlkey.Canon
	client *http.Client // set by Run: the crawl's transport and jar
	log    *slog.Logger
	max    int // body bytes read
	logout *regexp.Regexp

	// action is the form's action at the last login, read by every
	// fetcher that meets a redirect (so not under mu, which a login holds).
	action atomic.Pointer[url.URL]

	// gate is held shared by every page fetch and alone by a login in
	// the crawl, so that no page fetched meanwhile spends the new session:
	// a site that ends a session after a few requests (or on a second
	// use of its first token) saw fetchers take them between the login's
	// submit and its check, and the login fail.
	gate sync.RWMutex

	mu     sync.Mutex
	at     time.Time // when the last login succeeded
	logins int       // in this invocation
	warned bool      // that relogins ran out
	failed bool      // a login again failed: the run is stopping
}

// newLoginStep reads the login's field values.
func newLoginStep(cfg *Config, canon urlkey.Canon) (*loginStep, error) {
	l := cfg.Login
	if l == nil {
		return nil, nil
	}
	page, err := canon.Canonical(l.URL)
	if err != nil {
		return nil, fmt.Errorf("login: url %q: %w", l.URL, err)
	}
	s := &loginStep{spec: l, values: map[string]string{}, page: page, canon: canon, log: logger(nil), max: int(cfg.MaxBody)}
	if s.logout, err = l.logoutPattern(); err != nil {
		return nil, err
	}
	for name, sec := range l.Fields {
		if sec.From == SecretInline && !sec.Inline() {
			return nil, fmt.Errorf("login: fields: %s: this crawl was started with the value written in the config file, and login values are never stored; "+
				"give --config again, or write it as env:VAR or file:PATH so that a resume can read it", name)
		}
		v, err := sec.resolve("login.fields." + name)
		if err != nil {
			return nil, err
		}
		s.values[name] = v
	}
	return s, nil
}

// isLogout reports whether following u would log out.
func (s *loginStep) isLogout(u *url.URL) bool {
	return s.logout.MatchString(u.EscapedPath() + "?" + u.RawQuery)
}

// exchange is one response of the login's requests.
type exchange struct {
	url    *url.URL
	at     time.Time
	took   time.Duration
	status int
	header http.Header
	proto  string
	proxy  string
	err    error
}

// capture records the exchanges of the login's requests.
type capture struct {
	next http.RoundTripper
	mu   sync.Mutex
	ex   []exchange
}

func (c *capture) RoundTrip(req *http.Request) (*http.Response, error) {
	at := time.Now()
	resp, err := c.next.RoundTrip(req)
	e := exchange{url: req.URL, at: at, took: time.Since(at), err: err}
	if resp != nil {
		e.status, e.proto = resp.StatusCode, takeProto(resp.Header)
		e.proxy = resp.Header.Get(hiddenProxy)
		resp.Header.Del(hiddenProxy)
		e.header = resp.Header.Clone()
	}
	c.mu.Lock()
	c.ex = append(c.ex, e)
	c.mu.Unlock()
	return resp, err
}

// take returns the exchanges since the last take.
func (c *capture) take() []exchange {
	c.mu.Lock()
	defer c.mu.Unlock()
	ex := c.ex
	c.ex = nil
	return ex
}

// login runs the login once, as login number l.logins+1, and returns its
// fetches to record. l.mu is held.
func (l *loginStep) login(ctx context.Context, why string) ([]record.Outcome, error) {
	l.logins++
	n := l.logins
	cp := &capture{next: l.client.Transport}
	client := *l.client
	client.Transport = cp
	fail := func(cond string, err error) error {
		return &LoginError{URL: l.page.String(), Condition: cond, Err: err}
	}
	var outs []record.Outcome
	keep := func(ex []exchange, failure string) {
		if len(ex) > 0 {
			outs = append(outs, l.outcome(ex, n, failure))
		}
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.page.String(), nil)
	if err != nil {
		return nil, fail("the login page's URL", err)
	}
	body, final, status, err := l.do(&client, req)
	if err != nil {
		keep(cp.take(), "login page unreachable")
		return outs, fail("the login page could not be fetched", err)
	}
	if status != http.StatusOK {
		keep(cp.take(), "login page answered "+http.StatusText(status))
		return outs, fail(fmt.Sprintf("the login page answered %d %s", status, http.StatusText(status)), nil)
	}
	doc, err := extract.Parse(body, "", final)
	var form *extract.Form
	if err == nil {
		form, err = doc.FindForm(l.spec.Form)
	}
	if err != nil {
		keep(cp.take(), "no login form")
		return outs, fail("finding the form", err)
	}
	for name, v := range l.values {
		if !form.Names[name] {
			names := make([]string, 0, len(form.Names))
			for k := range form.Names {
				names = append(names, k)
			}
			slices.Sort(names)
			keep(cp.take(), "no field "+name)
			return outs, fail(fmt.Sprintf("the form has no field %q (its fields: %s)", name, strings.Join(names, ", ")), nil)
		}
		form.Values.Set(name, v)
	}
	keep(cp.take(), "")
	l.action.Store(l.canonical(form.Action))

	var submit *http.Request
	if form.Method == http.MethodPost {
		submit, err = http.NewRequestWithContext(ctx, http.MethodPost, form.Action.String(), strings.NewReader(form.Values.Encode()))
		if err == nil {
			submit.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			submit.Header.Set("Origin", (&url.URL{Scheme: final.Scheme, Host: final.Host}).String())
		}
	} else {
		a := *form.Action
		a.RawQuery = form.Values.Encode()
		submit, err = http.NewRequestWithContext(ctx, http.MethodGet, a.String(), nil)
	}
	if err != nil {
		return outs, fail("the form's action", err)
	}
	submit.Header.Set("Referer", final.String())
	body, final, status, err = l.do(&client, submit)
	ex := cp.take()
	if err != nil {
		keep(ex, "submit failed")
		return outs, fail("submitting the form", err)
	}
	if cond := l.check(ex, body, final, status); cond != "" {
		keep(ex, cond)
		return outs, fail("success condition not met: "+cond, nil)
	}
	keep(ex, "")
	l.at = time.Now()
	l.log.Info("logged in", "url", l.page.String(), "login", n, "why", why)
	return outs, nil
}

// do sends req, following redirects, and reads the final body.
func (l *loginStep) do(client *http.Client, req *http.Request) ([]byte, *url.URL, int, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(l.max)))
	if err != nil {
		return nil, nil, 0, err
	}
	return body, resp.Request.URL, resp.StatusCode, nil
}

// check returns the success condition the submit's exchanges and final
// page fail, or "".
func (l *loginStep) check(ex []exchange, body []byte, final *url.URL, status int) string {
	s := l.spec.Success
	if s.Cookie != "" {
		set := false
		for _, e := range ex {
			for _, c := range receivedCookies(e.url.String(), e.header, e.at) {
				if c.Name == s.Cookie && c.Value != "" && (c.Expires.IsZero() || c.Expires.After(e.at)) {
					set = true
				}
			}
		}
		if !set {
			return fmt.Sprintf("no cookie %q was set (the submit ended at %s with status %d)", s.Cookie, final, status)
		}
	}
	if s.Selector == "" && s.Absent == "" {
		return ""
	}
	doc, err := extract.Parse(body, "", final)
	if err != nil {
		return err.Error()
	}
	if s.Selector != "" {
		if ok, _ := doc.Has(s.Selector); !ok {
			return fmt.Sprintf("no element matches %q on the page after submitting (%s, status %d)", s.Selector, final, status)
		}
	}
	if s.Absent != "" {
		if ok, _ := doc.Has(s.Absent); ok {
			return fmt.Sprintf("an element matches %q on the page after submitting (%s, status %d)", s.Absent, final, status)
		}
	}
	return ""
}

// outcome records a request of login n (its first exchange; the redirects
// it led to are the login's business, and their cookies are kept with it)
// as a fetch of its URL with reason login. failure, when not empty, is the
// fetch's error (class login).
func (l *loginStep) outcome(ex []exchange, n int, failure string) record.Outcome {
	first := ex[0]
	u := l.canonical(first.url)
	key := urlkey.HostKey(u)
	o := record.Outcome{Job: record.Job{ID: record.URLID(u.String()), URL: u.String(), Host: key, Via: viaLogin, Tries: n - 1},
		State: record.StateDone, Reason: ReasonLogin, NotPage: true,
		Discovered: []record.NewURL{{URL: u.String(), Host: key, Via: viaLogin, Revisit: true}}}
	f := &record.Fetch{At: first.at, Duration: first.took, Status: first.status, Proto: first.proto, Proxy: first.proxy}
	if first.err != nil {
		f.ErrorClass, f.Error = fetchClass(first.err), first.err.Error()
	}
	if first.header != nil {
		f.ContentType = first.header.Get("Content-Type")
		if loc := first.header.Get("Location"); loc != "" && first.status >= 300 && first.status < 400 {
			if t, err := l.canon.Resolve(u, loc); err == nil {
				f.RedirectTo = t.String()
			}
		}
	}
	if failure != "" {
		f.ErrorClass, f.Error = ReasonLogin, "login failed: "+failure
	}
	o.Fetch = f
	for _, e := range ex {
		if e.header != nil {
			o.Cookies = append(o.Cookies, receivedCookies(e.url.String(), e.header, e.at)...)
		}
	}
	return o
}

// canonical is u canonicalised, or u itself.
func (l *loginStep) canonical(u *url.URL) *url.URL {
	if c, err := l.canon.Canonical(u.String()); err == nil {
		return c
	}
	return u
}

// expired reports whether a page's response says that the session has
// expired: a redirect to the login page or to the form's action (scheme,
// host and path compared; the query, such as ?next=/page, ignored), or a
// 401 or 403 from the login page's origin (scheme, host and port).
func (l *loginStep) expired(o record.Outcome) bool {
	f := o.Fetch
	if f == nil || f.Status == 0 {
		return false
	}
	switch {
	case f.Status >= 300 && f.Status < 400 && f.RedirectTo != "":
		t, err := url.Parse(f.RedirectTo)
		if err != nil {
			return false
		}
		action := l.action.Load()
		return samePage(t, l.page) || action != nil && samePage(t, action)
	case f.Status == http.StatusUnauthorized || f.Status == http.StatusForbidden:
		u, err := url.Parse(o.Job.URL)
		return err == nil && urlkey.HostKey(u) == urlkey.HostKey(l.page)
	}
	return false
}

// samePage compares scheme, host and path.
func samePage(a, b *url.URL) bool {
	return a.Scheme == b.Scheme && strings.EqualFold(a.Host, b.Host) && a.EscapedPath() == b.EscapedPath()
}

// afterFetch looks at a page's outcome for an expired session. If it is
// one, it logs in again (unless a login since the request was sent did,
// or the relogins are spent) and queues the URL again; it returns the
// outcome to record and the login's fetches. A failed login is the error.
func (l *loginStep) afterFetch(ctx context.Context, o record.Outcome) (record.Outcome, []record.Outcome, error) {
	if !l.expired(o) {
		return o, nil, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	why := fmt.Sprintf("session expired: %s answered %d", o.Job.URL, o.Fetch.Status)
	if l.at.After(o.Fetch.At) {
		return requeued(o, "session expired; logged in again since the request: queued again"), nil, nil
	}
	if l.failed {
		// One failed login stops the run; the same credentials would fail
		// again.
		return requeued(o, "session expired; logging in again failed: queued again"), nil, nil
	}
	if l.logins-1 >= l.spec.relogins() {
		if !l.warned {
			l.warned = true
			l.log.Warn("session expired, and the logins for this invocation are spent (login: relogins); later pages are recorded as answered",
				"url", o.Job.URL, "logins", l.logins)
		}
		return o, nil, nil
	}
	l.gate.Lock()
	outs, err := l.login(ctx, why)
	l.gate.Unlock()
	if err != nil {
		l.failed = true
		return requeued(o, "session expired; logging in again failed: queued again"), outs, err
	}
	return requeued(o, "session expired; logged in again: queued again"), outs, nil
}

// requeued is o as a retried attempt, with note as its fetch's error.
func requeued(o record.Outcome, note string) record.Outcome {
	o.State, o.Reason = record.StateQueued, ""
	o.Discovered, o.Links, o.Items = nil, nil, nil
	f := *o.Fetch
	f.Error = note
	o.Fetch = &f
	return o
}

// firstLogin logs in before the crawl, through the crawl's transport rt
// and cookie jar, and records the login's fetches.
func (c *Crawler) firstLogin(ctx context.Context, rt http.RoundTripper) error {
	l := c.login
	l.log = c.log
	l.client = &http.Client{Transport: rt, Jar: c.req.jar, Timeout: time.Duration(c.cfg.Timeout)}
	l.mu.Lock()
	outs, err := l.login(ctx, "before the crawl")
	l.mu.Unlock()
	if len(outs) > 0 {
		if _, cerr := c.st.Commit(ctx, c.runID, record.Batch{Outcomes: outs, Cutoff: c.cfg.RefreshCutoff}); cerr != nil && err == nil {
			err = cerr
		}
	}
	return err
}
