package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/trawl-crawler/trawl/store/record"
)

// saveCookies records cookies in the commit's transaction, so that a cookie is
// durable exactly when the fetch that received it is. A cookie replaces the
// one the same URL set with the same domain, path and name.
func saveCookies(ctx context.Context, tx *sql.Tx, cookies []record.Cookie) error {
	for _, c := range cookies {
		var expires any
		if !c.Expires.IsZero() {
			expires = formatTime(c.Expires)
		}
		if _, err := tx.ExecContext(ctx, `
INSERT INTO cookies (url, name, domain, path, value, expires, secure, http_only, same_site, received_at, seq)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM cookies))
ON CONFLICT (url, domain, path, name) DO UPDATE SET
	value = excluded.value, expires = excluded.expires, secure = excluded.secure,
	http_only = excluded.http_only, same_site = excluded.same_site,
	received_at = excluded.received_at, seq = excluded.seq`,
			c.URL, c.Name, c.Domain, c.Path, c.Value, expires, c.Secure, c.HTTPOnly, nullStr(c.SameSite),
			formatTime(c.Received)); err != nil {
			return fmt.Errorf("store: keep cookie %s from %s: %w", c.Name, c.URL, err)
		}
	}
	return nil
}

// Cookies returns the stored cookie jar in the order the cookies were
// received, expired ones included: replayed in order, an expired cookie
// deletes the one it replaced, as it did when it was received.
func (db *DB) Cookies(ctx context.Context) ([]record.Cookie, error) {
	rows, err := db.r.QueryContext(ctx, `
SELECT url, name, domain, path, value, expires, secure, http_only, same_site, received_at
FROM cookies ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("store: read cookies from %s: %w", db.path, err)
	}
	defer rows.Close()
	var out []record.Cookie
	for rows.Next() {
		var c record.Cookie
		var expires, sameSite sql.NullString
		var received string
		if err := rows.Scan(&c.URL, &c.Name, &c.Domain, &c.Path, &c.Value, &expires, &c.Secure, &c.HTTPOnly,
			&sameSite, &received); err != nil {
			return nil, fmt.Errorf("store: read cookies from %s: %w", db.path, err)
		}
		if expires.Valid {
			if c.Expires, err = time.Parse(timeLayout, expires.String); err != nil {
				return nil, fmt.Errorf("store: cookie %s from %s: expires %q: %w", c.Name, c.URL, expires.String, err)
			}
		}
		c.Received, _ = time.Parse(timeLayout, received)
		c.SameSite = sameSite.String
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read cookies from %s: %w", db.path, err)
	}
	return out, nil
}
