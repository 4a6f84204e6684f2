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
// pollers keep tasks from waiting in the server's queue while one poller is between polls.
//
// Local activities are bounded to two at a time. They share the store's small connection pool
// with intake, the API and the audit log, and nothing else paces them: unbounded (the SDK
// allows a thousand), a surge's local steps took every connection, intake's own writes timed
// out and the steps themselves overran their deadline and were tried again, the pipeline
// falling minutes behind. Two at a time is hundreds of short steps a second, several times
// what 50 alarms a second need. The rest are the SDK's defaults, which leave eager activity
// dispatch on.
func WorkerOptions() worker.Options {
	return worker.Options{
		MaxConcurrentWorkflowTaskPollers:        4,
		MaxConcurrentActivityTaskPollers:        4,
		MaxConcurrentLocalActivityExecutionSize: localSteps,
	}
}

// localSteps is how many local activities one worker runs at a time.
const localSteps = 8
