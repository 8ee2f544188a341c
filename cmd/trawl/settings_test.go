package main

import (
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/trawl-crawler/trawl/crawler"
)

// TestSettingsTableMakesFlagsAndKeys walks the tables of crawl settings and
// options: each has its flag (a file-only setting has none) with the
// table's help, and its config file key (but --fresh and --config); the
// crawl command has no flag that is in neither table.
func TestSettingsTableMakesFlagsAndKeys(t *testing.T) {
	flags := (&app{}).crawlCmd().Flags()
	keys := fileKeys()
	declared := map[string]bool{"help": true}
	for _, s := range crawler.Settings() {
		declared[flagName(s.Key)] = true
		f := flags.Lookup(flagName(s.Key))
		switch {
		case s.FileOnly && f != nil:
			t.Errorf("setting %s: file-only, and has a flag", s.Key)
		case !s.FileOnly && f == nil:
			t.Errorf("setting %s: no flag --%s", s.Key, flagName(s.Key))
		case f != nil && f.Usage != s.Help:
			t.Errorf("setting %s: flag help %q, want the table's %q", s.Key, f.Usage, s.Help)
		}
		if !slices.Contains(keys, s.Key) {
			t.Errorf("setting %s: no config file key", s.Key)
		}
	}
	for _, opt := range options() {
		declared[flagName(opt.key)] = true
		if f := flags.Lookup(flagName(opt.key)); f == nil || f.Usage != opt.help || opt.help == "" {
			t.Errorf("option %s: flag %v, want --%s with the table's help", opt.key, f, flagName(opt.key))
		}
		if inFile := slices.Contains(keys, opt.key); inFile != (opt.notInFile == "") {
			t.Errorf("option %s: a config file key: %v, want %v", opt.key, inFile, opt.notInFile == "")
		}
		if opt.setting != "" {
			if _, ok := crawler.LookupSetting(opt.setting); !ok {
				t.Errorf("option %s: counts as setting %q, which is not one", opt.key, opt.setting)
			}
		}
	}
	flags.VisitAll(func(f *pflag.Flag) {
		if !declared[f.Name] {
			t.Errorf("flag --%s is in neither table", f.Name)
		}
	})
}

// TestREADMEDocumentsEveryCrawlFlag checks the README's table of crawl
// flags against the flags, both ways, that the file-only settings are
// described, and that its list of the settings a resume keeps is the
// defining ones.
func TestREADMEDocumentsEveryCrawlFlag(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	_, table, ok := strings.Cut(readme, "| flag | default | meaning |\n")
	if !ok {
		t.Fatal("README.md has no table of crawl flags")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	documented := map[string]bool{}
	for _, row := range strings.Split(table, "\n") {
		cells := strings.Split(row, "|")
		if len(cells) < 2 {
			continue
		}
		for _, m := range regexp.MustCompile("`--([a-z-]+)`").FindAllStringSubmatch(cells[1], -1) {
			documented[m[1]] = true
		}
	}
	flags := (&app{}).crawlCmd().Flags()
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && !documented[f.Name] {
			t.Errorf("README.md's table of crawl flags lacks --%s", f.Name)
		}
	})
	for name := range documented {
		if flags.Lookup(name) == nil {
			t.Errorf("README.md's table of crawl flags has --%s, which trawl crawl does not", name)
		}
	}
	for _, s := range crawler.Settings() {
		if s.FileOnly && !strings.Contains(readme, s.Key+":") && !strings.Contains(readme, "`"+s.Key+"`") {
			t.Errorf("README.md does not describe the config file key %s", s.Key)
		}
	}
	kept := regexp.MustCompile(`Settings that decide which URLs belong to the crawl \(([^)]*)\)`).FindStringSubmatch(readme)
	if kept == nil {
		t.Fatal("README.md does not say which settings a resume keeps")
	}
	var want, got []string
	for _, s := range crawler.Settings() {
		if s.Class == crawler.Defining {
			want = append(want, "--"+flagName(s.Key))
		}
	}
	for _, m := range regexp.MustCompile("`(--[a-z-]+)`").FindAllStringSubmatch(kept[1], -1) {
		got = append(got, m[1])
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("README.md says a resume keeps %v; the defining settings are %v", got, want)
	}
}

