package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/trawl-crawler/trawl/store/record"
)

// DB is a trawl database on PostgreSQL. It is safe for concurrent use; the
// write-side caches (the run's seen set, host ids) are guarded by mu, as in
// the SQLite backend, since Commit is called from one writer goroutine.
type DB struct {
	pool   *pgxpool.Pool
	r      *sql.DB // database/sql over pool, for the read commands (see Reader)
	target string  // user@host:port/database, for messages

	mu      sync.Mutex
	seen    map[int64]struct{} // ids of the URLs that belong to run seenRun; nil until loaded
	seenRun int64
	// soft holds the run's URLs skipped softly (NewURL.Soft), with their
	// reason, so that a later discovery without a skip can queue them.
	soft   map[int64]string
	hostID map[string]int64
	seq    int64

	o options

	// lmu guards the registration and the leases, apart from mu, which a
	// commit holds while it runs.
	lmu     sync.Mutex
	w       *worker // this process's registration, while Lock holds it
	leases  map[string]*lease
	leasing bool // hosts are claimed (ClaimHosts): commits check leases
	// begin holds the begin lock (see Lock) until the worker starts
	// crawling, so that of workers starting together one starts or
	// resumes the run and the others join it.
	begin *pgxpool.Conn

	// pending is a commit whose COMMIT got no answer: the next attempt
	// learns from the worker's commit counter whether it was applied.
	pending func() record.CommitResult
	commits int64 // this registration's commits, as workers.commits

	claimTrips, leaseTrips atomic.Int64 // see LeaseStats
}

// LeaseStats says what leasing hosts has cost this handle so far: the
// claim statements it sent, and all its round trips for leases (claims,
// renewals with the heartbeat, and the lease check that opens a commit;
// releases ride in commits).
func (db *DB) LeaseStats() (claims, roundTrips int64) {
	return db.claimTrips.Load(), db.leaseTrips.Load()
}

// Option configures Open.
type Option func(*options)

type options struct {
	heartbeat time.Duration
	lease     time.Duration
	outage    time.Duration
}

// Default worker heartbeat settings.
const (
	// DefaultHeartbeat is how often a worker that holds the lock says it
	// is alive.
	DefaultHeartbeat = 2 * time.Second
	// DefaultLease is how long after its last heartbeat a worker counts
	// as gone (killed, its machine off), so that another may take over.
	DefaultLease = 15 * time.Second
	// DefaultOutage is how long a running crawl waits for a database that
	// went away (restarting, unreachable) before it gives up.
	DefaultOutage = 5 * time.Minute
)

// Outage sets how long a running crawl waits, retrying with back-off, for
// a database that went away before its requests fail.
func Outage(d time.Duration) Option {
	return func(o *options) { o.outage = d }
}

// Heartbeat sets how often a worker's heartbeat is written (renewing its
// host leases too), and after how long without one it and its leases
// count as gone (lease must be longer than every; a few heartbeats'
// worth).
func Heartbeat(every, lease time.Duration) Option {
	return func(o *options) { o.heartbeat, o.lease = every, lease }
}

// idleInTx is the server setting that ends a session idle inside a
// transaction for longer than it.
const idleInTx = "idle_in_transaction_session_timeout"

// connectTimeout bounds a connection attempt when the connection string
// sets none: a server that does not answer is reported, not waited for.
const connectTimeout = 10 * time.Second

