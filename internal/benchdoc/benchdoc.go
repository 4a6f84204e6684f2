// Package benchdoc writes benchmark reports into BENCHMARKS.md: each report tool owns one
// generated section between its own markers, and everything outside them (the readings people
// write) is left as it is.
package benchdoc

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Splice replaces the section between begin and end in the file at path with section (which
// starts with begin and ends with end), or appends section when the file has neither marker. A
// file with only one of them is an error: a hand edit went wrong, and guessing could eat text.
func Splice(path, section, begin, end string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	doc := string(old)
	section = strings.TrimRight(section, "\n")
	i := strings.Index(doc, begin)
	j := strings.Index(doc, end)
	switch {
	case i >= 0 && j > i:
		// What followed the old section (its newline included) follows the new one.
		doc = doc[:i] + section + doc[j+len(end):]
	case i >= 0 || j >= 0:
		return fmt.Errorf("%s: only one of the markers %s and %s", path, begin, end)
	case doc == "":
		doc = "# Benchmarks\n\n" + section + "\n"
	default:
		doc = strings.TrimRight(doc, "\n") + "\n\n" + section + "\n"
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}

// Thousands writes n with commas between groups of three digits: 100000 → "100,000".
func Thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Meta is what a report script knows about the run, given as repeatable -meta key=value flags
// (flag.Var(m, "meta", …)).
type Meta map[string]string

func (m Meta) String() string { return fmt.Sprint(map[string]string(m)) }

// Set takes one key=value.
func (m Meta) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("-meta %q: want key=value", s)
	}
	m[k] = v
	return nil
}
