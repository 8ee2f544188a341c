package crawler

import (
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/fixtures"
)

// TestStalledBodyTimesOut: a body that stops arriving mid-way ends in a
// timeout after the stall limit, however long the request's own timeout.
func TestStalledBodyTimesOut(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	h.Handle("/stall", fixtures.StallMidBody(4096))
	client := &http.Client{Transport: noReplay{rt: &http.Transport{}, idle: 100 * time.Millisecond}, Timeout: time.Minute}
	resp, err := client.Get(h.URL + "/stall")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	var stalled errStalled
	if !errors.As(err, &stalled) || len(b) != 4096 || classify(err) != ClassTimeout {
		t.Fatalf("read %d bytes, %v (class %s); want the 4096 sent, then a stall timeout", len(b), err, classify(err))
	}
}

// TestDrippingBodyTimesOut: a body that keeps sending a byte now and then,
// below the low-speed limit, ends in a timeout after one stall period.
func TestDrippingBodyTimesOut(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	h.Handle("/drip", fixtures.Drip(20*time.Millisecond))
	client := &http.Client{Transport: noReplay{rt: &http.Transport{}, idle: 300 * time.Millisecond}, Timeout: time.Minute}
	resp, err := client.Get(h.URL + "/drip")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	var stalled errStalled
	if !errors.As(err, &stalled) || !stalled.dripping || classify(err) != ClassTimeout {
		t.Fatalf("%v (class %s); want a low-speed timeout", err, classify(err))
	}
}
