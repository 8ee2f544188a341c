package extract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/theory/jsonpath"
	"github.com/theory/jsonpath/spec"
)

// This file holds the rules for JSON responses (APIs). A JSON rule has the
// shape of an HTML rule, with RFC 9535 JSONPaths (github.com/theory/jsonpath)
// where an HTML rule has CSS selectors: select picks the items, each field's
// json picks a value inside an item ($ is the item), and follow picks URLs
// for the crawl to fetch next (the next page of a paginated API). A rule is
// a JSON rule when its select or follow, or a field, says so (see jsonRule).

// IsJSON reports whether contentType (a Content-Type header) is JSON:
// application/json, or any type with the +json suffix (RFC 6839), such as
// application/ld+json or application/vnd.api+json.
func IsJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// JSONDoc is one JSON response, decoded once; every JSON rule of a response
// reads the same JSONDoc, which is not modified after ParseJSON returns.
type JSONDoc struct {
	// URL is the final URL of the response, against which url fields and
	// followed references resolve.
	URL *url.URL
	// root is the decoded value: map[string]any, []any, string,
	// json.Number, bool or nil.
	root any
	// refs resolves url fields as an HTML page without <base> would.
	refs Doc
}

// ParseJSON decodes a JSON response body (a UTF-8 byte order mark, which
// RFC 8259 lets a parser ignore, is skipped). Numbers keep their text
// (json.Number), so that an id above 2^53 is not rounded. The error says
// at which byte (counting from 1) the body stops being JSON; text after the
// value is an error too.
func ParseJSON(body []byte, pageURL *url.URL) (*JSONDoc, error) {
	if pageURL == nil {
		return nil, errors.New("extract: parse JSON: nil page URL")
	}
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil {
		end := int(dec.InputOffset())
		if rest := bytes.TrimLeft(body[end:], " \t\r\n"); len(rest) > 0 {
			err = fmt.Errorf("data after the JSON value at byte %d", len(body)-len(rest)+1)
		}
	}
	if err != nil {
		var se *json.SyntaxError
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			err = errors.New("the body ends before the JSON value does")
		case errors.As(err, &se):
			err = fmt.Errorf("%w (at byte %d)", err, se.Offset)
		}
		return nil, fmt.Errorf("extract: JSON at %s: %w", pageURL.Redacted(), err)
	}
	return &JSONDoc{URL: pageURL, root: v, refs: Doc{URL: pageURL, Base: pageURL, Charset: "utf-8"}}, nil
}

// ForJSON reports whether r is a JSON rule, which runs on JSON responses
// (ExtractJSON, Follow) and not on HTML pages.
func (r *Rule) ForJSON() bool { return r.forJSON }

// ExtractJSON runs a JSON rule on a JSON response, with the contract of
// Extract: the complete items in document order, and why the response
// yielded fewer than it should have ("" when nothing went wrong). A rule
// that only follows (it has no fields) yields nothing and no miss; an HTML
// rule yields nothing on JSON.
//
// Without type, a field's value keeps its JSON type: a string (trimmed, as
// text is), true or false, and a number an int64 when it is an integer that
// fits, else a float64. With a type, or a regex, the value is taken as text
// (a number as written, true or false as such) and converted as an HTML
// field's text is. A field is missing when its JSONPath selects nothing, the
// value is null, an empty string, an object or a list (select its elements
// with [*] and all: true, or make it a nested field), or does not convert.
func (r *Rule) ExtractJSON(d *JSONDoc) (items []map[string]any, miss string) {
	if !r.forJSON || len(r.fields) == 0 {
		return nil, ""
	}
	if d == nil {
		return nil, "no document"
	}
	x := extraction{d: &d.refs}
	if r.jsonSel == nil {
		item, why := x.jsonItem(d.root, r.fields, true)
		if why != "" {
			return nil, why
		}
		return []map[string]any{item}, ""
	}
	nodes := r.jsonSel.selectIn(d.root)
	if len(nodes) == 0 {
		return nil, fmt.Sprintf("select %q matched nothing", r.selSrc)
	}
	return collect(nodes, func(v any, explain bool) (map[string]any, string) {
		return x.jsonItem(v, r.fields, explain)
	})
}

