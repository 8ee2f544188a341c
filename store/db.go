package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"

	"github.com/trawl-crawler/trawl/store/record"
)

// Sentinel errors that callers test for with errors.Is.
var (
	// ErrNotTrawl means the file exists but is not a trawl database.
	ErrNotTrawl = errors.New("not a trawl database")
	// ErrNewerSchema means the database was written by a newer trawl.
	ErrNewerSchema = errors.New("database schema is newer than this trawl")
	// ErrLocked means another live process holds the run lock; it is
	// record.ErrLocked, which every backend's lock error matches.
	ErrLocked = record.ErrLocked
	// ErrDiskFull means a write failed because the disk, or the MaxSize
	// cap, is full. The transaction in progress rolled back and everything
	// committed before it stays, so the work can go on once there is room.
	ErrDiskFull = errors.New("disk full")
)

// DB is a trawl database. Writes go through one connection (SQLite allows one
// writer at a time, and one connection avoids busy waits between our own
// goroutines); reads use a separate pool so that they never wait for a write
// transaction in WAL mode.
type DB struct {
	path string
	w    *sql.DB
	r    *sql.DB

	// mu guards the write-side caches below. Commit is called from one writer
	// goroutine in practice, but the lock keeps DB safe for concurrent use.
	mu      sync.Mutex
	seen    *idSet // ids of the URLs that belong to run seenRun; nil until loaded
	seenRun int64
	// soft holds the run's URLs skipped softly (NewURL.Soft), with their
	// reason, so that a later discovery without a skip can queue them.
	soft   map[int64]string
	hostID map[string]int64
	seq    int64
	stmts  *writeStmts

	// qmu guards queued, the prepared read of a host's queue (QueuedURLs),
	// prepared on first use: the crawl reads it about once per 30 URLs,
	// and preparing it each time was a fifth of its cost.
	qmu    sync.Mutex
	queued *sql.Stmt
}

func dsn(path string, readOnly bool) string {
	v := url.Values{}
	v.Add("_pragma", "busy_timeout(10000)")
	v.Add("_pragma", "foreign_keys(off)")
	if readOnly {
		v.Add("mode", "ro")
		v.Add("_pragma", "query_only(1)")
	} else {
		v.Add("_pragma", "journal_mode(WAL)")
		v.Add("_pragma", "synchronous(NORMAL)")
		v.Add("_pragma", "cache_size(-16000)")
		// A checkpoint every 8,000 pages (32 MB of WAL) instead of 1,000
		// copies the pages every commit touches (indexes, the run's and
		// the hosts' rows) to the file once for eight times as many
		// commits: on the crawl of the four documentation sites it took
		// the checkpoints from 0.86 to 0.33 CPU s. The WAL is that much
		// larger on disk until the next checkpoint, and removed on close.
		v.Add("_pragma", "wal_autocheckpoint(8000)")
		v.Add("_txlock", "immediate")
	}
	if readOnly {
		// modernc honours mode=ro only in a file: URI; without it the "read
		// only" pool could still checkpoint a WAL or change the journal mode.
		return "file:" + strings.ReplaceAll(filepath.Clean(path), "%", "%25") + "?" + v.Encode()
	}
	return path + "?" + v.Encode()
}

// SQLite result codes that the store tells apart (the low byte of a code).
const (
	sqliteBusy     = 5  // SQLITE_BUSY: another connection holds a lock
	sqliteReadOnly = 8  // SQLITE_READONLY, e.g. SQLITE_READONLY_DIRECTORY
	sqliteFull     = 13 // SQLITE_FULL: the disk, or max_page_count, is full
	sqliteCantOpen = 14 // SQLITE_CANTOPEN
	sqliteNotADB   = 26 // SQLITE_NOTADB: the file is not an SQLite database
)

// sqliteCode returns the primary SQLite result code of err, or 0.
func sqliteCode(err error) int {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		return coded.Code() & 0xff
	}
	return 0
}

