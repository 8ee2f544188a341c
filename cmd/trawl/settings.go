package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/store/postgres"
)

// The crawl command's flags and config file keys come from two tables: the
// crawl settings (crawler.Settings, stored with the run) and the options
// below, which say how one invocation runs and are never stored. A flag is
// its key with '-' for '_'.

// crawlOptions are the crawl command's options: the flags that are not
// crawl settings.
type crawlOptions struct {
	fileKeys  []string // keys of the settings and options the config file set
	db        string
	seedsFile string
	fresh     bool
	contact   string
	logFormat string
	quiet     bool
	verbose   bool
	progress  string
	maxDBSize string
	lease     string
	heartbeat string
	dbOutage  string
	config    string
}

// option is one of the crawl command's options.
type option struct {
	key   string // config file key; the flag is key with '-' for '_'
	short string // one-letter flag, if any
	help  string
	def   string // a string option's default
	field func(*crawlOptions) any
	// notInFile, when set, is why a config file may not set the option.
	notInFile string
	// path options name a file: relative to the config file's directory
	// when written there.
	path bool
	// setting is the crawl setting that the option, given, counts as given
	// (--contact is part of the User-Agent).
	setting string
	// check reports a config file value the crawl would refuse, so that it
	// is reported with its line (a flag's value is checked at start).
	check func(crawlOptions) error
}

// options are the crawl command's options, once.
func options() []option {
	return []option{
		{key: "db", def: "trawl.db", field: func(o *crawlOptions) any { return &o.db },
			help: "database to write: a SQLite file (created if missing) or a postgres:// URL (default $TRAWL_DB, else trawl.db)"},
		{key: "config", field: func(o *crawlOptions) any { return &o.config },
			help:      "YAML config file: any crawl setting (keys as the flags, with _) plus extraction rules; flags override it",
			notInFile: "config: not allowed in a config file; use --config on the command line"},
		{key: "seeds_file", path: true, field: func(o *crawlOptions) any { return &o.seedsFile },
			help: "file with one seed URL per line (# comments allowed)"},
		{key: "fresh", field: func(o *crawlOptions) any { return &o.fresh },
			help:      "start a new crawl from the seeds, abandoning an unfinished one",
			notInFile: "fresh: not allowed in a config file; use --fresh on the command line (a scheduled crawl with it in its file would start over every time)"},
		{key: "contact", setting: "user_agent", field: func(o *crawlOptions) any { return &o.contact },
			help: "URL or e-mail address put in the default User-Agent so site owners can reach you"},
		{key: "max_db_size", field: func(o *crawlOptions) any { return &o.maxDBSize },
			help: "cap on the database file (a `size`: bytes, or e.g. 500M, 2G); past it the run stops as on a full disk, resumable",
			check: func(o crawlOptions) error {
				_, err := parseSize(o.maxDBSize)
				return err
			}},
		{key: "lease", field: func(o *crawlOptions) any { return &o.lease },
			help:  "PostgreSQL: how long a worker's hosts stay its own after its last heartbeat; a killed worker's hosts are taken over after it (default 15s)",
			check: func(o crawlOptions) error { _, _, err := leaseTimes(o); return err }},
		{key: "heartbeat", field: func(o *crawlOptions) any { return &o.heartbeat },
			help:  "PostgreSQL: how often a worker renews its registration and its host leases (default 2s; at most a third of --lease)",
			check: func(o crawlOptions) error { _, _, err := leaseTimes(o); return err }},
		{key: "db_outage", field: func(o *crawlOptions) any { return &o.dbOutage },
			help: "PostgreSQL: how long a running crawl waits for a database that went away (a restart, a failover) before it stops, resumable (default 5m)",
			check: func(o crawlOptions) error {
				if _, err := dbOutage(o); err != nil {
					return fmt.Errorf("db_outage %q: %w", o.dbOutage, err)
				}
				return nil
			}},
		{key: "log_format", def: "text", field: func(o *crawlOptions) any { return &o.logFormat },
			help: "log format on stderr: text or json",
			check: func(o crawlOptions) error {
				if f := o.logFormat; f != "text" && f != "json" {
					return fmt.Errorf("log_format %q: want text or json", f)
				}
				return nil
			}},
		{key: "quiet", short: "q", field: func(o *crawlOptions) any { return &o.quiet },
			help: "log errors only, and no progress line"},
		{key: "verbose", short: "v", field: func(o *crawlOptions) any { return &o.verbose },
			help: "log debug detail"},
		{key: "progress", def: "auto", field: func(o *crawlOptions) any { return &o.progress },
			help: "live progress line on stderr: auto (on a terminal), always or never",
			check: func(o crawlOptions) error {
				if p := o.progress; p != "auto" && p != "always" && p != "never" {
					return fmt.Errorf("progress %q: want auto, always or never", p)
				}
				return nil
			}},
	}
}

