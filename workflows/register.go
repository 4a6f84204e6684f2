package workflows

import "go.temporal.io/sdk/workflow"

// IncidentOptions registers Incident under its durable name.
func IncidentOptions() workflow.RegisterOptions {
	return workflow.RegisterOptions{Name: IncidentWorkflow}
}
