package crawler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"time"

	"github.com/trawl-crawler/trawl/crawler/urlkey"
	"github.com/trawl-crawler/trawl/store/record"
)

// RunStore is what the life of a run needs of a store, besides Store: the
// right to work on the database, and the runs. The SQLite store in package
// store implements it.
//
// The contract is written so that a backend whose workers share one run
// (several processes on one frontier) can implement it too: there, Lock
// registers the worker (keeping it registered is the backend's business)
// and fails with record.ErrLocked only when the worker may not join; the
// first worker's StartRun or ResumeRun starts or resumes the run, and a
// later one finds it running in LastRun (running is Resumable) and joins it
// with ResumeRun. StartRun must then refuse to start a second run beside a
// running one, and EndRun of a worker that is not the last to leave may
// leave the run running.
type RunStore interface {
	Store
	RunStarts
	// Lock takes the right to work on the database. When another worker
	// holds it, the error matches record.ErrLocked (and says who holds it).
	Lock(ctx context.Context) error
	// Unlock gives the right up.
	Unlock(ctx context.Context) error
	// LastRun returns the latest run, or nil when there is none.
	LastRun(ctx context.Context) (*record.Run, error)
	// GetRun returns run id.
	GetRun(ctx context.Context, id int64) (*record.Run, error)
	// StartRun starts a run of kind ("crawl" or "refresh") with config as
	// its stored configuration (Config as JSON).
	StartRun(ctx context.Context, kind string, config []byte) (*record.Run, error)
	// ResumeRun marks run id running again, with config as its stored
	// configuration.
	ResumeRun(ctx context.Context, id int64, config []byte) error
	// EndRun records the status (StatusFinished, ...) a run ended with.
	EndRun(ctx context.Context, id int64, status string) error
	// AbandonQueue gives up every queued URL: they are recorded as skipped
	// (abandoned) until a crawl reaches them again.
	AbandonQueue(ctx context.Context) error
	// RequeueStale queues, for refresh run runID, the URLs fetched before
	// cutoff and those skipped for one of the retry reasons, and returns how
	// many it queued.
	RequeueStale(ctx context.Context, runID int64, cutoff time.Time, retry []string) (int64, error)
	// RunSucceeded reports whether run id fetched at least one page with a
	// success (2xx, or a 304 that revalidated one).
	RunSucceeded(ctx context.Context, id int64) (bool, error)
}

// Run kinds, as RunStore.StartRun records them.
const (
	KindCrawl   = "crawl"
	KindRefresh = "refresh"
)

// Invocation is one start of a crawl on a store: what a command line gives.
type Invocation struct {
	// Config is DefaultConfig with the invocation's settings applied. Its
	// Seeds are the seeds it gives; none resumes or refreshes the stored
	// crawl.
	Config Config
	// Given are the keys (Setting.Key) of the settings the invocation
	// gives, whatever their values: on a resume or refresh, these are taken
	// over the stored ones as their Class says.
	Given []string
	// Fresh starts a new crawl from the seeds, giving up an unfinished one.
	Fresh bool

	seeds map[string]*url.URL // Config.Seeds canonicalised by CheckSeeds
}

// SeedError is a seed that is not a URL trawl can crawl.
type SeedError struct {
	Index int    // in Invocation.Config.Seeds
	URL   string // as given
	Err   error  // why: a *urlkey.Error
}

func (e *SeedError) Error() string { return fmt.Sprintf("seed %q: %v", e.URL, e.Err) }

// Unwrap returns why the seed was refused.
func (e *SeedError) Unwrap() error { return e.Err }

