package postgres

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// ImportCity loads a city's reference data in one transaction: stations, units, water sources,
// key premises, response plans, population areas, fire-alarm panels and transmission devices
// (with their places) and lamp posts. Rows that exist are updated in place, so a corrected city
// file can be imported again; a unit keeps its status and incident, so a re-import never
// recalls a unit from a fire, and a unit that reports AVL keeps its live position. New units
// start available (out of service if the file says so). Retired records are evidence and stay
// as they were; a run card whose key has only retired cards gets a new card in force.
// Units' Cell must be filled by the caller, which owns the H3 grid.
func (db *DB) ImportCity(ctx context.Context, c fireline.City) error {
	if err := validateCity(c); err != nil {
		return err
	}
	b := &pgx.Batch{}
	for _, s := range c.Stations {
		b.Queue(`INSERT INTO stations (id, name, district, address, lat, lng) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, district = excluded.district,
				address = excluded.address, lat = excluded.lat, lng = excluded.lng
			WHERE stations.retired_at IS NULL`,
			s.ID, s.Name, s.District, s.Address, s.Point.Lat, s.Point.Lng)
	}
	for _, u := range c.Units {
		status := fireline.UnitAvailable
		if u.Status == fireline.UnitOutOfService {
			status = fireline.UnitOutOfService
		}
		b.Queue(`INSERT INTO units (id, name, type, status, station_id, lat, lng, cell)
			VALUES ($1, $2, $3, $4, nullif($5, ''), $6, $7, $8)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, type = excluded.type,
				station_id = excluded.station_id,
				-- a unit that reports AVL keeps its live position
				lat = CASE WHEN units.fix_at IS NULL THEN excluded.lat ELSE units.lat END,
				lng = CASE WHEN units.fix_at IS NULL THEN excluded.lng ELSE units.lng END,
				cell = CASE WHEN units.fix_at IS NULL THEN excluded.cell ELSE units.cell END,
				updated_at = now()
			WHERE units.retired_at IS NULL`,
			u.ID, u.Name, u.Type, status, u.StationID, u.Point.Lat, u.Point.Lng, u.Cell)
	}
	for _, w := range c.WaterSources {
		status := w.Status
		if status == "" {
			status = "working"
		}
		b.Queue(`INSERT INTO water_sources (id, kind, flow_lpm, status, lat, lng) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, flow_lpm = excluded.flow_lpm,
				status = excluded.status, lat = excluded.lat, lng = excluded.lng
			WHERE water_sources.retired_at IS NULL`,
			w.ID, w.Kind, w.FlowLPM, status, w.Point.Lat, w.Point.Lng)
	}
	for _, p := range c.Premises {
		b.Queue(`INSERT INTO premises (id, name, kind, address, lat, lng, hazards, pre_plan, plan_type, plan_level)
			VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, '{}'::text[]), $8, $9, $10)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, address = excluded.address,
				lat = excluded.lat, lng = excluded.lng, hazards = excluded.hazards, pre_plan = excluded.pre_plan,
				plan_type = excluded.plan_type, plan_level = excluded.plan_level
			WHERE premises.retired_at IS NULL`,
			p.ID, p.Name, p.Kind, p.Address, p.Point.Lat, p.Point.Lng, p.Hazards, p.PrePlan, p.PlanType, p.PlanLevel)
	}
	for _, a := range c.Population {
		b.Queue(`INSERT INTO population_areas (name, lat, lng, people, radius_m) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (name) DO UPDATE SET lat = excluded.lat, lng = excluded.lng, people = excluded.people,
				radius_m = excluded.radius_m`,
			a.Name, a.Point.Lat, a.Point.Lng, a.People, a.RadiusMeters)
	}
	for _, d := range c.Devices {
		b.Queue(`INSERT INTO devices (id, premise_id, building, floor, zone, lat, lng, address)
			VALUES ($1, nullif($2, ''), $3, $4, $5, $6, $7, nullif($8, ''))
			ON CONFLICT (id) DO UPDATE SET premise_id = excluded.premise_id, building = excluded.building,
				floor = excluded.floor, zone = excluded.zone, lat = excluded.lat, lng = excluded.lng, address = excluded.address
			WHERE devices.retired_at IS NULL`,
			d.ID, d.PremiseID, d.Building, d.Floor, d.Zone, d.Point.Lat, d.Point.Lng, d.Address)
		// A transmission device's places are the file's, wholesale.
		b.Queue(`DELETE FROM device_places WHERE device_id = $1 AND EXISTS (SELECT 1 FROM devices WHERE id = $1 AND retired_at IS NULL)`, d.ID)
		if len(d.Places) > 0 {
			b.Queue(insertPlaces, placeArgs(d.ID, d.Places)...)
		}
	}
	for _, p := range c.Poles {
		b.Queue(`INSERT INTO poles (id, lat, lng, address) VALUES ($1, $2, $3, $4)
			ON CONFLICT (id) DO UPDATE SET lat = excluded.lat, lng = excluded.lng, address = excluded.address`,
			p.ID, p.Point.Lat, p.Point.Lng, p.Address)
	}
	for _, p := range c.Plans {
		b.Queue(`INSERT INTO response_plans (incident_type, level, slots) VALUES ($1, $2, $3)
			ON CONFLICT (incident_type, level) WHERE retired_at IS NULL DO UPDATE SET slots = excluded.slots`,
			p.IncidentType, p.Level, p.Slots)
	}
	return db.inTx(ctx, "import city", func(tx pgx.Tx) error {
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			if pgConstraint(err) == "devices_premise_id_fkey" {
				return fireline.Errorf(fireline.EINVALID, "a device's premise_id names no key premises")
			}
			if pgCode(err) == codeForeignKeyViolation {
				return fireline.Errorf(fireline.EINVALID, "a unit's station_id names no station")
			}
			return translate("import city", err)
		}
		// A unit in service needs a home station in service (the admin API's rule too).
		ids := make([]string, len(c.Units))
		for i, u := range c.Units {
			ids[i] = u.ID
		}
		var unit, station string
		err := tx.QueryRow(ctx, `SELECT u.id, s.id FROM units u JOIN stations s ON s.id = u.station_id
			WHERE u.id = ANY($1) AND u.retired_at IS NULL AND s.retired_at IS NOT NULL ORDER BY u.id LIMIT 1`, ids).Scan(&unit, &station)
		switch {
		case err == nil:
			return fireline.Errorf(fireline.EINVALID, "unit %q: station %s is retired", unit, station)
		case !noRows(err):
			return translate("import city: home stations", err)
		}
		return nil
	})
}

