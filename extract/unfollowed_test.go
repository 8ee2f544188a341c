package extract

import (
	"net/url"
	"reflect"
	"testing"
)

func TestUnfollowedLinks(t *testing.T) {
	base, _ := url.Parse("http://example.com/dir/page")
	doc, err := Parse([]byte(`<a href="/ok">ok</a><a href="javascript:void(0)">js</a>
<a href=" mailto:a@example.com ">m</a><a href="FILE:///etc/passwd">f</a><a href="ftp://ftp.example.com/x">ftp</a>
<a href="#top">frag</a><a href="">empty</a><a href="javascript:void(0)">again</a><a href="http://[::1">bad</a>
<template><a href="javascript:hidden()">t</a></template>`), "text/html", base)
	if err != nil {
		t.Fatal(err)
	}
	got := UnfollowedLinks(doc)
	want := []Unfollowed{{"javascript:void(0)", "javascript"}, {"mailto:a@example.com", "mailto"},
		{"FILE:///etc/passwd", "file"}, {"ftp://ftp.example.com/x", "ftp"}, {"http://[::1", ""}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