// CheckSeeds canonicalises the invocation's seeds (the run uses these URLs,
// so that a seed is canonicalised once) and returns a *SeedError for each
// seed that cannot be crawled, joined.
func (inv *Invocation) CheckSeeds() error {
	canon := urlkey.Canon{DropParams: inv.Config.DropParams}
	inv.seeds = make(map[string]*url.URL, len(inv.Config.Seeds))
	var errs []error
	for i, s := range inv.Config.Seeds {
		u, err := canon.Canonical(s)
		if err != nil {
			errs = append(errs, &SeedError{Index: i, URL: s, Err: err})
			continue
		}
		inv.seeds[s] = u
	}
	return errors.Join(errs...)
}

// InputError is a setting or seed of an invocation that cannot make a
// crawl; Begin refused it before changing the store.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }

// Unwrap returns the problem.
func (e *InputError) Unwrap() error { return e.Err }

// Crawl is an invocation's part of a run: the run it resumed or started and
// the settings it crawls with. It holds the right to work on its store
// until Close.
type Crawl struct {
	RunID  int64
	Kind   string // KindCrawl or KindRefresh
	Config Config // the stored settings with the invocation's, as their Class says

	c  *Crawler
	st RunStore
}

// Begin starts inv's part of a crawl on st. It takes the right to work on
// st, then resumes the unfinished run (its stored settings, with the given
// ones as their Class says), starts a refresh run of a finished crawl
// (RefreshCutoff says which pages are due, and they are queued again), or
// starts a new crawl (inv.Fresh gives up the old queue).
//
// Settings or seeds that cannot make a crawl are an *InputError; another
// worker holding st is an error matching record.ErrLocked.
func Begin(ctx context.Context, st RunStore, inv *Invocation, log *slog.Logger) (*Crawl, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if inv.seeds == nil {
		if err := inv.CheckSeeds(); err != nil {
			return nil, &InputError{err}
		}
	}
	if err := st.Lock(ctx); err != nil {
		return nil, err
	}
	cr, err := begin(ctx, st, inv, log)
	if err != nil {
		st.Unlock(context.WithoutCancel(ctx))
		return nil, err
	}
	return cr, nil
}

// begin decides between resuming the last run and starting a new one, and
// builds the crawler for it before the store is changed.
func begin(ctx context.Context, st RunStore, inv *Invocation, log *slog.Logger) (*Crawl, error) {
	cfg := inv.Config
	last, err := st.LastRun(ctx)
	if err != nil {
		return nil, err
	}
	if last != nil && last.Resumable() && !inv.Fresh {
		base, err := storedBase(last.Config, inv)
		if err != nil {
			return nil, fmt.Errorf("run %d has an unreadable configuration: %w; use --fresh", last.ID, err)
		}
		run, err := override(base, inv, true, log)
		if err != nil {
			return nil, err
		}
		c, err := ready(run, inv, st, log)
		if err != nil {
			return nil, err
		}
		b, _ := json.Marshal(base)
		if err := st.ResumeRun(ctx, last.ID, b); err != nil {
			return nil, err
		}
		log.Info("resuming run", "run", last.ID, "status_was", last.Status, "pages_so_far", last.Pages)
		return started(last, c, st), nil
	}
	base := cfg
	if last != nil && !inv.Fresh {
		// A finished crawl: refresh it with its own settings; those given now
		// apply to this run.
		if stored, err := storedBase(last.Config, inv); err == nil {
			base = stored
			if cfg, err = override(base, inv, false, log); err != nil {
				return nil, err
			}
		}
	}
	if len(cfg.Seeds) == 0 {
		return nil, &InputError{errors.New("no seed URLs: give a URL or --seeds-file")}
	}
	kind := KindCrawl
	cfg.RefreshCutoff = time.Time{}
	if last != nil && !inv.Fresh {
		kind = KindRefresh
		cutoff, err := RefreshCutoff(ctx, st, time.Now(), time.Duration(cfg.RevisitAfter))
		if err != nil {
			return nil, err
		}
		cfg.RefreshCutoff = cutoff
	}
	c, err := ready(cfg, inv, st, log)
	if err != nil {
		return nil, err
	}
	if inv.Fresh {
		if err := st.AbandonQueue(ctx); err != nil {
			return nil, err
		}
	}
	base.RefreshCutoff = cfg.RefreshCutoff
	b, _ := json.Marshal(base)
	run, err := st.StartRun(ctx, kind, b)
	if err != nil {
		return nil, err
	}
	if kind == KindRefresh {
		n, err := st.RequeueStale(ctx, run.ID, cfg.RefreshCutoff, RetrySkipReasons())
		if err != nil {
			return nil, err
		}
		log.Info("starting refresh run", "run", run.ID, "due", n, "revisit_after", time.Duration(cfg.RevisitAfter).String())
		return started(run, c, st), nil
	}
	log.Info("starting run", "run", run.ID, "kind", kind, "seeds", len(cfg.Seeds))
	return started(run, c, st), nil
}

