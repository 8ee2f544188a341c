package extract

import (
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// RuleSpec is one named rule set as written in a config file: which pages it
// applies to, what one item is, and the fields of an item. It is plain data;
// CompileRules checks it and turns it into a Rule.
//
// In YAML, fields is a mapping from field name to field, kept in the order
// written:
//
//	rules:
//	  - name: products
//	    match: '/category/'
//	    select: .product
//	    fields:
//	      title: h2                # short form: just the CSS selector
//	      price: {css: .price, type: float, regex: '([0-9.,]+)', required: true}
//	      url: {css: a, take: "attr:href", type: url}
//	  - name: api
//	    match: '/api/items'
//	    select: $.items[*]         # a JSONPath: the rule reads JSON responses
//	    follow: $.next             # URLs to crawl next, found in the response
//	    fields:
//	      id: $.id                 # short form of {json: $.id}
//	      price: {json: $.price, type: float, required: true}
//
// A rule reads either HTML or JSON. It is a JSON rule when its select or
// follow is set and starts with "$", or when a field uses json (a field
// written as a string starting with "$" is short for json: that string, since
// no CSS selector starts with "$"); every expression of a JSON rule is then an
// RFC 9535 JSONPath, and a css field in it is an error.
//
// In JSON (how a crawl stores its configuration so that a resumed run
// recompiles the same rules) fields is a list of objects with a "name", and
// Line is not kept. Both forms are accepted when decoding YAML, since JSON is
// YAML.
type RuleSpec struct {
	// Name identifies the rule's items in the store; it must be unique in
	// a crawl and should stay stable across runs.
	Name string `yaml:"name" json:"name"`
	// Match is a regular expression (RE2 syntax, unanchored) that a page's
	// URL must match for the rule to run on it; empty means every HTML page.
	Match string `yaml:"match,omitempty" json:"match,omitempty"`
	// Select is a CSS selector (a JSONPath in a JSON rule); every matching
	// element (JSON value) is one item, and the fields are looked up inside
	// it. Empty means one item per page, the fields being looked up in the
	// whole document.
	Select string `yaml:"select,omitempty" json:"select,omitempty"`
	// Follow, for a JSON rule, is a JSONPath run on the whole response: every
	// string it selects is a URL reference (relative to the response's URL)
	// that the crawl follows, like a link of an HTML page. Setting it makes
	// the rule a JSON rule.
	Follow string `yaml:"follow,omitempty" json:"follow,omitempty"`
	// Fields are the values of an item, in output order.
	Fields []FieldSpec `yaml:"fields" json:"fields"`
	// Line is the line of the config file the rule starts on, for error
	// messages; 0 when unknown (a spec decoded from JSON).
	Line int `yaml:"-" json:"-"`
}

// FieldSpec is one value of an item: where to find it (CSS), what to take
// from the element, how to clean and convert it. The zero value of every
// option is its default, so a field written as just a selector
// (`title: "h1"`) is the trimmed text of the first <h1>.
type FieldSpec struct {
	// Name is the key of the value in the item (the mapping key in YAML).
	Name string `yaml:"name" json:"name"`
	// CSS selects the element(s) among the descendants of the item element
	// (or of the document, for a rule without select). Empty means the item
	// element itself, which is useful with take: attr:... on a selected <a>.
	CSS string `yaml:"css,omitempty" json:"css,omitempty"`
	// JSON is the field's JSONPath (RFC 9535) in a JSON rule, run on the
	// item's value ($ is the item, or the whole response for a rule without
	// select). Empty means the item's value itself.
	JSON string `yaml:"json,omitempty" json:"json,omitempty"`
	// Take is what to read from an element: "text" (the default: its
	// text as rendered, without script and style), "html" (inner HTML),
	// "outer_html", or "attr:NAME" (an attribute's value).
	Take string `yaml:"take,omitempty" json:"take,omitempty"`
	// All makes the value a list of every match, in document order, instead
	// of the first match only.
	All bool `yaml:"all,omitempty" json:"all,omitempty"`
	// Regex, if set, is applied to the taken string: its first capture
	// group, or the whole match when it has none, is kept; no match means
	// the value is missing.
	Regex string `yaml:"regex,omitempty" json:"regex,omitempty"`
	// Trim, true unless set to false, collapses white space runs to one
	// space and trims the ends (for html and outer_html: trims the ends
	// only, so that <pre> content survives).
	Trim *bool `yaml:"trim,omitempty" json:"trim,omitempty"`
	// Type converts the string: "string" (the default), "int", "float",
	// "bool", "date" (written as RFC 3339) or "url" (resolved against the
	// page's base into an absolute URL). A value that does not convert is
	// missing.
	Type string `yaml:"type,omitempty" json:"type,omitempty"`
	// Required makes an item without this value a miss: it is left out of
	// the results and its absence reported.
	Required bool `yaml:"required,omitempty" json:"required,omitempty"`
	// Fields makes this a nested field: a list of sub-items, one per
	// element matching Select inside the item, each with these fields.
	Fields []FieldSpec `yaml:"fields,omitempty" json:"fields,omitempty"`
	// Select is the CSS selector (JSONPath in a JSON rule) of the
	// sub-items of a nested field.
	Select string `yaml:"select,omitempty" json:"select,omitempty"`
	// Default is the value used when the field is missing; it must suit
	// Type (and be a list when All is set).
	Default any `yaml:"default,omitempty" json:"default,omitempty"`
	// Line is the line of the config file the field is written on; 0 when
	// unknown.
	Line int `yaml:"-" json:"-"`
}

// ParseRuleSpecs decodes rule specs from YAML: either a sequence of rules or
// a mapping whose "rules" key holds one (other keys of that mapping belong to
// the rest of the crawl configuration and are left alone). source names the
// file in messages. Every structural problem in the file is reported, each
// as "source:line: rule ...: what"; the specs still need CompileRules.
func ParseRuleSpecs(source string, data []byte) ([]RuleSpec, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil // an empty file: no rules
	}
	n := resolveAlias(doc.Content[0])
	if n.Kind == yaml.MappingNode {
		var rules *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "rules" {
				rules = n.Content[i+1]
			}
		}
		if rules == nil || isNull(rules) {
			return nil, nil
		}
		n = resolveAlias(rules)
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: rules: want a list of rules, got %s", source, n.Line, kindName(n))
	}
	var specs []RuleSpec
	if err := n.Decode(&specs); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		errs := make([]error, len(te.Errors))
		for i, e := range te.Errors {
			errs[i] = errors.New(withSource(source, e))
		}
		return nil, errors.Join(errs...)
	}
	return specs, nil
}

