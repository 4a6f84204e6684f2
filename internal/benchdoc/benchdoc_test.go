package benchdoc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const begin, end = "<!-- x:begin -->", "<!-- x:end -->"

func spliced(t *testing.T, doc, section string) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	if doc != "" {
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Splice(path, section, begin, end); err != nil {
		return "", err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), nil
}

func TestSplice(t *testing.T) {
	section := begin + "\nnew\n" + end + "\n"
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"replaces between the markers", "# B\n\nby hand\n\n" + begin + "\nold\n" + end + "\n\ntrailer\n",
			"# B\n\nby hand\n\n" + begin + "\nnew\n" + end + "\n\ntrailer\n"},
		{"leaves other tools' sections", "<!-- y:begin -->\nother\n<!-- y:end -->\n" + begin + "\nold\n" + end + "\n",
			"<!-- y:begin -->\nother\n<!-- y:end -->\n" + begin + "\nnew\n" + end + "\n"},
		{"appends without markers", "# B\n\n\n", "# B\n\n" + section},
		{"starts a missing file", "", "# Benchmarks\n\n" + section},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := spliced(t, tc.doc, section)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
	for _, doc := range []string{"a\n" + begin + "\nold\n", "a\n" + end + "\n", end + "\n" + begin + "\n"} {
		if _, err := spliced(t, doc, section); err == nil || !strings.Contains(err.Error(), "only one of the markers") {
			t.Errorf("doc %q: error %v, want one about the markers", doc, err)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 100000: "100,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
