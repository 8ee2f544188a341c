package politeness

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func newTestHealth() *Health {
	return NewHealth(HealthConfig{RetryBase: 2 * time.Second, MaxRetryAfter: 10 * time.Minute}, rand.New(rand.NewPCG(1, 2)))
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// TestOneFailingURLDoesNotStopTheHost: one URL failing again and again, with
// the host's other URLs answering, retries that URL on its own back-off and
// slows the host by at most 8 steps (4 s), never parks it.
func TestOneFailingURLDoesNotStopTheHost(t *testing.T) {
	h := newTestHealth()
	now := t0
	for i := range 50 {
		v := h.Observe(now, Response{URL: "/500-always", Scope: ScopeURL, Tries: i % 3})
		if v.Park || !v.Pause.IsZero() {
			t.Fatalf("response %d: %+v; one failing URL must not park or pause the host", i, v)
		}
		if gap := v.HostNext.Sub(now); gap > 4*time.Second || gap <= 0 {
			t.Fatalf("response %d: the host waits %s, want a moderate slow-down (0, 4s]", i, gap)
		}
		if v.RetryAt.Sub(now) < time.Second {
			t.Fatalf("response %d: the URL may retry after %s, want its own back-off", i, v.RetryAt.Sub(now))
		}
		h.Observe(now, Response{URL: fmt.Sprintf("/ok/%d", i), Scope: ScopeNone})
		now = now.Add(time.Second)
	}
}

// TestLongRetryAfterDefersTheURLOnly: Retry-After: 3600 on one URL puts that
// URL off to a later run, with the time it may be retried, and does not touch
// the host beyond a slow-down.
func TestLongRetryAfterDefersTheURLOnly(t *testing.T) {
	h := newTestHealth()
	v := h.Observe(t0, Response{URL: "/503", Scope: ScopeURL, RetryAfter: time.Hour})
	if !v.Deferred || !v.RetryAt.Equal(t0.Add(time.Hour)) || v.Park || !v.Pause.IsZero() {
		t.Fatalf("%+v; want the URL deferred until an hour later and no host pause", v)
	}
	if v.HostNext.Sub(t0) > time.Second {
		t.Errorf("the host waits %s", v.HostNext.Sub(t0))
	}
	// A short one is waited for by that URL only.
	v = h.Observe(t0, Response{URL: "/429", Scope: ScopeURL, RetryAfter: 30 * time.Second})
	if v.Deferred || !v.RetryAt.Equal(t0.Add(30*time.Second)) || !v.Pause.IsZero() || v.HostNext.Sub(t0) > 2*time.Second {
		t.Fatalf("%+v; want the URL retried after 30s and the host only slowed", v)
	}
}

// TestManyURLsFailingBackOffThenPark: distinct URLs failing with no success
// in between: the host backs off from the third, with growing pauses, and is
// parked at the eighth; a success in between starts over.
func TestManyURLsFailingBackOffThenPark(t *testing.T) {
	h := newTestHealth()
	var prev time.Duration
	for i := 1; i <= 8; i++ {
		v := h.Observe(t0, Response{URL: fmt.Sprintf("/p%d", i), Scope: ScopeURL})
		pause := v.HostNext.Sub(t0)
		switch {
		case i < 3 && pause > time.Second:
			t.Errorf("URL %d failing: host waits %s, want only a slow-down", i, pause)
		case i >= 3 && pause < time.Second:
			t.Errorf("URL %d failing: host waits %s, want a back-off", i, pause)
		case i > 3 && pause < prev/2:
			t.Errorf("URL %d failing: host waits %s after %s, want growing back-off", i, pause, prev)
		}
		prev = pause
		if v.Park != (i == 8) {
			t.Errorf("URL %d failing: park %v", i, v.Park)
		}
	}
	h = newTestHealth()
	for i := 1; i <= 20; i++ {
		if v := h.Observe(t0, Response{URL: fmt.Sprintf("/p%d", i), Scope: ScopeURL}); v.Park {
			t.Fatalf("parked after %d failing URLs with successes between", i)
		}
		if i%5 == 0 {
			h.Observe(t0, Response{URL: "/fine", Scope: ScopeNone})
		}
	}
	if h.Failures() != 0 {
		t.Errorf("Failures %d after a success", h.Failures())
	}
}

// TestRetriesOfOneURLAreOneWitness: the same URL failing many times counts
// once towards the host's health.
func TestRetriesOfOneURLAreOneWitness(t *testing.T) {
	h := newTestHealth()
	for i := range 30 {
		h.Observe(t0, Response{URL: "/a", Scope: ScopeURL, Tries: i})
		if v := h.Observe(t0, Response{URL: "/b", Scope: ScopeURL, Tries: i}); v.Park || v.HostNext.Sub(t0) > 4*time.Second {
			t.Fatalf("two URLs failing %d times: %+v", i+1, v)
		}
	}
}

// TestRefusedConnectionsAreTheHosts: a refused connection is the host's
// problem at once (a back-off), and a run of them parks it.
func TestRefusedConnectionsAreTheHosts(t *testing.T) {
	h := newTestHealth()
	v := h.Observe(t0, Response{URL: "/", Scope: ScopeHost})
	if v.HostNext.Sub(t0) < time.Second {
		t.Errorf("first refusal: host waits %s, want a back-off", v.HostNext.Sub(t0))
	}
	for i := 2; i <= 8; i++ {
		v = h.Observe(t0, Response{URL: "/", Scope: ScopeHost})
	}
	if !v.Park {
		t.Errorf("8 refusals: %+v, want parked", v)
	}
}

// TestMaintenanceModeParks: every URL answering 503 with a long Retry-After
// (the whole site in maintenance) parks the host at the third such URL, with
// the pause it asked for; an unwell host's short Retry-After pauses all of it.
func TestMaintenanceModeParks(t *testing.T) {
	h := newTestHealth()
	for i := 1; i <= 3; i++ {
		v := h.Observe(t0, Response{URL: fmt.Sprintf("/p%d", i), Scope: ScopeURL, RetryAfter: time.Hour})
		if !v.Deferred {
			t.Errorf("URL %d not deferred", i)
		}
		if v.Park != (i == 3) {
			t.Fatalf("URL %d: park %v", i, v.Park)
		}
		if i == 3 && !v.Pause.Equal(t0.Add(time.Hour)) {
			t.Errorf("pause %s, want an hour", v.Pause)
		}
	}
	h = newTestHealth()
	var v Verdict
	for i := 1; i <= 3; i++ {
		v = h.Observe(t0, Response{URL: fmt.Sprintf("/p%d", i), Scope: ScopeURL, RetryAfter: 2 * time.Minute})
	}
	if v.Park || !v.Pause.Equal(t0.Add(2*time.Minute)) || v.HostNext.Before(v.Pause) {
		t.Errorf("unwell host with Retry-After 2m: %+v, want the host paused 2m", v)
	}
}
