package politeness

import (
	"math"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"120", 2 * time.Minute, true},
		{"  30 ", 30 * time.Second, true},
		{"007", 7 * time.Second, true},
		{"-5", 0, true},
		{"99999999999999999999", time.Duration(math.MaxInt64), true},
		{"9223372036", 9223372036 * time.Second, true},
		{"9223372037", time.Duration(math.MaxInt64), true},
		{"Sun, 01 Mar 2026 12:02:00 GMT", 2 * time.Minute, true},   // IMF-fixdate
		{"Sunday, 01-Mar-26 12:00:30 GMT", 30 * time.Second, true}, // RFC 850
		{"Sun Mar  1 12:00:10 2026", 10 * time.Second, true},       // asctime
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0, true},                 // past
		{"Sun, 01 Mar 2026 12:00:00 GMT", 0, true},                 // now
		{"Fri, 31 Dec 9999 23:59:59 GMT", time.Duration(math.MaxInt64), true},
		{"", 0, false},
		{"   ", 0, false},
		{"-", 0, false},
		{"+5", 0, false},
		{"1.5", 0, false},
		{"1e3", 0, false},
		{"5 seconds", 0, false},
		{"soon", 0, false},
		{"0x10", 0, false},
		{"--5", 0, false},
		{"2026-03-01T12:02:00Z", 0, false}, // not an HTTP-date
	}
	for _, tt := range tests {
		got, ok := ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
