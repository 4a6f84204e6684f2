package backup

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// meter counts the bytes and files a backup or restore has moved. On a terminal it redraws
// one line in place, a few times a second; otherwise it logs a plain line at every tenth of
// the way, which reads well in a journal or a cron mail.
type meter struct {
	verb  string
	total int64 // bytes expected; 0: unknown
	files int   // files expected; 0: unknown
	tty   io.Writer
	log   *slog.Logger

	mu        sync.Mutex
	bytes     int64
	filesDone int
	lastDraw  time.Time
	lastTen   int64
	began     time.Time
}

func newMeter(verb string, total int64, files int, tty io.Writer, log *slog.Logger) *meter {
	return &meter{verb: verb, total: total, files: files, tty: tty, log: log, began: time.Now()}
}

// Write counts p; it never fails, so it can sit in an io.MultiWriter or io.TeeReader.
func (m *meter) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bytes += int64(len(p))
	m.report(false)
	return len(p), nil
}

// file counts one more file done.
func (m *meter) file() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.filesDone++
	m.report(false)
}

// done draws the final line.
func (m *meter) done() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.report(true)
	if m.tty != nil {
		fmt.Fprintln(m.tty)
	}
}

func (m *meter) percent() int64 {
	if m.total <= 0 {
		return 100
	}
	return min(100, m.bytes*100/m.total)
}

func (m *meter) line() string {
	files := fmt.Sprintf("%d files", m.filesDone)
	if m.files > 0 {
		files = fmt.Sprintf("%d/%d files", m.filesDone, m.files)
	}
	return fmt.Sprintf("%s %3d%%  %s / %s  %s", m.verb, m.percent(), size(m.bytes), size(m.total), files)
}

func (m *meter) report(final bool) {
	if m.tty != nil {
		if final || time.Since(m.lastDraw) >= 100*time.Millisecond {
			m.lastDraw = time.Now()
			fmt.Fprintf(m.tty, "\r%s\x1b[K", m.line())
		}
		return
	}
	// The last tenth is the final line's: a file's bytes are all in before its count is.
	if ten := m.percent() / 10; final || (ten > m.lastTen && ten < 10) {
		m.lastTen = ten
		m.log.Info(m.verb+" progress", "percent", m.percent(), "bytes", m.bytes, "total_bytes", m.total, "files", m.filesDone,
			"elapsed", time.Since(m.began).Round(time.Millisecond))
	}
}

// size is n bytes for a person: 1.5 MB.
func size(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for x := n / unit; x >= unit; x /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
