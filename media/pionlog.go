package media

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// pionLogs routes pion's own logging into our slog logger, so its warnings land in the same
// structured log as everything else instead of on stderr. Pion is chattier than we are: its
// Info (every state change) goes to Debug, and its Warn, which is routine for an SFU (pings
// before the remote candidates are in, packets racing a closing stream), goes to Info.
type pionLogs struct{ log *slog.Logger }

func (f pionLogs) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{log: f.log.With("pion", scope)}
}

type pionLogger struct{ log *slog.Logger }

func (l pionLogger) emit(level slog.Level, format string, args ...any) {
	// Formatting is skipped when the level is off: pion logs per packet at trace level.
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	l.log.Log(context.Background(), level, msg)
}

const levelTrace = slog.LevelDebug - 4

func (l pionLogger) Trace(msg string)                  { l.emit(levelTrace, "%s", msg) }
func (l pionLogger) Tracef(format string, args ...any) { l.emit(levelTrace, format, args...) }
func (l pionLogger) Debug(msg string)                  { l.emit(slog.LevelDebug, "%s", msg) }
func (l pionLogger) Debugf(format string, args ...any) { l.emit(slog.LevelDebug, format, args...) }
func (l pionLogger) Info(msg string)                   { l.emit(slog.LevelDebug, "%s", msg) }
func (l pionLogger) Infof(format string, args ...any)  { l.emit(slog.LevelDebug, format, args...) }
func (l pionLogger) Warn(msg string)                   { l.emit(slog.LevelInfo, "%s", msg) }
func (l pionLogger) Warnf(format string, args ...any)  { l.emit(slog.LevelInfo, format, args...) }
func (l pionLogger) Error(msg string)                  { l.emit(slog.LevelWarn, "%s", msg) }
func (l pionLogger) Errorf(format string, args ...any) { l.emit(slog.LevelWarn, format, args...) }
