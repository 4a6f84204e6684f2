package fireline

import "slices"

// Action is something a signed-in user asks Fireline to do. Who may do what is one table
// (Can): the API's routes and handlers ask it, and the pages get a generated copy
// (web/static/domain.js), so a rule changes in one place and the console never offers a
// button the API would refuse.
//
// Some actions come in pairs, one on anything and one on the user's own unit or incident
// (ActionMoveUnit and ActionMoveOwnUnit). Can answers for the role only: whether the unit or
// incident at hand is the user's own is a scope check the caller makes beside it, because
// only the caller knows the unit and the incident.
type Action string

// The actions, each with the requests it covers. The names are the values the pages see.
const (
	// ActionReadUnits reads the units, stations and water sources and follows the live event
	// stream: what every person who signs in sees. A gateway may not, as it reads nothing: the
	// API's access table (api/access.go) names the actions of every route, and a gateway may
	// take none but the intake's.
	ActionReadUnits Action = "read_units"
	// ActionReadIncidents reads every incident and the command centre's picture around them:
	// alarms, timelines, reviews, agency tasks, escalations, warnings, readiness, key premises,
	// what is near a point, coverage, move-ups and the travel model, and the media metrics,
	// whose room labels name incidents.
	ActionReadIncidents Action = "read_incidents"
	// ActionReadOwnIncident reads the one incident the user's unit is on, and what is near it.
	ActionReadOwnIncident Action = "read_own_incident"
	// ActionReadUnitHistory reads any unit's history of statuses and positions.
	ActionReadUnitHistory Action = "read_unit_history"
	// ActionReadOwnUnitHistory reads the history of the unit the user crews.
	ActionReadOwnUnitHistory Action = "read_own_unit_history"
	// ActionReadRecordings lists and plays the incidents' recorded video.
	ActionReadRecordings Action = "read_recordings"
	// ActionPostAlarm takes an alarm by hand: a call, an alarm in the common fields, and the
	// confirmation of an unverified public report.
	ActionPostAlarm Action = "post_alarm"
	// ActionPostDeviceAlarm posts what the alarm sources' gateways send: panel events,
	// lamp-post presses, public reports and CAP warnings. Dispatchers may post the same by hand
	// (a report phoned in from a panel company).
	ActionPostDeviceAlarm Action = "post_device_alarm"
	// ActionDispatch sends units to an incident and gives it its orders: assess, under control,
	// PAR, cancel, merge, split an alarm out, close, and the agency tasks.
	ActionDispatch Action = "dispatch"
	// ActionMoveUnit sets any unit's status with a dispatcher's corrections
	// (UnitStatus.CanMoveTo byDispatcher), reports any unit's position (vehicle trackers sign in
	// as dispatchers for now), and accepts or ignores move-ups.
	ActionMoveUnit Action = "move_unit"
	// ActionMoveOwnUnit sets the status of the unit the user crews, by the crew's rules, and
	// reports its position.
	ActionMoveOwnUnit Action = "move_own_unit"
	// ActionAckEscalation takes an escalation from the supervisors' queue.
	ActionAckEscalation Action = "ack_escalation"
	// ActionWatchVideo plays the crews' live video (WHEP), lists an incident's streams and asks
	// where any incident's media room is.
	ActionWatchVideo Action = "watch_video"
	// ActionPublishVideo publishes the camera of the user's unit (WHIP) into an incident the
	// unit is dispatched to, and asks where that incident's media room is.
	ActionPublishVideo Action = "publish_video"
	// ActionManageVideo changes or ends anybody's media session; everyone else may change only
	// the sessions they opened.
	ActionManageVideo Action = "manage_video"
	// ActionWriteFindings records the findings of an incident's review: what went wrong or well,
	// by category. Findings are only added, never changed.
	ActionWriteFindings Action = "write_findings"
	// ActionAdmin keeps the reference data (stations, units, water sources, key premises,
	// response plans) and reads the audit of its changes.
	ActionAdmin Action = "admin"
	// ActionManageUsers creates users, changes their roles and units, disables them, resets
	// their passwords and reads and revokes their sessions.
	ActionManageUsers Action = "manage_users"
	// ActionReadAudit reads and exports the audit log of every request that changed something.
	ActionReadAudit Action = "read_audit"
	// ActionManageRoster puts people on duty on units and ends their shifts: the duty officer's
	// work at a shift change. Everyone who reads units sees the staffing.
	ActionManageRoster Action = "manage_roster"
	// ActionReadAnalytics reads the response-time analytics of live and imported incidents and
	// exports their report.
	ActionReadAnalytics Action = "read_analytics"
	// ActionImportRecords loads another dispatch system's exported records as imported
	// incidents: history every figure of the analytics will count, so the administrators' alone.
	ActionImportRecords Action = "import_records"
	// ActionPublishAlerts publishes public alerts (CAP) about an incident, and updates and
	// cancels them: telling the public to evacuate or shelter is the floor's call.
	ActionPublishAlerts Action = "publish_alerts"
	// ActionReadBuildings reads the buildings' fire-safety boards: what their transmission
	// devices report, which buildings' fire protection is impaired now.
	ActionReadBuildings Action = "read_buildings"
)

