package postgres

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

var _ fireline.BuildingStore = (*DB)(nil)

// What buildings' transmission devices send (migration 0022). A report is stored whole with
// its events in one transaction, and the state of each system and component it names is kept
// current beside it, so the board reads a few small tables instead of replaying history. A
// heartbeat only refreshes the device's link: a device beating every minute must not fill the
// history with "still here".

// conditionStrings and conditionsOf convert between the domain's conditions and a text[].
func conditionStrings(cs []fireline.DeviceCondition) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

func conditionsOf(ss []string) []fireline.DeviceCondition {
	out := make([]fireline.DeviceCondition, len(ss))
	for i, s := range ss {
		out[i] = fireline.DeviceCondition(s)
	}
	return out
}

// resetClears are the conditions a system's reset takes off its components: the alarm and
// everything the alarm set going. Faults, shields and tests stay until the panel says otherwise.
var resetClears = []string{
	string(fireline.ConditionFireAlarm), string(fireline.ConditionSupervisory), string(fireline.ConditionStarted),
	string(fireline.ConditionFeedback), string(fireline.ConditionDelay),
}

// ReceiveDeviceReport stores a device's report in one transaction (see
// fireline.BuildingStore). A heartbeat writes only the device's link unless the device's own
// conditions changed, in which case it is kept as a report so the history shows the device's
// fault. A report already stored is a Repeat and writes nothing. The change feed announces the
// building when a state, the device's conditions or a first sighting changed its board (the
// triggers of migration 0022).
func (db *DB) ReceiveDeviceReport(ctx context.Context, r fireline.DeviceReport) (fireline.DeviceReportReceipt, error) {
	const op = "receive device report"
	if err := fireline.ValidateDeviceAddress("address", r.Address); err != nil {
		return fireline.DeviceReportReceipt{}, err
	}
	if r.ReceivedAt.IsZero() {
		r.ReceivedAt = time.Now()
	}
	if r.Frame == nil {
		r.Frame = []byte{}
	}
	// What a device says is text PostgreSQL must take: a frame is confirmed only once stored,
	// and a NUL in a panel's description must not make its device resend it for ever.
	r.Remote, r.Problem, r.Label = pgText(r.Remote), pgText(r.Problem), pgText(r.Label)
	r.Events = slices.Clone(r.Events)
	for i := range r.Events {
		r.Events[i].Description = pgText(r.Events[i].Description)
	}
	// The device's own state is its latest status in the report.
	var own []string
	for _, e := range r.Events {
		if e.Kind == fireline.EventDeviceStatus {
			own = conditionStrings(e.Conditions)
		}
	}
	var rc fireline.DeviceReportReceipt
	err := db.inTx(ctx, op, func(tx pgx.Tx) error {
		var old []string
		err := tx.QueryRow(ctx, `SELECT conditions FROM device_links WHERE address = $1 FOR UPDATE`, r.Address).Scan(&old)
		known := err == nil
		if err != nil && !noRows(err) {
			return translate(op, err)
		}
		changed := own != nil && (known && !slices.Equal(old, own) || !known && len(own) > 0)
		if r.Heartbeat() && !changed {
			if err := upsertLink(ctx, tx, r, own); err != nil {
				return err
			}
			return receiptDevice(ctx, tx, r.Address, &rc)
		}
		err = tx.QueryRow(ctx, `INSERT INTO device_reports (address, serial, label, sent_at, received_at, command, type_flag,
				frame, remote, problem)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (address, serial, label) DO NOTHING RETURNING id`,
			r.Address, r.Serial, r.Label, r.SentAt, r.ReceivedAt, r.Command, r.TypeFlag, r.Frame, r.Remote, r.Problem).Scan(&rc.ReportID)
		switch {
		case noRows(err):
			rc.Repeat = true
			return receiptDevice(ctx, tx, r.Address, &rc)
		case err != nil:
			return translate(op, err)
		}
		if err := upsertLink(ctx, tx, r, own); err != nil {
			return err
		}
		if err := applyEvents(ctx, tx, rc.ReportID, r); err != nil {
			return err
		}
		return receiptDevice(ctx, tx, r.Address, &rc)
	})
	if err != nil {
		return fireline.DeviceReportReceipt{}, err
	}
	return rc, nil
}

