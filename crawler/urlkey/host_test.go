package urlkey

import (
	"net/url"
	"testing"
)

func TestHostKey(t *testing.T) {
	cases := []struct{ in, want string }{
		{"https://example.com/a", "https://example.com:443"},
		{"http://example.com/a", "http://example.com:80"},
		{"http://example.com:8080/a", "http://example.com:8080"},
		{"https://example.com:80/", "https://example.com:80"},
		{"HTTP://Example.COM/", "http://example.com:80"},
		{"http://example.com:/", "http://example.com:80"},
		{"http://[::1]/", "http://[::1]:80"},
		{"https://[::1]:8443/", "https://[::1]:8443"},
		{"http://user:pw@example.com/", "http://example.com:80"},
		{"ftp://example.com/", "ftp://example.com"},
	}
	for _, tc := range cases {
		u, err := url.Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := HostKey(u); got != tc.want {
			t.Errorf("HostKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRegistrableDomain(t *testing.T) {
	cases := []struct{ in, want string }{
		{"example.com", "example.com"},
		{"www.example.com", "example.com"},
		{"a.b.c.example.com", "example.com"},
		{"www.example.co.uk", "example.co.uk"},
		{"WWW.Example.COM", "example.com"},
		{"www.example.com.", "example.com"},
		{"alice.github.io", "alice.github.io"}, // private section of the list
		{"www.xn--bcher-kva.de", "xn--bcher-kva.de"},
		{"127.0.0.1", "127.0.0.1"},
		{"::1", "::1"},
		{"[::1]", "[::1]"},
		{"localhost", "localhost"},
		{"LOCALHOST", "localhost"},
		{"co.uk", "co.uk"},       // a public suffix: no registrable domain
		{"intranet", "intranet"}, // a single label
		{"", ""},
	}
	for _, tc := range cases {
		if got := RegistrableDomain(tc.in); got != tc.want {
			t.Errorf("RegistrableDomain(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func BenchmarkHostKey(b *testing.B) {
	u, _ := Canon{}.Canonical("https://example.com/docs/a")
	b.ReportAllocs()
	for b.Loop() {
		HostKey(u)
	}
}

func BenchmarkRegistrableDomain(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		RegistrableDomain("docs.example.co.uk")
	}
}
