package samplecity

import "github.com/fireline/fireline"

// plans are the run cards: for every incident type, the units each alarm level (一级 to 五级)
// sends. Higher levels add to lower ones, never take away; from level 3 an incident gets a
// command unit, and fires get tankers because hydrants outside the city centres are sparse.
// No count exceeds what the city has of a type (22 engines, 7 ladders, 11 rescue, 4 hazmat,
// 13 tankers, 6 command units).
func plans() []fireline.ResponsePlan {
	cols := [...]fireline.UnitType{
		fireline.UnitEngine, fireline.UnitLadder, fireline.UnitRescue,
		fireline.UnitHazmat, fireline.UnitTanker, fireline.UnitCommand,
	}
	type card struct {
		t      fireline.IncidentType
		levels [fireline.MaxLevel - fireline.MinLevel + 1][len(cols)]int
	}
	cards := []card{
		// Columns: engine, ladder, rescue, hazmat, tanker, command.
		{fireline.TypeStructureFire, [5][6]int{
			{2, 1, 0, 0, 0, 0},
			{3, 1, 1, 0, 0, 0},
			{5, 2, 1, 0, 1, 1},
			{7, 2, 2, 0, 2, 1},
			{10, 3, 2, 0, 3, 2},
		}},
		{fireline.TypeHighRiseFire, [5][6]int{
			{2, 1, 1, 0, 0, 0},
			{3, 2, 1, 0, 0, 0},
			{5, 3, 2, 0, 1, 1},
			{7, 4, 2, 0, 1, 1},
			{9, 5, 3, 0, 2, 2},
		}},
		{fireline.TypeIndustrialFire, [5][6]int{
			{2, 0, 0, 0, 1, 0},
			{3, 0, 1, 1, 1, 0},
			{5, 1, 1, 1, 2, 1},
			{7, 1, 2, 2, 3, 1},
			{10, 2, 2, 2, 4, 2},
		}},
		{fireline.TypeVehicleFire, [5][6]int{
			{1, 0, 0, 0, 0, 0},
			{2, 0, 1, 0, 0, 0},
			{3, 0, 1, 0, 1, 1},
			{4, 0, 1, 1, 1, 1},
			{6, 0, 2, 1, 2, 1},
		}},
		{fireline.TypeWildlandFire, [5][6]int{
			{1, 0, 0, 0, 1, 0},
			{2, 0, 0, 0, 1, 0},
			{3, 0, 0, 0, 2, 1},
			{5, 0, 1, 0, 3, 1},
			{7, 0, 1, 0, 5, 2},
		}},
		{fireline.TypeHazmat, [5][6]int{
			{1, 0, 0, 1, 0, 0},
			{2, 0, 1, 1, 0, 0},
			{3, 0, 1, 2, 1, 1},
			{4, 0, 2, 3, 1, 1},
			{6, 0, 2, 4, 2, 2},
		}},
		{fireline.TypeTrafficAccident, [5][6]int{
			{1, 0, 1, 0, 0, 0},
			{1, 0, 2, 0, 0, 0},
			{2, 0, 2, 0, 1, 1},
			{3, 0, 3, 1, 1, 1},
			{4, 0, 4, 1, 2, 2},
		}},
		// Water rescue needs boats and swimmers (rescue units), not water: no tankers.
		{fireline.TypeWaterRescue, [5][6]int{
			{0, 0, 1, 0, 0, 0},
			{1, 0, 2, 0, 0, 0},
			{1, 0, 3, 0, 0, 1},
			{2, 0, 4, 0, 0, 1},
			{2, 0, 6, 0, 0, 2},
		}},
		{fireline.TypeBuildingCollapse, [5][6]int{
			{1, 0, 1, 0, 0, 0},
			{1, 1, 2, 0, 0, 0},
			{2, 1, 3, 0, 1, 1},
			{3, 2, 4, 0, 1, 1},
			{4, 2, 6, 1, 2, 2},
		}},
		// Help requested (社会救助): lock-outs, trapped people and animals, and the like.
		{fireline.TypeHelpRequested, [5][6]int{
			{0, 0, 1, 0, 0, 0},
			{1, 0, 1, 0, 0, 0},
			{1, 0, 2, 0, 0, 1},
			{2, 0, 2, 0, 1, 1},
			{3, 1, 3, 0, 1, 1},
		}},
	}
	var out []fireline.ResponsePlan
	for _, c := range cards {
		for i, counts := range c.levels {
			plan := fireline.ResponsePlan{IncidentType: c.t, Level: fireline.MinLevel + i}
			for j, n := range counts {
				if n > 0 {
					plan.Slots = append(plan.Slots, fireline.PlanSlot{Type: cols[j], Count: n})
				}
			}
			out = append(out, plan)
		}
	}
	return out
}