// diskFull returns err so that it matches ErrDiskFull and names the
// database when it is SQLite's SQLITE_FULL or the file system's ENOSPC;
// any other error, and nil, it returns as it is. Callers need not know
// SQLite's result codes.
func (db *DB) diskFull(err error) error {
	if err == nil || errors.Is(err, ErrDiskFull) || sqliteCode(err) != sqliteFull && !errors.Is(err, syscall.ENOSPC) {
		return err
	}
	return fmt.Errorf("%w (%s): %w", ErrDiskFull, db.path, err)
}

// openReader opens a read-only pool on the existing file at path and checks,
// without writing anything, that it is a trawl database (or an empty SQLite
// file that Open may initialise).
//
// Reading a database in WAL mode needs its -shm file. Where that cannot be
// created (a directory without write permission) and there is no WAL content
// to read, the file alone is the whole database, and it is opened immutable;
// with WAL content, an immutable open would silently miss the last commits,
// so openReader says what to do instead.
func openReader(ctx context.Context, path string) (*sql.DB, error) {
	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	err = identify(ctx, r, path)
	if err != nil && cannotCreateSHM(path, err) {
		r.Close()
		if st, serr := os.Stat(path + "-wal"); serr == nil && st.Size() > 0 {
			return nil, fmt.Errorf("store: cannot read %s: its write-ahead log %s-wal holds unfinished commits, and reading them needs "+
				"%s-shm, which cannot be created (%w); the directory %s must be writable, or run any trawl write command "+
				"(trawl crawl, trawl extract) on the database once where it is, which checkpoints the log",
				path, path, path, errors.Unwrap(err), filepath.Dir(path))
		}
		if r, err = sql.Open("sqlite", dsn(path, true)+"&immutable=1"); err != nil {
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
		err = identify(ctx, r, path)
	}
	if err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// cannotCreateSHM reports whether err, from a read-only open of path, means
// that SQLite could not create the database's -shm file.
func cannotCreateSHM(path string, err error) bool {
	if code := sqliteCode(err); code != sqliteReadOnly && code != sqliteCantOpen {
		return false
	}
	_, serr := os.Stat(path + "-shm")
	return errors.Is(serr, os.ErrNotExist)
}

// identify checks, through the read-only pool db, that path is a trawl
// database (or an empty SQLite file we may initialise). It reports
// ErrNotTrawl only for a file that is not an SQLite database at all, or one
// that holds another application's tables; any other failure (a corrupt
// file, a permission problem) is returned as it is, naming path.
func identify(ctx context.Context, db *sql.DB, path string) error {
	var app, version, tables int
	err := retryBusy(ctx, func() error {
		return db.QueryRowContext(ctx, `SELECT (SELECT application_id FROM pragma_application_id),
		(SELECT user_version FROM pragma_user_version),
		(SELECT count(*) FROM sqlite_schema)`).Scan(&app, &version, &tables)
	})
	switch {
	case err == nil:
	case sqliteCode(err) == sqliteNotADB:
		return fmt.Errorf("%w: %s is not an SQLite database file (%v)", ErrNotTrawl, path, err)
	default:
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	if app != appID && tables > 0 {
		return fmt.Errorf("%w: %s holds other data (application_id %d); pick another --db path", ErrNotTrawl, path, app)
	}
	if app == appID && version > SchemaVersion() {
		return fmt.Errorf("%w: %s has schema version %d, this trawl knows %d; upgrade trawl",
			ErrNewerSchema, path, version, SchemaVersion())
	}
	return nil
}

// Option configures Open.
type Option func(*options)

type options struct {
	maxBytes int64
}

// MaxSize caps the database file at about n bytes. Past it, writes fail as
// they would on a full disk (with ErrDiskFull): the transaction in progress
// rolls back and everything committed before it stays.
func MaxSize(n int64) Option { return func(o *options) { o.maxBytes = n } }

// Open opens (creating if needed) the trawl database at path for writing and
// brings its schema up to date. It refuses a file that is not a trawl database
// without modifying it.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if err := checkPath(path); err != nil {
		return nil, err
	}
	st, err := os.Stat(path)
	switch {
	case err == nil && st.IsDir():
		return nil, fmt.Errorf("store: %s is a directory, not a database file", path)
	case err == nil && st.Size() > 0:
		r, err := openReader(ctx, path)
		if err != nil {
			return nil, err
		}
		r.Close()
		if err := checkWritableFile(path); err != nil {
			return nil, err
		}
	case err == nil:
		if err := checkWritableFile(path); err != nil {
			return nil, err
		}
	case !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
		return nil, fmt.Errorf("store: %w", err)
	case err != nil:
		if err := checkWritableDir(path); err != nil {
			return nil, err
		}
	}
	wdsn := dsn(path, false)
	if o.maxBytes > 0 {
		// SQLite's default page size is 4096 bytes; the cap counts pages.
		wdsn += fmt.Sprintf("&_pragma=max_page_count(%d)", max(o.maxBytes/4096, 16))
	}
	w, err := sql.Open("sqlite", wdsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := retryBusy(ctx, func() error { return w.PingContext(ctx) }); err != nil {
		w.Close()
		return nil, writeOpenError(path, fmt.Errorf("store: open %s: %w", path, err))
	}
	if err := retryBusy(ctx, func() error { return migrate(ctx, w, path) }); err != nil {
		w.Close()
		return nil, writeOpenError(path, err)
	}
	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	return &DB{path: path, w: w, r: r, hostID: map[string]int64{}}, nil
}

// OpenReadOnly opens an existing trawl database for queries. It never writes,
// and works while a crawl is writing to the same file. It reports ErrNotTrawl
// only for a file that is not an SQLite database or holds another
// application's data, and ErrNewerSchema for a database of a newer trawl;
// other failures (a corrupt file, an unreadable directory) keep their cause.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("store: %s is a directory, not a database file", path)
	}
	r, err := openReader(ctx, path)
	if err != nil {
		return nil, err
	}
	r.SetMaxOpenConns(4)
	return &DB{path: path, r: r}, nil
}

