package main

import (
	"context"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/postgres"
	"github.com/fireline/fireline/resources"
	"github.com/fireline/fireline/workflows"
)

// riskGrid is the fire-risk grid over db with the default weights: the worker's scheduled run
// writes it, the API reads it.
func (m *Main) riskGrid(db *postgres.DB) *resources.RiskGrid {
	return resources.NewRiskGrid(db, fireline.DefaultRiskModel(), m.log)
}

// scheduleRisk creates or updates the Temporal schedule of the fire-risk grid and runs it once
// now (or deletes the schedule when the interval is 0).
func (m *Main) scheduleRisk(ctx context.Context, tc client.Client, interval time.Duration) error {
	if err := workflows.EnsureRiskSchedule(ctx, tc, interval); err != nil {
		return err
	}
	if interval == 0 {
		m.log.Info("fire-risk grid not scheduled (--risk-interval 0): it keeps its last run; warnings still count at once")
		return nil
	}
	m.log.Info("fire-risk grid scheduled", "schedule", workflows.RiskScheduleID, "every", interval)
	return nil
}
