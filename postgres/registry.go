package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// deviceColumns are a device's columns as scanDevice reads them (its places are read apart).
const deviceColumns = "id, coalesce(premise_id, ''), building, floor, zone, lat, lng, coalesce(address, ''), retired_at"

func scanDevice(r pgx.CollectableRow) (fireline.Device, error) {
	var d fireline.Device
	err := r.Scan(&d.ID, &d.PremiseID, &d.Building, &d.Floor, &d.Zone, &d.Point.Lat, &d.Point.Lng, &d.Address, &d.RetiredAt)
	return d, err
}

// Device returns a registered device by id with its places, retired or not.
func (db *DB) Device(ctx context.Context, id string) (fireline.Device, error) {
	return device(ctx, db.pool, id, "")
}

func device(ctx context.Context, q querier, id, suffix string) (fireline.Device, error) {
	rows, _ := q.Query(ctx, "SELECT "+deviceColumns+" FROM devices WHERE id = $1 "+suffix, id)
	d, err := pgx.CollectExactlyOneRow(rows, scanDevice)
	if noRows(err) {
		return fireline.Device{}, notFound("device %s does not exist", id)
	}
	if err != nil {
		return fireline.Device{}, translate("device", err)
	}
	places, err := devicePlaces(ctx, q, []string{id})
	d.Places = places[id]
	return d, err
}

// devicePlaces reads the places of the devices ids, by device, in the administrator's order.
func devicePlaces(ctx context.Context, q querier, ids []string) (map[string][]fireline.DevicePlace, error) {
	type row struct {
		device string
		place  fireline.DevicePlace
	}
	rows, _ := q.Query(ctx, `SELECT device_id, system, system_address, component_address, building, floor, zone, description
		FROM device_places WHERE device_id = ANY($1) ORDER BY device_id, position`, ids)
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		var component *int64
		err := r.Scan(&x.device, &x.place.System, &x.place.SystemAddress, &component, &x.place.Building, &x.place.Floor,
			&x.place.Zone, &x.place.Description)
		if component != nil {
			c := uint32(*component)
			x.place.ComponentAddress = &c
		}
		return x, err
	})
	if err != nil {
		return nil, translate("device places", err)
	}
	out := make(map[string][]fireline.DevicePlace)
	for _, x := range list {
		out[x.device] = append(out[x.device], x.place)
	}
	return out, nil
}

// Devices lists the registered devices by id with their places, retired ones with
// f.IncludeRetired.
func (db *DB) Devices(ctx context.Context, f fireline.RefFilter) ([]fireline.Device, error) {
	var out []fireline.Device
	err := db.readTx(ctx, "devices", func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, "SELECT "+deviceColumns+" FROM devices WHERE $1 OR retired_at IS NULL ORDER BY id", f.IncludeRetired)
		var err error
		if out, err = pgx.CollectRows(rows, scanDevice); err != nil {
			return translate("devices", err)
		}
		ids := make([]string, len(out))
		for i, d := range out {
			ids[i] = d.ID
		}
		places, err := devicePlaces(ctx, tx, ids)
		for i := range out {
			out[i].Places = places[out[i].ID]
		}
		return err
	})
	return out, err
}

