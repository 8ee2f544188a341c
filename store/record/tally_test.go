package record

import "testing"

func TestOutcomeTally(t *testing.T) {
	job := Job{ID: 7, URL: "http://a.test/"}
	ok := &Fetch{Status: 200, Size: 100}
	notFound := &Fetch{Status: 404, ErrorClass: "http-4xx", Size: 9}
	refused := &Fetch{ErrorClass: "connect"}
	cases := []struct {
		name string
		o    Outcome
		want Tally
	}{
		{"discoveries only", Outcome{State: StateDone, Fetch: ok}, Tally{}},
		{"retry", Outcome{Job: job, State: StateQueued, Fetch: &Fetch{ErrorClass: "timeout", Size: 3}}, Tally{Retries: 1, Bytes: 3}},
		{"page", Outcome{Job: job, State: StateDone, Fetch: ok}, Tally{Pages: 1, Bytes: 100}},
		{"page with an error class", Outcome{Job: job, State: StateDone, Fetch: notFound}, Tally{Pages: 1, Errors: 1, Bytes: 9, Class: "http-4xx"}},
		{"failed fetch", Outcome{Job: job, State: StateFailed, Fetch: refused}, Tally{Pages: 1, Errors: 1, Class: "connect"}},
		{"failed with a reason", Outcome{Job: job, State: StateFailed, Reason: "robots-unreachable"}, Tally{Errors: 1, Class: "robots-unreachable"}},
		{"failed without a class", Outcome{Job: job, State: StateFailed, Fetch: &Fetch{}}, Tally{Pages: 1, Errors: 1, Class: "other"}},
		{"failed without a fetch or reason", Outcome{Job: job, State: StateFailed}, Tally{Errors: 1, Class: "other"}},
		{"skipped", Outcome{Job: job, State: StateSkipped, Reason: "robots-denied"}, Tally{Skipped: 1, Class: "robots-denied"}},
		{"sitemap read", Outcome{Job: job, State: StateDone, Fetch: ok, NotPage: true}, Tally{Bytes: 100}},
		{"sitemap failed", Outcome{Job: job, State: StateFailed, Fetch: refused, NotPage: true}, Tally{}},
		{"sitemap retried", Outcome{Job: job, State: StateQueued, Fetch: refused, NotPage: true}, Tally{Retries: 1}},
		{"sitemap put off", Outcome{Job: job, State: StateSkipped, Reason: "deferred", NotPage: true}, Tally{Skipped: 1, Class: "deferred"}},
	}
	for _, c := range cases {
		got, err := c.o.Tally()
		if err != nil || got != c.want {
			t.Errorf("%s: Tally = %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
	if _, err := (&Outcome{Job: job, State: "bogus"}).Tally(); err == nil {
		t.Error("an unknown state has a tally")
	}
}

func TestCommitResultCount(t *testing.T) {
	var r CommitResult
	r.Count(Tally{Pages: 1, Errors: 1, Bytes: 9, Class: "http-4xx"})
	r.Count(Tally{Skipped: 1, Class: "robots-denied"})
	r.Count(Tally{Retries: 1, Bytes: 3})
	r.Count(Tally{Pages: 1, Errors: 1, Class: "http-4xx"})
	if r.Pages != 2 || r.Errors != 2 || r.Skipped != 1 || r.Bytes != 12 ||
		r.Classes["http-4xx"] != 2 || r.Classes["robots-denied"] != 1 || len(r.Classes) != 2 {
		t.Errorf("after four tallies: %+v", r)
	}
}