// checkPath rejects names the driver would misread: it takes everything after
// a '?' as connection parameters.
func checkPath(path string) error {
	if path == "" {
		return errors.New("store: empty database path")
	}
	if strings.ContainsAny(path, "?#") {
		return fmt.Errorf("store: database path %q must not contain '?' or '#'", path)
	}
	return nil
}

// UnwritableError reports a database that cannot be written where it is:
// its directory is missing, is not a directory or is not writable (SQLite
// creates the -wal and -shm files beside the database), or the file itself
// is read-only.
type UnwritableError struct {
	Path string // the database file
	Err  error  // the cause: an *os.PathError, a syscall.Errno or SQLite's error
	msg  string
}

// Error says what is wrong with the path, in terms of the path.
func (e *UnwritableError) Error() string { return e.msg }

// Unwrap returns the cause.
func (e *UnwritableError) Unwrap() error { return e.Err }

// checkWritableDir returns an *UnwritableError when a database file cannot
// be created at path because of its directory.
func checkWritableDir(path string) error {
	if why, err := probeDir(filepath.Dir(path)); err != nil {
		return &UnwritableError{Path: path, Err: err, msg: "cannot create " + path + ": " + why}
	}
	return nil
}

// probeDir creates and removes a file in dir, which says more than
// permission bits (a read-only mount, an ACL), and on failure says why in
// terms of dir.
func probeDir(dir string) (why string, err error) {
	f, err := os.CreateTemp(dir, ".trawl-probe-*")
	if err == nil {
		name := f.Name()
		f.Close()
		return "", os.Remove(name)
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err // it names the probe file, which the user never asked for
	}
	switch {
	case errors.Is(err, os.ErrNotExist):
		why = "the directory " + dir + " does not exist"
	case errors.Is(err, syscall.ENOTDIR):
		why = dirNotADirectory(dir)
	case errors.Is(err, syscall.EROFS):
		why = "the directory " + dir + " is on a read-only file system"
	case errors.Is(err, os.ErrPermission):
		why = "the directory " + dir + " is not writable (" + err.Error() + ")"
	default:
		why = "cannot write in the directory " + dir + ": " + err.Error()
	}
	return why, err
}

