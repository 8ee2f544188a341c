package urlkey

import (
	"net/netip"
	"net/url"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// HostKey returns "scheme://host:port" for u with the port always written, e.g.
// "https://example.com:443" or "http://[::1]:8080". It is the unit of politeness:
// one queue, one delay and one concurrency limit per key. The scheme takes part
// because http and https to one name are separate connections, often to separate
// servers. Scheme and host are lower-cased so that a URL that skipped Canonical
// still lands in the right queue; a scheme other than http or https with no
// explicit port gets no port.
func HostKey(u *url.URL) string {
	return hostKey(strings.ToLower(u.Scheme), strings.ToLower(u.Host), u.Port() != "")
}

// hostKey is HostKey of a lower-case scheme and host; hasPort says whether
// host ends in a port.
func hostKey(scheme, host string, hasPort bool) string {
	if hasPort {
		return scheme + "://" + host
	}
	host = strings.TrimSuffix(host, ":") // "example.com:" has an empty port
	switch scheme {
	case "http":
		return scheme + "://" + host + ":80"
	case "https":
		return scheme + "://" + host + ":443"
	}
	return scheme + "://" + host
}

// RegistrableDomain returns the registrable domain of host (the public suffix plus
// one label: "www.example.co.uk" gives "example.co.uk"), which is what a "domain"
// scope is drawn around. The public suffix list includes its private section, so
// "alice.github.io" is its own domain and does not share one with "bob.github.io".
//
// host is a host name without port; it is lower-cased and a trailing dot removed.
// IP addresses (bracketed or not), "localhost", public suffixes themselves and
// names the list cannot split (single labels) return that normalised host.
func RegistrableDomain(host string) string {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "" || h == "localhost" || h[0] == '[' {
		return h
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return h
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(h)
	if err != nil {
		return h
	}
	return d
}
