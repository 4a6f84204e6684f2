// Package progress is the meter of long commands (backup, restore, import): how far through its
// bytes a command is, and how many things (files, rows) it has done.
package progress

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Meter counts the bytes and the items a command has moved. On a terminal it redraws one line
// in place, a few times a second; otherwise it logs a plain line at every tenth of the way,
// which reads well in a journal or a cron mail. It is safe for concurrent use.
type Meter struct {
	verb  string
	total int64 // bytes expected; 0: unknown
	noun  string
	items int // items expected; 0: unknown
	rate  bool
	tty   io.Writer
	log   *slog.Logger

	mu       sync.Mutex
	bytes    int64
	done     int
	lastDraw time.Time
	lastTen  int64
	began    time.Time
}

// New returns a meter for verb ("backup") over total bytes (0: unknown) that draws on tty, or
// logs to log when tty is nil. It counts files until Count says otherwise.
func New(verb string, total int64, tty io.Writer, log *slog.Logger) *Meter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Meter{verb: verb, total: total, noun: "files", tty: tty, log: log, began: time.Now()}
}

// Count names what the meter counts besides bytes ("rows"), how many are expected (0:
// unknown), and whether the line shows their rate per second. It returns m.
func (m *Meter) Count(noun string, expected int, rate bool) *Meter {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.noun, m.items, m.rate = noun, expected, rate
	return m
}

// Write counts p; it never fails, so it can sit in an io.MultiWriter or io.TeeReader.
func (m *Meter) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bytes += int64(len(p))
	m.report(false)
	return len(p), nil
}

// Add counts n more items done.
func (m *Meter) Add(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done += n
	m.report(false)
}

// Done draws the final line.
func (m *Meter) Done() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.report(true)
	if m.tty != nil {
		fmt.Fprintln(m.tty)
	}
}

func (m *Meter) percent() int64 {
	if m.total <= 0 {
		return 100
	}
	return min(100, m.bytes*100/m.total)
}

func (m *Meter) perSecond() float64 {
	if s := time.Since(m.began).Seconds(); s > 0 {
		return float64(m.done) / s
	}
	return 0
}

func (m *Meter) line() string {
	items := fmt.Sprintf("%d %s", m.done, m.noun)
	if m.items > 0 {
		items = fmt.Sprintf("%d/%d %s", m.done, m.items, m.noun)
	}
	if m.rate {
		items += fmt.Sprintf("  %.0f %s/s", m.perSecond(), m.noun)
	}
	return fmt.Sprintf("%s %3d%%  %s / %s  %s", m.verb, m.percent(), Size(m.bytes), Size(m.total), items)
}

func (m *Meter) report(final bool) {
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
		args := []any{"percent", m.percent(), "bytes", m.bytes, "total_bytes", m.total, m.noun, m.done}
		if m.rate {
			args = append(args, m.noun+"_per_second", int64(m.perSecond()))
		}
		m.log.Info(m.verb+" progress", append(args, "elapsed", time.Since(m.began).Round(time.Millisecond))...)
	}
}

// Size is n bytes for a person: 1.5 MB.
func Size(n int64) string {
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
