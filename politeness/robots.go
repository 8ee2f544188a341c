package politeness

import (
	"bytes"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxRobotsSize is the number of bytes of a robots.txt that are parsed.
// RFC 9309 §2.5 requires a parsing limit of at least 500 KiB; 512 KiB keeps
// us above it while bounding memory and CPU per host. Content beyond the
// limit is ignored, and so is a line cut in two by it, because half a rule
// can mean something quite different from the whole one (a truncated Allow
// allows more).
const MaxRobotsSize = 512 << 10

// maxCrawlDelay bounds Crawl-delay values so that absurd numbers cannot
// overflow time.Duration; the scheduler applies its own, lower, cap.
const maxCrawlDelay = 24 * time.Hour

// robotsPath is the one URI that is always allowed (RFC 9309 §2.2.2): a
// crawler has to read it to know the rules.
const robotsPath = "/robots.txt"

// Robots holds the parsed rules of one robots.txt. It is immutable once
// built, so one value can be shared by every worker crawling a host without
// locking. Patterns are normalised and ordered at parse time, so a check costs
// one pass over the URL plus a scan of the selected group's rules.
//
// The zero value and a nil *Robots allow everything, like an empty file.
type Robots struct {
	groups   map[string]*ruleGroup // lower-case product token → merged group
	star     *ruleGroup            // merged "*" groups, nil if none
	sitemaps []string
	source   []byte // the body parsed, as ParseRobots read it
}

// ruleGroup is the merged set of rules for one product token.
type ruleGroup struct {
	rules      []rule // most specific first; allow before disallow on ties
	crawlDelay time.Duration
	hasDelay   bool
}

// rule is one compiled allow or disallow line.
type rule struct {
	allow bool
	// specificity is the length in octets of the normalised pattern,
	// including '*' and a final '$' (RFC 9309 §2.2.2 "most octets").
	// Normalised, so that equivalent patterns tie and allow wins.
	specificity int
	prefix      []byte   // literal before the first '*'
	segs        [][]byte // literals after each '*'; nil without a wildcard
	anchored    bool     // pattern ended in '$'
	minLen      int      // shortest target that can match: the literals' total
}

// match reports whether the normalised path+query p matches the rule.
// With only '*' wildcards, placing each literal at its leftmost occurrence
// is optimal, so no backtracking is needed.
func (r *rule) match(p []byte) bool {
	if len(p) < r.minLen || !bytes.HasPrefix(p, r.prefix) {
		return false
	}
	if r.segs == nil {
		return !r.anchored || len(p) == len(r.prefix)
	}
	s := p[len(r.prefix):]
	last := len(r.segs) - 1
	for _, seg := range r.segs[:last] {
		i := bytes.Index(s, seg)
		if i < 0 {
			return false
		}
		s = s[i+len(seg):]
	}
	if r.anchored {
		return bytes.HasSuffix(s, r.segs[last])
	}
	return bytes.Contains(s, r.segs[last])
}

// allowed applies longest-match precedence: rules are sorted most specific
// first with allow ahead of disallow at equal specificity, so the first
// matching rule decides. No match means allowed.
func (g *ruleGroup) allowed(p []byte) bool {
	for i := range g.rules {
		if g.rules[i].match(p) {
			return g.rules[i].allow
		}
	}
	return true
}

// AllowAll returns rules that allow every URL, as for an empty or missing
// (4xx) robots.txt (RFC 9309 §2.3.1.3).
func AllowAll() *Robots { return &Robots{} }

// DisallowAll returns rules that disallow every URL except /robots.txt, as
// RFC 9309 §2.3.1.4 requires while robots.txt is unreachable (5xx, network
// errors).
func DisallowAll() *Robots {
	return &Robots{star: &ruleGroup{rules: []rule{{specificity: 1, prefix: []byte("/")}}}}
}

// Allowed reports whether the crawler whose product token is agent (for
// example "trawl") may fetch u. The group is chosen by case-insensitive exact
// match of the product token, falling back to the "*" group; a version suffix
// such as "trawl/1.2" is ignored. The path and query of u are matched (the
// fragment never reaches a server), after percent-encoding normalisation of
// both sides, so that "/%7Ea", "/~a" and "/%7ea" are one URL while "%2F"
// stays distinct from "/". Of the matching rules the most specific (longest
// normalised pattern) decides and allow wins ties; '*' matches any run of
// octets and a final '$' anchors the end (RFC 9309 §2.2.2, §2.2.3). No
// match, and /robots.txt itself, are allowed. A nil u is the root path.
func (r *Robots) Allowed(agent string, u *url.URL) bool {
	g := r.group(agent)
	if g == nil || len(g.rules) == 0 {
		return true
	}
	var buf [256]byte
	return g.allowedNormalized(appendURLTarget(buf[:0], u))
}

// AllowedPath is Allowed for callers that hold a request target such as
// "/a/b?c=d" rather than a *url.URL. A fragment is dropped and a missing
// leading '/' is supplied; the string is otherwise taken as it would appear
// on the wire (percent-encoded or raw UTF-8 both work).
func (r *Robots) AllowedPath(agent, pathAndQuery string) bool {
	g := r.group(agent)
	if g == nil || len(g.rules) == 0 {
		return true
	}
	if i := strings.IndexByte(pathAndQuery, '#'); i >= 0 {
		pathAndQuery = pathAndQuery[:i]
	}
	var buf [256]byte
	b := buf[:0]
	if !strings.HasPrefix(pathAndQuery, "/") {
		b = append(b, '/')
	}
	return g.allowedNormalized(appendNormalized(b, pathAndQuery, modeURL))
}

func (g *ruleGroup) allowedNormalized(p []byte) bool {
	if string(p) == robotsPath {
		return true
	}
	return g.allowed(p)
}

// CrawlDelay returns the Crawl-delay of the group selected for agent, and
// whether it had one. Crawl-delay is not part of RFC 9309 but is widely used
// to ask for spacing between requests; fractional seconds are accepted. When
// merged groups give several values, the largest wins: asking to be gentler
// is never wrong. Values are capped at 24h.
func (r *Robots) CrawlDelay(agent string) (time.Duration, bool) {
	g := r.group(agent)
	if g == nil || !g.hasDelay {
		return 0, false
	}
	return g.crawlDelay, true
}

// Sitemaps returns the URLs of every Sitemap line, in file order without
// duplicates. Sitemap records are global (RFC 9309 §2.2.4): they count
// wherever they appear, inside a group or not. The slice is a copy.
func (r *Robots) Sitemaps() []string {
	if r == nil {
		return nil
	}
	return slices.Clone(r.sitemaps)
}

// group selects the merged group for agent, or nil when no group applies.
func (r *Robots) group(agent string) *ruleGroup {
	if r == nil {
		return nil
	}
	tok := agentToken(agent)
	if tok != "" && tok != "*" && len(r.groups) > 0 {
		var buf [64]byte
		key := buf[:0]
		for i := 0; i < len(tok); i++ {
			key = append(key, lowerASCII(tok[i]))
		}
		if g, ok := r.groups[string(key)]; ok { // no allocation for the lookup
			return g
		}
	}
	return r.star
}

// agentToken returns the product token at the start of a user-agent value:
// everything up to the first whitespace or '/', so "FooBot/2.1 (+url)" names
// FooBot. Characters outside the RFC's identifier set are kept rather than
// cut off, so that "Bötchen" can never be mistaken for a bot named "B".
func agentToken(v string) string {
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case ' ', '\t', '\v', '\f', '/':
			return v[:i]
		}
	}
	return v
}

