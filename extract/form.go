package extract

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
)

// Form is an HTML form as a browser submits it.
type Form struct {
	// Method is GET or POST; Action the absolute URL it is sent to (the
	// page itself when the form names none).
	Method string
	Action *url.URL
	// Values are the form's successful controls with their values, as a
	// browser would send them without the user typing anything: hidden
	// inputs (CSRF tokens), prefilled text, checked boxes, selected options.
	Values url.Values
	// Names are every control's name, buttons included: what a caller may
	// fill in.
	Names map[string]bool
}

// CheckSelector reports whether sel is a CSS selector (a group allowed).
func CheckSelector(sel string) error {
	_, err := cascadia.ParseGroup(sel)
	return err
}

// Has reports whether an element of the page matches the CSS selector sel.
func (d *Doc) Has(sel string) (bool, error) {
	if err := CheckSelector(sel); err != nil {
		return false, err
	}
	return d.Find(sel).Length() > 0, nil
}

// FindForm returns the first form matching sel, or, when sel is empty,
// the first form with a password input (else the first form).
func (d *Doc) FindForm(sel string) (*Form, error) {
	var form *goquery.Selection
	if sel != "" {
		if err := CheckSelector(sel); err != nil {
			return nil, err
		}
		form = d.Find(sel).First()
		if form.Length() > 0 && goquery.NodeName(form) != "form" {
			if inner := form.Find("form").First(); inner.Length() > 0 {
				form = inner
			} else {
				form = form.Closest("form")
			}
		}
	} else {
		form = d.Find("input[type=password]").First().Closest("form")
		if form.Length() == 0 {
			form = d.Find("form").First()
		}
	}
	if form.Length() == 0 {
		if sel == "" {
			return nil, errors.New("the page has no form")
		}
		return nil, fmt.Errorf("no form matches %q", sel)
	}
	f := &Form{Method: "GET", Action: d.Base, Values: url.Values{}, Names: map[string]bool{}}
	if strings.EqualFold(strings.TrimSpace(form.AttrOr("method", "")), "post") {
		f.Method = "POST"
	}
	if a, ok := form.Attr("action"); ok && strings.TrimSpace(a) != "" {
		u, err := d.Base.Parse(strings.TrimSpace(a))
		if err != nil {
			return nil, fmt.Errorf("form action %q: %w", a, err)
		}
		f.Action = u
	}
	form.Find("input, select, textarea, button").Each(func(_ int, s *goquery.Selection) {
		name, ok := s.Attr("name")
		if !ok || name == "" {
			return
		}
		f.Names[name] = true
		if _, disabled := s.Attr("disabled"); disabled {
			return
		}
		switch goquery.NodeName(s) {
		case "textarea":
			f.Values.Add(name, s.Text())
		case "select":
			opt := s.Find("option[selected]").First()
			if opt.Length() == 0 {
				opt = s.Find("option").First()
			}
			if opt.Length() > 0 {
				f.Values.Add(name, opt.AttrOr("value", opt.Text()))
			}
		case "input":
			switch strings.ToLower(s.AttrOr("type", "text")) {
			case "submit", "button", "image", "reset", "file":
			case "checkbox", "radio":
				if _, checked := s.Attr("checked"); checked {
					f.Values.Add(name, s.AttrOr("value", "on"))
				}
			default:
				f.Values.Add(name, s.AttrOr("value", ""))
			}
		}
	})
	return f, nil
}
