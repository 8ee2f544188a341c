package urlkey

import (
	"errors"
	"strconv"
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

// Error formats the message, quoting at most the first 200 bytes of the URL.
func (e *Error) Error() string {
	u := e.URL
	if len(u) > maxErrorURL {
		u = u[:maxErrorURL] + "..."
	}
	s := "urlkey: " + strconv.Quote(u) + ": " + e.Err.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the sentinel, so errors.Is(err, ErrScheme) and friends work.
func (e *Error) Unwrap() error { return e.Err }

func fail(raw string, sentinel error, detail string) error {
	return &Error{URL: raw, Err: sentinel, Detail: detail}
}