// ParseRobots parses a robots.txt body. It never fails: unparseable lines are
// skipped (RFC 9309 §2.3.1.5 asks crawlers to use what they can parse), so an
// empty body, an HTML page or binary garbage yields rules that allow
// everything. It accepts a UTF-8 BOM, LF, CRLF and lone CR line ends, '#'
// comments anywhere, whitespace around the colon, case-insensitive record
// names and lines of any length. A line without a colon is not a record and
// is ignored, as the RFC's grammar says (Google's parser guesses instead).
// Only the first MaxRobotsSize bytes are read.
func ParseRobots(body []byte) *Robots {
	if len(body) > MaxRobotsSize {
		body = body[:MaxRobotsSize]
		// Drop the line the limit cut in two.
		if i := bytes.LastIndexAny(body, "\r\n"); i >= 0 {
			body = body[:i+1]
		} else {
			body = nil
		}
	}
	source := body
	body = bytes.TrimPrefix(body, []byte("\xEF\xBB\xBF"))

	var p parser
	for len(body) > 0 {
		line := body
		if i := bytes.IndexAny(body, "\r\n"); i >= 0 {
			// CRLF yields an extra empty line, which is harmless: empty
			// lines never end a group.
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		p.line(line)
	}
	r := p.build()
	r.source = source
	return r
}

// Source returns the robots.txt body the rules were parsed from (cut at
// MaxRobotsSize), nil for AllowAll and DisallowAll, so that a caller can store
// it and parse it again later instead of asking the host again.
func (r *Robots) Source() []byte { return r.source }

// parser accumulates groups in file order; build merges them per agent.
type parser struct {
	groups   []*rawGroup
	cur      *rawGroup // nil before the first user-agent line
	sitemaps []string
	seen     map[string]bool // sitemap dedup
}

type rawGroup struct {
	agents     []string // lower-case tokens; "*" for the catch-all
	rules      []rule
	hasRules   bool // an allow/disallow line was seen (even an empty one)
	crawlDelay time.Duration
	hasDelay   bool
	built      *ruleGroup
}

// Record names. Besides the RFC spelling, a few common misspellings of
// user-agent and disallow are accepted, as major crawlers do: honouring a
// misspelt Disallow is the polite reading of the author's intent.
func recordKind(key []byte) string {
	switch {
	case equalFoldASCII(key, "user-agent"), equalFoldASCII(key, "useragent"), equalFoldASCII(key, "user agent"):
		return "user-agent"
	case equalFoldASCII(key, "allow"):
		return "allow"
	case equalFoldASCII(key, "disallow"), equalFoldASCII(key, "dissallow"), equalFoldASCII(key, "dissalow"),
		equalFoldASCII(key, "disalow"), equalFoldASCII(key, "diasllow"), equalFoldASCII(key, "disallaw"):
		return "disallow"
	case equalFoldASCII(key, "crawl-delay"):
		return "crawl-delay"
	case equalFoldASCII(key, "sitemap"), equalFoldASCII(key, "site-map"):
		return "sitemap"
	}
	return ""
}

func (p *parser) line(line []byte) {
	if i := bytes.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return // empty, comment-only, or not a record
	}
	key := trimSpace(line[:colon])
	val := trimSpace(line[colon+1:])

	switch kind := recordKind(key); kind {
	case "user-agent":
		// A user-agent line after rules starts a new group; consecutive
		// user-agent lines (blank lines and other records between them
		// allowed) share one group (RFC 9309 §2.1, §2.2).
		if p.cur == nil || p.cur.hasRules {
			p.cur = &rawGroup{}
			p.groups = append(p.groups, p.cur)
		}
		tok := agentToken(string(val))
		if tok != "*" && strings.HasPrefix(tok, "*") {
			tok = "" // "*foo" is neither the catch-all nor a product token
		}
		if tok != "" {
			p.cur.agents = append(p.cur.agents, lowerASCIIString(tok))
		}
	case "allow", "disallow":
		if p.cur == nil {
			return // rules outside any group are ignored (§2.2.2)
		}
		p.cur.hasRules = true
		if r, ok := compileRule(string(val), kind == "allow"); ok {
			p.cur.rules = append(p.cur.rules, r)
		}
	case "crawl-delay":
		if p.cur == nil {
			return
		}
		if d, ok := parseCrawlDelay(val); ok && (!p.cur.hasDelay || d > p.cur.crawlDelay) {
			p.cur.crawlDelay, p.cur.hasDelay = d, true
		}
	case "sitemap":
		if len(val) == 0 {
			return
		}
		s := string(val)
		if p.seen == nil {
			p.seen = make(map[string]bool)
		}
		if !p.seen[s] {
			p.seen[s] = true
			p.sitemaps = append(p.sitemaps, s)
		}
	}
}

