package crawler

import (
	"net/url"
	"reflect"

	"github.com/trawl-crawler/trawl/crawler/urlkey"
)

// Class says what becomes of a setting that an invocation gives when the
// database already holds a crawl: on a resume of its unfinished run, on a
// refresh run after it finished, and on a new crawl (an empty database, or
// --fresh).
//
//	class       new crawl   resume                     refresh
//	Tuning      stored      this invocation only       this invocation only
//	Defining    stored      kept, with a warning       this invocation only
//	Budget      this invocation, always: never taken from a stored run
//	Extraction  stored      replaces the stored one    replaces the stored one
//
// "This invocation only" means the stored configuration is not changed: a
// later plain resume or cron run crawls with the crawl's own settings again.
type Class int

const (
	// Tuning settings say how to crawl: speed, politeness, requests, what is
	// written besides the database.
	Tuning Class = iota
	// Defining settings decide which URLs belong to the crawl (and, for
	// revisit_after, which are due in a refresh). A resume keeps the stored
	// ones, since changing them mid-run would strand or re-admit queued URLs.
	Defining
	// Budget settings bound one invocation: a cron line's --max-duration
	// must not bind a later manual resume, and the reverse.
	Budget
	// Extraction settings say what is kept of each page. Given, they replace
	// the stored ones for good, so that editing the rules and running the
	// same command again uses the new rules.
	Extraction
)

// String names the class as the documentation does.
func (c Class) String() string {
	switch c {
	case Tuning:
		return "tuning"
	case Defining:
		return "defining"
	case Budget:
		return "budget"
	case Extraction:
		return "extraction"
	}
	return "unknown"
}

// Setting is one crawl setting: a field of Config, with everything that a
// command line, a config file and a resume need to know about it. The table
// of them (Settings) is the one place a setting is declared; the flags, the
// config file keys, the help and the resume rules are all read from it.
type Setting struct {
	// Key names the setting in the stored configuration (Config's JSON) and
	// in a config file. Its flag is Key with '-' for '_'.
	Key string
	// Help is the flag's one line of help.
	Help  string
	Class Class
	// FileOnly settings have no flag: their values (a map, a list of rules)
	// are written in a config file.
	FileOnly bool
	// Path settings name a file or directory: relative to the config file's
	// directory when written there, and made absolute at start so that a
	// resume from another directory reads the same one.
	Path bool
	// Hidden settings are never logged: their values may carry a credential
	// (an Authorization header, a login cookie, a proxy URL's password).
	Hidden bool
	// CommaList settings take several values in one flag ("a,b"); other
	// lists take one value per use of the flag.
	CommaList bool
	// NoDefault settings start empty on the command line and in a config
	// file, whatever DefaultConfig says: empty means "derive it at start"
	// (the User-Agent from --contact).
	NoDefault bool

	field func(*Config) any
}

// Field returns a pointer to the setting's field in c: *string, *int,
// *int64 (a size in bytes), *float64, *bool, *Duration, *[]string, *Secret,
// *ProxyList, *Login,
// *map[string][]string or *[]extract.RuleSpec.
func (s Setting) Field(c *Config) any { return s.field(c) }

// copyField sets the setting's field in dst to its value in src.
func (s Setting) copyField(dst *Config, src Config) {
	reflect.ValueOf(s.field(dst)).Elem().Set(reflect.ValueOf(s.field(&src)).Elem())
}

