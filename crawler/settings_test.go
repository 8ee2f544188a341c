package crawler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/extract"
	"github.com/trawl-crawler/trawl/store"
	"github.com/trawl-crawler/trawl/store/record"
)

// notSettings are Config's fields that are not settings a user gives.
var notSettings = []string{"seeds", "refresh_cutoff"}

// TestEverySettingIsAConfigField walks the table of settings: each names
// one field of Config by its JSON key, has help and a class, and every
// field of Config is a setting, so that a setting cannot be added to Config
// without flags, keys, help and a resume rule.
func TestEverySettingIsAConfigField(t *testing.T) {
	var cfg Config
	fields := map[uintptr]string{} // field address → JSON key
	v := reflect.ValueOf(&cfg).Elem()
	for i := range v.NumField() {
		key, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		fields[v.Field(i).Addr().Pointer()] = key
	}
	seen := map[string]bool{}
	for _, s := range Settings() {
		if seen[s.Key] {
			t.Errorf("setting %s: declared twice", s.Key)
		}
		seen[s.Key] = true
		if got := fields[reflect.ValueOf(s.Field(&cfg)).Pointer()]; got != s.Key {
			t.Errorf("setting %s: its field is Config's %q", s.Key, got)
		}
		if s.Help == "" {
			t.Errorf("setting %s: no help", s.Key)
		}
		if s.Class.String() == "unknown" {
			t.Errorf("setting %s: class %d", s.Key, s.Class)
		}
		if s.Path && reflect.TypeOf(s.Field(&cfg)) != reflect.TypeFor[*string]() {
			t.Errorf("setting %s: a path that is not a string", s.Key)
		}
		if s.CommaList && reflect.TypeOf(s.Field(&cfg)) != reflect.TypeFor[*[]string]() {
			t.Errorf("setting %s: a comma list that is not a list", s.Key)
		}
		if got, ok := LookupSetting(s.Key); !ok || got.Key != s.Key {
			t.Errorf("LookupSetting(%q) = %q, %v", s.Key, got.Key, ok)
		}
	}
	for _, key := range fields {
		if !seen[key] && !slices.Contains(notSettings, key) {
			t.Errorf("Config field %q is not in the table of settings", key)
		}
	}
}

// modes are the ways an invocation meets a database: a new crawl (an empty
// database), --fresh over a finished crawl, a resume of an unfinished run,
// and a refresh run after a finished one.
var modes = []struct {
	name  string
	last  string // status of the run in the database; "" for none
	fresh bool
}{
	{"new", "", false},
	{"fresh", record.RunFinished, true},
	{"resume", record.RunStopped, false},
	{"refresh", record.RunFinished, false},
}

// rule is what a mode does with a setting of a class: whether the
// invocation crawls with the value it gives, and whether that value is
// stored with the run (so that a later plain resume crawls with it).
type rule struct{ uses, stores bool }

// rules are the classes' documented behaviour (see Class), per mode.
var rules = map[Class]map[string]rule{
	Tuning:     {"new": {true, true}, "fresh": {true, true}, "resume": {true, false}, "refresh": {true, false}},
	Defining:   {"new": {true, true}, "fresh": {true, true}, "resume": {false, false}, "refresh": {true, false}},
	Budget:     {"new": {true, true}, "fresh": {true, true}, "resume": {true, false}, "refresh": {true, false}},
	Extraction: {"new": {true, true}, "fresh": {true, true}, "resume": {true, true}, "refresh": {true, true}},
}

// sample sets the setting's field in c to a valid value that is not its
// default; each string in it says "sample", so that a log can be searched
// for it.
func sample(t *testing.T, s Setting, c *Config, files map[string]string) {
	t.Helper()
	switch p := s.Field(c).(type) {
	case *string:
		*p = map[string]string{"scope": "any", "proxy": "http://sample-proxy.invalid:3128"}[s.Key]
		if s.Path {
			*p = files[s.Key]
		}
		if *p == "" {
			*p = "sample-" + s.Key
		}
	case *int:
		*p += 7
	case *int64:
		*p += 3 << 10
	case *float64:
		*p /= 2
	case *bool:
		*p = !*p
	case *Duration:
		*p += Duration(3e9)
	case *[]string:
		*p = []string{map[string]string{"header": "X-Sample: 1", "cookie": "sample=1", "drop_params": "utm_*"}[s.Key]}
		if (*p)[0] == "" {
			*p = []string{"sample"}
		}
	case *Secret:
		*p = ParseSecret("file:"+files["secret"], ".")
	case *map[string][]string:
		*p = map[string][]string{"example.com": {"X-Sample: 1"}}
	case *ProxyList:
		*p = ProxyList{"http://sample-proxy.invalid:3128", "socks5://sample-proxy.invalid:1080"}
	case **Login:
		*p = &Login{URL: "http://sample-login.invalid/login", Fields: map[string]Secret{"pass": ParseSecret("file:"+files["secret"], ".")},
			Success: LoginSuccess{Cookie: "sid"}}
	case *[]extract.RuleSpec:
		*p = []extract.RuleSpec{{Name: "sample", Fields: []extract.FieldSpec{{Name: "title", CSS: "title"}}}}
	default:
		t.Fatalf("setting %s: no sample for a %T", s.Key, p)
	}
}