// upsertLink records that the device was heard: first and last seen, its peer, the count of
// its frames, and its own conditions when the report says them (own non-nil).
func upsertLink(ctx context.Context, tx pgx.Tx, r fireline.DeviceReport, own []string) error {
	_, err := tx.Exec(ctx, `INSERT INTO device_links (address, first_seen_at, last_seen_at, remote, reports, conditions, conditions_since)
		VALUES ($1, $2, $2, $3, 1, coalesce($4::text[], '{}'), $2)
		ON CONFLICT (address) DO UPDATE SET
			last_seen_at = greatest(device_links.last_seen_at, excluded.last_seen_at),
			remote = CASE WHEN excluded.remote <> '' THEN excluded.remote ELSE device_links.remote END,
			reports = device_links.reports + 1,
			conditions = coalesce($4::text[], device_links.conditions),
			conditions_since = CASE WHEN $4::text[] IS NOT NULL AND $4::text[] <> device_links.conditions
				THEN excluded.conditions_since ELSE device_links.conditions_since END`,
		r.Address, r.ReceivedAt, r.Remote, own)
	return translate("device link", err)
}

// applyEvents stores a report's events and brings the states they name up to date, in the
// report's order, in one round trip.
func applyEvents(ctx context.Context, tx pgx.Tx, reportID int64, r fireline.DeviceReport) error {
	b := &pgx.Batch{}
	for _, e := range r.Events {
		b.Queue(`INSERT INTO device_events (report_id, address, kind, system, system_address, component, component_address,
				conditions, operations, operator, description, analog_kind, analog_value, at, received_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			reportID, r.Address, e.Kind, e.System, e.SystemAddress, e.Component, int64(e.ComponentAddress),
			conditionStrings(e.Conditions), operationStrings(e.Operations), e.Operator, e.Description, e.AnalogKind,
			e.AnalogValue, e.At, r.ReceivedAt)
		// A state's since is the device's time when it has one.
		since := r.ReceivedAt
		if e.At != nil {
			since = *e.At
		}
		switch e.Kind {
		case fireline.EventComponentStatus:
			if len(e.Conditions) == 0 {
				b.Queue(`DELETE FROM device_component_states
					WHERE address = $1 AND system = $2 AND system_address = $3 AND component_address = $4`,
					r.Address, e.System, e.SystemAddress, int64(e.ComponentAddress))
				continue
			}
			b.Queue(`INSERT INTO device_component_states (address, system, system_address, component_address, component,
					conditions, description, since, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
				ON CONFLICT (address, system, system_address, component_address) DO UPDATE SET
					component = excluded.component,
					conditions = excluded.conditions,
					description = CASE WHEN excluded.description <> '' THEN excluded.description
						ELSE device_component_states.description END,
					since = CASE WHEN device_component_states.conditions = excluded.conditions
						THEN device_component_states.since ELSE excluded.since END,
					updated_at = excluded.updated_at`,
				r.Address, e.System, e.SystemAddress, int64(e.ComponentAddress), e.Component, conditionStrings(e.Conditions),
				e.Description, since, r.ReceivedAt)
		case fireline.EventSystemStatus:
			b.Queue(`INSERT INTO device_system_states (address, system, system_address, conditions, since, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (address, system, system_address) DO UPDATE SET
					conditions = excluded.conditions,
					since = CASE WHEN device_system_states.conditions = excluded.conditions
						THEN device_system_states.since ELSE excluded.since END,
					updated_at = excluded.updated_at`,
				r.Address, e.System, e.SystemAddress, conditionStrings(e.Conditions), since, r.ReceivedAt)
		}
		if e.Kind == fireline.EventSystemStatus && e.Has(fireline.ConditionReset) ||
			e.Kind == fireline.EventSystemOperation && slices.Contains(e.Operations, fireline.OperationReset) {
			// A reset clears the alarm conditions of the system's components: those left with
			// nothing else leave the board, the rest keep their faults and shields.
			b.Queue(`DELETE FROM device_component_states
				WHERE address = $1 AND system = $2 AND system_address = $3 AND conditions <@ $4::text[]`,
				r.Address, e.System, e.SystemAddress, resetClears)
			b.Queue(`UPDATE device_component_states SET
					conditions = array(SELECT c FROM unnest(conditions) WITH ORDINALITY AS u(c, n)
						WHERE c <> ALL($4::text[]) ORDER BY n),
					since = $5, updated_at = $6
				WHERE address = $1 AND system = $2 AND system_address = $3 AND conditions && $4::text[]`,
				r.Address, e.System, e.SystemAddress, resetClears, since, r.ReceivedAt)
		}
	}
	return translate("device events", tx.SendBatch(ctx, b).Close())
}

// pgText is s as a PostgreSQL text value: valid UTF-8 without NUL characters.
func pgText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

func operationStrings(ops []fireline.DeviceOperation) []string {
	out := make([]string, len(ops))
	for i, o := range ops {
		out[i] = string(o)
	}
	return out
}

// receiptDevice fills the receipt's device in service with address, and its key premises.
func receiptDevice(ctx context.Context, tx pgx.Tx, address string, rc *fireline.DeviceReportReceipt) error {
	var id string
	err := tx.QueryRow(ctx, `SELECT id FROM devices WHERE address = $1 AND retired_at IS NULL`, address).Scan(&id)
	switch {
	case noRows(err):
		return nil
	case err != nil:
		return translate("device of a report", err)
	}
	d, err := device(ctx, tx, id, "")
	if err != nil {
		return err
	}
	rc.Device = &d
	if d.PremiseID == "" {
		return nil
	}
	p, err := premise(ctx, tx, d.PremiseID, "")
	if err != nil {
		return err
	}
	rc.Premise = &p
	return nil
}

// maxUnregistered bounds the list of unregistered devices: a misconfigured fleet must not make
// the administrators' page unreadable.
const maxUnregistered = 1000

// UnregisteredDevices lists the addresses heard with no device in service registered for
// them, latest first, at most 1,000.
func (db *DB) UnregisteredDevices(ctx context.Context, q fireline.BoardQuery) ([]fireline.DeviceLink, error) {
	q = boardDefaults(q)
	rows, _ := db.pool.Query(ctx, "SELECT "+linkColumns+` FROM device_links l
		WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.address = l.address AND d.retired_at IS NULL)
		ORDER BY last_seen_at DESC, address LIMIT $1`, maxUnregistered)
	links, err := pgx.CollectRows(rows, scanLink)
	if err != nil {
		return nil, translate("unregistered devices", err)
	}
	out := make([]fireline.DeviceLink, len(links))
	for i, l := range links {
		l.link.Online = online(l.link, q)
		out[i] = l.link
	}
	return out, nil
}

const linkColumns = "address, first_seen_at, last_seen_at, remote, reports, conditions, conditions_since"

// storedLink is a device's link with when its conditions last changed.
type storedLink struct {
	link  fireline.DeviceLink
	since time.Time
}

func scanLink(r pgx.CollectableRow) (storedLink, error) {
	var l storedLink
	var conds []string
	err := r.Scan(&l.link.Address, &l.link.FirstSeenAt, &l.link.LastSeenAt, &l.link.Remote, &l.link.Reports, &conds, &l.since)
	if len(conds) > 0 {
		l.link.Conditions = conditionsOf(conds)
	}
	return l, err
}

// boardDefaults fills a query's zero time and limit.
func boardDefaults(q fireline.BoardQuery) fireline.BoardQuery {
	if q.At.IsZero() {
		q.At = time.Now()
	}
	if q.OfflineAfter <= 0 {
		q.OfflineAfter = fireline.DefaultDeviceOfflineAfter
	}
	return q
}

func online(l fireline.DeviceLink, q fireline.BoardQuery) bool {
	return !l.LastSeenAt.Before(q.At.Add(-q.OfflineAfter))
}

// buildingDevice is a device in service on a board, with what its frames said.
type buildingDevice struct {
	device     fireline.Device
	registered time.Time
	link       *storedLink
	systems    []fireline.SystemState
	components []fireline.ComponentState
}

// building is one key premises with its devices in service, by id.
type building struct {
	premise fireline.Premise
	devices []*buildingDevice
}

// loadBuildings reads the key premises in force with transmission devices in service (only
// premiseID's when it is set), their devices, links and the states their devices reported, in
// a fixed number of queries whatever the number of devices. A panel that posts JSON through a
// gateway (no address) is never heard here, so it is on no board rather than always offline.
func loadBuildings(ctx context.Context, tx pgx.Tx, premiseID string) ([]*building, error) {
	const op = "read buildings"
	rows, _ := tx.Query(ctx, "SELECT "+premiseColumns+` FROM premises p
		WHERE ($1 = '' AND retired_at IS NULL OR id = $1)
		  AND ($1 <> '' OR EXISTS (SELECT 1 FROM devices d
			WHERE d.premise_id = p.id AND d.retired_at IS NULL AND d.address IS NOT NULL))
		ORDER BY name, id`, premiseID)
	premises, err := pgx.CollectRows(rows, scanPremise)
	if err != nil {
		return nil, translate(op, err)
	}
	buildings := make([]*building, len(premises))
	byPremise := make(map[string]*building, len(premises))
	ids := make([]string, len(premises))
	for i, p := range premises {
		buildings[i] = &building{premise: p}
		byPremise[p.ID], ids[i] = buildings[i], p.ID
	}
	rows, _ = tx.Query(ctx, "SELECT "+deviceColumns+`, registered_at FROM devices
		WHERE premise_id = ANY($1) AND retired_at IS NULL AND address IS NOT NULL ORDER BY id`, ids)
	devices, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*buildingDevice, error) {
		var d buildingDevice
		err := r.Scan(&d.device.ID, &d.device.PremiseID, &d.device.Building, &d.device.Floor, &d.device.Zone,
			&d.device.Point.Lat, &d.device.Point.Lng, &d.device.Address, &d.device.RetiredAt, &d.registered)
		return &d, err
	})
	if err != nil {
		return nil, translate(op, err)
	}
	byAddress := make(map[string]*buildingDevice, len(devices))
	var addresses, deviceIDs []string
	for _, d := range devices {
		b := byPremise[d.device.PremiseID]
		b.devices = append(b.devices, d)
		deviceIDs = append(deviceIDs, d.device.ID)
		if d.device.Address != "" {
			byAddress[d.device.Address] = d
			addresses = append(addresses, d.device.Address)
		}
	}
	places, err := devicePlaces(ctx, tx, deviceIDs)
	if err != nil {
		return nil, err
	}
	for _, d := range devices {
		d.device.Places = places[d.device.ID]
	}
	rows, _ = tx.Query(ctx, "SELECT "+linkColumns+" FROM device_links WHERE address = ANY($1)", addresses)
	links, err := pgx.CollectRows(rows, scanLink)
	if err != nil {
		return nil, translate(op, err)
	}
	for _, l := range links {
		byAddress[l.link.Address].link = &l
	}
	rows, _ = tx.Query(ctx, `SELECT address, system, system_address, conditions, since, updated_at FROM device_system_states
		WHERE address = ANY($1) ORDER BY address, system, system_address`, addresses)
	systems, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fireline.SystemState, error) {
		var s fireline.SystemState
		var conds []string
		err := r.Scan(&s.Address, &s.System, &s.SystemAddress, &conds, &s.Since, &s.UpdatedAt)
		s.Conditions = conditionsOf(conds)
		return s, err
	})
	if err != nil {
		return nil, translate(op, err)
	}
	for _, s := range systems {
		d := byAddress[s.Address]
		d.systems = append(d.systems, s)
	}
	rows, _ = tx.Query(ctx, `SELECT address, system, system_address, component, component_address, conditions, description,
			since, updated_at
		FROM device_component_states WHERE address = ANY($1) ORDER BY address, system, system_address, component_address`, addresses)
	components, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fireline.ComponentState, error) {
		var c fireline.ComponentState
		var conds []string
		var addr int64
		err := r.Scan(&c.Address, &c.System, &c.SystemAddress, &c.Component, &addr, &conds, &c.Description, &c.Since, &c.UpdatedAt)
		c.ComponentAddress = uint32(addr)
		c.Conditions = conditionsOf(conds)
		return c, err
	})
	if err != nil {
		return nil, translate(op, err)
	}
	for _, c := range components {
		d := byAddress[c.Address]
		c.Place = fireline.DeviceEvent{System: c.System, SystemAddress: c.SystemAddress, ComponentAddress: c.ComponentAddress,
			Description: c.Description}.Place(d.device.Places)
		d.components = append(d.components, c)
	}
	return buildings, nil
}

// faultConditions are the conditions the board counts as a fault.
var faultConditions = []fireline.DeviceCondition{
	fireline.ConditionFault, fireline.ConditionPowerFault, fireline.ConditionMainPowerFault,
	fireline.ConditionBackupPowerFault, fireline.ConditionBusFault, fireline.ConditionChannelFault, fireline.ConditionLineFault,
}

func anyOf(cs, of []fireline.DeviceCondition) bool {
	return slices.ContainsFunc(cs, func(c fireline.DeviceCondition) bool { return slices.Contains(of, c) })
}

// summary counts what is wrong with a building at q.At and since when.
func (b *building) summary(q fireline.BoardQuery) fireline.BuildingSummary {
	s := fireline.BuildingSummary{Premise: b.premise, Devices: len(b.devices)}
	impairedSince := func(t time.Time) {
		if s.Since == nil || t.Before(*s.Since) {
			s.Since = &t
		}
	}
	count := func(cs []fireline.DeviceCondition, since time.Time) {
		m := &s.Impairment
		if slices.Contains(cs, fireline.ConditionFireAlarm) {
			m.FireAlarms++
		}
		if anyOf(cs, faultConditions) {
			m.Faults++
		}
		if slices.Contains(cs, fireline.ConditionShielded) {
			m.Shielded++
		}
		if slices.Contains(cs, fireline.ConditionTest) {
			m.InTest++
		}
		if slices.Contains(cs, fireline.ConditionSupervisory) {
			m.Supervisory++
		}
		if slices.ContainsFunc(cs, fireline.DeviceCondition.Impairing) {
			impairedSince(since)
		}
	}
	for _, d := range b.devices {
		for _, st := range d.systems {
			count(st.Conditions, st.Since)
		}
		for _, c := range d.components {
			count(c.Conditions, c.Since)
		}
		switch {
		case d.link == nil:
			s.Impairment.Offline++
			impairedSince(d.registered)
		case !online(d.link.link, q):
			s.Impairment.Offline++
			impairedSince(d.link.link.LastSeenAt.Add(q.OfflineAfter))
		}
		if d.link != nil && anyOf(d.link.link.Conditions, faultConditions) {
			s.Impairment.Faults++
			impairedSince(d.link.since)
		}
	}
	return s
}

// buildingRank orders the list: fire alarms first, then the impaired, then the rest.
func buildingRank(s fireline.BuildingSummary) int {
	switch {
	case s.Impairment.FireAlarms > 0:
		return 0
	case s.Impairment.Impaired():
		return 1
	}
	return 2
}

// Buildings lists the key premises in force with devices in service and what is wrong with
// each at q.At: fire alarms first, then the impaired, then the rest, each by name.
func (db *DB) Buildings(ctx context.Context, q fireline.BoardQuery) ([]fireline.BuildingSummary, error) {
	q = boardDefaults(q)
	var out []fireline.BuildingSummary
	err := db.readTx(ctx, "read buildings", func(tx pgx.Tx) error {
		bs, err := loadBuildings(ctx, tx, "")
		if err != nil {
			return err
		}
		out = summaries(bs, q)
		return nil
	})
	return out, err
}

// summaries are the buildings' lines in the list's order, filtered by q.ImpairedOnly.
func summaries(bs []*building, q fireline.BoardQuery) []fireline.BuildingSummary {
	out := []fireline.BuildingSummary{}
	for _, b := range bs {
		s := b.summary(q)
		if q.ImpairedOnly && !s.Impairment.Impaired() {
			continue
		}
		out = append(out, s)
	}
	// loadBuildings read them by name: a stable sort keeps that within each rank.
	slices.SortStableFunc(out, func(a, b fireline.BuildingSummary) int { return cmp.Compare(buildingRank(a), buildingRank(b)) })
	return out
}

// Board is the fire-safety board of one key premises at q.At: its summary, each device in
// service with its link, systems and the components that are not normal, and the latest
// MaxBoardHistory events of its devices, newest first. ENOTFOUND for unknown premises.
func (db *DB) Board(ctx context.Context, premiseID string, q fireline.BoardQuery) (fireline.BuildingBoard, error) {
	const op = "read building board"
	q = boardDefaults(q)
	var out fireline.BuildingBoard
	err := db.readTx(ctx, op, func(tx pgx.Tx) error {
		bs, err := loadBuildings(ctx, tx, premiseID)
		if err != nil {
			return err
		}
		if len(bs) == 0 {
			return notFound("premises %s does not exist", premiseID)
		}
		b := bs[0]
		out.BuildingSummary = b.summary(q)
		out.Boards = make([]fireline.DeviceBoard, len(b.devices))
		deviceOf := map[string]string{}
		var addresses []string
		for i, d := range b.devices {
			board := fireline.DeviceBoard{Device: d.device, Systems: d.systems, Components: d.components}
			if board.Systems == nil {
				board.Systems = []fireline.SystemState{}
			}
			if board.Components == nil {
				board.Components = []fireline.ComponentState{}
			}
			if d.link != nil {
				l := d.link.link
				l.DeviceID = d.device.ID
				l.Online = online(l, q)
				board.Link, board.Online = &l, l.Online
			}
			out.Boards[i] = board
			if a := d.device.Address; a != "" {
				deviceOf[a] = d.device.ID
				addresses = append(addresses, a)
			}
		}
		out.History, err = boardHistory(ctx, tx, addresses, deviceOf)
		return err
	})
	return out, err
}

// boardHistory reads the latest MaxBoardHistory events of addresses, newest first.
func boardHistory(ctx context.Context, tx pgx.Tx, addresses []string, deviceOf map[string]string) ([]fireline.DeviceEventRecord, error) {
	rows, _ := tx.Query(ctx, `SELECT id, report_id, address, received_at, kind, system, system_address, component,
			component_address, conditions, operations, operator, description, analog_kind, analog_value, at
		FROM device_events WHERE address = ANY($1) ORDER BY id DESC LIMIT $2`, addresses, fireline.MaxBoardHistory)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fireline.DeviceEventRecord, error) {
		var e fireline.DeviceEventRecord
		var conds, ops []string
		var component int64
		err := r.Scan(&e.ID, &e.ReportID, &e.Address, &e.ReceivedAt, &e.Event.Kind, &e.Event.System, &e.Event.SystemAddress,
			&e.Event.Component, &component, &conds, &ops, &e.Event.Operator, &e.Event.Description, &e.Event.AnalogKind,
			&e.Event.AnalogValue, &e.Event.At)
		e.Event.ComponentAddress = uint32(component)
		if len(conds) > 0 {
			e.Event.Conditions = conditionsOf(conds)
		}
		for _, o := range ops {
			e.Event.Operations = append(e.Event.Operations, fireline.DeviceOperation(o))
		}
		e.DeviceID = deviceOf[e.Address]
		return e, err
	})
	if out == nil {
		out = []fireline.DeviceEventRecord{}
	}
	return out, translate("read building history", err)
}

// impairedPremises lists the key premises whose fire protection is impaired at at, the risk
// grid's view: a device silent for DefaultDeviceOfflineAfter counts.
func impairedPremises(ctx context.Context, tx pgx.Tx, at time.Time) (map[string]bool, error) {
	bs, err := loadBuildings(ctx, tx, "")
	if err != nil {
		return nil, err
	}
	q := fireline.BoardQuery{At: at, OfflineAfter: fireline.DefaultDeviceOfflineAfter, ImpairedOnly: true}
	out := map[string]bool{}
	for _, s := range summaries(bs, q) {
		out[s.Premise.ID] = true
	}
	return out, nil
}