// CreateDevice registers a device. EINVALID when its premises do not exist or are retired;
// ECONFLICT when the id is taken (even by a retired device) or the address is another
// device's in service.
func (db *DB) CreateDevice(ctx context.Context, d fireline.Device, actor string) (fireline.Device, error) {
	if err := firstErr(checkActor(actor), d.Validate()); err != nil {
		return fireline.Device{}, err
	}
	var out fireline.Device
	err := db.inTx(ctx, "create device", func(tx pgx.Tx) error {
		if err := checkDeviceRefs(ctx, tx, d); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO devices (id, premise_id, building, floor, zone, lat, lng, address)
			VALUES ($1, nullif($2, ''), $3, $4, $5, $6, $7, nullif($8, '')) ON CONFLICT (id) DO NOTHING`,
			d.ID, d.PremiseID, d.Building, d.Floor, d.Zone, d.Point.Lat, d.Point.Lng, d.Address)
		switch {
		case err != nil:
			return translate("create device", err)
		case tag.RowsAffected() == 0:
			return errExists(ctx, tx, "device", "devices", d.ID)
		}
		if err := writePlaces(ctx, tx, d.ID, d.Places); err != nil {
			return err
		}
		if out, err = device(ctx, tx, d.ID, ""); err != nil {
			return err
		}
		return writeAudit(ctx, tx, actor, fireline.AuditCreate, fireline.EntityDevice, d.ID, nil, out)
	})
	if err != nil {
		return fireline.Device{}, err
	}
	return out, nil
}

// UpdateDevice replaces a device's premises, building, floor, zone, position, address and
// places (wholesale). ENOTFOUND for an unknown device, ECONFLICT for a retired one or an
// address another device in service has.
func (db *DB) UpdateDevice(ctx context.Context, d fireline.Device, actor string) (fireline.Device, error) {
	if err := firstErr(checkActor(actor), d.Validate()); err != nil {
		return fireline.Device{}, err
	}
	d.RetiredAt = nil
	var out fireline.Device
	err := db.inTx(ctx, "update device", func(tx pgx.Tx) error {
		before, err := device(ctx, tx, d.ID, "FOR UPDATE")
		switch {
		case err != nil:
			return err
		case before.RetiredAt != nil:
			return errRetiredRecord("device", d.ID, *before.RetiredAt)
		case sameDevice(before, d):
			out = before
			return nil
		}
		if err := checkDeviceRefs(ctx, tx, d); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE devices SET premise_id = nullif($2, ''), building = $3, floor = $4, zone = $5,
				lat = $6, lng = $7, address = nullif($8, '')
			WHERE id = $1`, d.ID, d.PremiseID, d.Building, d.Floor, d.Zone, d.Point.Lat, d.Point.Lng, d.Address)
		if err != nil {
			return translate("update device", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM device_places WHERE device_id = $1`, d.ID); err != nil {
			return translate("update device: places", err)
		}
		if err := writePlaces(ctx, tx, d.ID, d.Places); err != nil {
			return err
		}
		if out, err = device(ctx, tx, d.ID, ""); err != nil {
			return err
		}
		return writeAudit(ctx, tx, actor, fireline.AuditUpdate, fireline.EntityDevice, d.ID, before, out)
	})
	if err != nil {
		return fireline.Device{}, err
	}
	return out, nil
}

// RetireDevice takes a device out of service: it leaves the boards, its address is free for
// the device that replaces it, and its row stays as the evidence of its past alarms.
func (db *DB) RetireDevice(ctx context.Context, id, actor string) (fireline.Device, error) {
	return retire(ctx, db, retirement[fireline.Device]{
		op: "retire device", entity: fireline.EntityDevice,
		locked: func(ctx context.Context, tx pgx.Tx, id string) (fireline.Device, error) {
			return device(ctx, tx, id, "FOR UPDATE")
		},
		retiredAt: func(d fireline.Device) *time.Time { return d.RetiredAt },
		stamp: func(ctx context.Context, tx pgx.Tx) (fireline.Device, error) {
			if _, err := tx.Exec(ctx, "UPDATE devices SET retired_at = now() WHERE id = $1", id); err != nil {
				return fireline.Device{}, err
			}
			return device(ctx, tx, id, "")
		},
	}, id, actor)
}

// checkDeviceRefs checks, under locks that hold until the transaction ends, that d's key
// premises exist in service and that no other device in service has its address.
func checkDeviceRefs(ctx context.Context, tx pgx.Tx, d fireline.Device) error {
	if d.PremiseID != "" {
		var retired *time.Time
		err := tx.QueryRow(ctx, "SELECT retired_at FROM premises WHERE id = $1 FOR SHARE", d.PremiseID).Scan(&retired)
		switch {
		case noRows(err):
			return fireline.Errorf(fireline.EINVALID, "premise_id: key premises %s do not exist", d.PremiseID)
		case err != nil:
			return translate("device premises", err)
		case retired != nil:
			return fireline.Errorf(fireline.EINVALID, "premise_id: key premises %s were retired on %s", d.PremiseID, day(*retired))
		}
	}
	if d.Address == "" {
		return nil
	}
	var other string
	err := tx.QueryRow(ctx, "SELECT id FROM devices WHERE address = $1 AND retired_at IS NULL AND id <> $2", d.Address, d.ID).Scan(&other)
	switch {
	case err == nil:
		return fireline.Errorf(fireline.ECONFLICT, "address: %s is the address of device %s, in service; retire it first", d.Address, other)
	case !noRows(err):
		return translate("device address", err)
	}
	return nil
}

// insertPlaces inserts the places of device $1 from the arrays placeArgs makes, unless the
// device is retired (a retired device's record is kept as it was).
const insertPlaces = `INSERT INTO device_places (device_id, position, system, system_address, component_address,
		building, floor, zone, description)
	SELECT $1, p, s, a, c, b, f, z, d
	FROM unnest($2::int[], $3::int[], $4::int[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[])
		AS u(p, s, a, c, b, f, z, d)
	WHERE EXISTS (SELECT 1 FROM devices WHERE id = $1 AND retired_at IS NULL)`

// placeArgs are insertPlaces' arguments for device id's places, in their order.
func placeArgs(id string, places []fireline.DevicePlace) []any {
	n := len(places)
	systems, addrs, positions := make([]int32, n), make([]int32, n), make([]int32, n)
	components := make([]*int64, n)
	building, floor, zone, desc := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, p := range places {
		positions[i], systems[i], addrs[i] = int32(i), int32(p.System), int32(p.SystemAddress)
		if p.ComponentAddress != nil {
			c := int64(*p.ComponentAddress)
			components[i] = &c
		}
		building[i], floor[i], zone[i], desc[i] = p.Building, p.Floor, p.Zone, p.Description
	}
	return []any{id, positions, systems, addrs, components, building, floor, zone, desc}
}

// writePlaces inserts a device's places in their order.
func writePlaces(ctx context.Context, tx pgx.Tx, id string, places []fireline.DevicePlace) error {
	if len(places) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, insertPlaces, placeArgs(id, places)...)
	return translate("device places", err)
}

// sameDevice reports whether an update would change nothing.
func sameDevice(a, b fireline.Device) bool {
	return a.PremiseID == b.PremiseID && a.Building == b.Building && a.Floor == b.Floor && a.Zone == b.Zone &&
		a.Point == b.Point && a.Address == b.Address &&
		slices.EqualFunc(a.Places, b.Places, func(x, y fireline.DevicePlace) bool {
			same := (x.ComponentAddress == nil) == (y.ComponentAddress == nil) &&
				(x.ComponentAddress == nil || *x.ComponentAddress == *y.ComponentAddress)
			x.ComponentAddress, y.ComponentAddress = nil, nil
			return same && x == y
		})
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