// started is the Crawl of run, crawled by c.
func started(run *record.Run, c *Crawler, st RunStore) *Crawl {
	c.runID = run.ID
	return &Crawl{RunID: run.ID, Kind: run.Kind, Config: c.cfg, c: c, st: st}
}

// storedBase returns a stored run's configuration with the invocation's new
// seeds and given extraction settings: what the run keeps for later
// invocations.
func storedBase(storedJSON []byte, inv *Invocation) (Config, error) {
	var stored Config
	if err := json.Unmarshal(storedJSON, &stored); err != nil {
		return stored, err
	}
	for _, s := range inv.Config.Seeds {
		if !slices.Contains(stored.Seeds, s) {
			stored.Seeds = append(stored.Seeds, s)
		}
	}
	for _, s := range Settings() {
		if s.Class == Extraction && slices.Contains(inv.Given, s.Key) {
			s.copyField(&stored, inv.Config)
		}
	}
	return stored, nil
}

// override returns base with the Tuning and Defining settings the
// invocation gives taken from it, for this invocation only: the stored
// configuration is not changed. Each setting that differs is logged at
// start, so that a user sees what this invocation does differently. With
// keepDefining (a resume), Defining settings are not taken, with a warning
// when they differ. Budgets are always the invocation's.
func override(base Config, inv *Invocation, keepDefining bool, log *slog.Logger) (Config, error) {
	var stored, now map[string]json.RawMessage
	if err := roundTrip(base, &stored); err != nil {
		return base, err
	}
	if err := roundTrip(inv.Config, &now); err != nil {
		return base, err
	}
	for _, key := range inv.Given {
		s, ok := LookupSetting(key)
		if !ok || s.Class == Budget || s.Class == Extraction {
			continue
		}
		was, is := stored[key], now[key]
		if bytes.Equal(was, is) {
			continue
		}
		if keepDefining && s.Class == Defining {
			log.Warn("setting not changed: it defines the unfinished crawl (use --fresh to start over with it)",
				"setting", key, "stored", shown(was), "given", shown(is))
			continue
		}
		showWas, showIs := shown(was), shown(is)
		if s.Hidden {
			showWas, showIs = "(not shown)", "(not shown)"
		}
		log.Info("setting overridden for this invocation only", "setting", key, "stored", showWas, "now", showIs)
		if is == nil {
			delete(stored, key)
		} else {
			stored[key] = is
		}
	}
	var merged Config
	b, _ := json.Marshal(stored)
	if err := json.Unmarshal(b, &merged); err != nil {
		return base, err
	}
	for _, s := range Settings() {
		if s.Class == Budget {
			s.copyField(&merged, inv.Config)
		}
	}
	return merged, nil
}

// roundTrip converts v to a JSON object map.
func roundTrip(v any, m *map[string]json.RawMessage) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, m)
}