// build merges the groups of each product token (RFC 9309 §2.2.1: groups
// for the same agent MUST be combined; "*" groups are merged the same way)
// and sorts every merged rule list once.
func (p *parser) build() *Robots {
	r := &Robots{sitemaps: p.sitemaps}
	byAgent := make(map[string][]*rawGroup)
	for _, g := range p.groups {
		for _, a := range g.agents {
			gs := byAgent[a]
			if len(gs) > 0 && gs[len(gs)-1] == g {
				continue // the same token twice in one group
			}
			byAgent[a] = append(gs, g)
		}
	}
	for agent, gs := range byAgent {
		var rg *ruleGroup
		if len(gs) == 1 {
			rg = gs[0].finish()
		} else {
			n := 0
			for _, g := range gs {
				n += len(g.rules)
			}
			rg = &ruleGroup{rules: make([]rule, 0, n)}
			for _, g := range gs {
				rg.rules = append(rg.rules, g.rules...)
				if g.hasDelay && (!rg.hasDelay || g.crawlDelay > rg.crawlDelay) {
					rg.crawlDelay, rg.hasDelay = g.crawlDelay, true
				}
			}
			sortRules(rg.rules)
		}
		if agent == "*" {
			r.star = rg
			continue
		}
		if r.groups == nil {
			r.groups = make(map[string]*ruleGroup, len(byAgent))
		}
		r.groups[agent] = rg
	}
	return r
}

