package main

import (
	"context"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/fireline/fireline/intake"
	"github.com/fireline/fireline/postgres"
	"github.com/fireline/fireline/workflows"
)

// startStarter runs the starter on a worker node: every few seconds it hands the alarms that
// an api node stored while the workflow engine did not answer to their incidents' workflows.
// Every worker node runs one; PostgreSQL shares the queue among them. It stops with Main.
func (m *Main) startStarter(tc client.Client, db *postgres.DB, cfg Config) {
	policy := workflows.DefaultTimerPolicy()
	policy.Default = cfg.Timers
	incidents := workflows.NewClient(tc, policy)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The incidents it starts carry the search attributes when the namespace has them; the
		// api role registers them, and an engine still away leaves them off, as it does there.
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := incidents.EnsureSearchAttributes(actx, cfg.Namespace); err != nil {
			m.log.Warn("the starter starts incidents without search attributes", "error", err)
		}
		cancel()
		intake.NewStarter(db, incidents, intake.DefaultStarterConfig(), m.log).Run(ctx)
	}()
	m.onClose("starter", func() error { stop(); <-done; return nil })
}