// Actions lists every action in a stable order, for the generated pages and the tests.
var Actions = []Action{
	ActionReadUnits, ActionReadIncidents, ActionReadOwnIncident, ActionReadUnitHistory, ActionReadOwnUnitHistory,
	ActionReadRecordings, ActionPostAlarm, ActionPostDeviceAlarm, ActionDispatch, ActionMoveUnit, ActionMoveOwnUnit,
	ActionAckEscalation, ActionWatchVideo, ActionPublishVideo, ActionManageVideo, ActionWriteFindings, ActionAdmin,
	ActionManageUsers,
	ActionReadAudit,
	ActionManageRoster,
	ActionReadAnalytics,
	ActionImportRecords,
	ActionPublishAlerts,
	ActionReadBuildings,
}

// policy says which roles may take each action. It is written action by action, as a route
// reads ("who may dispatch?"); the test pins it role by role, so a slip in either shows. It
// is never written to.
var policy = map[Action][]Role{
	ActionReadUnits:          {RoleOperator, RoleSupervisor, RoleAdmin, RoleRisk, RoleField},
	ActionReadIncidents:      {RoleOperator, RoleSupervisor, RoleAdmin, RoleRisk},
	ActionReadOwnIncident:    {RoleField},
	ActionReadUnitHistory:    {RoleOperator, RoleSupervisor, RoleAdmin, RoleRisk},
	ActionReadOwnUnitHistory: {RoleField},
	ActionReadRecordings:     {RoleOperator, RoleSupervisor, RoleAdmin, RoleRisk},
	ActionPostAlarm:          {RoleOperator, RoleSupervisor, RoleAdmin},
	// A gateway's own: a leaked gateway password posts alarms and nothing else.
	ActionPostDeviceAlarm: {RoleGateway, RoleOperator, RoleSupervisor, RoleAdmin},
	ActionDispatch:        {RoleOperator, RoleSupervisor, RoleAdmin},
	ActionMoveUnit:        {RoleOperator, RoleSupervisor, RoleAdmin},
	ActionMoveOwnUnit:     {RoleField},
	ActionAckEscalation:   {RoleSupervisor, RoleAdmin},
	// Risk officers review incidents, so they watch as the console does; crews publish only.
	ActionWatchVideo:   {RoleOperator, RoleSupervisor, RoleAdmin, RoleRisk},
	ActionPublishVideo: {RoleField},
	ActionManageVideo:  {RoleSupervisor, RoleAdmin},
	// Risk officers write the reviews; supervisors add what they saw from the floor.
	ActionWriteFindings: {RoleRisk, RoleSupervisor, RoleAdmin},
	ActionAdmin:         {RoleAdmin},
	// Who may sign in, and as what, is the administrators' alone.
	ActionManageUsers: {RoleAdmin},
	// Risk officers review what people did; administrators answer for the system.
	ActionReadAudit:    {RoleAdmin, RoleRisk},
	ActionManageRoster: {RoleSupervisor, RoleAdmin},

	ActionReadAnalytics: {RoleRisk, RoleSupervisor, RoleAdmin},
	// What the analytics count is the administrators' to load.
	ActionImportRecords: {RoleAdmin},
	// Whoever gives an incident its orders warns the public about it.
	ActionPublishAlerts: {RoleOperator, RoleSupervisor, RoleAdmin},
	// The duty officer sees an impaired hospital before the fire; risk officers weigh it.
	ActionReadBuildings: {RoleOperator, RoleSupervisor, RoleAdmin, RoleRisk},
}

// Can reports whether a user of role r may take action a. An unknown role or action may
// nothing.
func Can(r Role, a Action) bool { return slices.Contains(policy[a], r) }
