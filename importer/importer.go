// Package importer loads the CSV exports of the dispatch system a centre is leaving as imported
// incidents and units (fireline.ImportedIncident, fireline.ImportedUnit), for the analytics and
// the risk grid. A Mapping says how one export's columns read; sf-calls is built in, and any
// other shape loads through a mapping file.
//
// The file is streamed: one record in memory at a time (csv.Reader with ReuseRecord), a batch of
// validated rows at a time on their way to the store. A row is checked whole before it joins a
// batch, so a bad row (its line number and reason reported) is skipped entirely and never half
// written. The store keys records by the source's numbers, so importing a file again writes
// nothing. No workflow is started: imported incidents are history.
package importer

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

// Importer reads exports and writes their records through the store. It implements
// fireline.RecordImporter for the API.
type Importer struct {
	store fireline.ImportStore
	log   *slog.Logger
	// BatchSize is how many rows go to the store at once (DefaultBatchSize).
	BatchSize int
}

// DefaultBatchSize is large enough that a batch's round trips cost little per row and small
// enough that its transaction and memory stay modest.
const DefaultBatchSize = 5000

// MaxStepBeforeReceived is how far before the alarm's receipt a unit's step may be and still
// be this call's: a few seconds or minutes are two clocks disagreeing, a day is another call.
const MaxStepBeforeReceived = 24 * time.Hour

var _ fireline.RecordImporter = (*Importer)(nil)

// New returns an Importer writing to store.
func New(store fireline.ImportStore, log *slog.Logger) *Importer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Importer{store: store, log: log.With("component", "importer"), BatchSize: DefaultBatchSize}
}

// Options are an import's choices besides its mapping.
type Options struct {
	// Format is the format's name or mapping file, for the summary.
	Format string
	// Progress, if set, is told the number of rows read so far, after every row.
	Progress func(rows int)
}

// ImportCSV imports r in the built-in format named format: the API's way, which takes no
// mapping files.
func (im *Importer) ImportCSV(ctx context.Context, format string, r io.Reader) (fireline.ImportSummary, error) {
	m, err := Builtin(format)
	if err != nil {
		return fireline.ImportSummary{Format: format}, err
	}
	return im.Import(ctx, m, r, Options{Format: format})
}

// Import reads r to its end through m and writes its records. Bad rows are in the summary; the
// error is for a file that cannot be read at all (no header, a column the mapping names is
// missing, a read failure) or a store that fails, and the summary then says what was done
// before.
func (im *Importer) Import(ctx context.Context, m *Mapping, r io.Reader, o Options) (fireline.ImportSummary, error) {
	began := time.Now()
	sum := fireline.ImportSummary{Format: o.Format, Dataset: m.Dataset, Bad: []fireline.BadRow{}}
	if sum.Format == "" {
		sum.Format = m.Dataset
	}
	finish := func(err error) (fireline.ImportSummary, error) {
		sum.Seconds = time.Since(began).Seconds()
		if sum.Seconds > 0 {
			sum.RowsPerSecond = float64(sum.Rows) / sum.Seconds
		}
		return sum, err
	}
	rd := csv.NewReader(r)
	rd.ReuseRecord = true
	header, err := rd.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return finish(fireline.Errorf(fireline.EINVALID, "the file is empty: it has no header row"))
		}
		return finish(fireline.Errorf(fireline.EINVALID, "the header row cannot be read: %v", err))
	}
	p, err := newParser(m, header)
	if err != nil {
		return finish(err)
	}
	size := im.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	w := startWriter(ctx, im.store, m.Dataset, size)
	b := <-w.free
	// The numbers seen in this import, to tell incidents already present from those a batch
	// before this one added (a file's rows of one incident may straddle two batches).
	seen := map[string]struct{}{}
	unitRows := 0
	var readErr error
	for !w.failed.Load() {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			readErr = fmt.Errorf("importer: read after %d rows: %w", sum.Rows, err)
			break
		}
		sum.Rows++
		if o.Progress != nil {
			o.Progress(sum.Rows)
		}
		if pe != nil {
			reason := pe.Err.Error()
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				reason = fmt.Sprintf("%d fields where the header has %d", len(rec), len(header))
			}
			addBad(&sum, pe.StartLine, reason)
			continue
		}
		line, _ := rd.FieldPos(0)
		inc, unit, err := p.row(rec, line)
		if err != nil {
			addBad(&sum, line, err.Error())
			continue
		}
		seen[inc.Number] = struct{}{}
		b.add(inc, unit)
		if unit != nil {
			unitRows++
		}
		if b.rows >= size {
			b = w.next(b)
			im.log.Debug("import batch handed to the store", "rows", sum.Rows)
		}
	}
	// What was read whole before a read failure is stored all the same: a re-import adds the rest.
	c, err := w.close(b)
	sum.IncidentsAdded, sum.IncidentsEarlier, sum.UnitsAdded = c.IncidentsAdded, c.IncidentsEarlier, c.UnitsAdded
	if err != nil {
		return finish(err)
	}
	if readErr != nil {
		return finish(readErr)
	}
	sum.IncidentsPresent = len(seen) - sum.IncidentsAdded
	sum.UnitsPresent = unitRows - sum.UnitsAdded
	return finish(nil)
}

