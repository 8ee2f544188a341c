package jsonstr

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAppend(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{"a&b<c>", `"a&b<c>"`}, // no HTML escaping
		{"q\"b\\", `"q\"b\\"`},
		{"\n\r\t\x01\x1f", `"\n\r\t\u0001\u001f"`},
		{"ünï", `"ünï"`},
		{"bad \xff end", `"bad \ufffd end"`},
		{"ls\u2028ps\u2029", `"ls\u2028ps\u2029"`},
	}
	for _, c := range cases {
		if got := string(Append([]byte("x"), c.in)); got != "x"+c.want {
			t.Errorf("Append(%q) = %s, want %s", c.in, got[1:], c.want)
		}
		var back string
		if err := json.Unmarshal(Append(nil, c.in), &back); err != nil || back != strings.ToValidUTF8(c.in, "\ufffd") {
			t.Errorf("%q does not round-trip through encoding/json: %q, %v", c.in, back, err)
		}
	}
}
