package fireline_test

import (
	"slices"
	"testing"

	"github.com/fireline/fireline"
)

// TestCan pins who may do what, role by role, against the policy written action by action: a
// rule changed in one view and not the other fails here. Every role is checked against every
// action, so an action added without deciding who may take it fails too.
func TestCan(t *testing.T) {
	const (
		readUnits      = fireline.ActionReadUnits
		readIncidents  = fireline.ActionReadIncidents
		readOwnInc     = fireline.ActionReadOwnIncident
		readHistory    = fireline.ActionReadUnitHistory
		readOwnHistory = fireline.ActionReadOwnUnitHistory
		readRecordings = fireline.ActionReadRecordings
		postAlarm      = fireline.ActionPostAlarm
		postDevice     = fireline.ActionPostDeviceAlarm
		dispatch       = fireline.ActionDispatch
		moveUnit       = fireline.ActionMoveUnit
		moveOwnUnit    = fireline.ActionMoveOwnUnit
		ackEscalation  = fireline.ActionAckEscalation
		watchVideo     = fireline.ActionWatchVideo
		publishVideo   = fireline.ActionPublishVideo
		manageVideo    = fireline.ActionManageVideo
		writeFindings  = fireline.ActionWriteFindings
		admin          = fireline.ActionAdmin
		manageUsers    = fireline.ActionManageUsers
		readAudit      = fireline.ActionReadAudit
		manageRoster   = fireline.ActionManageRoster
		readAnalytics  = fireline.ActionReadAnalytics
		importRecords  = fireline.ActionImportRecords
		publishAlerts  = fireline.ActionPublishAlerts
		readBuildings  = fireline.ActionReadBuildings
	)
	may := map[fireline.Role][]fireline.Action{
		fireline.RoleOperator: {readUnits, readIncidents, readHistory, readRecordings, postAlarm, postDevice,
			dispatch, moveUnit, watchVideo, publishAlerts, readBuildings},
		fireline.RoleSupervisor: {readUnits, readIncidents, readHistory, readRecordings, postAlarm, postDevice,
			dispatch, moveUnit, ackEscalation, watchVideo, manageVideo, writeFindings, manageRoster, readAnalytics, publishAlerts, readBuildings},
		fireline.RoleAdmin: {readUnits, readIncidents, readHistory, readRecordings, postAlarm, postDevice,
			dispatch, moveUnit, ackEscalation, watchVideo, manageVideo, writeFindings, admin, readAudit, manageRoster, manageUsers, readAnalytics,
			importRecords, publishAlerts, readBuildings},
		// Risk officers read and review: every read of the console, and their findings; nothing
		// that acts on an incident.
		fireline.RoleRisk: {readUnits, readIncidents, readHistory, readRecordings, watchVideo, writeFindings, readAudit, readAnalytics, readBuildings},
		// Crews act on their own unit and incident only; the API checks which is theirs.
		fireline.RoleField: {readUnits, readOwnInc, readOwnHistory, moveOwnUnit, publishVideo},
		// A gateway posts its sources' alarms and reads nothing.
		fireline.RoleGateway: {postDevice},
		// Not a role: a session can only hold a known one, but a forged or empty one may nothing.
		"":      nil,
		"chief": nil,
	}
	for role, actions := range may {
		t.Run(string(role), func(t *testing.T) {
			for _, a := range fireline.Actions {
				if got, want := fireline.Can(role, a), slices.Contains(actions, a); got != want {
					t.Errorf("Can(%q, %s) = %v, want %v", role, a, got, want)
				}
			}
			if fireline.Can(role, "launch_rockets") {
				t.Errorf("Can(%q, an unknown action) = true, want false", role)
			}
		})
	}
	for _, r := range fireline.Roles {
		if _, ok := may[r]; !ok {
			t.Errorf("role %s is not pinned in this test", r)
		}
	}
}

// TestActions checks that the lists the pages are generated from name each action and role
// once.
func TestActions(t *testing.T) {
	for name, n := range map[string]struct{ all, distinct int }{
		"Actions": {len(fireline.Actions), len(distinct(fireline.Actions))},
		"Roles":   {len(fireline.Roles), len(distinct(fireline.Roles))},
	} {
		if n.all != n.distinct {
			t.Errorf("fireline.%s names %d values, %d of them distinct", name, n.all, n.distinct)
		}
	}
	for _, a := range fireline.Actions {
		if !slices.ContainsFunc(fireline.Roles, func(r fireline.Role) bool { return fireline.Can(r, a) }) {
			t.Errorf("no role may %s: an action nobody may take is a route nobody can call", a)
		}
	}
}

func distinct[T comparable](vs []T) map[T]bool {
	m := map[T]bool{}
	for _, v := range vs {
		m[v] = true
	}
	return m
}
