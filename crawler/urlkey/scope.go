package urlkey

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
)

// Scope modes accepted by NewScope.
const (
	ScopeHost   = "host"   // same host name and port as a seed, either scheme
	ScopeDomain = "domain" // same registrable domain as a seed
	ScopeAny    = "any"    // every http(s) URL; only allow/deny narrow it
)

// Scope decides which URLs belong to a crawl. It is immutable once built, so it is
// safe for concurrent use by any number of workers.
//
// A URL is in scope when, in order:
//  1. it is a seed (seeds are always in scope, whatever the patterns say, so a
//     crawl never starts by rejecting what it was asked to fetch); else
//  2. its scheme is http or https; and
//  3. it passes the mode: "host" compares host name and port with the seeds',
//     ignoring the scheme so that an http seed keeps its https pages (default ports
//     are dropped first, so http://h/ and https://h/ match); "domain" compares
//     RegistrableDomain of the host names; "any" passes everything; and
//  4. it matches no deny pattern; and
//  5. it matches an allow pattern, if any are given.
//
// Patterns are Go regular expressions matched (unanchored) against the whole URL
// string. URLs, seeds included, should be canonical (see Canon): comparisons are on
// their String forms and hosts.
type Scope struct {
	mode    string
	hosts   map[string]struct{} // host mode: host[:port], default port dropped
	domains map[string]struct{} // domain mode
	seeds   map[string]struct{} // seed URL strings
	allow   []*regexp.Regexp
	deny    []*regexp.Regexp
}

// NewScope builds a Scope. mode is ScopeHost, ScopeDomain or ScopeAny; host and
// domain modes need at least one seed. allow and deny are regular expressions; an
// unknown mode or a pattern that does not compile is an error naming it.
func NewScope(mode string, seeds []*url.URL, allow, deny []string) (*Scope, error) {
	s := &Scope{mode: mode, seeds: make(map[string]struct{}, len(seeds))}
	switch mode {
	case ScopeHost:
		s.hosts = make(map[string]struct{}, len(seeds))
	case ScopeDomain:
		s.domains = make(map[string]struct{}, len(seeds))
	case ScopeAny:
	default:
		return nil, fmt.Errorf("unknown scope %q (want %s, %s or %s)", mode, ScopeHost, ScopeDomain, ScopeAny)
	}
	for _, u := range seeds {
		if u == nil {
			return nil, errors.New("urlkey: nil seed URL")
		}
		s.seeds[u.String()] = struct{}{}
		switch mode {
		case ScopeHost:
			s.hosts[scopeHost(u)] = struct{}{}
		case ScopeDomain:
			s.domains[RegistrableDomain(u.Hostname())] = struct{}{}
		}
	}
	if mode != ScopeAny && len(seeds) == 0 {
		return nil, fmt.Errorf("scope %q needs at least one seed", mode)
	}
	var err error
	if s.allow, err = compileAll("allow", allow); err != nil {
		return nil, err
	}
	if s.deny, err = compileAll("deny", deny); err != nil {
		return nil, err
	}
	return s, nil
}

func compileAll(kind string, patterns []string) ([]*regexp.Regexp, error) {
	res := make([]*regexp.Regexp, 0, len(patterns))
	for _, p := range patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, &PatternError{Kind: kind, Pattern: p, Err: err}
		}
		res = append(res, re)
	}
	return res, nil
}

// PatternError reports an allow or deny pattern that is not a valid regular
// expression.
type PatternError struct {
	Kind    string // "allow" or "deny"
	Pattern string // the pattern as given
	Err     error  // from regexp.Compile, usually a *syntax.Error
}

// Error says which pattern is wrong and why, in the words of the regexp
// parser but without its Go-specific framing.
func (e *PatternError) Error() string {
	why := e.Err.Error()
	var se *syntax.Error
	if errors.As(e.Err, &se) {
		why = se.Code.String()
		if se.Expr != "" && se.Expr != e.Pattern {
			why += " at " + strconv.Quote(se.Expr)
		}
	}
	return fmt.Sprintf("%s pattern %q is not a valid regular expression: %s", e.Kind, e.Pattern, why)
}

// Unwrap returns the regexp error.
func (e *PatternError) Unwrap() error { return e.Err }

// InScope reports whether the crawl should fetch u.
func (s *Scope) InScope(u *url.URL) bool {
	v, _ := s.check(u)
	return v == verdictIn
}

// Why returns "" when u is in scope, and otherwise a short reason for logs and the
// store's out-of-scope records: "nil", "scheme", "host", "domain", "deny:<pattern>"
// (the first deny pattern that matched) or "allow" (no allow pattern matched).
func (s *Scope) Why(u *url.URL) string {
	v, i := s.check(u)
	switch v {
	case verdictIn:
		return ""
	case verdictNil:
		return "nil"
	case verdictScheme:
		return "scheme"
	case verdictHost:
		return "host"
	case verdictDomain:
		return "domain"
	case verdictDeny:
		return "deny:" + s.deny[i].String()
	default:
		return "allow"
	}
}

type verdict int

const (
	verdictIn verdict = iota
	verdictNil
	verdictScheme
	verdictHost
	verdictDomain
	verdictDeny
	verdictAllow
)

// check returns the verdict and, for verdictDeny, which pattern matched. The URL
// string is built at most once, and only if a pattern or the seed set needs it.
func (s *Scope) check(u *url.URL) (verdict, int) {
	if u == nil {
		return verdictNil, -1
	}
	str := ""
	isSeed := func() bool {
		if str == "" {
			str = u.String()
		}
		_, ok := s.seeds[str]
		return ok
	}
	out := func(v verdict, i int) (verdict, int) {
		if len(s.seeds) > 0 && isSeed() {
			return verdictIn, -1
		}
		return v, i
	}

	if u.Scheme != "http" && u.Scheme != "https" {
		return out(verdictScheme, -1)
	}
	switch s.mode {
	case ScopeHost:
		if _, ok := s.hosts[scopeHost(u)]; !ok {
			return out(verdictHost, -1)
		}
	case ScopeDomain:
		if _, ok := s.domains[RegistrableDomain(u.Hostname())]; !ok {
			return out(verdictDomain, -1)
		}
	}
	if len(s.deny) == 0 && len(s.allow) == 0 {
		return verdictIn, -1
	}
	if str == "" {
		str = u.String()
	}
	for i, re := range s.deny {
		if re.MatchString(str) {
			return out(verdictDeny, i)
		}
	}
	if len(s.allow) == 0 {
		return verdictIn, -1
	}
	for _, re := range s.allow {
		if re.MatchString(str) {
			return verdictIn, -1
		}
	}
	return out(verdictAllow, -1)
}

// scopeHost is u's host and port as host mode compares them: lower-case, with the
// default port of u's own scheme dropped, so that http://h:80/ and https://h/ both
// give "h" and the scheme stops mattering.
func scopeHost(u *url.URL) string {
	h := strings.ToLower(u.Host)
	switch u.Scheme {
	case "http":
		h = strings.TrimSuffix(h, ":80")
	case "https":
		h = strings.TrimSuffix(h, ":443")
	}
	h = strings.TrimSuffix(h, ":")
	return strings.TrimSuffix(h, ".")
}
