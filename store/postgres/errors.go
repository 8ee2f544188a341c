package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Sentinel errors that an *OpenError matches with errors.Is: the causes a
// user can act on when a PostgreSQL database cannot be used.
var (
	// ErrBadURL means the connection string could not be read.
	ErrBadURL = errors.New("bad PostgreSQL connection string")
	// ErrUnreachable means no connection to the server could be made: no
	// server listens there, the name does not resolve, or it timed out.
	ErrUnreachable = errors.New("cannot reach the PostgreSQL server")
	// ErrAuth means the server refused the login: a wrong password, an
	// unknown user, or no pg_hba.conf entry allowing it.
	ErrAuth = errors.New("PostgreSQL refused the login")
	// ErrNoDatabase means the server has no database of that name.
	ErrNoDatabase = errors.New("no such PostgreSQL database")
	// ErrPermission means the user may not create trawl's tables there.
	ErrPermission = errors.New("no permission to create trawl's tables")
	// ErrNotTrawl means the database (its current schema) holds another
	// application's tables.
	ErrNotTrawl = errors.New("not a trawl database")
	// ErrNewerSchema means the database was written by a newer trawl.
	ErrNewerSchema = errors.New("database schema is newer than this trawl")
)

// OpenError is why Open could not use a database. Its message is one line
// naming the database (never the password) and the cause; errors.Is
// matches Kind, and the driver's error, when there is one, is Err.
type OpenError struct {
	Kind   error  // one of the sentinels above
	Target string // user@host:port/database; empty for a connection string that cannot be read
	Err    error  // the driver's error, or nil
	detail string
}

// Error says what went wrong with which database, in one line.
func (e *OpenError) Error() string {
	msg := "postgres: " + e.Kind.Error()
	if e.Target != "" {
		msg = "postgres: " + e.Target + ": " + e.Kind.Error()
	}
	if e.detail != "" {
		msg += ": " + e.detail
	}
	return oneLine(msg)
}

// Unwrap returns the sentinel and the driver's error.
func (e *OpenError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

func openError(kind error, target string, err error, detail string) *OpenError {
	return &OpenError{Kind: kind, Target: target, Err: err, detail: detail}
}

// PostgreSQL error codes (SQLSTATE) that classify tells apart.
const (
	codeInvalidPassword      = "28P01"
	codeInvalidAuthorization = "28000"
	codeNoDatabase           = "3D000"
	codeInsufficientPrivs    = "42501"
	codeCannotConnectNow     = "57P03"
	codeTooManyConnections   = "53300"
)

// classify turns an error met while connecting to or setting up target into
// an *OpenError when its cause is one a user can act on; other errors are
// wrapped as they are.
func classify(target string, err error) error {
	var oe *OpenError
	if errors.As(err, &oe) {
		return err
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case codeInvalidPassword, codeInvalidAuthorization:
			return openError(ErrAuth, target, err, pg.Message)
		case codeNoDatabase:
			return openError(ErrNoDatabase, target, err, pg.Message+"; create it (createdb) or name another")
		case codeInsufficientPrivs:
			return openError(ErrPermission, target, err, pg.Message)
		case codeCannotConnectNow, codeTooManyConnections:
			return openError(ErrUnreachable, target, err, pg.Message)
		}
		return fmt.Errorf("postgres: %s: %w", target, err)
	}
	var op *net.OpError
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		return openError(ErrUnreachable, target, err, dns.Error())
	case errors.As(err, &op):
		return openError(ErrUnreachable, target, err, op.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return openError(ErrUnreachable, target, err, "timed out: the server did not answer")
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		// Neither a server's refusal nor a network error: the client gave
		// up (TLS, a password the server asked for and none was given).
		msg := errors.Unwrap(ce).Error()
		if strings.Contains(msg, "password") || strings.Contains(msg, "SASL") || strings.Contains(msg, "auth") {
			return openError(ErrAuth, target, err, msg)
		}
		return openError(ErrUnreachable, target, err, msg)
	}
	return fmt.Errorf("postgres: %s: %w", target, err)
}

// oneLine joins a multi-line driver message (pgx puts one line per address
// tried) into one.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n\t", "; ")
	return strings.ReplaceAll(s, "\n", "; ")
}