// withSource turns "line 12: what" (a YAML decoding message) into
// "source:12: what", the form of compiler messages that editors jump to.
func withSource(source, msg string) string {
	if source == "" {
		return msg
	}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, what, ok := strings.Cut(rest, ": "); ok && num != "" && strings.Trim(num, "0123456789") == "" {
			return source + ":" + num + ": " + what
		}
	}
	return source + ": " + msg
}

// UnmarshalYAML decodes a rule from a YAML mapping, recording where it was
// written and keeping its fields in the order written. Unknown keys and
// values of the wrong kind are errors; all of them are reported (as a
// *yaml.TypeError, which lets the YAML decoder carry on and report the
// problems of the other rules too), each prefixed by its line.
func (s *RuleSpec) UnmarshalYAML(n *yaml.Node) error {
	var d specDecoder
	*s = d.rule(n)
	return d.err()
}

// UnmarshalYAML decodes a field written on its own: a mapping with a "name"
// key, or just a CSS selector. (Inside a rule's fields mapping the name is
// the key; RuleSpec.UnmarshalYAML handles that form.)
func (f *FieldSpec) UnmarshalYAML(n *yaml.Node) error {
	var d specDecoder
	*f = d.field(n, "", "", "")
	return d.err()
}

// specDecoder walks a YAML node tree into specs, collecting every problem
// instead of stopping at the first, so one run of the config check shows
// them all.
type specDecoder struct {
	errs []string
}

// errorf records a problem at line, with the rule and field (either may be
// "") it concerns, in the form "line 12: rule "r": field "f": what".
func (d *specDecoder) errorf(line int, rule, field, format string, args ...any) {
	d.errs = append(d.errs, fmt.Sprintf("line %d: %s", line, where(rule, field)+fmt.Sprintf(format, args...)))
}

// err returns the recorded problems as a *yaml.TypeError, or nil.
func (d *specDecoder) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	return &yaml.TypeError{Errors: d.errs}
}

// where formats the rule and field a message is about, with a trailing
// ": ", or "" when neither is known.
func where(rule, field string) string {
	var b strings.Builder
	if rule != "" {
		fmt.Fprintf(&b, "rule %q: ", rule)
	}
	if field != "" {
		fmt.Fprintf(&b, "field %q: ", field)
	}
	return b.String()
}

// rule decodes one rule mapping.
func (d *specDecoder) rule(n *yaml.Node) RuleSpec {
	n = resolveAlias(n)
	s := RuleSpec{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		d.errorf(n.Line, "", "", "rule: want a mapping, got %s", kindName(n))
		return s
	}
	// The name comes first in messages whatever its place in the mapping.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "name" {
			d.str(n.Content[i+1], &s.Name, "", "", "name")
		}
	}
	label := s.Name
	if label == "" {
		label = "(no name)"
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "name":
		case "match":
			d.str(v, &s.Match, label, "", "match")
		case "select":
			d.str(v, &s.Select, label, "", "select")
		case "follow":
			d.str(v, &s.Follow, label, "", "follow")
		case "fields":
			s.Fields = d.fields(v, label, "")
		default:
			d.errorf(k.Line, label, "", "unknown key %q", k.Value)
		}
	}
	return s
}