// Follow returns the URL references that a JSON rule's follow selects in
// d, in document order, trimmed: every string among the values selected.
// Empty strings and other values are left out, so that "next": null, as an
// API says there is no next page, ends a crawl of its pages quietly. The
// references are as written: resolving them against d.URL, and deciding
// which to crawl, is the caller's.
func (r *Rule) Follow(d *JSONDoc) []string {
	if r.follow == nil || d == nil {
		return nil
	}
	var refs []string
	for _, v := range r.follow.selectIn(d.root) {
		if s, ok := v.(string); ok {
			if s = strings.TrimSpace(s); s != "" {
				refs = append(refs, s)
			}
		}
	}
	return refs
}

// jsonItem reads the fields of one item, the JSON value v; the result is
// as for extraction.item.
func (x *extraction) jsonItem(v any, fields []*field, explain bool) (map[string]any, string) {
	return assemble(fields, explain, func(f *field, explain bool) (any, bool, string) {
		return f.jsonValue(x, v, explain)
	})
}

// jsonValue reads the field from the item v.
func (f *field) jsonValue(x *extraction, v any, explain bool) (any, bool, string) {
	if f.subJP != nil {
		return f.nestedJSON(x, v, explain)
	}
	if f.jp == nil {
		return f.jsonConvert(x, v, explain)
	}
	nodes := f.jp.selectIn(v)
	if len(nodes) == 0 {
		return nil, false, explainf(explain, "no value matches %q", f.jpSrc)
	}
	if !f.all {
		return f.jsonConvert(x, nodes[0], explain)
	}
	list := make([]any, 0, len(nodes))
	why := ""
	for _, n := range nodes {
		v, ok, fail := f.jsonConvert(x, n, explain && why == "")
		if ok {
			list = append(list, v)
		} else if why == "" {
			why = fail
		}
	}
	if len(list) == 0 {
		return nil, false, why
	}
	return list, true, ""
}

// nestedJSON reads the sub-items of a nested field of a JSON rule: one per
// value that the field's select selects in v. Incomplete sub-items are left
// out; the field is missing when none is complete.
func (f *field) nestedJSON(x *extraction, v any, explain bool) (any, bool, string) {
	return subItems(f, f.subJP.selectIn(v), explain, func(n any, explain bool) (map[string]any, string) {
		return x.jsonItem(n, f.sub, explain)
	})
}

// jsonConvert turns one selected JSON value into the field's value.
func (f *field) jsonConvert(x *extraction, v any, explain bool) (any, bool, string) {
	keep := f.typ == typeAuto && f.re == nil // the value keeps its JSON type
	switch t := v.(type) {
	case string:
		if f.trim {
			t = collapseSpace(t)
		}
		return f.convertString(x, t, explain)
	case json.Number:
		if keep {
			if n, ok := jsonNumber(t); ok {
				return n, true, ""
			}
			return nil, false, explainf(explain, "%s is out of range", quoteShort(t.String()))
		}
		return f.convertString(x, t.String(), explain)
	case bool:
		if keep || f.typ == typeBool && f.re == nil {
			return t, true, ""
		}
		return f.convertString(x, strconv.FormatBool(t), explain)
	case nil:
		return nil, false, explainf(explain, "null")
	case map[string]any:
		return nil, false, explainf(explain, "an object, not a value (a nested field reads its members)")
	case []any:
		return nil, false, explainf(explain, "a list, not a value (%s[*] with all: true selects its elements)", f.jpSrc)
	}
	return nil, false, explainf(explain, "not a JSON value")
}

// jsonNumber converts a JSON number to an int64 when it is written as an
// integer that fits, and to a float64 otherwise.
func jsonNumber(n json.Number) (any, bool) {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, true
		}
	}
	fl, err := strconv.ParseFloat(s, 64)
	return fl, err == nil // out of float64's range: the value would not encode
}

