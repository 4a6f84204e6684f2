package progress

import (
	"bytes"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

// TestMeter: on a terminal the progress line is redrawn in place; elsewhere it is a log line
// at each tenth of the way and one at the end.
func TestMeter(t *testing.T) {
	t.Run("terminal", func(t *testing.T) {
		var tty bytes.Buffer
		m := New("backup", 2_000_000, &tty, nil).Count("files", 2, false)
		_, _ = m.Write(make([]byte, 1_000_000))
		m.Add(1)
		_, _ = m.Write(make([]byte, 1_000_000))
		m.Add(1)
		m.Done()
		out := tty.String()
		if !strings.HasPrefix(out, "\rbackup  50%  1.0 MB / 2.0 MB  0/2 files\x1b[K") ||
			!strings.HasSuffix(out, "\rbackup 100%  2.0 MB / 2.0 MB  2/2 files\x1b[K\n") {
			t.Errorf("terminal output %q", out)
		}
	})
	t.Run("log", func(t *testing.T) {
		var logs bytes.Buffer
		m := New("restore", 1000, nil, slog.New(slog.NewTextHandler(&logs, nil)))
		for range 100 {
			_, _ = m.Write(make([]byte, 10))
		}
		m.Add(1)
		m.Done()
		lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
		if len(lines) != 10 || !strings.Contains(lines[0], "percent=10") || !strings.Contains(lines[8], "percent=90") ||
			!strings.Contains(lines[9], "percent=100 bytes=1000 total_bytes=1000 files=1") {
			t.Errorf("log lines:\n%s", logs.String())
		}
	})
	t.Run("rows and their rate", func(t *testing.T) {
		var tty bytes.Buffer
		m := New("import", 100, &tty, nil).Count("rows", 0, true)
		_, _ = m.Write(make([]byte, 100))
		m.Add(5)
		m.Done()
		if out := tty.String(); !regexp.MustCompile(`\rimport 100%  100 B / 100 B  5 rows  \d+ rows/s\x1b\[K\n$`).MatchString(out) {
			t.Errorf("terminal output %q", out)
		}
	})
}