// writer stores batches in the background while the next one is read and checked: reading
// costs about a third of what storing costs, and the two overlap. Two batches take turns, so
// at most one is being written while the other fills.
type writer struct {
	queue chan *batch
	free  chan *batch
	done  chan struct{}
	// failed is set when a batch could not be stored; the reader stops.
	failed atomic.Bool
	// counts and err belong to the writing goroutine until done is closed.
	counts fireline.ImportCounts
	err    error
}

func startWriter(ctx context.Context, store fireline.ImportStore, dataset string, size int) *writer {
	w := &writer{queue: make(chan *batch), free: make(chan *batch, 2), done: make(chan struct{})}
	w.free <- newBatch(dataset, size)
	w.free <- newBatch(dataset, size)
	go func() {
		defer close(w.done)
		for b := range w.queue {
			if w.err == nil {
				c, err := store.ImportRecords(ctx, b.ImportBatch)
				if err != nil {
					w.err = err
					w.failed.Store(true)
				}
				w.counts.IncidentsAdded += c.IncidentsAdded
				w.counts.IncidentsEarlier += c.IncidentsEarlier
				w.counts.UnitsAdded += c.UnitsAdded
			}
			b.reset()
			w.free <- b
		}
	}()
	return w
}

// next hands b to the store and returns an empty batch to fill.
func (w *writer) next(b *batch) *batch {
	w.queue <- b
	return <-w.free
}

// close hands over the last batch, if it holds rows, and waits until everything is stored.
func (w *writer) close(b *batch) (fireline.ImportCounts, error) {
	if b.rows > 0 {
		w.queue <- b
	}
	close(w.queue)
	<-w.done
	return w.counts, w.err
}

// addBad counts a skipped row and names the first few.
func addBad(sum *fireline.ImportSummary, line int, reason string) {
	sum.BadRows++
	if len(sum.Bad) < fireline.MaxBadRowsListed {
		sum.Bad = append(sum.Bad, fireline.BadRow{Line: line, Reason: reason})
	}
}

// batch gathers validated rows, one incident per number (the earliest received wins).
type batch struct {
	fireline.ImportBatch
	index map[string]int
	rows  int
}

func newBatch(dataset string, size int) *batch {
	return &batch{
		ImportBatch: fireline.ImportBatch{Dataset: dataset, Incidents: make([]fireline.ImportedIncident, 0, size), Units: make([]fireline.ImportedUnit, 0, size)},
		index:       make(map[string]int, size),
	}
}

func (b *batch) add(inc fireline.ImportedIncident, unit *fireline.ImportedUnit) {
	b.rows++
	if i, ok := b.index[inc.Number]; ok {
		if inc.ReceivedAt.Before(b.Incidents[i].ReceivedAt) {
			b.Incidents[i].ReceivedAt, b.Incidents[i].Line = inc.ReceivedAt, inc.Line
		}
	} else {
		b.index[inc.Number] = len(b.Incidents)
		b.Incidents = append(b.Incidents, inc)
	}
	if unit != nil {
		b.Units = append(b.Units, *unit)
	}
}

func (b *batch) reset() {
	b.Incidents, b.Units, b.rows = b.Incidents[:0], b.Units[:0], 0
	clear(b.index)
}

