package crawler

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/trawl-crawler/trawl/politeness"
)

// Error classes recorded in fetches.error_class and urls.reason. They are part
// of the database's documented vocabulary: change them only with a migration.
const (
	ClassDNS          = "dns"
	ClassConnect      = "connect"
	ClassTimeout      = "timeout"
	ClassTLS          = "tls"
	ClassReset        = "reset"
	ClassProtocol     = "protocol"
	ClassTooLarge     = "too-large"
	ClassHTTP4xx      = "http-4xx"
	ClassHTTP5xx      = "http-5xx"
	ClassHTTP429      = "http-429"
	ClassRobotsDenied = "robots-denied"
	ClassOutOfScope   = "out-of-scope"
	ClassMaxDepth     = "max-depth"
	ClassHostCap      = "max-pages-per-host"
	ClassBadURL       = "bad-url"
	ClassParse        = "parse"
	ClassParked       = "host-parked"
	ClassOther        = "other"
	// ClassDeferred: the URL asked (Retry-After) for a longer pause than
	// --max-retry-after; urls.retry_at says when a later run may ask again.
	ClassDeferred = "deferred"
	// ClassTrap: a link that a crawler trap (calendar, session ids, an ever
	// deeper path, endless query permutations) would have led on to.
	ClassTrap = "trap"
	// ClassScheme: a link or redirect to a scheme trawl does not fetch
	// (file:, ftp:, javascript:, mailto:, ...).
	ClassScheme = "unsupported-scheme"
	// ClassTooLong: a URL longer than maxURLLength.
	ClassTooLong = "too-long"
	// ClassTooManyRedirects: a redirect target reached after maxRedirects
	// hops.
	ClassTooManyRedirects = "too-many-redirects"
	// ClassSitemapsOff: a sitemap file that an earlier invocation queued,
	// not read because this one was given --sitemaps=false.
	ClassSitemapsOff = "sitemaps-off"
	// ClassLogout: a link to the site's logout (login.logout), not followed
	// while the login step keeps a session: it would end it.
	ClassLogout = "logout"
)

// failure is what a failed attempt of a class means for its URL and its
// host.
type failure struct {
	// scope says whom the failure speaks for: a refused connection or a
	// failed lookup is its host's; a server error, a rate limit, a reset, a
	// timeout or broken HTTP may be the one URL's.
	scope politeness.Scope
	// retried: the run tries the URL again, up to --retries. A timeout is
	// not: it cost a fetcher (and a slot of its host) up to --timeout, and a
	// page that stalled or dripped that long once mostly does again; the
	// next run asks again.
	retried bool
}

// failureOf is the one list of the failures that may pass, so that another
// attempt may succeed: the scheduler backs off the URL (and its host, by
// scope) for them, and retries those it says. Every other class is an
// answer (a 404, a certificate, a body too large, a URL that cannot be
// parsed) that says nothing against the host and that no retry within the
// run changes; a failed URL of any class is asked again by the next run.
func failureOf(class string) (failure, bool) {
	switch class {
	case ClassConnect:
		return failure{scope: politeness.ScopeHost, retried: true}, true
	case ClassDNS:
		// Retried only when the resolver says the failure is temporary (see
		// Retryable): a name that does not exist will not exist in a second.
		return failure{scope: politeness.ScopeHost, retried: true}, true
	case ClassReset, ClassProtocol, ClassHTTP5xx, ClassHTTP429:
		return failure{scope: politeness.ScopeURL, retried: true}, true
	case ClassTimeout:
		return failure{scope: politeness.ScopeURL}, true
	}
	return failure{}, false
}

// RetrySkipReasons returns the skip reasons that may not hold in a later run (the
// host may have recovered, robots.txt may have changed, a cap applies per
// run, a deferred URL's pause ends, --sitemaps is an invocation's), so a refresh run queues those URLs
// again (a deferred URL whose pause has not ended is recorded as deferred
// again without a request). Out of scope and too deep
// are decided again only when a URL is rediscovered; a queue given up by
// --fresh stays given up.
func RetrySkipReasons() []string {
	return []string{ClassRobotsDenied, ClassParked, ClassHostCap, ClassDeferred, ClassSitemapsOff}
}

// errNoResponse means colly returned neither a response nor an error, which
// would otherwise lose the outcome silently.
var errNoResponse = errors.New("no response from fetcher")

// FetchError is a failed fetch, classified.
type FetchError struct {
	URL    string
	Status int    // HTTP status when there was a response
	Class  string // one of the Class constants
	Err    error
}

func (e *FetchError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("fetch %s: HTTP %d (%s)", e.URL, e.Status, e.Class)
	}
	return fmt.Sprintf("fetch %s: %s: %v", e.URL, e.Class, e.Err)
}

// Unwrap returns the underlying error.
func (e *FetchError) Unwrap() error { return e.Err }

// Scope says whom the failure speaks for (see failureOf): its host, perhaps
// only its URL, or nobody (an answer such as a 404 says the host is well).
func (e *FetchError) Scope() politeness.Scope {
	f, _ := failureOf(e.Class)
	return f.scope
}

// Retryable reports whether the run tries the URL again (see failureOf):
// refused or reset connections, broken HTTP, server errors, rate limiting
// and temporary DNS failures are retried; timeouts, names that do not
// resolve, TLS errors and client errors are not.
func (e *FetchError) Retryable() bool {
	f, _ := failureOf(e.Class)
	if !f.retried {
		return false
	}
	if e.Class == ClassDNS {
		var dnsErr *net.DNSError
		return errors.As(e.Err, &dnsErr) && dnsErr.IsTemporary
	}
	return true
}

// statusClass returns the error class of an HTTP status, empty for success and
// redirects.
func statusClass(status int) string {
	switch {
	case status == 429:
		return ClassHTTP429
	case status >= 500:
		return ClassHTTP5xx
	case status >= 400:
		return ClassHTTP4xx
	}
	return ""
}

// classify maps a transport error to its class.
func classify(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	var urlErr *url.Error
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout {
			return ClassTimeout
		}
		return ClassDNS
	case errors.As(err, &certErr), errors.As(err, &recErr), errors.As(err, &unknownAuth),
		errors.As(err, &hostErr), errors.As(err, &invalidErr):
		return ClassTLS
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT),
		errors.As(err, &netErr) && netErr.Timeout():
		return ClassTimeout
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED),
		closedIdle(err):
		return ClassReset
	case errors.As(err, &opErr) && opErr.Op == "dial",
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return ClassConnect
	case strings.Contains(err.Error(), "failed to parse Location"):
		// net/http could not parse a redirect's target: the page's own
		// fault, and no retry will change it.
		return ClassBadURL
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), isProtocolError(err):
		return ClassProtocol
	case errors.As(err, &urlErr) && urlErr.Op == "parse":
		return ClassBadURL
	}
	return ClassOther
}

// protocolMessages are the parts of net/http's messages for responses that
// break HTTP/1.1 (its errors for these are untyped strings).
var protocolMessages = []string{
	"malformed HTTP",                // status line, version
	"malformed MIME header",         // a header line
	"multiple Content-Length",       // conflicting lengths
	"bad Content-Length",            // an unparseable length
	"transport connection broken",   // any of these on a kept-alive connection
	"unsupported transfer encoding", // Transfer-Encoding other than chunked
	"too many transfer encodings",
	"malformed chunked encoding", // broken chunk framing
	"invalid byte in chunk length",
}

// isProtocolError reports whether err is net/http rejecting a response that
// is not valid HTTP.
func isProtocolError(err error) bool {
	msg := err.Error()
	for _, m := range protocolMessages {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}
