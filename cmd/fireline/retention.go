package main

import (
	"context"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/fireline/fireline/workflows"
)

// schedulePurge creates or updates the Temporal schedule of the personal-data purge for the
// configured retention (or deletes it when the retention is 0: keep forever).
func (m *Main) schedulePurge(ctx context.Context, tc client.Client, retention time.Duration) error {
	if err := workflows.EnsurePurgeSchedule(ctx, tc, retention); err != nil {
		return err
	}
	if retention == 0 {
		m.log.Info("personal data kept forever (--personal-data-retention 0): no purge scheduled")
		return nil
	}
	m.log.Info("personal data purge scheduled", "schedule", workflows.PurgeScheduleID, "every", workflows.PurgeInterval, "retention", retention)
	return nil
}
