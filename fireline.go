// Package fireline is the domain language of the Fireline dispatch system: alarms, incidents,
// units, stations, water sources, key premises, response plans and the errors users see.
//
// It imports the standard library only. Adapters (postgres, media, api, devstack) translate
// their drivers' types into these and never leak them upward.
package fireline

import (
	"fmt"
	"math"
	"slices"
)

// Point is a WGS-84 position in decimal degrees.
type Point struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// Validate reports whether p is a real position on the globe. (0, 0) is rejected: it is the
// classic "no fix" value of trackers and forms, never a Chinese street address.
func (p Point) Validate() error {
	switch {
	case math.IsNaN(p.Lat) || math.IsNaN(p.Lng) || math.IsInf(p.Lat, 0) || math.IsInf(p.Lng, 0):
		return Errorf(EINVALID, "position is not a number")
	case p.Lat < -90 || p.Lat > 90:
		return Errorf(EINVALID, "lat %v is outside -90..90", p.Lat)
	case p.Lng < -180 || p.Lng > 180:
		return Errorf(EINVALID, "lng %v is outside -180..180", p.Lng)
	case p.Lat == 0 && p.Lng == 0:
		return Errorf(EINVALID, "position 0,0 is not a fix")
	}
	return nil
}

// String formats p as "lat,lng" with six decimals (about 0.1 m).
func (p Point) String() string { return fmt.Sprintf("%.6f,%.6f", p.Lat, p.Lng) }

// Role is what a signed-in user may do.
type Role string

// The roles. Field users are bound to one unit (the crew's phone or tablet).
const (
	RoleOperator   Role = "operator"
	RoleSupervisor Role = "supervisor"
	RoleField      Role = "field"
	RoleRisk       Role = "risk"
	RoleAdmin      Role = "admin"
	// RoleGateway is a machine, not a person: the gateway of a panel network, of the lamp-post
	// buttons, of the public app and SMS, or a CAP feed. It may post alarms and warnings of its
	// sources and read nothing. A role of its own, rather than an operator's login, keeps a
	// leaked gateway password from dispatching units or reading incidents.
	RoleGateway Role = "gateway"
)

// Roles lists every role in a stable order, for the generated pages and the tests.
var Roles = []Role{RoleOperator, RoleSupervisor, RoleField, RoleRisk, RoleAdmin, RoleGateway}

// Valid reports whether r is one of the known roles. What each may do is the policy's (Can).
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// User is a person or crew device that signs in.
type User struct {
	Username string `json:"username"`
	Role     Role   `json:"role"`
	// UnitID is the unit a field user crews; empty for every other role.
	UnitID string `json:"unit_id,omitempty"`
}
