package postgres

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// ImportCity loads a city's reference data in one transaction: stations, units, water sources,
// key premises, response plans and population areas. Rows that exist are updated in place, so a corrected city
// file can be imported again; a unit keeps its status and incident, so a re-import never
// recalls a unit from a fire, and a unit that reports AVL keeps its live position. New units
// start available (out of service if the file says so).
// Units' Cell must be filled by the caller, which owns the H3 grid.
func (db *DB) ImportCity(ctx context.Context, c fireline.City) error {
	if err := validateCity(c); err != nil {
		return err
	}
	b := &pgx.Batch{}
	for _, s := range c.Stations {
		b.Queue(`INSERT INTO stations (id, name, district, address, lat, lng) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, district = excluded.district,
				address = excluded.address, lat = excluded.lat, lng = excluded.lng`,
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
				updated_at = now()`,
			u.ID, u.Name, u.Type, status, u.StationID, u.Point.Lat, u.Point.Lng, u.Cell)
	}
	for _, w := range c.WaterSources {
		status := w.Status
		if status == "" {
			status = "working"
		}
		b.Queue(`INSERT INTO water_sources (id, kind, flow_lpm, status, lat, lng) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, flow_lpm = excluded.flow_lpm,
				status = excluded.status, lat = excluded.lat, lng = excluded.lng`,
			w.ID, w.Kind, w.FlowLPM, status, w.Point.Lat, w.Point.Lng)
	}
	for _, p := range c.Premises {
		b.Queue(`INSERT INTO premises (id, name, kind, address, lat, lng, hazards, pre_plan)
			VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, '{}'::text[]), $8)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, address = excluded.address,
				lat = excluded.lat, lng = excluded.lng, hazards = excluded.hazards, pre_plan = excluded.pre_plan`,
			p.ID, p.Name, p.Kind, p.Address, p.Point.Lat, p.Point.Lng, p.Hazards, p.PrePlan)
	}
	for _, a := range c.Population {
		b.Queue(`INSERT INTO population_areas (name, lat, lng, people, radius_m) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (name) DO UPDATE SET lat = excluded.lat, lng = excluded.lng, people = excluded.people,
				radius_m = excluded.radius_m`,
			a.Name, a.Point.Lat, a.Point.Lng, a.People, a.RadiusMeters)
	}
	for _, p := range c.Plans {
		b.Queue(`INSERT INTO response_plans (incident_type, level, slots) VALUES ($1, $2, $3)
			ON CONFLICT (incident_type, level) DO UPDATE SET slots = excluded.slots`,
			p.IncidentType, p.Level, p.Slots)
	}
	return db.inTx(ctx, "import city", func(tx pgx.Tx) error {
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			if pgCode(err) == codeForeignKeyViolation {
				return fireline.Errorf(fireline.EINVALID, "a unit's station_id names no station")
			}
			return translate("import city", err)
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

// Stations returns every station, by id.
func (db *DB) Stations(ctx context.Context) ([]fireline.Station, error) {
	rows, _ := db.pool.Query(ctx, "SELECT id, name, district, address, lat, lng FROM stations ORDER BY id")
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fireline.Station, error) {
		var s fireline.Station
		err := r.Scan(&s.ID, &s.Name, &s.District, &s.Address, &s.Point.Lat, &s.Point.Lng)
		return s, err
	})
	return out, translate("stations", err)
}

// WaterSources returns every hydrant and static water point, by id.
func (db *DB) WaterSources(ctx context.Context) ([]fireline.WaterSource, error) {
	rows, _ := db.pool.Query(ctx, "SELECT id, kind, flow_lpm, status, lat, lng FROM water_sources ORDER BY id")
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fireline.WaterSource, error) {
		var w fireline.WaterSource
		err := r.Scan(&w.ID, &w.Kind, &w.FlowLPM, &w.Status, &w.Point.Lat, &w.Point.Lng)
		return w, err
	})
	return out, translate("water sources", err)
}

// Premises returns every key premises, by id.
func (db *DB) Premises(ctx context.Context) ([]fireline.Premise, error) {
	rows, _ := db.pool.Query(ctx, "SELECT id, name, kind, address, lat, lng, hazards, pre_plan FROM premises ORDER BY id")
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fireline.Premise, error) {
		var p fireline.Premise
		err := r.Scan(&p.ID, &p.Name, &p.Kind, &p.Address, &p.Point.Lat, &p.Point.Lng, &p.Hazards, &p.PrePlan)
		return p, err
	})
	return out, translate("premises", err)
}

// ResponsePlan returns the run card for incident type t at level: the card of that level or,
// when the level has none, of the highest level below it (a level-4 fire with only a level-3
// card gets at least the level-3 units). ENOTFOUND when no card applies.
func (db *DB) ResponsePlan(ctx context.Context, t fireline.IncidentType, level int) (fireline.ResponsePlan, error) {
	p := fireline.ResponsePlan{IncidentType: t}
	err := db.pool.QueryRow(ctx, `SELECT level, slots FROM response_plans
		WHERE incident_type = $1 AND level <= $2 ORDER BY level DESC LIMIT 1`, t, level).Scan(&p.Level, &p.Slots)
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