// flagName is the flag of a setting or option key.
func flagName(key string) string { return strings.ReplaceAll(key, "_", "-") }

// keyOf is the setting or option key of a flag.
func keyOf(flag string) string { return strings.ReplaceAll(flag, "-", "_") }

// crawlFlags defines the crawl command's flags on f: one per option and
// per crawl setting that has one, bound to o and cfg, with cfg's values as
// the defaults.
func crawlFlags(f *pflag.FlagSet, cfg *crawler.Config, o *crawlOptions) {
	for _, opt := range options() {
		switch p := opt.field(o).(type) {
		case *string:
			f.StringVarP(p, flagName(opt.key), opt.short, opt.def, opt.help)
		case *bool:
			f.BoolVarP(p, flagName(opt.key), opt.short, false, opt.help)
		default:
			panic(fmt.Sprintf("option %s: no flag for a %T", opt.key, p))
		}
	}
	for _, s := range crawler.Settings() {
		if s.FileOnly {
			continue
		}
		name := flagName(s.Key)
		switch p := s.Field(cfg).(type) {
		case *string:
			def := *p
			if s.NoDefault {
				def = ""
			}
			f.StringVar(p, name, def, s.Help)
		case *int:
			f.IntVar(p, name, *p, s.Help)
		case *int64:
			f.Var(sizeFlag{p}, name, s.Help)
		case *float64:
			f.Float64Var(p, name, *p, s.Help)
		case *bool:
			f.BoolVar(p, name, *p, s.Help)
		case *crawler.Duration:
			f.Var(durationFlag{p}, name, s.Help)
		case *crawler.Secret:
			f.Var(secretFlag{p}, name, s.Help)
		case *crawler.ProxyList:
			f.Var(proxyFlag{p}, name, s.Help)
		case *[]string:
			if s.CommaList {
				f.StringSliceVar(p, name, *p, s.Help)
			} else {
				f.StringArrayVar(p, name, *p, s.Help)
			}
		default:
			panic(fmt.Sprintf("setting %s: no flag for a %T", s.Key, p))
		}
	}
}

// givenSettings returns the keys of the crawl settings this invocation
// gives, on the command line or in its config file. A config file gives
// every extraction setting, so that editing its rules and running the same
// command again uses them.
func givenSettings(flags *pflag.FlagSet, o crawlOptions) []string {
	keys := slices.Clone(o.fileKeys)
	flags.Visit(func(f *pflag.Flag) { keys = append(keys, keyOf(f.Name)) })
	var given []string
	for _, k := range keys {
		if s, ok := crawler.LookupSetting(k); ok {
			given = append(given, s.Key)
		}
	}
	for _, opt := range options() {
		if opt.setting != "" && slices.Contains(keys, opt.key) {
			given = append(given, opt.setting)
		}
	}
	if o.config != "" {
		for _, s := range crawler.Settings() {
			if s.Class == crawler.Extraction {
				given = append(given, s.Key)
			}
		}
	}
	slices.Sort(given)
	return slices.Compact(given)
}

// dbOutage reads --db-outage (empty for its default).
func dbOutage(o crawlOptions) (time.Duration, error) {
	if o.dbOutage == "" {
		return postgres.DefaultOutage, nil
	}
	d, err := parseDuration(o.dbOutage)
	if err != nil || d <= 0 {
		return 0, errors.New("want a positive duration such as 5m")
	}
	return d, nil
}

// leaseTimes reads --lease and --heartbeat (each empty for its default),
// refusing a pair that would let a live worker's hosts expire between two
// of its heartbeats.
func leaseTimes(o crawlOptions) (lease, heartbeat time.Duration, err error) {
	lease, heartbeat = postgres.DefaultLease, postgres.DefaultHeartbeat
	if o.lease != "" {
		if lease, err = parseDuration(o.lease); err != nil || lease <= 0 {
			return 0, 0, fmt.Errorf("lease %q: want a positive duration such as 15s", o.lease)
		}
	}
	if o.heartbeat != "" {
		if heartbeat, err = parseDuration(o.heartbeat); err != nil || heartbeat <= 0 {
			return 0, 0, fmt.Errorf("heartbeat %q: want a positive duration such as 2s", o.heartbeat)
		}
	}
	if 3*heartbeat > lease {
		return 0, 0, fmt.Errorf("heartbeat %s is more than a third of lease %s: a live worker would lose its hosts between heartbeats", heartbeat, lease)
	}
	return lease, heartbeat, nil
}
