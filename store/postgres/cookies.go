package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/trawl-crawler/trawl/store/record"
)

// Cookies returns the stored cookie jar in the order the cookies were
// received, expired ones included: replayed in order, an expired cookie
// deletes the one it replaced, as it did when it was received.
func (db *DB) Cookies(ctx context.Context) ([]record.Cookie, error) {
	rows, err := db.pool.Query(ctx, `
SELECT url, name, domain, path, value, coalesce(expires, ''), secure, http_only, coalesce(same_site, ''), received_at
FROM cookies ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("postgres: read cookies from %s: %w", db.target, err)
	}
	var out []record.Cookie
	var c record.Cookie
	var expires, received string
	var secure, httpOnly int32
	_, err = pgx.ForEachRow(rows, []any{&c.URL, &c.Name, &c.Domain, &c.Path, &c.Value, &expires, &secure, &httpOnly,
		&c.SameSite, &received}, func() error {
		k := c
		if expires != "" {
			var err error
			if k.Expires, err = timeOf(expires); err != nil {
				return fmt.Errorf("cookie %s from %s: expires %q: %w", k.Name, k.URL, expires, err)
			}
		}
		k.Received = parseTime(received)
		k.Secure, k.HTTPOnly = secure != 0, httpOnly != 0
		out = append(out, k)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: read cookies from %s: %w", db.target, err)
	}
	return out, nil
}
