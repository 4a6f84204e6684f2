package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

const findingColumns = `id, incident_id, at, category, text, author, author_role, coalesce(corrects, 0)`

func scanFinding(r pgx.CollectableRow) (fireline.Finding, error) {
	var f fireline.Finding
	err := r.Scan(&f.ID, &f.IncidentID, &f.At, &f.Category, &f.Text, &f.Author, &f.AuthorRole, &f.Corrects)
	return f, err
}

// AddFinding records a finding of an incident's review. It only ever inserts: the table
// refuses updates and deletes (0010). ENOTFOUND when the incident does not exist, EINVALID when
// f.Corrects is not a finding of the same incident.
func (db *DB) AddFinding(ctx context.Context, f fireline.Finding) (fireline.Finding, error) {
	if err := f.Validate(); err != nil {
		return fireline.Finding{}, err
	}
	if f.Author == "" {
		return fireline.Finding{}, fireline.Errorf(fireline.EINVALID, "author: required")
	}
	var corrects any
	if f.Corrects != 0 {
		corrects = f.Corrects
	}
	rows, _ := db.pool.Query(ctx, `
		INSERT INTO incident_findings (incident_id, at, category, text, author, author_role, corrects)
		VALUES ($1, coalesce($2, now()), $3, $4, $5, $6, $7)
		RETURNING `+findingColumns,
		f.IncidentID, nullTime(f.At), f.Category, f.Text, f.Author, f.AuthorRole, corrects)
	out, err := pgx.CollectExactlyOneRow(rows, scanFinding)
	switch pgConstraint(err) {
	case "incident_findings_incident_id_fkey":
		return fireline.Finding{}, errNoIncident(f.IncidentID)
	case "incident_findings_incident_id_corrects_fkey", "incident_findings_check":
		return fireline.Finding{}, fireline.Errorf(fireline.EINVALID, "corrects: incident %d has no earlier finding %d", f.IncidentID, f.Corrects)
	}
	if err != nil {
		return fireline.Finding{}, translate("add finding", err)
	}
	return out, nil
}

// Findings returns an incident's findings in the order they were recorded.
func (db *DB) Findings(ctx context.Context, incidentID int64) ([]fireline.Finding, error) {
	rows, _ := db.pool.Query(ctx, `SELECT `+findingColumns+` FROM incident_findings
		WHERE incident_id = $1 ORDER BY at, id`, incidentID)
	list, err := pgx.CollectRows(rows, scanFinding)
	if err != nil {
		return nil, translate("findings", err)
	}
	if len(list) == 0 {
		if err := mustExist(ctx, db.pool, "findings", incidentID); err != nil {
			return nil, err
		}
		return []fireline.Finding{}, nil
	}
	return list, nil
}