// field is the setting's value in c, as JSON.
func field(s Setting, c Config) string {
	b, _ := json.Marshal(s.Field(&c))
	return string(b)
}

// TestEverySettingFollowsItsClass walks the table of settings: each one,
// given alone to a new crawl, a --fresh one, a resume and a refresh, is
// used and stored as its class says, on a real store; not given, a resume
// and a refresh use the stored value (a budget: the invocation's); a hidden
// setting's value never reaches the log.
func TestEverySettingFollowsItsClass(t *testing.T) {
	dir := t.TempDir()
	_, ca := tlsSite(t, nil)
	files := map[string]string{"ca_cert": ca, "cookies_file": filepath.Join(dir, "cookies.txt"), "warc": filepath.Join(dir, "warc")}
	writeFileT(t, files["cookies_file"], "example.com\tFALSE\t/\tFALSE\t0\tsample\t1\n")
	files["secret"] = filepath.Join(dir, "secret")
	writeFileT(t, files["secret"], "user:sample-password\n")
	base := testConfig("http://127.0.0.1:1/")
	ctx := context.Background()
	// Every store starts as a copy of one migrated empty database, which
	// opens eight times faster than a new one.
	template := filepath.Join(dir, "template.db")
	db, err := store.Open(ctx, template)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	empty, err := os.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}

	// begin gives inv to a store whose last run has stored as its
	// configuration, and returns what the invocation crawls with, what the
	// run then has stored, and the log.
	begin := func(t *testing.T, last string, stored Config, inv *Invocation) (Config, Config, string) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "x.db")
		writeFileT(t, path, string(empty))
		db, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if last != "" {
			b, _ := json.Marshal(stored)
			run, err := db.StartRun(ctx, KindCrawl, b)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.EndRun(ctx, run.ID, last); err != nil {
				t.Fatal(err)
			}
		}
		var log bytes.Buffer
		cr, err := Begin(ctx, db, inv, slog.New(slog.NewTextHandler(&log, nil)))
		if err != nil {
			t.Fatalf("Begin: %v", err)
		}
		defer cr.Close(ctx)
		run, err := db.GetRun(ctx, cr.RunID)
		if err != nil {
			t.Fatal(err)
		}
		var kept Config
		if err := json.Unmarshal(run.Config, &kept); err != nil {
			t.Fatal(err)
		}
		return cr.Config, kept, log.String()
	}

	for _, s := range Settings() {
		given := base
		sample(t, s, &given, files)
		if field(s, given) == field(s, base) {
			t.Fatalf("setting %s: the sample is the default", s.Key)
		}
		for _, m := range modes {
			t.Run(s.Key+"/"+m.name, func(t *testing.T) {
				t.Parallel()
				want := rules[s.Class][m.name]
				uses, kept, log := begin(t, m.last, base, &Invocation{Config: given, Given: []string{s.Key}, Fresh: m.fresh})
				if got := field(s, uses) == field(s, given); got != want.uses {
					t.Errorf("given %s, the invocation crawls with %s; want the given value: %v", field(s, given), field(s, uses), want.uses)
				}
				if got := field(s, kept) == field(s, given); got != want.stores {
					t.Errorf("given %s, the run stores %s; want the given value: %v", field(s, given), field(s, kept), want.stores)
				}
				named := strings.Contains(log, "setting="+s.Key+" ")
				if (s.Class == Tuning || s.Class == Defining) && m.last != "" && !m.fresh && !named {
					t.Errorf("given again, the setting is not named in the log:\n%s", log)
				}
				if s.Hidden && strings.Contains(strings.ToLower(log), "sample") {
					t.Errorf("the log shows the hidden value %s:\n%s", field(s, given), log)
				}
				if m.last == "" || m.fresh {
					return
				}
				// Not given: the stored value, but a budget is the invocation's.
				uses, _, _ = begin(t, m.last, given, &Invocation{Config: base})
				wantStored := s.Class != Budget
				if got := field(s, uses) == field(s, given); got != wantStored {
					t.Errorf("stored %s and not given, the invocation crawls with %s; want the stored value: %v", field(s, given), field(s, uses), wantStored)
				}
			})
		}
	}
}