// jsonRule says what makes the rule s a JSON rule ("follow is set"), or ""
// for an HTML rule: a select, follow or nested select that starts with "$"
// (no CSS selector does), or a field with json.
func jsonRule(s RuleSpec) string {
	switch {
	case s.Follow != "":
		return "it has follow"
	case strings.HasPrefix(s.Select, "$"):
		return "its select is a JSONPath"
	}
	var find func(fields []FieldSpec, prefix string) string
	find = func(fields []FieldSpec, prefix string) string {
		for _, f := range fields {
			switch {
			case f.JSON != "":
				return fmt.Sprintf("field %q uses json", prefix+f.Name)
			case strings.HasPrefix(f.Select, "$"):
				return fmt.Sprintf("field %q has a JSONPath select", prefix+f.Name)
			}
			if why := find(f.Fields, prefix+f.Name+"."); why != "" {
				return why
			}
		}
		return ""
	}
	return find(s.Fields, "")
}

// jsonQuery is a compiled JSONPath that selects values in document order,
// object members by name. RFC 9535 leaves the order of an object's members
// open, and a decoded object is a Go map, whose order changes from one
// iteration to the next: without this, $.data.* would give an API's items in
// a new order every run, and $..name a different first name.
type jsonQuery struct {
	p        *jsonpath.Path
	singular bool // selects at most one value: no order to fix
}

// selectIn returns the values q selects in v.
func (q *jsonQuery) selectIn(v any) []any {
	if q.singular {
		return q.p.Select(v)
	}
	nodes := q.p.SelectLocated(v)
	slices.SortStableFunc(nodes, func(a, b *spec.LocatedNode) int { return a.Path.Compare(b.Path) })
	out := make([]any, len(nodes))
	for i, n := range nodes {
		out[i] = n.Node
	}
	return out
}

// jsonPath compiles a JSONPath, recording a problem when it does not parse.
func (c *compiler) jsonPath(line int, rule, field, key, src string) *jsonQuery {
	p, err := jsonpath.Parse(src)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "jsonpath: ")
		if !strings.HasPrefix(src, "$") {
			msg += `; a JSONPath starts with "$" (the item, or the whole response)`
		}
		c.errorf(line, rule, field, "%s: bad JSONPath %q: %s", key, src, msg)
		return nil
	}
	return &jsonQuery{p: p, singular: p.Query().Singular() != nil}
}

// jsonField compiles a field of a JSON rule; jsonWhy says what made the
// rule one, for the message about a css field in it.
func (c *compiler) jsonField(f *field, s FieldSpec, line int, rule, path string, hasItem bool, jsonWhy string) *field {
	if s.CSS != "" {
		c.errorf(line, rule, path, "css in a JSON rule (%s): a rule reads HTML (css) or JSON (json), not both", jsonWhy)
	}
	if s.Take != "" {
		c.errorf(line, rule, path, "take does not apply to a json field: the JSON value is taken as it is")
	}
	if len(s.Fields) > 0 || s.Select != "" {
		if s.Select == "" {
			c.errorf(line, rule, path, "a field with fields needs select: the sub-items' JSONPath")
		} else {
			f.subJP, f.subSelSrc = c.jsonPath(line, rule, path, "select", s.Select), s.Select
		}
		if len(s.Fields) == 0 {
			c.errorf(line, rule, path, "select is for nested fields, and this one has no fields")
		}
		for _, o := range []struct {
			name string
			set  bool
		}{
			{"json", s.JSON != ""}, {"all", s.All}, {"regex", s.Regex != ""},
			{"trim", s.Trim != nil}, {"type", s.Type != ""}, {"default", s.Default != nil},
		} {
			if o.set {
				c.errorf(line, rule, path, "%s does not apply to a nested field (one with fields)", o.name)
			}
		}
		f.sub = c.fields(s.Fields, line, rule, path+".", true, jsonWhy)
		return f
	}
	f.jpSrc = s.JSON
	switch {
	case s.JSON != "":
		f.jp = c.jsonPath(line, rule, path, "json", s.JSON)
	case !hasItem && s.CSS == "":
		c.errorf(line, rule, path, "json is empty, and without select there is no item to stand for")
	}
	if f.jpSrc == "" {
		f.jpSrc = "$"
	}
	c.conversion(f, s, line, rule, path, true)
	return f
}
