package api

import (
	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

// The API's collaborators are the root's contracts (fireline.Store, fireline.IntakeService,
// fireline.MediaService and the rest), which the adapters satisfy as they are; only what no
// other package speaks is declared here.

// Incidents takes operators' orders and crews' reports to the incidents. workflows.Client
// implements it.
type Incidents = fireline.IncidentService

// Locator places points on the H3 grid: unit fixes and stations. Without one the API uses geo's
// grid; tests give their own.
type Locator interface {
	// Cell is the resolution-9 cell of p as a hex string.
	Cell(p fireline.Point) (string, error)
}

// grid is geo's H3 grid, the Locator of a running API.
type grid struct{}

// Cell is the resolution-9 cell of p as a hex string.
func (grid) Cell(p fireline.Point) (string, error) {
	c, err := geo.CellOf(p, geo.Resolution)
	if err != nil {
		return "", err
	}
	return c.String(), nil
}