// flagSample is a value for a setting's flag that is not its default, and
// the same value as a config file writes it.
func flagSample(t *testing.T, s crawler.Setting) (flag, yaml string) {
	t.Helper()
	var cfg crawler.Config
	// The values a config file's checks would refuse as "sample".
	valid := map[string]string{"scope": "any", "proxy": "none", "header": "X-Sample: 1", "cookie": "sample=1"}[s.Key]
	switch p := s.Field(&cfg).(type) {
	case *string:
		if valid != "" {
			return valid, valid
		}
		return "sample", "sample"
	case *int:
		return "7", "7"
	case *int64:
		return "3K", "3K"
	case *float64:
		return "0.25", "0.25"
	case *bool:
		v := "true"
		if d := crawler.DefaultConfig(); *s.Field(&d).(*bool) {
			v = "false"
		}
		return v, v
	case *crawler.Duration:
		return "3s", "3s"
	case *crawler.Secret:
		return "env:SAMPLE", "env:SAMPLE"
	case *crawler.ProxyList:
		return valid, `["` + valid + `"]`
	case *[]string:
		if s.CommaList {
			return "a,b", "[a, b]"
		}
		if valid != "" {
			return valid, `["` + valid + `"]`
		}
		return "a", "[a]"
	default:
		t.Fatalf("setting %s: no sample for a %T", s.Key, p)
	}
	return "", ""
}

// TestEverySettingIsReadFromFlagAndFile walks the table of crawl settings
// that have a flag: the flag and the config file key set the same value,
// and each counts as the setting given.
func TestEverySettingIsReadFromFlagAndFile(t *testing.T) {
	dir := t.TempDir()
	for _, s := range crawler.Settings() {
		if s.FileOnly {
			continue
		}
		t.Run(s.Key, func(t *testing.T) {
			flagValue, yamlValue := flagSample(t, s)
			cfg := crawler.DefaultConfig()
			var o crawlOptions
			flags := pflag.NewFlagSet("crawl", pflag.ContinueOnError)
			crawlFlags(flags, &cfg, &o)
			if err := flags.Parse([]string{"--" + flagName(s.Key) + "=" + flagValue}); err != nil {
				t.Fatal(err)
			}
			fromFlag, _ := json.Marshal(s.Field(&cfg))
			if !slices.Contains(givenSettings(flags, o), s.Key) {
				t.Errorf("--%s is not a given setting", flagName(s.Key))
			}

			path := filepath.Join(dir, s.Key+".yaml")
			writeFile(t, path, s.Key+": "+yamlValue+"\n")
			fc, err := loadConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			cfg, o = crawler.DefaultConfig(), crawlOptions{}
			flags = pflag.NewFlagSet("crawl", pflag.ContinueOnError)
			crawlFlags(flags, &cfg, &o)
			fc.apply(flags, &cfg, &o)
			if s.Path {
				// Relative to the config file, not to the working directory.
				if p := s.Field(&cfg).(*string); *p == filepath.Join(dir, "sample") {
					*p = "sample"
				}
			}
			fromFile, _ := json.Marshal(s.Field(&cfg))
			if string(fromFile) != string(fromFlag) {
				t.Errorf("%s: %s sets %s; --%s=%s sets %s", path, s.Key, fromFile, flagName(s.Key), flagValue, fromFlag)
			}
			if !slices.Contains(givenSettings(flags, o), s.Key) {
				t.Errorf("%s: %s is not a given setting", path, s.Key)
			}
			if d := crawler.DefaultConfig(); string(fromFlag) == mustJSON(s.Field(&d)) && !s.NoDefault {
				t.Errorf("the sample %s is the default", flagValue)
			}
		})
	}
}

