package web_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/fireline/fireline/web"
)

// pages are the entry points the API serves; routes maps its page URLs to their files.
var (
	pages  = []string{"index.html", "field.html", "review.html"}
	routes = map[string]string{"/": "index.html", "/field": "field.html", "/review": "review.html"}
)

var (
	htmlRef = regexp.MustCompile(`(?i)\s(?:src|href)\s*=\s*["']([^"']*)["']`)
	// jsImport finds module specifiers in esbuild's minified output as well as in source:
	// `import{a as b}from"./chunk-X.js"`, `import"./x.js"`, `import("./x.js")`.
	jsImport  = regexp.MustCompile(`(?:\bfrom\s*|\bimport\s*\(?\s*)["']((?:\.{1,2}/|/|[a-z][a-z0-9+.-]*:)[^"'\s]*)["']`)
	cssURL    = regexp.MustCompile(`url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]`)
	remoteRef = regexp.MustCompile(`(?i)^(?:[a-z][a-z0-9+.-]*:)?//`)
)

// TestAssetsReferences follows every local reference from the pages (HTML src and href,
// JavaScript module imports, CSS url() and @import) and fails on one that names no embedded
// file, or on any reference to another host: the console must work with no internet.
func TestAssetsReferences(t *testing.T) {
	assets := web.Assets()
	seen := map[string]bool{}
	queue := append([]string(nil), pages...)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		data, err := fs.ReadFile(assets, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, ref := range references(name, string(data)) {
			switch {
			case remoteRef.MatchString(ref):
				t.Errorf("%s refers to another host (%s): the console must work offline", name, ref)
				continue
			case strings.HasPrefix(ref, "#"), strings.HasPrefix(ref, "data:"), strings.HasPrefix(ref, "mailto:"):
				continue
			}
			target, ok := resolve(name, ref)
			if !ok {
				t.Errorf("%s refers to %q, which leaves the assets", name, ref)
				continue
			}
			if _, err := fs.Stat(assets, target); err != nil {
				t.Errorf("%s refers to %q: no embedded file %s", name, ref, target)
				continue
			}
			queue = append(queue, target)
		}
	}
	for _, want := range []string{"index.html", "field.html", "review.html", "dist/console.js", "dist/field.js", "dist/review.js", "fireline.css"} {
		if !seen[want] {
			t.Errorf("%s is not reachable from the pages", want)
		}
	}
}

// references lists what a file refers to, by its type.
func references(name, text string) []string {
	var out []string
	add := func(ms [][]string) {
		for _, m := range ms {
			for _, g := range m[1:] {
				if g != "" {
					out = append(out, g)
				}
			}
		}
	}
	switch path.Ext(name) {
	case ".html":
		add(htmlRef.FindAllStringSubmatch(text, -1))
	case ".js":
		add(jsImport.FindAllStringSubmatch(text, -1))
	case ".css":
		add(cssURL.FindAllStringSubmatch(text, -1))
	}
	return out
}

// resolve turns a reference from file name into an asset path: routes by the API's page URLs,
// root-relative paths from the root, others from name's folder.
func resolve(name, ref string) (string, bool) {
	ref, _, _ = strings.Cut(ref, "#")
	ref, _, _ = strings.Cut(ref, "?")
	if file, ok := routes[ref]; ok {
		return file, true
	}
	var p string
	if strings.HasPrefix(ref, "/") {
		p = path.Clean(strings.TrimPrefix(ref, "/"))
	} else {
		p = path.Join(path.Dir(name), ref)
	}
	if p == ".." || strings.HasPrefix(p, "../") || !fs.ValidPath(p) {
		return "", false
	}
	return p, true
}

// TestAssetsServed serves the assets the way api does and checks the content types a browser
// insists on: module scripts with any other type do not run.
func TestAssetsServed(t *testing.T) {
	srv := httptest.NewServer(http.FileServerFS(web.Assets()))
	defer srv.Close()
	tests := []struct {
		path, wantType, wantBody string
	}{
		{"/", "text/html", `id="login-username"`},
		{"/field.html", "text/html", `id="camera-start"`},
		{"/dist/console.js", "text/javascript", "RTCPeerConnection"},
		{"/dist/field.js", "text/javascript", "getUserMedia"},
		{"/review.html", "text/html", `data-testid="recordings"`},
		{"/dist/review.js", "text/javascript", "currentTime"},
		{"/fireline.css", "text/css", ":root"},
		{"/icon.svg", "image/svg+xml", "<svg"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, err := http.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.wantType) {
				t.Errorf("Content-Type %q, want %s", ct, tt.wantType)
			}
			if !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("body lacks %q", tt.wantBody)
			}
		})
	}
}