// finish builds a group's ruleGroup once, so agents that share a group
// share its sorted rules.
func (g *rawGroup) finish() *ruleGroup {
	if g.built == nil {
		g.built = &ruleGroup{rules: g.rules, crawlDelay: g.crawlDelay, hasDelay: g.hasDelay}
		sortRules(g.built.rules)
	}
	return g.built
}

// sortRules orders rules so that the first match is the winner: most
// specific first, and allow before disallow when equally specific (RFC 9309
// §2.2.2 SHOULD).
func sortRules(rs []rule) {
	// Not a stable sort: rules that tie on both keys decide alike.
	slices.SortFunc(rs, func(a, b rule) int {
		if a.specificity != b.specificity {
			return b.specificity - a.specificity
		}
		switch {
		case a.allow == b.allow:
			return 0
		case a.allow:
			return -1
		default:
			return 1
		}
	})
}

// compileRule normalises a path pattern. Empty patterns match nothing
// (RFC 9309 §2.2.2), and patterns that start with neither '/' nor '*' can
// never match a path, so neither becomes a rule.
func compileRule(pattern string, allow bool) (rule, bool) {
	if pattern == "" || (pattern[0] != '/' && pattern[0] != '*') {
		return rule{}, false
	}
	r := rule{allow: allow}
	if strings.HasSuffix(pattern, "$") {
		r.anchored = true
		pattern = pattern[:len(pattern)-1]
	}
	norm := appendNormalized(nil, pattern, modePattern)
	r.specificity = len(norm)
	if r.anchored {
		r.specificity++
	}
	parts := bytes.Split(norm, []byte("*"))
	r.prefix = parts[0]
	if len(parts) > 1 {
		// Runs of '*' match like one; keep the final part even when empty,
		// it carries the anchor check.
		last := len(parts) - 1
		for _, s := range parts[1:last] {
			if len(s) > 0 {
				r.segs = append(r.segs, s)
			}
		}
		r.segs = append(r.segs, parts[last])
	}
	r.minLen = len(norm) - (len(parts) - 1) // every octet but the '*'s
	return r, true
}

// parseCrawlDelay accepts non-negative decimal seconds such as "10", "0.5"
// or "2." and rejects anything else ("soon", "1e3", "-1", "0x10").
func parseCrawlDelay(v []byte) (time.Duration, bool) {
	digits, dots := 0, 0
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return 0, false
		}
	}
	if digits == 0 || dots > 1 {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false // cannot happen after the check above; be safe
	}
	if f >= maxCrawlDelay.Seconds() {
		return maxCrawlDelay, true
	}
	return time.Duration(f * float64(time.Second)), true
}

// Normalisation modes for appendNormalized.
const (
	// modeURL: a request target as sent (percent-encoded, possibly with raw
	// UTF-8). '*' and '$' are data, encoded as %2A and %24 so that rules
	// can name them literally (RFC 9309 §2.2.3).
	modeURL = iota
	// modePattern: a rule path. '*' stays the wildcard; '$' (the final
	// anchor is already stripped) becomes %24.
	modePattern
)

