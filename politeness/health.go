package politeness

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Scope says whom a response speaks for.
type Scope int

const (
	// ScopeNone is a response that says the host is well: a success, a
	// redirect, or a definite answer such as 404.
	ScopeNone Scope = iota
	// ScopeURL is a failure that may belong to the one URL: a 5xx, a 429, a
	// reset, a timeout, broken HTTP. One such URL on a host whose other URLs
	// answer is that URL's problem.
	ScopeURL
	// ScopeHost is a failure that cannot belong to one URL: the host refused
	// the connection or could not be resolved.
	ScopeHost
)

// Response is what the health of a host learns from one response.
type Response struct {
	URL        string
	Scope      Scope
	RetryAfter time.Duration // the server's Retry-After, 0 when it sent none
	Tries      int           // failed attempts of this URL before this one
}

// HealthConfig are the rules of Health. The zero value of a field takes the
// default named in its comment.
type HealthConfig struct {
	// RetryBase is the first back-off of a URL (and of an unwell host),
	// doubled per failure.
	RetryBase time.Duration
	// MaxRetryAfter is the longest Retry-After a run waits out; a URL asking
	// for more is put off to a later run. 0 waits any pause.
	MaxRetryAfter time.Duration
	// Step slows the host after a URL's failure: Step, doubled per distinct
	// URL failing since the last success, at most 8·Step. Default RetryBase/8, at most 250ms.
	Step time.Duration
	// UnwellAfter distinct failing URLs (or refused connections), with no
	// success in between, make the host back off as a whole. Default 3.
	UnwellAfter int
	// ParkAfter distinct failing URLs (or refused connections), with no
	// success in between, park the host for the run. Default 8.
	ParkAfter int
}

func (c HealthConfig) step() time.Duration {
	if c.Step > 0 {
		return c.Step
	}
	return min(c.RetryBase/8, 250*time.Millisecond)
}

func (c HealthConfig) unwellAfter() int {
	if c.UnwellAfter > 0 {
		return c.UnwellAfter
	}
	return 3
}

func (c HealthConfig) parkAfter() int {
	if c.ParkAfter > 0 {
		return c.ParkAfter
	}
	return 8
}

// Defers reports whether a URL answering with retryAfter is put off to a later
// run rather than waited for.
func (c HealthConfig) Defers(retryAfter time.Duration) bool {
	return c.MaxRetryAfter > 0 && retryAfter > c.MaxRetryAfter
}

// Verdict is what one response means for its URL and its host.
type Verdict struct {
	// RetryAt is, for a failed URL, the earliest time it may be asked again:
	// its Retry-After, or its own back-off.
	RetryAt time.Time
	// Deferred: the URL's Retry-After is longer than a run waits; it is put
	// off to a later run, not before RetryAt.
	Deferred bool
	// HostNext: the host's next request starts no earlier (zero: no
	// constraint beyond its delay).
	HostNext time.Time
	// Pause is a pause the host as a whole asked for (Retry-After while it
	// is unwell), to keep across runs; zero when none.
	Pause time.Time
	// Park: the host's responses say it is broken; its remaining URLs wait
	// for a later run. Why says what the responses were.
	Park bool
	Why  string
}

// Health is one host's state of health as its responses tell it: a small
// state machine with no clock and no network of its own, driven by Observe.
// It is not safe for concurrent use.
//
// Signals have a scope. A failing URL gets its own retry time and slows the
// host a little; the host backs off as a whole only when several distinct
// URLs fail with no success between them (or a connection is refused), and
// is parked when many do. A long Retry-After puts its URL off to a later run;
// it parks the host only when UnwellAfter distinct URLs ask for one.
type Health struct {
	cfg         HealthConfig
	rng         *rand.Rand
	failing     map[string]struct{} // distinct URLs failed since the last success
	longPauses  int                 // of those, the ones with a Retry-After beyond MaxRetryAfter
	streak      int                 // failed responses in a row
	unreachable int                 // refused connections since the last success
}

// NewHealth returns a healthy host's state. rng supplies the back-off jitter.
func NewHealth(cfg HealthConfig, rng *rand.Rand) *Health {
	return &Health{cfg: cfg, rng: rng, failing: map[string]struct{}{}}
}

// Failures returns the failed responses in a row, for hosts.failures.
func (h *Health) Failures() int { return h.streak }

// Observe takes one response received at now and says what it means.
func (h *Health) Observe(now time.Time, r Response) Verdict {
	if r.Scope == ScopeNone {
		clear(h.failing)
		h.longPauses, h.streak, h.unreachable = 0, 0, 0
		return Verdict{}
	}
	var v Verdict
	h.streak++
	switch {
	case h.cfg.Defers(r.RetryAfter):
		v.RetryAt, v.Deferred = now.Add(r.RetryAfter), true
	case r.RetryAfter > 0:
		v.RetryAt = now.Add(r.RetryAfter)
	default:
		v.RetryAt = now.Add(Backoff(h.cfg.RetryBase, r.Tries+1, h.rng))
	}
	if r.Scope == ScopeHost {
		h.unreachable++
	} else if _, seen := h.failing[r.URL]; !seen && len(h.failing) < h.cfg.parkAfter() {
		h.failing[r.URL] = struct{}{}
		if v.Deferred {
			h.longPauses++
		}
	}
	// Slow down a little whatever the scope: one failing page may be a
	// symptom of load. By distinct URLs, so that one URL's retries do not
	// compound.
	step := h.cfg.step()
	v.HostNext = now.Add(min(step<<min(max(len(h.failing), 1)-1, 3), 8*step))

	evidence := len(h.failing) + h.unreachable
	unwell := evidence >= h.cfg.unwellAfter() || h.unreachable > 0
	if !unwell {
		return v
	}
	level := max(evidence-h.cfg.unwellAfter()+1, 1)
	if t := now.Add(Backoff(h.cfg.RetryBase, level, h.rng)); t.After(v.HostNext) {
		v.HostNext = t
	}
	switch {
	case h.longPauses >= h.cfg.unwellAfter():
		v.Park, v.Pause = true, now.Add(r.RetryAfter)
		v.Why = fmt.Sprintf("%d distinct URLs asked for a pause longer than --max-retry-after %s (the last %s)",
			h.longPauses, h.cfg.MaxRetryAfter, r.RetryAfter.Round(time.Second))
		return v
	case r.RetryAfter > 0 && !v.Deferred:
		// The host is unwell and says how long it needs: all of it waits.
		v.Pause = now.Add(r.RetryAfter)
		if v.Pause.After(v.HostNext) {
			v.HostNext = v.Pause
		}
	}
	if evidence >= h.cfg.parkAfter() {
		v.Park = true
		v.Why = fmt.Sprintf("%d distinct URLs failed and %d connections were refused with no success in between",
			len(h.failing), h.unreachable)
	}
	return v
}
