package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// Device returns a fire-alarm panel by id.
func (db *DB) Device(ctx context.Context, id string) (fireline.Device, error) {
	rows, _ := db.pool.Query(ctx, `SELECT id, coalesce(premise_id, ''), building, floor, zone, lat, lng FROM devices WHERE id = $1`, id)
	d, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (fireline.Device, error) {
		var d fireline.Device
		err := r.Scan(&d.ID, &d.PremiseID, &d.Building, &d.Floor, &d.Zone, &d.Point.Lat, &d.Point.Lng)
		return d, err
	})
	if noRows(err) {
		return fireline.Device{}, notFound("device %s does not exist", id)
	}
	return d, translate("device", err)
}

// Pole returns a lamp post with an emergency button by id.
func (db *DB) Pole(ctx context.Context, id string) (fireline.Pole, error) {
	rows, _ := db.pool.Query(ctx, `SELECT id, lat, lng, address FROM poles WHERE id = $1`, id)
	p, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (fireline.Pole, error) {
		var p fireline.Pole
		err := r.Scan(&p.ID, &p.Point.Lat, &p.Point.Lng, &p.Address)
		return p, err
	})
	if noRows(err) {
		return fireline.Pole{}, notFound("pole %s does not exist", id)
	}
	return p, translate("pole", err)
}
