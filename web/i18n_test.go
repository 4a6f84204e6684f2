package web_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"testing"
)

// locales are the message catalogues' folders under src/i18n; the first is the reference.
var locales = []string{"en", "zh-CN"}

var placeholder = regexp.MustCompile(`\{(\w+)\}`)

// TestCataloguesAgree checks that every locale has the same message files and keys, no empty
// message, and the same {placeholders} in each translation of a message: a key only one
// language has shows up on the other's pages as English or as the key itself.
func TestCataloguesAgree(t *testing.T) {
	ref := catalogue(t, locales[0])
	if len(ref) < 50 {
		t.Fatalf("%s catalogue has %d messages: the pages' strings are not in it", locales[0], len(ref))
	}
	for _, loc := range locales[1:] {
		other := catalogue(t, loc)
		for k, v := range ref {
			w, ok := other[k]
			if !ok {
				t.Errorf("%s lacks %s (%s: %q)", loc, k, locales[0], v)
				continue
			}
			if a, b := placeholders(v), placeholders(w); !slices.Equal(a, b) {
				t.Errorf("%s: placeholders %v in %s, %v in %s", k, a, locales[0], b, loc)
			}
		}
		for k := range other {
			if _, ok := ref[k]; !ok {
				t.Errorf("%s has %s, which %s lacks", loc, k, locales[0])
			}
		}
	}
}

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return out
}

// catalogue reads one locale's files into area.key → message, failing on an empty message.
func catalogue(t *testing.T, loc string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("src", "i18n", loc, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no catalogue files for %s: %v", loc, err)
	}
	out := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tree map[string]any
		if err := json.Unmarshal(data, &tree); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		area := filepath.Base(f[:len(f)-len(".json")])
		flatten(t, f, area, tree, out)
	}
	return out
}

func flatten(t *testing.T, file, prefix string, tree map[string]any, out map[string]string) {
	for k, v := range tree {
		key := prefix + "." + k
		switch v := v.(type) {
		case map[string]any:
			flatten(t, file, key, v, out)
		case string:
			if v == "" {
				t.Errorf("%s: %s is empty", file, key)
			}
			out[key] = v
		default:
			t.Errorf("%s: %s is %T, want a string or an object", file, key, v)
		}
	}
}