// TestBeginRefusesWhatCannotCrawl: settings or seeds that cannot make a
// crawl are an *InputError, before the store is changed: on an empty
// store, and over an unfinished run, resumed or given up by --fresh (its
// queue stays).
func TestBeginRefusesWhatCannotCrawl(t *testing.T) {
	ctx := context.Background()
	missing := ParseSecret("file:"+filepath.Join(t.TempDir(), "missing"), ".")
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"no seeds", func(c *Config) { c.Seeds = nil }},
		{"bad seed", func(c *Config) { c.Seeds = []string{"ftp://example.com/"} }},
		{"unreadable secret", func(c *Config) { c.Bearer = missing }},
		{"bad rule", func(c *Config) {
			c.Rules = []extract.RuleSpec{{Name: "r", Fields: []extract.FieldSpec{{Name: "f", CSS: "h1["}}}}
		}},
	} {
		for _, over := range []string{"empty store", "resume", "fresh"} {
			t.Run(tc.name+"/"+over, func(t *testing.T) {
				db := testDB(t)
				var want *record.Run
				if over != "empty store" {
					b, _ := json.Marshal(testConfig("http://127.0.0.1:1/"))
					run, err := db.StartRun(ctx, KindCrawl, b)
					if err != nil {
						t.Fatal(err)
					}
					seed := record.NewURL{URL: "http://127.0.0.1:1/", Host: "http://127.0.0.1:1", Via: viaSeed}
					if _, err := db.Commit(ctx, run.ID, record.Batch{Outcomes: []record.Outcome{{Discovered: []record.NewURL{seed}}}}); err != nil {
						t.Fatal(err)
					}
					if err := db.EndRun(ctx, run.ID, record.RunInterrupted); err != nil {
						t.Fatal(err)
					}
					want, _ = db.GetRun(ctx, run.ID)
				}
				cfg := testConfig("http://127.0.0.1:1/")
				tc.mod(&cfg)
				if tc.name == "no seeds" && over == "resume" {
					cfg.Bearer = missing // a resume needs no seeds
				}
				_, err := Begin(ctx, db, &Invocation{Config: cfg, Given: []string{"bearer", "rules"}, Fresh: over == "fresh"}, nil)
				var ie *InputError
				if !errors.As(err, &ie) {
					t.Fatalf("Begin: %v, want an *InputError", err)
				}
				last, err := db.LastRun(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if want == nil && last != nil || want != nil && (last.ID != want.ID || last.Status != want.Status || last.Resumes != want.Resumes) {
					t.Errorf("the runs changed: last run %+v, want %+v", last, want)
				}
				if n, err := db.CountQueued(ctx); err != nil || want != nil && n != 1 {
					t.Errorf("%d URLs queued (%v), want the unfinished run's 1", n, err)
				}
				if err := db.Lock(ctx); err != nil {
					t.Errorf("the store was left locked: %v", err)
				}
			})
		}
	}
}

// TestSeedsAreTheRunsURLs: a seed is canonicalised as the run does, also
// when the invocation canonicalised it otherwise (a resume keeps its stored
// drop_params, whatever the invocation gives).
func TestSeedsAreTheRunsURLs(t *testing.T) {
	ctx := context.Background()
	db := testDB(t)
	stored := testConfig("http://127.0.0.1:1/?utm_source=a&id=1")
	stored.DropParams = []string{"utm_*"}
	b, _ := json.Marshal(stored)
	run, err := db.StartRun(ctx, KindCrawl, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.EndRun(ctx, run.ID, record.RunInterrupted); err != nil {
		t.Fatal(err)
	}
	inv := &Invocation{Config: testConfig("http://127.0.0.1:1/new?utm_medium=b")}
	cr, err := Begin(ctx, db, inv, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cr.Close(ctx)
	var got []string
	for _, u := range cr.c.seeds {
		got = append(got, u.String())
	}
	want := []string{"http://127.0.0.1:1/?id=1", "http://127.0.0.1:1/new"}
	if !slices.Equal(got, want) {
		t.Errorf("the resumed run's seeds are %q, want %q", got, want)
	}
}
