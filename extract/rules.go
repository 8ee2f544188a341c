package extract

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxMissItems caps how many dropped items a miss names one by one: the
// message says what is wrong, it is not a list of every card on the page.
const maxMissItems = 3

// Rule is a compiled RuleSpec: regular expressions, CSS selectors and
// JSONPaths parsed, options checked and defaults converted. A Rule is
// immutable and safe for concurrent use by any number of fetch workers.
type Rule struct {
	name   string
	match  *regexp.Regexp         // nil: every page
	sel    cascadia.SelectorGroup // nil: one item per page
	selSrc string                 // sel (or jsonSel) as written, for misses
	fields []*field               // in output order
	// A JSON rule reads JSON responses (see jsonrules.go): its select,
	// follow and fields are JSONPaths, and sel is nil.
	forJSON bool
	jsonSel *jsonQuery // nil: one item per response
	follow  *jsonQuery // nil: no URLs to follow
}

// field is a compiled FieldSpec.
type field struct {
	name     string
	css      cascadia.SelectorGroup // nil: the item element itself
	cssSrc   string
	take     take
	attr     string // for takeAttr
	all      bool
	re       *regexp.Regexp
	trim     bool
	typ      valueType
	required bool
	hasDef   bool
	def      any // converted to typ (a []any when all)
	// A nested field has sub-fields, looked up in each element matching
	// subSel; its value is a []map[string]any.
	sub       []*field
	subSel    cascadia.SelectorGroup
	subSelSrc string
	// In a JSON rule, jp selects the value (nil: the item's value itself)
	// and subJP the sub-items of a nested field; jpSrc is jp as written.
	jp    *jsonQuery
	jpSrc string
	subJP *jsonQuery
}

// take is what a field reads from an element.
type take int

const (
	takeText take = iota
	takeHTML
	takeOuterHTML
	takeAttr
)

// valueType is what a field's string is converted to.
type valueType int

const (
	typeString valueType = iota
	typeInt
	typeFloat
	typeBool
	typeDate
	typeURL
	// typeAuto, the type of a json field without type, keeps the JSON
	// value's own type: string, bool, int64 (an integer that fits) or
	// float64.
	typeAuto
)

// parseType maps the type option of a spec to a valueType.
func parseType(s string) (valueType, bool) {
	switch s {
	case "", "string":
		return typeString, true
	case "int":
		return typeInt, true
	case "float":
		return typeFloat, true
	case "bool":
		return typeBool, true
	case "date":
		return typeDate, true
	case "url":
		return typeURL, true
	}
	return typeString, false
}

// String returns the type's name as written in a spec.
func (t valueType) String() string {
	return [...]string{"string", "int", "float", "bool", "date", "url", "JSON string, number or boolean"}[t]
}

// article returns "a" or "an", whichever goes before the type's name in a
// message ("is not an int").
func (t valueType) article() string {
	if t == typeInt {
		return "an"
	}
	return "a"
}

// CompileRules checks specs and compiles them. source is the name of the
// file they came from, for messages. Every problem found is reported, not
// just the first (the result is an errors.Join of them), each as
// `source:line: rule "name": field "f": what is wrong`; nested fields are
// named by their path ("variants.sku"). On error no rules are returned.
func CompileRules(source string, specs []RuleSpec) ([]*Rule, error) {
	c := compiler{source: source}
	rules := make([]*Rule, 0, len(specs))
	seen := make(map[string]int, len(specs)) // name -> line
	for i, s := range specs {
		label := s.Name
		switch {
		case s.Name == "":
			label = fmt.Sprintf("#%d", i+1)
			c.errorf(s.Line, label, "", "the rule has no name")
		case strings.TrimSpace(s.Name) != s.Name:
			c.errorf(s.Line, label, "", "the name has leading or trailing space")
		default:
			line, dup := seen[s.Name]
			switch {
			case !dup:
				seen[s.Name] = s.Line
			case line > 0:
				c.errorf(s.Line, label, "", "duplicate rule name (first at line %d)", line)
			default:
				c.errorf(s.Line, label, "", "duplicate rule name")
			}
		}
		jsonWhy := jsonRule(s)
		r := &Rule{name: s.Name, selSrc: s.Select, forJSON: jsonWhy != ""}
		if s.Match != "" {
			re, err := regexp.Compile(s.Match)
			if err != nil {
				c.errorf(s.Line, label, "", "match: %v", err)
			}
			r.match = re
		}
		switch {
		case s.Select == "":
		case r.forJSON:
			r.jsonSel = c.jsonPath(s.Line, label, "", "select", s.Select)
		default:
			r.sel = c.css(s.Line, label, "", "select", s.Select)
		}
		if s.Follow != "" {
			r.follow = c.jsonPath(s.Line, label, "", "follow", s.Follow)
		}
		if len(s.Fields) == 0 && s.Follow == "" {
			c.errorf(s.Line, label, "", "the rule has no fields")
		}
		r.fields = c.fields(s.Fields, s.Line, label, "", s.Select != "", jsonWhy)
		rules = append(rules, r)
	}
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	return rules, nil
}