// parser turns one record into its incident and unit row, by the mapping and the header.
type parser struct {
	m                  *Mapping
	header             []string
	timesIn            *time.Location
	number, received   int
	steps              [4]int // dispatched, en route, on scene, available
	unitID, unitType   int
	callType, priority int
	stationArea, addr  int
	lat, lng, location int
	fallback, rowKey   []int
}

func newParser(m *Mapping, header []string) (*parser, error) {
	h := make([]string, len(header))
	for i, name := range header {
		h[i] = strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))
	}
	loc, err := time.LoadLocation(m.TimesIn)
	if err != nil {
		return nil, fireline.Errorf(fireline.EINVALID, "mapping: times_in: %q is not an IANA time zone", m.TimesIn)
	}
	p := &parser{m: m, header: h, timesIn: loc}
	var missing []string
	col := func(name string) int {
		if name == "" {
			return -1
		}
		for i, n := range h {
			if n == name {
				return i
			}
		}
		missing = append(missing, strconv.Quote(name))
		return -1
	}
	c := m.Columns
	p.number, p.received = col(c.Number), col(c.Received)
	p.steps = [4]int{col(c.Dispatched), col(c.EnRoute), col(c.OnScene), col(c.Available)}
	p.unitID, p.unitType = col(c.UnitID), col(c.UnitType)
	p.callType, p.priority = col(c.CallType), col(c.Priority)
	p.stationArea, p.addr = col(c.StationArea), col(c.Address)
	p.lat, p.lng, p.location = col(c.Lat), col(c.Lng), col(c.Location)
	for _, name := range m.NumberFallback {
		p.fallback = append(p.fallback, col(name))
	}
	for _, name := range m.RowKey {
		p.rowKey = append(p.rowKey, col(name))
	}
	if len(missing) > 0 {
		return nil, fireline.Errorf(fireline.EINVALID, "the file has no column %s that format %s reads", strings.Join(missing, ", "), m.Dataset)
	}
	return p, nil
}

