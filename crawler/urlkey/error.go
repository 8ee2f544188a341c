package urlkey

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors carried by [Error]; callers test for them with errors.Is. Links
// to other schemes (mailto:, javascript:, data:) are common and expected, so a
// crawler will usually skip ErrScheme silently and log the others.
var (
	// ErrScheme means the URL has no scheme or one other than http and https.
	ErrScheme = errors.New("not an http or https URL")
	// ErrHost means the host is missing or is not a valid name or IP literal.
	ErrHost = errors.New("invalid host")
	// ErrPort means the port is not a decimal number in 1..65535.
	ErrPort = errors.New("invalid port")
	// ErrSyntax means the URL Standard's parser finds no URL in the input for
	// a reason other than scheme, host or port.
	ErrSyntax = errors.New("malformed URL")
)

// maxErrorURL caps how much of the input an error message quotes: data: URIs and
// junk hrefs can be megabytes long, and a log line should not be.
const maxErrorURL = 200

// Error reports why a URL could not be canonicalised. It is a struct rather than a
// fmt.Errorf chain because rejected links are frequent on the hot path and the
// message is only built if someone asks for it.
type Error struct {
	URL    string // the input as given (possibly relative or untrimmed)
	Err    error  // one of ErrScheme, ErrHost, ErrPort, ErrSyntax
	Detail string // what exactly is wrong, for people; may be empty
}

// Error formats the message for people, quoting at most the first 200 bytes
// of the URL: the URL, what is wrong with it and, for a URL that only lacks
// its scheme, the URL it probably meant.
func (e *Error) Error() string {
	return strconv.Quote(clip(e.URL)) + ": " + e.Reason()
}

// Reason is the message without the URL, for callers that name the URL
// themselves.
func (e *Error) Reason() string {
	s := e.Err.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if sug := e.Suggestion(); sug != "" {
		s += " (did you mean " + clip(sug) + "?)"
	}
	return s
}

// Suggestion returns the canonical https URL that a URL written without its
// scheme ("example.com", "example.com:8080/a", "//example.com/") probably
// meant, or "" when there is no such guess.
func (e *Error) Suggestion() string {
	if !errors.Is(e.Err, ErrScheme) {
		return ""
	}
	s := trimSpace(e.URL)
	if s == "" || len(s) > maxErrorURL || strings.Contains(s, "://") {
		return ""
	}
	var candidate string
	switch n := schemeLen(s); {
	case n > 0 && !isPort(s[n+1:]):
		return "" // a real scheme (mailto:, data:), not a host and port
	case strings.HasPrefix(s, "//"):
		candidate = "https:" + s
	case s[0] == '/' || s[0] == '?' || s[0] == '#' || s[0] == '.':
		return "" // a relative reference
	default:
		candidate = "https://" + s
	}
	u, err := Canon{}.String(candidate)
	if err != nil {
		return ""
	}
	return u
}

// isPort reports whether s starts with a port number: digits up to the end
// or a '/', '?' or '#'.
func isPort(s string) bool {
	end := strings.IndexAny(s, "/?#")
	if end < 0 {
		end = len(s)
	}
	if end == 0 {
		return false
	}
	for i := 0; i < end; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// clip cuts u to maxErrorURL bytes.
func clip(u string) string {
	if len(u) > maxErrorURL {
		return u[:maxErrorURL] + "..."
	}
	return u
}

// Unwrap returns the sentinel, so errors.Is(err, ErrScheme) and friends work.
func (e *Error) Unwrap() error { return e.Err }

func fail(raw string, sentinel error, detail string) error {
	return &Error{URL: raw, Err: sentinel, Detail: detail}
}

// badScheme describes what is wrong with the scheme of s, whose text before
// "://" (if any) is not a valid scheme, or returns "missing scheme".
func badScheme(s string) string {
	i := strings.Index(s, "://")
	if i <= 0 || strings.ContainsAny(s[:i], "/?#") {
		return "missing scheme"
	}
	scheme := s[:i]
	if c := scheme[0]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
		return "scheme " + strconv.Quote(scheme) + " does not start with a letter"
	}
	for _, r := range scheme {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '+' || r == '-' || r == '.') {
			return "invalid character " + strconv.QuoteRune(r) + " in scheme " + strconv.Quote(scheme)
		}
	}
	return "missing scheme"
}
