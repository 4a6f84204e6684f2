package devstack

import (
	"context"
	"log/slog"
	"sync/atomic"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// serverLogger adapts the Temporal server's logger interface to slog. The server
// logs every shard movement and membership change at info level, which buries
// the application's own logs, so only warnings and worse are passed on.
type serverLogger struct {
	log   *slog.Logger
	tags  []tag.Tag // from With; converted only when a record is actually written
	phase *atomic.Int32
}

// Phases of the server's life, as seen by its logger.
const (
	// phaseStarting: services call each other before all are up and log
	// errors they then retry away. StartTemporal's own readiness check is
	// the verdict, so records are capped at info level.
	phaseStarting int32 = iota
	phaseRunning
	// phaseStopping: services complain about each other going away while
	// they shut down; that is expected, so records drop to debug level.
	phaseStopping
	// phaseClosed: Close has returned. The server leaks a few gRPC client
	// connections that keep redialling the dead ports; nothing they say
	// concerns anyone, so records are discarded.
	phaseClosed
)

var (
	_ log.Logger     = serverLogger{}
	_ log.WithLogger = serverLogger{}
)

func newServerLogger(l *slog.Logger) serverLogger {
	return serverLogger{
		log:   l.With(slog.String("component", "temporal")),
		phase: new(atomic.Int32),
	}
}

// setPhase moves every logger derived from s (through With) to phase p.
func (s serverLogger) setPhase(p int32) { s.phase.Store(p) }

// Debug drops the record: see serverLogger.
func (serverLogger) Debug(string, ...tag.Tag) {}

// Info drops the record: see serverLogger.
func (serverLogger) Info(string, ...tag.Tag) {}

// Warn passes the record on at warn level.
func (s serverLogger) Warn(msg string, tags ...tag.Tag) { s.write(slog.LevelWarn, msg, tags) }

// Error passes the record on at error level.
func (s serverLogger) Error(msg string, tags ...tag.Tag) { s.write(slog.LevelError, msg, tags) }

// DPanic is logged as an error: the embedded server must not take the host
// process down with it, and the Temporal CLI's dev server makes the same choice.
func (s serverLogger) DPanic(msg string, tags ...tag.Tag) { s.write(slog.LevelError, msg, tags) }

// Panic is logged as an error; see DPanic.
func (s serverLogger) Panic(msg string, tags ...tag.Tag) { s.write(slog.LevelError, msg, tags) }

// Fatal is logged as an error; see DPanic.
func (s serverLogger) Fatal(msg string, tags ...tag.Tag) { s.write(slog.LevelError, msg, tags) }

// With returns a logger that adds tags to every record. The server calls it on
// hot paths (per shard, per workflow) for loggers that mostly log at debug
// level, so the tags are kept as they are and only converted on write.
func (s serverLogger) With(tags ...tag.Tag) log.Logger {
	merged := make([]tag.Tag, 0, len(s.tags)+len(tags))
	merged = append(merged, s.tags...)
	merged = append(merged, tags...)
	return serverLogger{log: s.log, tags: merged, phase: s.phase}
}

func (s serverLogger) write(level slog.Level, msg string, tags []tag.Tag) {
	switch s.phase.Load() {
	case phaseStarting:
		level = min(level, slog.LevelInfo)
	case phaseStopping:
		level = slog.LevelDebug
	case phaseClosed:
		return
	}
	ctx := context.Background()
	if !s.log.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, len(s.tags)+len(tags))
	for _, t := range s.tags {
		attrs = append(attrs, attr(t))
	}
	for _, t := range tags {
		attrs = append(attrs, attr(t))
	}
	s.log.LogAttrs(ctx, level, msg, attrs...)
}

func attr(t tag.Tag) slog.Attr {
	key := t.Key()
	if key == "component" {
		// Ours is component=temporal; keep the server's own one distinct.
		key = "temporal_component"
	}
	return slog.Any(key, t.Value())
}

// warnHandler raises a slog handler's threshold to warn. The SDK client used
// to probe the server logs every connection attempt at info level.
type warnHandler struct{ slog.Handler }

func (h warnHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn && h.Handler.Enabled(ctx, level)
}

func (h warnHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return warnHandler{h.Handler.WithAttrs(attrs)}
}

func (h warnHandler) WithGroup(name string) slog.Handler {
	return warnHandler{h.Handler.WithGroup(name)}
}
