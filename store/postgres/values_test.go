package postgres

import (
	"encoding/json"
	"testing"
)

// TestJSONNoNUL: the escapes PostgreSQL cannot read as text are replaced,
// and nothing else changes.
func TestJSONNoNUL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"a":"plain"}`, `{"a":"plain"}`},
		{`["\u0000"]`, `["\ufffd"]`},
		{`["x\u0000y\u0000"]`, `["x\ufffdy\ufffd"]`},
		{`["\\u0000"]`, `["\\u0000"]`},
		{`["\\\u0000"]`, `["\\\ufffd"]`},
		{`["\ud83d\ude00"]`, `["\ud83d\ude00"]`},
		{`["\uD83D\uDE00"]`, `["\uD83D\uDE00"]`},
		{`["\ud83d"]`, `["\ufffd"]`},
		{`["\ud83dx"]`, `["\ufffdx"]`},
		{`["\ude00"]`, `["\ufffd"]`},
		{`["\ud83d\u0041"]`, `["\ufffd\u0041"]`},
		{`["\u00e9\n\"q\""]`, `["\u00e9\n\"q\""]`},
	} {
		got := string(jsonNoNUL([]byte(c.in)))
		if got != c.want {
			t.Errorf("jsonNoNUL(%s) = %s, want %s", c.in, got, c.want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("jsonNoNUL(%s) = %s is not JSON", c.in, got)
		}
	}
}
