package backup

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestMeter: on a terminal the progress line is redrawn in place; elsewhere it is a log line
// at each tenth of the way and one at the end.
func TestMeter(t *testing.T) {
	t.Run("terminal", func(t *testing.T) {
		var tty bytes.Buffer
		m := newMeter("backup", 2_000_000, 2, &tty, nil)
		_, _ = m.Write(make([]byte, 1_000_000))
		m.file()
		_, _ = m.Write(make([]byte, 1_000_000))
		m.file()
		m.done()
		out := tty.String()
		if !strings.HasPrefix(out, "\rbackup  50%  1.0 MB / 2.0 MB  0/2 files\x1b[K") ||
			!strings.HasSuffix(out, "\rbackup 100%  2.0 MB / 2.0 MB  2/2 files\x1b[K\n") {
			t.Errorf("terminal output %q", out)
		}
	})
	t.Run("log", func(t *testing.T) {
		var logs bytes.Buffer
		m := newMeter("restore", 1000, 0, nil, slog.New(slog.NewTextHandler(&logs, nil)))
		for range 100 {
			_, _ = m.Write(make([]byte, 10))
		}
		m.file()
		m.done()
		lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
		if len(lines) != 10 || !strings.Contains(lines[0], "percent=10") || !strings.Contains(lines[8], "percent=90") ||
			!strings.Contains(lines[9], "percent=100 bytes=1000 total_bytes=1000 files=1") {
			t.Errorf("log lines:\n%s", logs.String())
		}
	})
}
