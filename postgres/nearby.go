package postgres

import (
	"context"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// metresPerDegreeLat is the length of one degree of latitude on the mean-radius sphere; the
// bounding box only pre-filters, the distance itself is the haversine below.
const metresPerDegreeLat = 6371008.8 * math.Pi / 180

// haversineSQL is the great-circle distance in metres from ($1, $2) to the row's (lat, lng),
// on the same sphere as geo.DistanceMeters.
const haversineSQL = `2 * 6371008.8 * asin(sqrt(
	power(sin(radians(lat - $1) / 2), 2) +
	cos(radians($1)) * cos(radians(lat)) * power(sin(radians(lng - $2) / 2), 2)))`

// box returns the latitude and longitude bounds of a circle of radius m around p, widened a
// little so the pre-filter never drops a row the exact distance would keep.
func box(p fireline.Point, m float64) (minLat, maxLat, minLng, maxLng float64) {
	dLat := m / metresPerDegreeLat * 1.01
	cos := math.Cos(p.Lat * math.Pi / 180)
	dLng := 180.0
	if cos > 1e-6 {
		dLng = math.Min(180, dLat/cos)
	}
	return p.Lat - dLat, p.Lat + dLat, p.Lng - dLng, p.Lng + dLng
}

// NearbyWater returns up to k working water sources within radius metres of p, nearest first.
// Sources out of service are left out: nobody lays a hose to a dry hydrant; nor to one that
// was retired.
func (db *DB) NearbyWater(ctx context.Context, p fireline.Point, radius float64, k int) ([]fireline.WaterSourceNear, error) {
	minLat, maxLat, minLng, maxLng := box(p, radius)
	rows, _ := db.pool.Query(ctx, `
		SELECT id, kind, flow_lpm, status, lat, lng, d FROM (
			SELECT *, `+haversineSQL+` AS d FROM water_sources
			WHERE status = 'working' AND retired_at IS NULL AND lat BETWEEN $3 AND $4 AND lng BETWEEN $5 AND $6
		) w WHERE d <= $7 ORDER BY d, id LIMIT $8`,
		p.Lat, p.Lng, minLat, maxLat, minLng, maxLng, radius, k)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fireline.WaterSourceNear, error) {
		var w fireline.WaterSourceNear
		err := r.Scan(&w.ID, &w.Kind, &w.FlowLPM, &w.Status, &w.Point.Lat, &w.Point.Lng, &w.DistanceMeters)
		return w, err
	})
	if out == nil && err == nil {
		out = []fireline.WaterSourceNear{}
	}
	return out, translate("nearby water", err)
}

// NearbyPremises returns up to k key premises within radius metres of p, nearest first, with
// their hazards and pre-plans. Retired premises are left out.
func (db *DB) NearbyPremises(ctx context.Context, p fireline.Point, radius float64, k int) ([]fireline.PremiseNear, error) {
	minLat, maxLat, minLng, maxLng := box(p, radius)
	rows, _ := db.pool.Query(ctx, `
		SELECT id, name, kind, address, lat, lng, hazards, pre_plan, d FROM (
			SELECT *, `+haversineSQL+` AS d FROM premises
			WHERE retired_at IS NULL AND lat BETWEEN $3 AND $4 AND lng BETWEEN $5 AND $6
		) p WHERE d <= $7 ORDER BY d, id LIMIT $8`,
		p.Lat, p.Lng, minLat, maxLat, minLng, maxLng, radius, k)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fireline.PremiseNear, error) {
		var pr fireline.PremiseNear
		err := r.Scan(&pr.ID, &pr.Name, &pr.Kind, &pr.Address, &pr.Point.Lat, &pr.Point.Lng, &pr.Hazards, &pr.PrePlan, &pr.DistanceMeters)
		return pr, err
	})
	if out == nil && err == nil {
		out = []fireline.PremiseNear{}
	}
	return out, translate("nearby premises", err)
}
