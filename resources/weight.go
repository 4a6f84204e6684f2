package resources

import (
	"fmt"
	"math"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

// DefaultPremiseWeight is what one key premises adds to its cell's weight, in people: a school,
// hospital or market hall holds hundreds to thousands at once, and a chemical works endangers
// its neighbourhood, so a gap over one matters as much as a gap over a village.
const DefaultPremiseWeight = 1000

// CellWeight returns a GridConfig.Weight that weighs each coverage cell by the people living in
// it, from the population areas (each a Gaussian around its centre: the density at the cell's
// centre times the cell's area), plus perPremise for each key premises in the cell. Without any
// population area every cell starts at 1, so the area itself counts.
func CellWeight(areas []fireline.PopulationArea, premises []fireline.Premise, perPremise float64) (func(geo.Cell, fireline.Point) float64, error) {
	if !(perPremise >= 0) || math.IsInf(perPremise, 0) {
		return nil, fireline.Errorf(fireline.EINVALID, "coverage: premise weight %v must be a number ≥ 0", perPremise)
	}
	for _, a := range areas {
		if err := a.Point.Validate(); err != nil {
			return nil, fireline.Errorf(fireline.EINVALID, "population area %s: %s", a.Name, fireline.ErrorMessage(err))
		}
		if !(a.People >= 0) || math.IsInf(a.People, 0) || !(a.RadiusMeters > 0) || math.IsInf(a.RadiusMeters, 0) {
			return nil, fireline.Errorf(fireline.EINVALID, "population area %s: %v people within %v m", a.Name, a.People, a.RadiusMeters)
		}
	}
	atPremises := map[geo.Cell]int{}
	for _, p := range premises {
		c, err := geo.CellOf(p.Point, CoverageResolution)
		if err != nil {
			return nil, fmt.Errorf("resources: premise %s: %w", p.ID, err)
		}
		atPremises[c]++
	}
	base := 0.0
	if len(areas) == 0 {
		base = 1
	}
	return func(c geo.Cell, center fireline.Point) float64 {
		w := base + perPremise*float64(atPremises[c])
		if len(areas) == 0 {
			return w
		}
		area, err := c.AreaM2()
		if err != nil {
			return w // a cell of the grid always has an area; keep its premises if not
		}
		for _, a := range areas {
			d := geo.DistanceMeters(a.Point, center)
			if d > 5*a.RadiusMeters {
				continue // under a millionth of the area's people per cell
			}
			s2 := a.RadiusMeters * a.RadiusMeters
			w += a.People * area / (2 * math.Pi * s2) * math.Exp(-d*d/(2*s2))
		}
		return w
	}, nil
}