// checkWritableFile returns an *UnwritableError when the existing file at
// path cannot be opened for writing. SQLite would open it read-only without a
// word and fail at the first write, far from the cause.
func checkWritableFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err == nil {
		return f.Close()
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var why string
	switch {
	case errors.Is(err, os.ErrPermission):
		why = "the file is read-only (" + err.Error() + ")"
	case errors.Is(err, syscall.EROFS):
		why = "it is on a read-only file system"
	default:
		return fmt.Errorf("store: open %s for writing: %w", path, err)
	}
	return &UnwritableError{Path: path, Err: err, msg: "cannot write " + path + ": " + why}
}

// dirNotADirectory names the part of dir that is a file, for ENOTDIR.
func dirNotADirectory(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if st, err := os.Stat(d); err == nil {
			if !st.IsDir() {
				return d + " is a file, not a directory"
			}
			break
		}
		if parent := filepath.Dir(d); parent == d {
			break
		}
	}
	return dir + " is not a directory"
}

// SQLite extended result codes that writeOpenError explains.
const (
	sqliteReadOnlyDirectory = sqliteReadOnly | 6<<8 // SQLITE_READONLY_DIRECTORY
)

// writeOpenError turns the errors SQLite gives when an existing database
// cannot be opened for writing into an *UnwritableError that says why in
// terms of the path; other errors are returned as they are.
func writeOpenError(path string, err error) error {
	var coded interface{ Code() int }
	if !errors.As(err, &coded) {
		return err
	}
	dir := filepath.Dir(path)
	var why string
	switch code := coded.Code(); {
	case code == sqliteReadOnlyDirectory:
		why = "its directory " + dir + " is not writable, and SQLite must create " + filepath.Base(path) +
			"-wal and -shm there; make the directory writable or copy the database elsewhere"
	case code == sqliteReadOnly:
		why = "the file is read-only"
	case code&0xff == sqliteCantOpen:
		var perr error
		if why, perr = probeDir(dir); perr == nil {
			return err
		}
	default:
		return err
	}
	return &UnwritableError{Path: path, Err: err, msg: "cannot write " + path + ": " + why}
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Reader returns the read-only connection pool, for ad-hoc queries.
func (db *DB) Reader() *sql.DB { return db.r }

// Close closes every connection and returns the first error.
func (db *DB) Close() error {
	var errs []error
	db.mu.Lock()
	if db.stmts != nil {
		errs = append(errs, db.stmts.close())
		db.stmts = nil
	}
	db.dropSeen()
	db.mu.Unlock()
	db.qmu.Lock()
	if db.queued != nil {
		errs = append(errs, db.queued.Close())
		db.queued = nil
	}
	db.qmu.Unlock()
	// The readers close first: the last connection to a WAL database
	// checkpoints the log and removes it, which only the writer can do. A
	// file left without a WAL can later be read where no -shm can be created.
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	return errors.Join(errs...)
}

// busyWait bounds how long Open waits for another process's lock, like the
// busy_timeout every connection sets.
const busyWait = 10 * time.Second

// retryBusy runs f until it does not fail with SQLITE_BUSY, for up to
// busyWait. SQLite's busy handler covers most lock waits, but not all: a new
// file being switched to WAL by another connection, or a reader meeting a
// WAL that is being set up, reports SQLITE_BUSY at once. Those windows last
// milliseconds, so a short back-off is enough.
func retryBusy(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(busyWait)
	wait := 2 * time.Millisecond
	for {
		err := f()
		if !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (or an extended code of it).
func isBusy(err error) bool { return sqliteCode(err) == sqliteBusy }