// appendNormalized appends s to dst in the one canonical form both sides of
// a match use (RFC 9309 §2.2.2, RFC 3986 §6.2.2): %XX of an unreserved
// character is decoded, other %XX get upper-case hex, raw octets that may not
// appear in a URI (non-ASCII, controls, space, "<>\^`{|} and '"') are
// encoded, a '%' not followed by two hex digits becomes %25. Reserved
// characters are left alone in either form, so %2F stays distinct from '/'.
func appendNormalized(dst []byte, s string, mode int) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); {
		// Copy runs of octets that stay as they are in one append.
		j := i
		for j < len(s) && !inSet(s[j], specialLo, specialHi) {
			j++
		}
		dst = append(dst, s[i:j]...)
		if j == len(s) {
			break
		}
		c := s[j]
		i = j + 1
		switch {
		case c == '%':
			if i+1 < len(s) && isHex(s[i]) && isHex(s[i+1]) {
				v := unhex(s[i])<<4 | unhex(s[i+1])
				i += 2
				if isUnreserved(v) {
					dst = append(dst, v)
				} else {
					dst = append(dst, '%', hex[v>>4], hex[v&15])
				}
				continue
			}
			dst = append(dst, "%25"...)
		case c == '*' && mode == modePattern:
			dst = append(dst, c)
		default: // must be escaped, or '*' or '$' as data
			dst = append(dst, '%', hex[c>>4], hex[c&15])
		}
	}
	return dst
}

// Octet classes as 128-bit sets (bit c of lo for c < 64, bit c-64 of hi
// for c < 128); every octet >= 0x80 is in every set.
const (
	// escapeLo/Hi: octets that may not appear raw in a URI: controls,
	// space, `"<>\^`{|}` and DEL.
	escapeLo uint64 = 1<<('!') - 1 | 1<<'"' | 1<<'<' | 1<<'>'
	escapeHi uint64 = 1<<('\\'-64) | 1<<('^'-64) | 1<<('`'-64) | 1<<('{'-64) | 1<<('|'-64) | 1<<('}'-64) | 1<<(0x7F-64)
	// specialLo/Hi: octets appendNormalized cannot copy as they are.
	specialLo = escapeLo | 1<<'%' | 1<<'*' | 1<<'$'
	specialHi = escapeHi
)

func inSet(c byte, lo, hi uint64) bool {
	switch {
	case c < 64:
		return lo&(1<<c) != 0
	case c < 128:
		return hi&(1<<(c-64)) != 0
	}
	return true
}

// appendURLTarget appends the normalised path and query of u, recovering the
// path as it was written: url.Parse leaves RawPath empty exactly when the
// original equals EscapedPath, and otherwise keeps it in RawPath. RawPath is
// used whenever it is consistent with Path, even where EscapedPath would
// distrust it (raw UTF-8, '|'), because EscapedPath then re-escapes the whole
// path, sub-delimiters such as '!' and '(' included, which would no longer
// match rules that write them raw. A URL built by hand with only Path set is
// therefore read as EscapedPath encodes it ('!' as %21).
func appendURLTarget(dst []byte, u *url.URL) []byte {
	if u == nil {
		return append(dst, '/')
	}
	var path string
	switch {
	case u.Opaque != "":
		path = u.Opaque
	case u.RawPath != "" && pathUnescapes(u.RawPath, u.Path):
		path = u.RawPath
	default:
		path = u.EscapedPath()
	}
	if !strings.HasPrefix(path, "/") {
		dst = append(dst, '/') // an empty path is the root (RFC 3986 §6.2.3)
	}
	dst = appendNormalized(dst, path, modeURL)
	if u.ForceQuery || u.RawQuery != "" {
		dst = append(dst, '?')
		dst = appendNormalized(dst, u.RawQuery, modeURL)
	}
	return dst
}

func pathUnescapes(raw, path string) bool {
	p, err := url.PathUnescape(raw)
	return err == nil && p == path
}

// isUnreserved reports RFC 3986 §2.3 unreserved characters.
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\v' || c == '\f' }

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func lowerASCIIString(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lowerASCII(b[j])
			}
			return string(b)
		}
	}
	return s
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFoldASCII compares without Unicode folding, so that look-alikes such
// as U+017F (ſ) do not pass for record names.
func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lowerASCII(b[i]) != s[i] {
			return false
		}
	}
	return true
}
