package workflows

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// IncidentOptions registers Incident under its durable name.
func IncidentOptions() workflow.RegisterOptions {
	return workflow.RegisterOptions{Name: IncidentWorkflow}
}

// WorkerOptions are the options of the worker that runs the incidents. A surge of alarms is a
// burst of new workflows each wanting its first workflow task at once, and that task runs the
// incident's short store steps as local activities (localWritesChange): more workflow task
// pollers keep tasks from waiting in the server's queue while one poller is between polls. The
// rest are the SDK's defaults, which leave eager activity dispatch on.
func WorkerOptions() worker.Options {
	return worker.Options{
		MaxConcurrentWorkflowTaskPollers: 4,
		MaxConcurrentActivityTaskPollers: 4,
	}
}
