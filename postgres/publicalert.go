package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

const publicAlertColumns = `id, identifier, incident_id, msg_type, status, sender, thread, coalesce(follows, ''), refs,
	sent, expires, author, params`

func scanPublicAlert(r pgx.CollectableRow) (fireline.PublicAlert, error) {
	var a fireline.PublicAlert
	err := r.Scan(&a.ID, &a.Identifier, &a.IncidentID, &a.MsgType, &a.Status, &a.Sender, &a.Thread, &a.Follows, &a.References,
		&a.Sent, &a.Expires, &a.Author, &a.Params)
	return a, err
}

// AddPublicAlert stores a public alert message as sent, with its event on the incident's
// timeline, in one transaction (0021 keeps the rows append-only). An Update or Cancel must
// follow its thread's latest message: a message already followed is a conflict (the unique
// follows column decides between two operators racing), and so is anything after a Cancel
// or an Update of an expired alert (fireline.CanFollow).
func (db *DB) AddPublicAlert(ctx context.Context, a fireline.PublicAlert) (fireline.PublicAlert, error) {
	switch {
	case a.Identifier == "" || a.Sender == "" || a.Author == "" || a.XML == "":
		return fireline.PublicAlert{}, fireline.Errorf(fireline.EINVALID, "public alert: identifier, sender, author and XML are required")
	case (a.MsgType == fireline.CAPAlert) != (a.Follows == ""):
		return fireline.PublicAlert{}, fireline.Errorf(fireline.EINVALID, "public alert: an Alert follows nothing; an Update or Cancel follows a message")
	}
	var out fireline.PublicAlert
	err := db.inTx(ctx, "add public alert", func(tx pgx.Tx) error {
		if a.Follows != "" {
			rows, _ := tx.Query(ctx, `SELECT `+publicAlertColumns+` FROM public_alerts WHERE identifier = $1`, a.Follows)
			prev, err := pgx.CollectExactlyOneRow(rows, scanPublicAlert)
			if noRows(err) {
				return notFound("public alert %s does not exist", a.Follows)
			}
			if err != nil {
				return translate("add public alert: read "+a.Follows, err)
			}
			if prev.Thread != a.Thread || prev.IncidentID != a.IncidentID {
				return fireline.Errorf(fireline.EINVALID, "public alert: %s belongs to alert %s of incident %d, not %s of %d",
					prev.Identifier, prev.Thread, prev.IncidentID, a.Thread, a.IncidentID)
			}
			if err := fireline.CanFollow(prev, a.MsgType, a.Sent); err != nil {
				return err
			}
		}
		data := map[string]any{"identifier": a.Identifier, "msg_type": a.MsgType, "follows": a.Follows, "status": a.Status}
		rows, _ := tx.Query(ctx, `
			INSERT INTO public_alerts (identifier, incident_id, msg_type, status, sender, thread, follows, refs, sent, expires,
			                           author, xml, params)
			VALUES ($1, $2, $3, $4, $5, $6, nullif($7, ''), $8, $9, $10, $11, $12, $13)
			RETURNING `+publicAlertColumns,
			a.Identifier, a.IncidentID, a.MsgType, a.Status, a.Sender, a.Thread, a.Follows, a.References, a.Sent, a.Expires,
			a.Author, a.XML, a.Params)
		var err error
		out, err = pgx.CollectExactlyOneRow(rows, scanPublicAlert)
		switch pgConstraint(err) {
		case "public_alerts_incident_id_fkey":
			return errNoIncident(a.IncidentID)
		case "public_alerts_follows_key":
			return fireline.Errorf(fireline.ECONFLICT, "public alert %s was already updated or cancelled: reload the incident's alerts", a.Follows)
		case "public_alerts_identifier_key":
			return fireline.Errorf(fireline.ECONFLICT, "public alert %s exists already", a.Identifier)
		}
		if err != nil {
			return translate("add public alert", err)
		}
		out.XML = a.XML
		verb := map[fireline.CAPMsgType]string{fireline.CAPAlert: "published", fireline.CAPUpdate: "updated", fireline.CAPCancel: "cancelled"}[a.MsgType]
		return appendEvent(ctx, tx, fireline.TimelineEvent{
			// The database's clock, not the whole second sent: the timeline orders by it, and the
			// alert follows the alarms and orders of the same second.
			IncidentID: a.IncidentID, Key: "public_alert:" + a.Identifier, Kind: fireline.EventPublicAlert,
			Actor: a.Author, Detail: fmt.Sprintf("Public alert %s %s: %s", a.Thread, verb, a.Params.Headline), Data: data,
		})
	})
	if err != nil {
		return fireline.PublicAlert{}, err
	}
	return out, nil
}

// PublicAlert returns one message with its CAP document.
func (db *DB) PublicAlert(ctx context.Context, identifier string) (fireline.PublicAlert, error) {
	var xml string
	rows, _ := db.pool.Query(ctx, `SELECT `+publicAlertColumns+`, xml FROM public_alerts WHERE identifier = $1`, identifier)
	a, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (fireline.PublicAlert, error) {
		var a fireline.PublicAlert
		err := r.Scan(&a.ID, &a.Identifier, &a.IncidentID, &a.MsgType, &a.Status, &a.Sender, &a.Thread, &a.Follows, &a.References,
			&a.Sent, &a.Expires, &a.Author, &a.Params, &xml)
		return a, err
	})
	if noRows(err) {
		return fireline.PublicAlert{}, notFound("public alert %s does not exist", identifier)
	}
	if err != nil {
		return fireline.PublicAlert{}, translate("public alert", err)
	}
	a.XML = xml
	return a, nil
}

// PublicAlerts returns messages newest first, without their documents.
func (db *DB) PublicAlerts(ctx context.Context, f fireline.PublicAlertFilter) ([]fireline.PublicAlert, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, fireline.MaxPublicAlertList)
	rows, _ := db.pool.Query(ctx, `SELECT `+publicAlertColumns+` FROM public_alerts
		WHERE ($1 = 0 OR incident_id = $1) AND ($2 = '' OR thread = $2)
		ORDER BY id DESC LIMIT $3`, f.IncidentID, f.Thread, limit)
	list, err := pgx.CollectRows(rows, scanPublicAlert)
	if err != nil {
		return nil, translate("public alerts", err)
	}
	if list == nil {
		list = []fireline.PublicAlert{}
	}
	return list, nil
}