// Settings returns every crawl setting, once, in the order of the README's
// table of flags.
// Config's fields that are not settings are its seeds (the command's
// arguments) and RefreshCutoff (set by the run, not by a user).
func Settings() []Setting {
	return []Setting{
		{Key: "scope", Class: Defining, field: func(c *Config) any { return &c.Scope },
			Help: "which links to follow: host (the seeds' hosts), domain (their registrable domains) or any"},
		{Key: "allow", Class: Defining, field: func(c *Config) any { return &c.Allow },
			Help: "only follow URLs matching this regexp (repeatable)"},
		{Key: "deny", Class: Defining, field: func(c *Config) any { return &c.Deny },
			Help: "never follow URLs matching this regexp (repeatable)"},
		{Key: "drop_params", Class: Defining, CommaList: true, field: func(c *Config) any { return &c.DropParams },
			Help: "query parameters to remove before deduplicating URLs: names or prefixes with * (e.g. 'utm_*,fbclid,sessionid')"},
		{Key: "max_depth", Class: Tuning, field: func(c *Config) any { return &c.MaxDepth },
			Help: "maximum link hops from a seed (0: no limit)"},
		{Key: "max_pages", Class: Budget, field: func(c *Config) any { return &c.MaxPages },
			Help: "stop after fetching this many pages in this invocation; resumable (0: no limit)"},
		{Key: "max_duration", Class: Budget, field: func(c *Config) any { return &c.MaxDuration },
			Help: "stop gracefully after this long (e.g. 45m); resumable (0: no limit)"},
		{Key: "revisit_after", Class: Defining, field: func(c *Config) any { return &c.RevisitAfter },
			Help: "in a refresh run, fetch again pages fetched by a run that started this long ago (less a small slack)"},
		{Key: "max_pages_per_host", Class: Tuning, field: func(c *Config) any { return &c.MaxPagesPerHost },
			Help: "fetch at most this many pages from one host in a run (0: no limit)"},
		{Key: "concurrency", Class: Tuning, field: func(c *Config) any { return &c.Concurrency },
			Help: "concurrent fetchers in total"},
		{Key: "per_host", Class: Tuning, field: func(c *Config) any { return &c.PerHost },
			Help: "concurrent requests to one host"},
		{Key: "delay", Class: Tuning, field: func(c *Config) any { return &c.Delay },
			Help: "minimum gap between requests to one host, e.g. 0.5 (seconds) or 250ms (robots.txt Crawl-delay wins when larger)"},
		{Key: "timeout", Class: Tuning, field: func(c *Config) any { return &c.Timeout },
			Help: "timeout for one request, body included"},
		{Key: "max_body", Class: Tuning, field: func(c *Config) any { return &c.MaxBody },
			Help: "largest body to download (bytes, or e.g. 512K, 10M); longer ones are truncated and recorded as too-large"},
		{Key: "user_agent", Class: Tuning, NoDefault: true, field: func(c *Config) any { return &c.UserAgent },
			Help: "User-Agent header (default \"trawl/<version> (+<contact>)\")"},
		{Key: "robots_agent", Class: Tuning, field: func(c *Config) any { return &c.RobotsAgent },
			Help: "product token matched against robots.txt User-agent lines"},
		{Key: "ignore_robots", Class: Tuning, field: func(c *Config) any { return &c.IgnoreRobots },
			Help: "do not fetch or obey robots.txt (only for sites you own)"},
		{Key: "max_crawl_delay", Class: Tuning, field: func(c *Config) any { return &c.MaxCrawlDelay },
			Help: "cap on a robots.txt Crawl-delay"},
		{Key: "max_retry_after", Class: Tuning, field: func(c *Config) any { return &c.MaxRetryAfter },
			Help: "longest Retry-After pause to wait out; a host asking for more is parked until the next run"},
		{Key: "sitemaps", Class: Tuning, field: func(c *Config) any { return &c.Sitemaps },
			Help: "read the sitemaps robots.txt lists (or /sitemap.xml) and crawl the URLs in scope"},
		{Key: "auto_throttle", Class: Tuning, field: func(c *Config) any { return &c.AutoThrottle },
			Help: "let each host's delay follow its response time (see README)"},
		{Key: "throttle_target", Class: Tuning, field: func(c *Config) any { return &c.ThrottleTarget },
			Help: "auto-throttle target: the share of --per-host kept in flight while a host keeps its speed (below 1 crawls gentler)"},
		{Key: "max_delay", Class: Tuning, field: func(c *Config) any { return &c.MaxDelay },
			Help: "ceiling for the auto-throttled delay"},
		{Key: "retries", Class: Tuning, field: func(c *Config) any { return &c.Retries },
			Help: "extra attempts for transient failures (timeouts, resets, 5xx, 429)"},
		{Key: "retry_base", Class: Tuning, field: func(c *Config) any { return &c.RetryBase },
			Help: "delay before the first retry; doubles with each attempt, with jitter"},
		{Key: "store_body", Class: Extraction, field: func(c *Config) any { return &c.StoreBody },
			Help: "keep each HTML body (compressed) so trawl extract can re-run rules later"},
		{Key: "store_text", Class: Extraction, field: func(c *Config) any { return &c.StoreText },
			Help: "keep each page's main text (boilerplate removed)"},
		{Key: "rules", Class: Extraction, FileOnly: true, field: func(c *Config) any { return &c.Rules },
			Help: "extraction rules: CSS selectors whose matches are recorded as items (see README)"},
		{Key: "header", Class: Tuning, Hidden: true, field: func(c *Config) any { return &c.Header },
			Help: "request header 'Name: value' sent to every host (repeatable; per-host headers: host_headers in --config)"},
		{Key: "host_headers", Class: Tuning, Hidden: true, FileOnly: true, field: func(c *Config) any { return &c.HostHeaders },
			Help: "request headers for one host: a map from host (example.com or example.com:8080) to 'Name: value' lines"},
		{Key: "cookie", Class: Tuning, Hidden: true, field: func(c *Config) any { return &c.Cookie },
			Help: "cookie 'name=value' sent to the seeds' hosts (repeatable)"},
		{Key: "cookies_file", Class: Tuning, Path: true, field: func(c *Config) any { return &c.CookiesFile },
			Help: "Netscape cookies.txt (as curl -c and wget --save-cookies write it) loaded into the cookie jar"},
		{Key: "basic_auth", Class: Tuning, field: func(c *Config) any { return &c.BasicAuth },
			Help: "HTTP basic auth 'user:password' for the seeds' hosts, or env:VAR or file:PATH holding it (never stored)"},
		{Key: "bearer", Class: Tuning, field: func(c *Config) any { return &c.Bearer },
			Help: "bearer token for the seeds' hosts, or env:VAR or file:PATH holding it (never stored)"},
		{Key: "proxy", Class: Tuning, Hidden: true, field: func(c *Config) any { return &c.Proxy },
			Help: "proxy URL (http://, https:// or socks5://host:port), or none; repeatable: a list of proxies, each host's requests through one, a failing proxy rested (see README); default: HTTP_PROXY, HTTPS_PROXY and NO_PROXY"},
		{Key: "proxy_auth", Class: Tuning, field: func(c *Config) any { return &c.ProxyAuth },
			Help: "the proxy's user:password, or env:VAR or file:PATH holding it (never stored)"},
		{Key: "login", Class: Tuning, FileOnly: true, Hidden: true, field: func(c *Config) any { return &c.Login },
			Help: "a login step before the crawl: the login page's url, its form, the fields to fill in (env:VAR, file:PATH or values), the success condition (see README)"},
		{Key: "ca_cert", Class: Tuning, Path: true, field: func(c *Config) any { return &c.CACert },
			Help: "PEM file of CA certificates to trust besides the system's (a company or test CA)"},
		{Key: "insecure", Class: Tuning, field: func(c *Config) any { return &c.Insecure },
			Help: "do not verify TLS certificates (dangerous: logged as a warning at every start)"},
		{Key: "warc", Class: Tuning, Path: true, field: func(c *Config) any { return &c.WARC },
			Help: "directory to write every request and response to, as gzipped WARC 1.1 files"},
		{Key: "warc_max_size", Class: Tuning, field: func(c *Config) any { return &c.WARCMaxSize },
			Help: "start a new WARC file before one grows past this size (default 1G)"},
	}
}

// LookupSetting returns the setting named key.
func LookupSetting(key string) (Setting, bool) {
	for _, s := range Settings() {
		if s.Key == key {
			return s, true
		}
	}
	return Setting{}, false
}

// CheckSettings reports the first setting of c that cannot work, as
// Validate does, but without needing seeds, and with the allow and deny
// patterns compiled (a bad one is a *urlkey.PatternError). It lets a caller
// refuse bad settings before a store is opened or created.
func (c Config) CheckSettings() error {
	// A placeholder stands in for the seeds, which a resume takes from the
	// store: no setting's validity depends on which seeds there are.
	placeholder := &url.URL{Scheme: "http", Host: "placeholder.invalid", Path: "/"}
	if len(c.Seeds) == 0 {
		c.Seeds = []string{placeholder.String()}
	}
	if err := c.Validate(); err != nil {
		return err
	}
	_, err := urlkey.NewScope(c.Scope, []*url.URL{placeholder}, c.Allow, c.Deny)
	return err
}
