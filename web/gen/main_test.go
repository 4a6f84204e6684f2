package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestDomainJSIsCurrent fails when web/src/lib/domain.js is not what the generator makes of
// package fireline now: the pages would offer what the API refuses, or hide what it allows.
func TestDomainJSIsCurrent(t *testing.T) {
	want, err := domainJS()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../src/lib/domain.js")
	if err != nil {
		t.Fatalf("%v: generate it with `go generate ./web/...`", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	line := 0
	for line < len(g) && line < len(w) && g[line] == w[line] {
		line++
	}
	at := func(l []string) string {
		if line < len(l) {
			return l[line]
		}
		return "(end of file)"
	}
	t.Fatalf("web/src/lib/domain.js is not current with package fireline: regenerate it with `go generate ./web/...` and commit it.\n"+
		"first difference at line %d:\n  file:      %s\n  generated: %s", line+1, at(g), at(w))
}

// TestQuotedRefusesWhatNeedsEscaping: a value with a quote, a backslash or a line break would
// break the module or, worse, run as code; the generator stops instead.
func TestQuotedRefusesWhatNeedsEscaping(t *testing.T) {
	for _, v := range []string{"it's", `back\slash`, "line\nbreak", "</script>", ""} {
		if _, err := quoted([]string{v}); err == nil {
			t.Errorf("quoted(%q) accepted it", v)
		}
	}
	if got, err := quoted([]string{"en_route", "l3"}); err != nil || strings.Join(got, ",") != "'en_route','l3'" {
		t.Errorf("quoted(en_route, l3) = %v, %v", got, err)
	}
}

// TestPack checks the two layouts: one line when it fits, else items packed onto indented
// lines no longer than width.
func TestPack(t *testing.T) {
	if got := pack("x = [", []string{"'a'", "'b'"}, "];", "  "); got != "x = ['a', 'b'];\n" {
		t.Errorf("short list: %q", got)
	}
	items := make([]string, 40)
	for i := range items {
		items[i] = "'value'"
	}
	got := pack("export const X = Object.freeze([", items, "]);", "  ")
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if lines[0] != "export const X = Object.freeze([" || lines[len(lines)-1] != "]);" {
		t.Errorf("long list opens or closes wrongly:\n%s", got)
	}
	n := 0
	for _, l := range lines[1 : len(lines)-1] {
		if len(l) > width || !strings.HasPrefix(l, "  '") || !strings.HasSuffix(l, ",") {
			t.Errorf("line %q: longer than %d, not indented or not ending with a comma", l, width)
		}
		n += strings.Count(l, "'value'")
	}
	if n != len(items) {
		t.Errorf("%d items packed, want %d", n, len(items))
	}
}
