package politeness

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ParseRetryAfter interprets a Retry-After header value (RFC 9110 §10.2.3)
// received at now: either delay-seconds ("120") or an HTTP-date in any of the
// three formats HTTP allows. It reports false for an empty or unparseable
// value, so the caller falls back to its own backoff rather than trusting
// garbage.
//
// A date in the past, or a negative number of seconds (not valid HTTP, but
// seen in the wild and harmless to read), gives 0: the server has nothing
// against retrying now. Values too large for a time.Duration saturate at
// its maximum; capping the wait is the scheduler's business, not the
// parser's.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if digits := strings.TrimPrefix(v, "-"); digits != "" && isDigits(digits) {
		if digits != v {
			return 0, true // negative
		}
		n, err := strconv.ParseUint(digits, 10, 64)
		if err != nil || n > math.MaxInt64/uint64(time.Second) {
			return time.Duration(math.MaxInt64), true // only ErrRange is possible
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now) // saturates instead of overflowing
	if d < 0 {
		d = 0
	}
	return d, true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