// Open connects to the PostgreSQL database named by dsn (a postgres:// URL
// or a key=value connection string, as libpq reads them) and brings trawl's
// schema there up to date, creating it in an empty database. It writes
// nothing, and returns an *OpenError, when the server is unreachable, the
// login is refused, the database does not exist, or it holds another
// application's tables.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	o := options{heartbeat: DefaultHeartbeat, lease: DefaultLease, outage: DefaultOutage}
	for _, opt := range opts {
		opt(&o)
	}
	if o.heartbeat <= 0 || o.lease <= o.heartbeat {
		return nil, fmt.Errorf("postgres: heartbeat %v and lease %v: the lease must be longer than the heartbeat", o.heartbeat, o.lease)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, openError(ErrBadURL, redact(dsn), err, parseDetail(err))
	}
	target := describe(cfg.ConnConfig)
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	if _, set := cfg.ConnConfig.RuntimeParams[idleInTx]; !set {
		// A worker paused inside a transaction (stopped, a long GC pause)
		// would hold its locks, its host leases' among them, until it
		// woke: the server ends such a session after a lease, so that
		// another worker can take the hosts over.
		cfg.ConnConfig.RuntimeParams[idleInTx] = strconv.FormatInt(o.lease.Milliseconds(), 10)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, classify(target, err)
	}
	db := &DB{pool: pool, r: stdlib.OpenDBFromPool(pool), target: target, hostID: map[string]int64{}, o: o, leases: map[string]*lease{}}
	if err := db.setUp(ctx); err != nil {
		db.r.Close()
		pool.Close()
		return nil, err
	}
	return db, nil
}

// setUp checks that the database is trawl's (or empty) without writing,
// then migrates.
func (db *DB) setUp(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return classify(db.target, err)
	}
	if err := db.identify(ctx); err != nil {
		return err
	}
	return migrate(ctx, db.pool, db.target)
}

// identify reports an *OpenError for a database whose current schema holds
// tables that are not trawl's, or trawl's of a newer version, and for one
// without a schema to create tables in. It only reads.
func (db *DB) identify(ctx context.Context) error {
	var schema *string
	var others []string
	err := db.pool.QueryRow(ctx, `SELECT current_schema(), coalesce((SELECT array_agg(c.relname::text ORDER BY c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'm', 'p', 'f')), '{}')`).Scan(&schema, &others)
	if err != nil {
		return classify(db.target, err)
	}
	if schema == nil {
		return openError(ErrPermission, db.target, nil,
			"no schema to create tables in (none of the search_path exists); create one or set search_path")
	}
	if len(others) == 0 {
		return nil
	}
	var app string
	if slices.Contains(others, "trawl_meta") {
		err := db.pool.QueryRow(ctx, `SELECT value FROM trawl_meta WHERE key = 'application'`).Scan(&app)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return classify(db.target, err)
		}
	}
	if app != "trawl" {
		shown := others
		if len(shown) > 5 {
			shown = append(shown[:5:5], "...")
		}
		return openError(ErrNotTrawl, db.target, nil, fmt.Sprintf("schema %s holds other tables (%s); name an empty database or another schema",
			*schema, strings.Join(shown, ", ")))
	}
	version, err := schemaVersion(ctx, db.pool)
	if err != nil {
		return classify(db.target, err)
	}
	if version > SchemaVersion() {
		return openError(ErrNewerSchema, db.target, nil,
			fmt.Sprintf("has schema version %d, this trawl knows %d; upgrade trawl", version, SchemaVersion()))
	}
	return nil
}

// describe names a connection's target for messages: user@host:port/db,
// without the password.
func describe(c *pgx.ConnConfig) string {
	return c.User + "@" + c.Host + ":" + strconv.Itoa(int(c.Port)) + "/" + c.Database
}

// redact drops the password from a postgres:// URL for a message about it;
// anything else is not shown (""), since it may hold one in key=value form.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return ""
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// parseDetail is the reason pgx gives for a connection string it cannot
// read, without the string (it may hold a password).
func parseDetail(err error) string {
	var pe *pgconn.ParseConfigError
	if !errors.As(err, &pe) {
		return "cannot be read"
	}
	msg := pe.Error()
	if i := strings.LastIndex(msg, "`: "); i >= 0 {
		return msg[i+3:]
	}
	return "cannot be read"
}

// Target names the database, as user@host:port/database.
func (db *DB) Target() string { return db.target }

// Pool returns the connection pool, for ad-hoc queries.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Close releases the lock if this handle holds it, and closes every
// connection.
func (db *DB) Close() error {
	err := db.Unlock(context.Background())
	db.mu.Lock()
	db.seen, db.soft = nil, nil
	db.mu.Unlock()
	if cerr := db.r.Close(); err == nil {
		err = cerr
	}
	db.pool.Close()
	return err
}

// querier is what a pool, a connection and a transaction share.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
