package extract

import (
	"strings"
	"testing"
)

// mayNameByline must admit exactly the names that hold one of its five
// spellings: every sequence of up to four fragments that spell them, their
// near misses and their neighbours, against the five substring searches.
func TestMayNameBylineIsTheFiveSubstringSearches(t *testing.T) {
	want := func(v string) bool {
		for _, w := range []string{"uthor", "yline", "yLine", "UTHOR", "YLINE"} {
			if strings.Contains(v, w) {
				return true
			}
		}
		return false
	}
	frags := []string{"u", "U", "y", "Y", "L", "thor", "THOR", "line", "Line", "LINE", "tho", "lin", "hor",
		"ine", "Thor", "LIne", "-", "a", "b"}
	tried, matched := 0, 0
	var gen func(v string, n int)
	gen = func(v string, n int) {
		got := mayNameByline(v)
		if got != want(v) {
			t.Fatalf("mayNameByline(%q) = %v, want %v", v, got, !got)
		}
		tried++
		if got {
			matched++
		}
		if n > 0 {
			for _, f := range frags {
				gen(v+f, n-1)
			}
		}
	}
	gen("", 4)
	if matched == 0 || matched == tried {
		t.Fatalf("%d of %d strings matched: the fragments test nothing", matched, tried)
	}
}