// compiler collects the problems of a set of specs.
type compiler struct {
	source string
	errs   []error
}

// errorf records a problem at line (0 if unknown) about a rule and
// optionally one of its fields.
func (c *compiler) errorf(line int, rule, field, format string, args ...any) {
	var b strings.Builder
	b.WriteString(c.source)
	if line > 0 {
		if c.source != "" {
			b.WriteByte(':')
		} else {
			b.WriteString("line ")
		}
		b.WriteString(strconv.Itoa(line))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(where(rule, field))
	fmt.Fprintf(&b, format, args...)
	c.errs = append(c.errs, errors.New(b.String()))
}

// css compiles a selector (a comma-separated group is allowed), recording a
// problem when it does not parse.
func (c *compiler) css(line int, rule, field, key, src string) cascadia.SelectorGroup {
	g, err := cascadia.ParseGroup(src)
	if err != nil {
		c.errorf(line, rule, field, "%s: bad CSS selector %q: %v", key, src, err)
		return nil
	}
	return g
}

// fields compiles the fields of a rule or nested field. hasItem reports
// whether there is an item element (the rule or nested field has select),
// which a field without css stands for. jsonWhy, "" in an HTML rule, says
// what makes the rule a JSON rule.
func (c *compiler) fields(specs []FieldSpec, parentLine int, rule, prefix string, hasItem bool, jsonWhy string) []*field {
	out := make([]*field, 0, len(specs))
	seen := make(map[string]bool, len(specs))
	for _, s := range specs {
		line := s.Line
		if line == 0 {
			line = parentLine
		}
		path := prefix + s.Name
		switch {
		case s.Name == "":
			c.errorf(line, rule, prefix, "a field has no name")
		case seen[s.Name]:
			c.errorf(line, rule, path, "duplicate field name")
		}
		seen[s.Name] = true
		out = append(out, c.field(s, line, rule, path, hasItem, jsonWhy))
	}
	return out
}

// field compiles one field.
func (c *compiler) field(s FieldSpec, line int, rule, path string, hasItem bool, jsonWhy string) *field {
	f := &field{name: s.Name, cssSrc: s.CSS, all: s.All, trim: s.Trim == nil || *s.Trim, required: s.Required}
	if jsonWhy != "" {
		return c.jsonField(f, s, line, rule, path, hasItem, jsonWhy)
	}
	if len(s.Fields) > 0 || s.Select != "" {
		return c.nested(f, s, line, rule, path)
	}
	if s.CSS != "" {
		f.css = c.css(line, rule, path, "css", s.CSS)
	} else if !hasItem {
		c.errorf(line, rule, path, "css is empty, and without select there is no item element to stand for")
	}
	switch t := s.Take; {
	case t == "" || t == "text":
		f.take = takeText
	case t == "html":
		f.take = takeHTML
	case t == "outer_html":
		f.take = takeOuterHTML
	case strings.HasPrefix(t, "attr:"):
		f.take, f.attr = takeAttr, strings.TrimSpace(t[len("attr:"):])
		if f.attr == "" {
			c.errorf(line, rule, path, "take: attr: needs an attribute name (attr:href)")
		}
	default:
		c.errorf(line, rule, path, "unknown take %q (want text, html, outer_html or attr:NAME)", t)
	}
	c.conversion(f, s, line, rule, path, false)
	return f
}

// conversion compiles the options that turn a found string into a value:
// regex, type and default. auto gives a field without type typeAuto (a
// json field) instead of typeString.
func (c *compiler) conversion(f *field, s FieldSpec, line int, rule, path string, auto bool) {
	if s.Regex != "" {
		re, err := regexp.Compile(s.Regex)
		if err != nil {
			c.errorf(line, rule, path, "regex: %v", err)
		}
		f.re = re
	}
	typ, ok := parseType(s.Type)
	if !ok {
		c.errorf(line, rule, path, "unknown type %q (want string, int, float, bool, date or url)", s.Type)
	}
	if auto && s.Type == "" {
		typ = typeAuto
	}
	f.typ = typ
	if s.Default != nil {
		switch {
		case s.Required:
			c.errorf(line, rule, path, "required and default exclude each other: with a default the field is never missing")
		case !ok:
		default:
			def, err := convertDefault(s.Default, typ, s.All)
			if err != nil {
				c.errorf(line, rule, path, "default: %v", err)
			}
			f.def, f.hasDef = def, true
		}
	}
}

// nested compiles a field with sub-fields.
func (c *compiler) nested(f *field, s FieldSpec, line int, rule, path string) *field {
	if s.Select == "" {
		c.errorf(line, rule, path, "a field with fields needs select: the sub-items' selector")
	} else {
		f.subSel, f.subSelSrc = c.css(line, rule, path, "select", s.Select), s.Select
	}
	if len(s.Fields) == 0 {
		c.errorf(line, rule, path, "select is for nested fields, and this one has no fields")
	}
	for _, o := range []struct {
		name string
		set  bool
	}{
		{"css", s.CSS != ""}, {"take", s.Take != ""}, {"all", s.All}, {"regex", s.Regex != ""},
		{"trim", s.Trim != nil}, {"type", s.Type != ""}, {"default", s.Default != nil},
	} {
		if o.set {
			c.errorf(line, rule, path, "%s does not apply to a nested field (one with fields)", o.name)
		}
	}
	f.sub = c.fields(s.Fields, line, rule, path+".", true, "")
	return f
}

// convertDefault checks that a default suits the field's type and converts
// it to the value the field would have, so that an item's values have the
// same Go types whether found or defaulted. Numbers may arrive as int (from
// YAML) or float64 (from JSON, when a stored config is recompiled).
func convertDefault(v any, typ valueType, all bool) (any, error) {
	if all {
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("%s is not a list (the field has all: true)", show(v))
		}
		out := make([]any, len(list))
		for i, e := range list {
			c, err := convertDefault(e, typ, false)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	bad := fmt.Errorf("%s is not %s %s", show(v), typ.article(), typ)
	switch typ {
	case typeAuto:
		switch n := v.(type) {
		case string, bool:
			return n, nil
		case float64:
			if n == math.Trunc(n) && math.Abs(n) < 1<<63 {
				return int64(n), nil // as a JSON integer would be
			}
			return convertDefault(v, typeFloat, false)
		default:
			if i, err := convertDefault(v, typeInt, false); err == nil {
				return i, nil
			}
		}
	case typeString, typeURL:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case typeDate:
		switch d := v.(type) {
		case string:
			if d, ok := parseDate(d); ok {
				return d, nil
			}
		case time.Time:
			return d.Format(time.RFC3339Nano), nil
		}
	case typeBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case typeInt:
		switch n := v.(type) {
		case int:
			return int64(n), nil
		case int64:
			return n, nil
		case uint64:
			if n <= math.MaxInt64 {
				return int64(n), nil
			}
		case float64:
			if n == math.Trunc(n) && math.Abs(n) < 1<<63 {
				return int64(n), nil
			}
		}
	case typeFloat:
		switch n := v.(type) {
		case int:
			return float64(n), nil
		case int64:
			return float64(n), nil
		case uint64:
			return float64(n), nil
		case float64:
			if !math.IsInf(n, 0) && !math.IsNaN(n) {
				return n, nil
			}
		}
	}
	return nil, bad
}

// show formats a default value for a message.
func show(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// Name returns the rule's name, which labels its items in the store.
func (r *Rule) Name() string { return r.name }

// Matches reports whether the rule applies to the page at rawURL (its final
// URL): true when the rule has no match pattern or the pattern matches
// anywhere in the URL.
func (r *Rule) Matches(rawURL string) bool {
	return r.match == nil || r.match.MatchString(rawURL)
}

// Extract runs the rule on a page and returns its complete items, in
// document order, and miss, which says why the page yielded fewer items
// than it should have ("" when nothing went wrong). It does not check
// Matches: the caller decides which rules run on a page.
//
// The contract:
//
//   - Without select, the page is one item: either items holds it and miss
//     is "", or items is empty and miss says why, e.g.
//     `required field "price" missing: no element matches ".price"`.
//   - With select, every matching element is one item. Items that are
//     complete are returned even when others are not; miss then names the
//     incomplete ones, "; "-separated, by their place among the matches:
//     `item 3 of 3: required field "price" missing: no element matches
//     ".price"` (at most three are named, then "and N more"). When every
//     item is incomplete, items is empty and miss names them the same way;
//     when no element matches, items is empty and miss is
//     `select ".product" matched nothing`.
//   - An item is incomplete (a miss) when a required field is missing, or
//     when none of its fields was found on the page (defaults do not
//     count): an item made only of defaults is a sign of a selector that
//     no longer fits the page.
//   - So miss == "" means the page gave everything the rule asked for, and
//     a caller may store items and miss side by side: a non-empty miss on
//     a page with items is a partial result, not a failure.
//
// A field is missing when its selector matches nothing, the attribute is
// absent, the string is empty after trimming, the regex does not match, or
// the conversion fails (an int field reading "abc"); a missing field is
// left out of the item unless it has a default. Nothing a page contains
// makes Extract panic or fail.
//
// Values are string (also for date, in RFC 3339, and url, absolute), int64,
// float64, bool, []any (all: true) or []map[string]any (nested fields).
//
// A JSON rule (ForJSON) reads JSON responses only, with ExtractJSON; on an
// HTML page it yields nothing.
func (r *Rule) Extract(d *Doc) (items []map[string]any, miss string) {
	if r.forJSON {
		return nil, ""
	}
	root := d.root()
	if root == nil {
		return nil, "no document"
	}
	x := extraction{d: d}
	if r.sel == nil {
		item, why := x.item(root, r.fields, true)
		if why != "" {
			return nil, why
		}
		return []map[string]any{item}, ""
	}
	nodes := cascadia.QueryAll(root, r.sel)
	if len(nodes) == 0 {
		return nil, fmt.Sprintf("select %q matched nothing", r.selSrc)
	}
	return collect(nodes, func(n *html.Node, explain bool) (map[string]any, string) {
		return x.item(n, r.fields, explain)
	})
}

// collect reads one item from each of the nodes a rule's select matched (an
// HTML element or a JSON value) and returns the complete ones and the
// misses, as Extract describes. read explains why an item is a miss only
// when asked to, since only the first few are named.
func collect[N any](nodes []N, read func(n N, explain bool) (map[string]any, string)) (items []map[string]any, miss string) {
	items = make([]map[string]any, 0, len(nodes))
	var misses []string
	dropped := 0
	for i, n := range nodes {
		item, why := read(n, dropped < maxMissItems)
		if why == "" {
			items = append(items, item)
			continue
		}
		if dropped++; dropped <= maxMissItems {
			misses = append(misses, fmt.Sprintf("item %d of %d: %s", i+1, len(nodes), why))
		}
	}
	if dropped > maxMissItems {
		misses = append(misses, fmt.Sprintf("and %d more", dropped-maxMissItems))
	}
	return items, strings.Join(misses, "; ")
}

// extraction is the state of one Extract call: the page, and a text buffer
// and the last text taken, reused across fields, so that the cost of a
// rule is the selectors and not the garbage (fields often read the same
// element: its text, then a number out of it by regex).
type extraction struct {
	d        *Doc
	buf      collapser
	lastNode *html.Node
	lastText string
}

// unexplained stands for the reason of a miss that nobody will read: the
// field or item is optional, or the miss is not among those named.
const unexplained = "missing"

// item reads the fields inside el. why is "" for a complete item, otherwise
// the reason it is a miss; with explain false, a reason is not spelled out.
func (x *extraction) item(el *html.Node, fields []*field, explain bool) (item map[string]any, why string) {
	return assemble(fields, explain, func(f *field, explain bool) (any, bool, string) {
		return f.value(x, el, explain)
	})
}

// assemble makes an item of fields, each read by value, which returns the
// value, whether there is one, and if not and explain is set, why. The
// result is as for extraction.item.
func assemble(fields []*field, explain bool, value func(f *field, explain bool) (any, bool, string)) (item map[string]any, why string) {
	item = make(map[string]any, len(fields))
	found := false
	var reasons []string
	for _, f := range fields {
		v, ok, fail := value(f, explain && f.required)
		switch {
		case ok:
			item[f.name], found = v, true
		case f.hasDef:
			item[f.name] = f.def
		case f.required && !explain:
			return nil, unexplained
		case f.required:
			reasons = append(reasons, fmt.Sprintf("required field %q missing: %s", f.name, fail))
		}
	}
	if len(reasons) > 0 {
		return nil, strings.Join(reasons, ", ")
	}
	if !found {
		return nil, "no field found"
	}
	return item, ""
}

// value reads the field inside el: the value, whether there is one, and if
// not and explain is set, why (for misses).
func (f *field) value(x *extraction, el *html.Node, explain bool) (v any, ok bool, why string) {
	if f.sub != nil {
		return f.nestedValue(x, el, explain)
	}
	if f.css == nil {
		return f.convert(x, el, explain)
	}
	if !f.all {
		n := cascadia.Query(el, f.css)
		if n == nil {
			return nil, false, explainf(explain, "no element matches %q", f.cssSrc)
		}
		return f.convert(x, n, explain)
	}
	nodes := cascadia.QueryAll(el, f.css)
	if len(nodes) == 0 {
		return nil, false, explainf(explain, "no element matches %q", f.cssSrc)
	}
	list := make([]any, 0, len(nodes))
	for _, n := range nodes {
		v, ok, fail := f.convert(x, n, explain && why == "")
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

// explainf formats the reason a value is missing, when it is wanted.
func explainf(explain bool, format string, args ...any) string {
	if !explain {
		return unexplained
	}
	return fmt.Sprintf(format, args...)
}

// nestedValue reads the sub-items of a nested field inside el. Incomplete
// sub-items are left out; the field is missing when none is complete.
func (f *field) nestedValue(x *extraction, el *html.Node, explain bool) (any, bool, string) {
	return subItems(f, cascadia.QueryAll(el, f.subSel), explain, func(n *html.Node, explain bool) (map[string]any, string) {
		return x.item(n, f.sub, explain)
	})
}

// subItems makes the sub-items of a nested field from the nodes (HTML
// elements or JSON values) that its select selected, with item reading one.
// Incomplete sub-items are left out, and the first one's reason kept; the
// field is missing when none is complete.
func subItems[N any](f *field, nodes []N, explain bool, item func(N, bool) (map[string]any, string)) (any, bool, string) {
	if len(nodes) == 0 {
		return nil, false, explainf(explain, "select %q matched nothing", f.subSelSrc)
	}
	subs := make([]map[string]any, 0, len(nodes))
	why := ""
	for _, n := range nodes {
		it, fail := item(n, explain && why == "")
		if fail == "" {
			subs = append(subs, it)
		} else if why == "" {
			why = explainf(explain, "no complete sub-item (%s)", fail)
		}
	}
	if len(subs) == 0 {
		return nil, false, why
	}
	return subs, true, ""
}

// text returns the collapsed text of n (see elementText).
func (x *extraction) text(n *html.Node) string {
	if n != x.lastNode {
		x.buf.reset()
		blockText(&x.buf, n)
		x.lastNode, x.lastText = n, x.buf.String()
	}
	return x.lastText
}

// convert takes the string from element n, trims it, applies the regex and
// converts it to the field's type.
func (f *field) convert(x *extraction, n *html.Node, explain bool) (any, bool, string) {
	var s string
	switch f.take {
	case takeText:
		if f.trim {
			s = x.text(n)
		} else {
			s = elementText(n, false)
		}
	case takeHTML, takeOuterHTML:
		s = renderHTML(n, f.take == takeOuterHTML)
		if f.trim {
			s = strings.TrimSpace(s)
		}
	case takeAttr:
		v, ok := attrFold(n, f.attr)
		if !ok {
			return nil, false, explainf(explain, "no attribute %q", f.attr)
		}
		s = v
		if f.trim {
			s = collapseSpace(s)
		}
	}
	return f.convertString(x, s, explain)
}

// convertString applies the regex to s, the string a field took, and
// converts it to the field's type (a string for typeAuto).
func (f *field) convertString(x *extraction, s string, explain bool) (any, bool, string) {
	if f.re != nil {
		m := f.re.FindStringSubmatchIndex(s)
		if m == nil {
			if !explain {
				return nil, false, unexplained
			}
			return nil, false, "regex does not match " + quoteShort(s)
		}
		if len(m) > 2 {
			if m[2] < 0 {
				s = "" // the group did not take part in the match
			} else {
				s = s[m[2]:m[3]]
			}
		} else {
			s = s[m[0]:m[1]]
		}
	}
	if s == "" {
		return nil, false, explainf(explain, "empty")
	}
	var (
		v  any
		ok bool
	)
	switch f.typ {
	case typeString, typeAuto:
		v, ok = s, true
	case typeInt:
		v, ok = parseInt(s)
	case typeFloat:
		v, ok = parseFloat(s)
	case typeBool:
		v, ok = parseBool(s)
	case typeDate:
		v, ok = parseDate(s)
	case typeURL:
		v, ok = x.d.absURL(s)
	}
	if !ok {
		if !explain {
			return nil, false, unexplained
		}
		return nil, false, fmt.Sprintf("%s is not %s %s", quoteShort(s), f.typ.article(), f.typ)
	}
	return v, true, ""
}

// quoteShort quotes s for a miss message, shortened to 40 runes: misses are
// stored with every page, the value itself is on the page.
func quoteShort(s string) string {
	const limit = 40
	if len(s) > limit {
		r := []rune(s)
		if len(r) > limit {
			s = string(r[:limit]) + "…"
		}
	}
	return strconv.Quote(s)
}

// attrFold returns the value of attribute key of n, compared ASCII
// case-insensitively: the HTML parser lower-cases HTML attribute names but
// SVG keeps viewBox and friends in camel case.
func attrFold(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val, true
		}
	}
	return "", false
}

// renderHTML returns the markup of n's children (inner HTML) or of n itself
// (outer HTML). Render only fails on write errors, which a strings.Builder
// does not have.
func renderHTML(n *html.Node, outer bool) string {
	var b strings.Builder
	if outer {
		_ = html.Render(&b, n)
		return b.String()
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		_ = html.Render(&b, c)
	}
	return b.String()
}

// elementText returns the text of n as a reader sees it: without script,
// style, template and noscript content, with white space collapsed and, at
// <br> and block boundaries, a space so that "<li>a</li><li>b</li>" reads
// "a b" and not "ab" (as innerText does; goquery's Text runs them
// together). With collapse false, the text nodes are concatenated as they
// are (textContent, less script and style).
func elementText(n *html.Node, collapse bool) string {
	if !collapse {
		var b strings.Builder
		rawText(&b, n)
		return b.String()
	}
	var c collapser
	blockText(&c, n)
	return c.String()
}

// rawText writes the text nodes under n, skipping what is not shown.
func rawText(b *strings.Builder, n *html.Node) {
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		switch ch.Type {
		case html.TextNode:
			b.WriteString(ch.Data)
		case html.ElementNode:
			if !hiddenContent(ch) {
				rawText(b, ch)
			}
		}
	}
}

// blockText writes the text under n into c, separating blocks by a space.
func blockText(c *collapser, n *html.Node) {
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		switch ch.Type {
		case html.TextNode:
			c.write(ch.Data)
		case html.ElementNode:
			if hiddenContent(ch) {
				continue
			}
			if ch.DataAtom == atom.Br {
				c.write(" ")
				continue
			}
			block := isBlock(ch)
			if block {
				c.write(" ")
			}
			blockText(c, ch)
			if block {
				c.write(" ")
			}
		}
	}
}

// hiddenContent reports whether element n holds no visible text: scripts,
// styles, inert templates, and noscript (the parser runs with scripting
// on, so noscript content is raw text that a browser does not show).
func hiddenContent(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Template, atom.Noscript:
		return true
	}
	return false
}

// isBlock reports whether element n is laid out as a block (or a table
// cell or list item), so that its text is separate from its neighbours'.
func isBlock(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Dd, atom.Details,
		atom.Dialog, atom.Div, atom.Dl, atom.Dt, atom.Fieldset, atom.Figcaption, atom.Figure,
		atom.Footer, atom.Form, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Header, atom.Hgroup, atom.Hr, atom.Li, atom.Main, atom.Nav, atom.Ol, atom.P,
		atom.Pre, atom.Section, atom.Summary, atom.Table, atom.Tbody, atom.Td, atom.Tfoot,
		atom.Th, atom.Thead, atom.Tr, atom.Ul, atom.Caption, atom.Option, atom.Body, atom.Html,
		atom.Title, atom.Head:
		return true
	}
	return false
}
