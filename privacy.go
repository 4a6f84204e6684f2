package fireline

import (
	"context"
	"log/slog"
	"time"
)

// Phone is a caller's or a public reporter's phone number. It is stored and sent to the
// console in full, but a log line shows only its mask (LogValue): a log is read by more people,
// kept longer and copied further than the alarm it describes.
type Phone string

// Masked is the number with every digit but the last four replaced by '*', its other characters
// (+, spaces, dashes) kept so the shape still reads: 13812345678 → *******5678. A number of four
// digits or fewer is masked whole: its last four would be all of it. A '*' counts as a digit
// already hidden, so masking a mask changes nothing.
func (p Phone) Masked() string {
	isPos := func(r rune) bool { return r == '*' || (r >= '0' && r <= '9') }
	total := 0
	for _, r := range p {
		if isPos(r) {
			total++
		}
	}
	hide := total - 4
	if total <= 4 {
		hide = total
	}
	out := []rune(string(p))
	seen := 0
	for i, r := range out {
		if !isPos(r) {
			continue
		}
		if seen < hide {
			out[i] = '*'
		}
		seen++
	}
	return string(out)
}

// LogValue masks the number in every log line (slog.LogValuer).
func (p Phone) LogValue() slog.Value { return slog.StringValue(p.Masked()) }

// LogValue logs an alarm by its identity and facts, never its caller: no name, no number, no
// free text the operator typed from the call (slog.LogValuer).
func (a Alarm) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int64("id", a.ID), slog.String("source", string(a.Source)), slog.String("source_id", a.SourceID),
		slog.String("type", string(a.Type)), slog.String("cell", a.Cell), slog.Int64("incident", a.IncidentID),
		slog.String("kind", string(a.Kind)), slog.String("device", a.DeviceID),
		slog.Any("caller_number", a.Details.CallerNumber),
	)
}

// Purged is what a purged caller name or free-text field reads after the retention has passed.
const Purged = "[purged]"

// DefaultPersonalDataRetention is how long callers' names, numbers and words are kept after
// their incident closed: 90 days, time enough for the after-action review and a complaint.
const DefaultPersonalDataRetention = 90 * 24 * time.Hour

// PurgeResult counts what one purge changed.
type PurgeResult struct {
	// Alarms is how many alarms lost their caller's name, number and words.
	Alarms int `json:"alarms"`
}

// PersonalDataStore forgets callers. postgres.DB implements it.
type PersonalDataStore interface {
	// PurgePersonalData replaces the caller's name, number, photo reference and the free text
	// of every alarm whose incident closed before cutoff (an alarm without an incident: received
	// before cutoff) with Purged, stamping purged_at. Alarms already purged are left alone, so
	// a repeated purge changes nothing.
	PurgePersonalData(ctx context.Context, cutoff time.Time) (PurgeResult, error)
}