func (p *parser) get(rec []string, i int) string {
	if i < 0 {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// row checks a whole record and returns what it holds; nothing of a record that fails is kept.
func (p *parser) row(rec []string, line int) (fireline.ImportedIncident, *fireline.ImportedUnit, error) {
	inc := fireline.ImportedIncident{Dataset: p.m.Dataset, TimeZone: p.m.TimeZone, Line: line, Category: fireline.CategoryOther}
	for i, f := range rec {
		// PostgreSQL's text takes neither, and a file in another encoding is better refused
		// row by row than stored garbled.
		if !utf8.ValidString(f) || strings.IndexByte(f, 0) >= 0 {
			return inc, nil, fmt.Errorf("%s: not UTF-8 text", p.header[i])
		}
	}
	inc.Number = p.get(rec, p.number)
	if inc.Number == "" && len(p.fallback) > 0 {
		parts := make([]string, len(p.fallback))
		some := false
		for i, c := range p.fallback {
			parts[i] = p.get(rec, c)
			some = some || parts[i] != ""
		}
		if some {
			inc.Number = "~" + strings.Join(parts, "|")
		}
	}
	if inc.Number == "" {
		return inc, nil, fmt.Errorf("%s: missing", p.header[p.number])
	}
	received, err := p.time(rec, p.received)
	if err != nil {
		return inc, nil, err
	}
	if received.IsZero() {
		return inc, nil, fmt.Errorf("%s: missing", p.header[p.received])
	}
	inc.ReceivedAt = received
	inc.SourceType = p.get(rec, p.callType)
	if ct, ok := p.m.CallTypes[inc.SourceType]; ok {
		inc.Type, inc.Category = ct.Type, ct.Category
	}
	inc.Priority = p.get(rec, p.priority)
	inc.StationArea = p.get(rec, p.stationArea)
	inc.Address = p.get(rec, p.addr)
	pt, err := p.point(rec)
	if err != nil {
		return inc, nil, err
	}
	if pt != nil {
		cell, err := geo.CellOf(*pt, geo.Resolution)
		if err != nil {
			return inc, nil, fmt.Errorf("position %s: %v", pt, err)
		}
		inc.Point, inc.Cell = pt, cell.String()
	}
	if p.unitID < 0 {
		return inc, nil, nil
	}
	var steps [4]time.Time
	for i, c := range p.steps {
		if steps[i], err = p.time(rec, c); err != nil {
			return inc, nil, err
		}
		// A step a little before the alarm is what two systems' clocks write: it is kept, and
		// the analytics count its interval as negative (excluded, counted apart). A step more
		// than MaxStepBeforeReceived before it belongs to another call: the row is bad.
		if !steps[i].IsZero() && steps[i].Before(received.Add(-MaxStepBeforeReceived)) {
			return inc, nil, fmt.Errorf("%s %s is more than %s before %s %s", p.header[c], p.get(rec, c), MaxStepBeforeReceived, p.header[p.received], p.get(rec, p.received))
		}
	}
	u := &fireline.ImportedUnit{Number: inc.Number, UnitID: p.get(rec, p.unitID), Line: line,
		DispatchedAt: steps[0], EnRouteAt: steps[1], OnSceneAt: steps[2], AvailableAt: steps[3]}
	if u.UnitID == "" {
		// A call no unit was sent to is still an incident.
		return inc, nil, nil
	}
	u.SourceUnitType = p.get(rec, p.unitType)
	u.UnitType = p.m.UnitTypes[u.SourceUnitType]
	if len(p.rowKey) > 0 {
		parts := make([]string, len(p.rowKey))
		for i, c := range p.rowKey {
			parts[i] = p.get(rec, c)
		}
		u.RowKey = strings.Join(parts, "|")
		if strings.Trim(u.RowKey, "|") == "" {
			return inc, nil, fmt.Errorf("row key (%s): missing", strings.Join(p.m.RowKey, ", "))
		}
	} else {
		u.RowKey = u.UnitID + "|" + p.get(rec, p.steps[0])
	}
	return inc, u, nil
}

// time reads column c in the first layout that fits, in the mapping's zone unless the text
// carries an offset; zero when the cell is empty.
func (p *parser) time(rec []string, c int) (time.Time, error) {
	s := p.get(rec, c)
	if s == "" {
		return time.Time{}, nil
	}
	// The layout that read furthest into the text says best what is wrong with it.
	var best *time.ParseError
	for _, layout := range p.m.TimeLayouts {
		t, err := time.ParseInLocation(layout, s, p.timesIn)
		if err == nil {
			return t, nil
		}
		var pe *time.ParseError
		if errors.As(err, &pe) && (best == nil || len(pe.ValueElem) < len(best.ValueElem)) {
			best = pe
		}
	}
	if best != nil && best.Message != "" {
		return time.Time{}, fmt.Errorf("%s: %q is not a time (%s)", p.header[c], s, strings.TrimPrefix(best.Message, ": "))
	}
	return time.Time{}, fmt.Errorf("%s: %q is not a time as %s", p.header[c], s, strings.Join(p.m.TimeLayouts, " or "))
}

// point reads the position: none when its cells are empty or 0,0 (the usual "no fix" of
// exports), an error when it is not a number or off the globe.
func (p *parser) point(rec []string) (*fireline.Point, error) {
	var lat, lng, name string
	switch {
	case p.location >= 0:
		name = p.header[p.location]
		s := p.get(rec, p.location)
		if s == "" {
			return nil, nil
		}
		inner := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(s, "("), ")"))
		var ok bool
		lat, lng, ok = strings.Cut(inner, ",")
		if !ok || len(inner) == len(s) {
			return nil, fmt.Errorf("%s: %q is not \"(lat, lon)\"", name, s)
		}
	case p.lat >= 0:
		name = p.header[p.lat] + "/" + p.header[p.lng]
		lat, lng = p.get(rec, p.lat), p.get(rec, p.lng)
		if lat == "" && lng == "" {
			return nil, nil
		}
	default:
		return nil, nil
	}
	la, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
	ln, err2 := strconv.ParseFloat(strings.TrimSpace(lng), 64)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("%s: %q, %q is not a position", name, lat, lng)
	}
	if la == 0 && ln == 0 {
		return nil, nil
	}
	pt := fireline.Point{Lat: la, Lng: ln}
	if err := pt.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %s", name, fireline.ErrorMessage(err))
	}
	return &pt, nil
}