// validateCity names the first bad record, which the database's constraints could not do.
func validateCity(c fireline.City) error {
	bad := func(kind, id, format string, args ...any) error {
		return fireline.Errorf(fireline.EINVALID, "%s %q: %s", kind, id, fmt.Sprintf(format, args...))
	}
	for _, s := range c.Stations {
		if s.ID == "" {
			return bad("station", s.Name, "id is required")
		}
		if err := s.Point.Validate(); err != nil {
			return bad("station", s.ID, "%s", fireline.ErrorMessage(err))
		}
	}
	for _, u := range c.Units {
		switch {
		case u.ID == "":
			return bad("unit", u.Name, "id is required")
		case !u.Type.Valid():
			return bad("unit", u.ID, "%q is not a unit type", u.Type)
		}
		if err := u.Point.Validate(); err != nil {
			return bad("unit", u.ID, "%s", fireline.ErrorMessage(err))
		}
	}
	for _, w := range c.WaterSources {
		switch {
		case w.ID == "":
			return bad("water source", w.Kind, "id is required")
		case w.FlowLPM < 0:
			return bad("water source", w.ID, "negative flow")
		case w.Status != "" && w.Status != "working" && w.Status != "out_of_service":
			return bad("water source", w.ID, "status %q is not working or out_of_service", w.Status)
		}
		if err := w.Point.Validate(); err != nil {
			return bad("water source", w.ID, "%s", fireline.ErrorMessage(err))
		}
	}
	for _, p := range c.Premises {
		if p.ID == "" {
			return bad("premise", p.Name, "id is required")
		}
		if err := p.Point.Validate(); err != nil {
			return bad("premise", p.ID, "%s", fireline.ErrorMessage(err))
		}
	}
	for _, a := range c.Population {
		switch {
		case a.Name == "":
			return bad("population area", "", "name is required")
		case !(a.People >= 0) || math.IsInf(a.People, 0):
			return bad("population area", a.Name, "people must be a number ≥ 0")
		case !(a.RadiusMeters > 0) || math.IsInf(a.RadiusMeters, 0):
			return bad("population area", a.Name, "radius must be a positive number of metres")
		}
		if err := a.Point.Validate(); err != nil {
			return bad("population area", a.Name, "%s", fireline.ErrorMessage(err))
		}
	}
	for _, d := range c.Devices {
		if err := d.Validate(); err != nil {
			return bad("device", d.ID, "%s", fireline.ErrorMessage(err))
		}
	}
	for _, p := range c.Poles {
		if err := p.Validate(); err != nil {
			return bad("pole", p.ID, "%s", fireline.ErrorMessage(err))
		}
	}
	for _, p := range c.Plans {
		id := fmt.Sprintf("%s/%d", p.IncidentType, p.Level)
		switch {
		case !p.IncidentType.Valid():
			return bad("response plan", id, "%q is not an incident type", p.IncidentType)
		case p.Level < fireline.MinLevel || p.Level > fireline.MaxLevel:
			return bad("response plan", id, "level must be %d to %d", fireline.MinLevel, fireline.MaxLevel)
		case len(p.Slots) == 0:
			return bad("response plan", id, "no units")
		}
		for _, s := range p.Slots {
			if !s.Type.Valid() || s.Count < 1 {
				return bad("response plan", id, "slot %q x%d: needs a unit type and a positive count", s.Type, s.Count)
			}
		}
	}
	return nil
}