// fields decodes the fields of a rule or of a nested field: a mapping from
// name to field (the usual YAML form) or a list of fields with a "name" key
// (the JSON form). prefix is the path of the enclosing field, for messages
// about nested fields ("variants.sku").
func (d *specDecoder) fields(n *yaml.Node, rule, prefix string) []FieldSpec {
	n = resolveAlias(n)
	var out []FieldSpec
	switch n.Kind {
	case yaml.MappingNode:
		out = make([]FieldSpec, 0, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			f := d.field(v, rule, prefix, k.Value)
			f.Name, f.Line = k.Value, k.Line
			out = append(out, f)
		}
	case yaml.SequenceNode:
		out = make([]FieldSpec, 0, len(n.Content))
		for _, v := range n.Content {
			out = append(out, d.field(v, rule, prefix, ""))
		}
	default:
		if !isNull(n) {
			d.errorf(n.Line, rule, strings.TrimSuffix(prefix, "."), "fields: want a mapping of name to field, got %s", kindName(n))
		}
	}
	return out
}

// field decodes one field: a scalar (the short form: a JSONPath when it
// starts with "$", else a CSS selector) or a mapping of options. name is the mapping key it was written under, "" in
// the list form, where the mapping carries a "name" key.
func (d *specDecoder) field(n *yaml.Node, rule, prefix, name string) FieldSpec {
	n = resolveAlias(n)
	f := FieldSpec{Name: name, Line: n.Line}
	path := prefix + name
	switch n.Kind {
	case yaml.ScalarNode:
		if isNull(n) {
			d.errorf(n.Line, rule, path, "no selector: write `%s: \"css selector\"` or a mapping", name)
			return f
		}
		if strings.HasPrefix(n.Value, "$") {
			f.JSON = n.Value
		} else {
			f.CSS = n.Value
		}
		return f
	case yaml.MappingNode:
	default:
		d.errorf(n.Line, rule, path, "want a CSS selector or a mapping, got %s", kindName(n))
		return f
	}
	if name == "" {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "name" {
				d.str(n.Content[i+1], &f.Name, rule, prefix, "name")
			}
		}
		path = prefix + f.Name
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "name":
			if name != "" {
				var s string
				d.str(v, &s, rule, path, "name")
				if s != name {
					d.errorf(k.Line, rule, path, "name %q differs from its key", s)
				}
			}
		case "css":
			d.str(v, &f.CSS, rule, path, "css")
		case "json":
			d.str(v, &f.JSON, rule, path, "json")
		case "take":
			d.str(v, &f.Take, rule, path, "take")
		case "regex":
			d.str(v, &f.Regex, rule, path, "regex")
		case "type":
			d.str(v, &f.Type, rule, path, "type")
		case "select":
			d.str(v, &f.Select, rule, path, "select")
		case "all":
			d.bool(v, &f.All, rule, path, "all")
		case "required":
			d.bool(v, &f.Required, rule, path, "required")
		case "trim":
			var b bool
			if d.bool(v, &b, rule, path, "trim") {
				f.Trim = &b
			}
		case "fields":
			f.Fields = d.fields(v, rule, path+".")
		case "default":
			if v := resolveAlias(v); v.Kind == yaml.ScalarNode && v.ShortTag() == "!!timestamp" {
				// yaml.v3 makes an unquoted date a time.Time; keep what
				// was written, as JSON would.
				f.Default = v.Value
			} else if err := v.Decode(&f.Default); err != nil {
				d.errorf(v.Line, rule, path, "default: %v", err)
			}
		default:
			d.errorf(k.Line, rule, path, "unknown key %q", k.Value)
		}
	}
	return f
}

// str decodes a scalar string option into dst.
func (d *specDecoder) str(n *yaml.Node, dst *string, rule, field, key string) {
	n = resolveAlias(n)
	if n.Kind != yaml.ScalarNode {
		d.errorf(n.Line, rule, field, "%s: want a string, got %s", key, kindName(n))
		return
	}
	if isNull(n) {
		*dst = ""
		return
	}
	*dst = n.Value
}

// bool decodes a boolean option into dst, reporting whether it could.
func (d *specDecoder) bool(n *yaml.Node, dst *bool, rule, field, key string) bool {
	n = resolveAlias(n)
	if n.Kind != yaml.ScalarNode || n.Decode(dst) != nil {
		d.errorf(n.Line, rule, field, "%s: want true or false, got %s", key, kindName(n))
		return false
	}
	return true
}

// resolveAlias follows a YAML alias (*name) to the node it stands for.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is an empty or null scalar ("key:" with nothing
// after it).
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// kindName names the kind of a YAML node for messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}