// mustJSON is v as JSON.
func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// givenAgain is every crawl setting that has a flag, as flags with values
// that differ from the defaults and still crawl a loopback site quickly,
// and the setting each flag gives. bearer is left out: a crawl takes one of
// basic_auth and bearer, and the crawler's table test covers it.
func givenAgain(t *testing.T, dir string) ([]string, []crawler.Setting) {
	t.Helper()
	t.Setenv("TRAWL_TEST_SECRET", "user:h1dd3n-secret")
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	ca := filepath.Join(dir, "ca.pem")
	writeFile(t, ca, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	cookies := filepath.Join(dir, "cookies.txt")
	writeFile(t, cookies, "127.0.0.1\tFALSE\t/\tFALSE\t0\tfromfile\t1\n")
	values := map[string]string{
		"scope": "any", "allow": ".", "deny": "nomatch", "drop_params": "utm_*,fbclid",
		"delay": "1ms", "max_pages": "1", "max_duration": "1h", "revisit_after": "1ms",
		"user_agent": "sample-agent", "robots_agent": "sample-robot",
		"header": "X-Hidden: h1dd3n-header", "cookie": "h1dd3n=cookie", "proxy": "none",
		"cookies_file": cookies, "ca_cert": ca, "warc": filepath.Join(dir, "warc"),
		"basic_auth": "env:TRAWL_TEST_SECRET", "proxy_auth": "env:TRAWL_TEST_SECRET",
	}
	var args []string
	var given []crawler.Setting
	for _, s := range crawler.Settings() {
		if s.FileOnly || s.Key == "bearer" {
			continue
		}
		v, ok := values[s.Key]
		if !ok {
			v, _ = flagSample(t, s)
		}
		args = append(args, "--"+flagName(s.Key)+"="+v)
		given = append(given, s)
	}
	return args, given
}

// TestEveryFlagGivenAgainIsTaken runs the binary with every crawl flag at
// once on a resume, a refresh and --fresh: on the first two, each tuning
// and defining setting is named at start (taken for the invocation, or
// kept by a resume), budgets apply, extraction settings are stored, and
// the stored tuning and defining settings stay as they were; --fresh stores
// them all. Hidden values never reach the log.
func TestEveryFlagGivenAgainIsTaken(t *testing.T) {
	h, _ := freshSite(t, 3)
	dir := t.TempDir()
	flags, given := givenAgain(t, dir)
	stored := func(db string) map[string]json.RawMessage {
		var config string
		if err := openDB(t, db).QueryRow(`SELECT config FROM runs ORDER BY id DESC LIMIT 1`).Scan(&config); err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(config), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	// What the flags give, as the stored configuration writes it.
	cfg := crawler.DefaultConfig()
	var o crawlOptions
	fs := pflag.NewFlagSet("crawl", pflag.ContinueOnError)
	crawlFlags(fs, &cfg, &o)
	if err := fs.Parse(flags); err != nil {
		t.Fatal(err)
	}
	var want map[string]json.RawMessage
	b, _ := json.Marshal(cfg)
	json.Unmarshal(b, &want)

	for _, mode := range []struct {
		name  string
		first int // exit code of the first invocation
		args  []string
	}{
		{"resume", exitStopped, []string{"--max-pages", "1"}},
		{"refresh", exitOK, nil},
		{"fresh", exitOK, nil},
	} {
		t.Run(mode.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "x.db")
			base := []string{"crawl", h.URL + "/", "--db", db, "--delay", "0"}
			if r := trawl(t, append(base, mode.args...)...); r.code != mode.first {
				t.Fatalf("first invocation: exit %d: %s", r.code, r.stderr)
			}
			before := stored(db)
			again := append(slices.Clone(base), flags...)
			if mode.name == "fresh" {
				again = append(again, "--fresh")
			}
			r := trawl(t, again...)
			if r.code != exitStopped || !strings.Contains(r.stderr, "stopped by --max-pages") {
				t.Fatalf("with every flag: exit %d, want %d (--max-pages 1): %s", r.code, exitStopped, r.stderr)
			}
			if strings.Contains(r.stderr, "h1dd3n") {
				t.Errorf("the log shows a hidden value:\n%s", r.stderr)
			}
			after := stored(db)
			for _, s := range given {
				switch {
				case mode.name == "fresh" || s.Class == crawler.Extraction:
					if string(after[s.Key]) != string(want[s.Key]) {
						t.Errorf("%s: stored %s, want the given %s", s.Key, after[s.Key], want[s.Key])
					}
				case s.Class == crawler.Budget:
				default:
					if !strings.Contains(r.stderr, "setting="+s.Key+" ") {
						t.Errorf("%s: given again, and not named at start", s.Key)
					}
					if string(after[s.Key]) != string(before[s.Key]) {
						t.Errorf("%s: stored %s, want it unchanged (%s)", s.Key, after[s.Key], before[s.Key])
					}
				}
			}
		})
	}
}