const stationColumns = "id, name, district, address, lat, lng, retired_at"

func scanStation(r pgx.CollectableRow) (fireline.Station, error) {
	var s fireline.Station
	err := r.Scan(&s.ID, &s.Name, &s.District, &s.Address, &s.Point.Lat, &s.Point.Lng, &s.RetiredAt)
	return s, err
}

// Stations returns the stations that pass f, by id.
func (db *DB) Stations(ctx context.Context, f fireline.RefFilter) ([]fireline.Station, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+stationColumns+" FROM stations WHERE $1 OR retired_at IS NULL ORDER BY id", f.IncludeRetired)
	out, err := pgx.CollectRows(rows, scanStation)
	return out, translate("stations", err)
}

const waterColumns = "id, kind, flow_lpm, status, lat, lng, retired_at"

func scanWaterSource(r pgx.CollectableRow) (fireline.WaterSource, error) {
	var w fireline.WaterSource
	err := r.Scan(&w.ID, &w.Kind, &w.FlowLPM, &w.Status, &w.Point.Lat, &w.Point.Lng, &w.RetiredAt)
	return w, err
}

// WaterSources returns the hydrants and static water points that pass f, by id.
func (db *DB) WaterSources(ctx context.Context, f fireline.RefFilter) ([]fireline.WaterSource, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+waterColumns+" FROM water_sources WHERE $1 OR retired_at IS NULL ORDER BY id", f.IncludeRetired)
	out, err := pgx.CollectRows(rows, scanWaterSource)
	return out, translate("water sources", err)
}

const premiseColumns = "id, name, kind, address, lat, lng, hazards, pre_plan, retired_at, plan_type, plan_level"

func scanPremise(r pgx.CollectableRow) (fireline.Premise, error) {
	var p fireline.Premise
	err := r.Scan(&p.ID, &p.Name, &p.Kind, &p.Address, &p.Point.Lat, &p.Point.Lng, &p.Hazards, &p.PrePlan, &p.RetiredAt,
		&p.PlanType, &p.PlanLevel)
	return p, err
}

// Premises returns the key premises that pass f, by id.
func (db *DB) Premises(ctx context.Context, f fireline.RefFilter) ([]fireline.Premise, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+premiseColumns+" FROM premises WHERE $1 OR retired_at IS NULL ORDER BY id", f.IncludeRetired)
	out, err := pgx.CollectRows(rows, scanPremise)
	return out, translate("premises", err)
}

const planColumns = "incident_type, level, slots, retired_at"

func scanPlan(r pgx.CollectableRow) (fireline.ResponsePlan, error) {
	var p fireline.ResponsePlan
	err := r.Scan(&p.IncidentType, &p.Level, &p.Slots, &p.RetiredAt)
	return p, err
}

// ResponsePlans returns the run cards that pass f by incident type and level, a key's card in
// force before its retired ones, newest retired first.
func (db *DB) ResponsePlans(ctx context.Context, f fireline.RefFilter) ([]fireline.ResponsePlan, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+planColumns+` FROM response_plans WHERE $1 OR retired_at IS NULL
		ORDER BY incident_type, level, retired_at DESC NULLS FIRST, id DESC`, f.IncludeRetired)
	out, err := pgx.CollectRows(rows, scanPlan)
	return out, translate("response plans", err)
}

// ResponsePlan returns the run card for incident type t at level: the card in force of that
// level or, when the level has none, of the highest level below it (a level-4 fire with only a
// level-3 card gets at least the level-3 units). ENOTFOUND when no card applies.
func (db *DB) ResponsePlan(ctx context.Context, t fireline.IncidentType, level int) (fireline.ResponsePlan, error) {
	p := fireline.ResponsePlan{IncidentType: t}
	err := db.pool.QueryRow(ctx, `SELECT level, slots FROM response_plans
		WHERE incident_type = $1 AND level <= $2 AND retired_at IS NULL ORDER BY level DESC LIMIT 1`, t, level).Scan(&p.Level, &p.Slots)
	if noRows(err) {
		return fireline.ResponsePlan{}, notFound("no response plan for %s at level %d", t, level)
	}
	if err != nil {
		return fireline.ResponsePlan{}, translate("response plan", err)
	}
	return p, nil
}

// PopulationAreas returns where people live, by name.
func (db *DB) PopulationAreas(ctx context.Context) ([]fireline.PopulationArea, error) {
	rows, _ := db.pool.Query(ctx, "SELECT name, lat, lng, people, radius_m FROM population_areas ORDER BY name")
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fireline.PopulationArea, error) {
		var a fireline.PopulationArea
		err := r.Scan(&a.Name, &a.Point.Lat, &a.Point.Lng, &a.People, &a.RadiusMeters)
		return a, err
	})
	return out, translate("population areas", err)
}
