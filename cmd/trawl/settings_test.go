package main

import (
	"encoding/json"
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
