package extract

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// collapsedRuneByRune is the collapser's rule written plainly: one rune at
// a time, each run of Unicode space one space, none at either end, at most
// limit runes (0: no limit).
func collapsedRuneByRune(parts []string, limit int) string {
	var b strings.Builder
	n, space := 0, false
	for _, s := range parts {
		for _, r := range s {
			if unicode.IsSpace(r) {
				space = n > 0
				continue
			}
			need := 1
			if space {
				need = 2
			}
			if limit > 0 && n+need > limit {
				return b.String()
			}
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
			n += need
		}
	}
	return b.String()
}

// The collapser appends ASCII words whole; what it keeps must be what the
// rune-by-rune rule keeps, across writes, limits and mixed scripts.
func TestCollapserIsTheRuneByRuneRule(t *testing.T) {
	pieces := []string{"a", "word", " ", "  ", "\n\t", "\u00a0", "é", "日本", "x\u2003y", "longerword", "\f\v\r", "."}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		parts := make([]string, 1+rng.IntN(4))
		for k := range parts {
			var b strings.Builder
			for range rng.IntN(8) {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
			parts[k] = b.String()
		}
		limit := 0
		if i%2 == 1 {
			limit = 1 + rng.IntN(12)
		}
		c := collapser{limit: limit}
		for _, p := range parts {
			c.write(p)
		}
		want := collapsedRuneByRune(parts, limit)
		if got := c.String(); got != want {
			t.Fatalf("parts %q, limit %d: got %q, want %q", parts, limit, got, want)
		}
		if c.n != utf8.RuneCountInString(want) {
			t.Fatalf("parts %q, limit %d: counted %d runes in %q", parts, limit, c.n, want)
		}
	}
}