// shown is a JSON setting value as a person reads it.
func shown(v json.RawMessage) string {
	if v == nil {
		return "(unset)"
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// ready builds the crawler for run, the settings the invocation crawls
// with, so that settings that cannot crawl (a secret or cookie file that
// cannot be read, a rule that does not compile) refuse the crawl before a
// run is started or resumed. It puts back the invocation's inline secrets,
// which a stored configuration never holds. The crawler's run is set once
// the run is started or resumed.
func ready(run Config, inv *Invocation, st Store, log *slog.Logger) (*Crawler, error) {
	given := inv.Config
	for _, p := range []struct{ run, given *Secret }{
		{&run.BasicAuth, &given.BasicAuth}, {&run.Bearer, &given.Bearer}, {&run.ProxyAuth, &given.ProxyAuth},
	} {
		if p.given.Inline() && p.run.From == p.given.From {
			*p.run = *p.given
		}
	}
	if run.Login != nil && given.Login != nil {
		// The login's values written in the config file, as for the
		// secrets above: a resume given the file again gets them back.
		l := *run.Login
		l.Fields = maps.Clone(l.Fields)
		for name, v := range given.Login.Fields {
			if r, ok := l.Fields[name]; ok && v.Inline() && r.From == v.From {
				l.Fields[name] = v
			}
		}
		run.Login = &l
	}
	if err := run.Validate(); err != nil {
		return nil, &InputError{err}
	}
	// The seeds CheckSeeds canonicalised are the run's when the run
	// canonicalises as the invocation did (a resume keeps its stored
	// drop_params); the others (a resume's stored seeds) are
	// canonicalised here, once.
	var known map[string]*url.URL
	if slices.Equal(run.DropParams, given.DropParams) {
		known = inv.seeds
	}
	seeds, err := seedURLs(run, known)
	if err != nil {
		return nil, &InputError{err}
	}
	c, err := newCrawler(run, st, 0, log, seeds)
	if err != nil {
		return nil, &InputError{err}
	}
	return c, nil
}

// seedURLs canonicalises cfg's seeds as the crawl does, taking those in
// known as they are.
func seedURLs(cfg Config, known map[string]*url.URL) ([]*url.URL, error) {
	canon := urlkey.Canon{DropParams: cfg.DropParams}
	seeds := make([]*url.URL, 0, len(cfg.Seeds))
	for _, s := range cfg.Seeds {
		u, ok := known[s]
		if !ok {
			var err error
			if u, err = canon.Canonical(s); err != nil {
				return nil, fmt.Errorf("seed %q: %w", s, err)
			}
		}
		seeds = append(seeds, u)
	}
	return seeds, nil
}

// Stats returns the run's counters for this invocation; safe to call while
// Run runs.
func (cr *Crawl) Stats() Stats { return cr.c.Stats() }

// Ended is how an invocation's part of a run ended.
type Ended struct {
	Result
	// Run is the run as the store holds it after the end, with the whole
	// run's counters; nil if it could not be read.
	Run *record.Run
	// Succeeded is false when the run finished without a single page
	// fetched with a success: a dead site, not a finished crawl.
	Succeeded bool
}

// Run crawls (see Crawler.Run) and records how the run ended. Ended is
// filled in even when the error is not nil.
func (cr *Crawl) Run(ctx context.Context) (Ended, error) {
	res, runErr := cr.c.Run(ctx)
	// The end is recorded whatever stopped the crawl, a signal included.
	wctx := context.WithoutCancel(ctx)
	if err := cr.st.EndRun(wctx, cr.RunID, res.Status); err != nil && runErr == nil {
		runErr = err
	}
	end := Ended{Result: res, Succeeded: true}
	end.Run, _ = cr.st.GetRun(wctx, cr.RunID)
	if res.Status == StatusFinished && runErr == nil {
		end.Succeeded, runErr = cr.st.RunSucceeded(wctx, cr.RunID)
	}
	return end, runErr
}

// Close gives up the right to work on the store.
func (cr *Crawl) Close(ctx context.Context) error {
	return cr.st.Unlock(context.WithoutCancel(ctx))
}
