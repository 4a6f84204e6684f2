package postgres_test

import (
	"cmp"
	"context"
	"math"
	"slices"
	"testing"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
	"github.com/fireline/fireline/postgres"
	"github.com/fireline/fireline/samplecity"
)

// TestNearby checks the SQL search against a brute-force scan of the sample city's 257 water
// sources and 42 premises, around points that have many, few and none in range.
func TestNearby(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := newDatabase(t, true)
	db, err := postgres.Open(ctx, url, quietLog())
	must(t, err)
	t.Cleanup(db.Close)
	c := samplecity.Liaocheng()
	must(t, db.ImportCity(ctx, c))

	points := []fireline.Point{c.Center, c.Premises[0].Point, c.Stations[len(c.Stations)-1].Point,
		{Lat: 36.70, Lng: 116.55}} // open country: nothing in range
	found := map[fireline.Point]int{}
	for _, p := range points {
		for _, lim := range []struct {
			radius float64
			k      int
		}{{1000, 8}, {2500, 1000}, {300, 3}} {
			got, err := db.NearbyWater(ctx, p, lim.radius, lim.k)
			must(t, err)
			var want []fireline.WaterSourceNear
			for _, w := range c.WaterSources {
				if d := geo.DistanceMeters(p, w.Point); w.Status == "working" && d <= lim.radius {
					want = append(want, fireline.WaterSourceNear{WaterSource: w, DistanceMeters: d})
				}
			}
			slices.SortFunc(want, func(a, b fireline.WaterSourceNear) int {
				return cmp.Or(cmp.Compare(a.DistanceMeters, b.DistanceMeters), cmp.Compare(a.ID, b.ID))
			})
			want = want[:min(len(want), lim.k)]
			found[p] += len(got)
			if len(got) != len(want) {
				t.Fatalf("water near %v within %v m: %d sources, brute force %d", p, lim.radius, len(got), len(want))
			}
			for i := range got {
				if got[i].ID != want[i].ID || math.Abs(got[i].DistanceMeters-want[i].DistanceMeters) > 0.01 || got[i].FlowLPM != want[i].FlowLPM {
					t.Errorf("water near %v #%d: %s at %.2f m, brute force %s at %.2f m", p, i, got[i].ID, got[i].DistanceMeters, want[i].ID, want[i].DistanceMeters)
				}
			}

			gotP, err := db.NearbyPremises(ctx, p, lim.radius, lim.k)
			must(t, err)
			var wantP []string
			for _, pr := range c.Premises {
				if geo.DistanceMeters(p, pr.Point) <= lim.radius {
					wantP = append(wantP, pr.ID)
				}
			}
			if len(gotP) != min(len(wantP), lim.k) {
				t.Errorf("premises near %v within %v m: %d, brute force %d", p, lim.radius, len(gotP), min(len(wantP), lim.k))
			}
			for i := 1; i < len(gotP); i++ {
				if gotP[i].DistanceMeters < gotP[i-1].DistanceMeters {
					t.Errorf("premises near %v not nearest first: %v", p, gotP)
				}
			}
			for _, pr := range gotP {
				if !slices.Contains(wantP, pr.ID) || pr.Hazards == nil {
					t.Errorf("premise %s near %v: not within %v m by brute force, or without hazards list", pr.ID, p, lim.radius)
				}
			}
		}
	}
	if found[c.Center] == 0 || found[points[3]] != 0 {
		t.Errorf("water sources found per point %v: want some in the city centre and none in open country", found)
	}
}
