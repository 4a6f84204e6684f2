package e2e

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"testing"
	"time"
)

// intervalFigures are recomputed from a CSV by this file alone, sharing no code with the
// importer or the analytics, to hold both to the definitions.

// stats is one interval's figures as the analytics answer them.
type stats struct {
	N        int      `json:"n"`
	P50      *float64 `json:"p50"`
	P90      *float64 `json:"p90"`
	Missing  int      `json:"missing"`
	Negative int      `json:"negative"`
}

// figures is the part of the analytics' answer this test recomputes.
type figures struct {
	Incidents           int   `json:"incidents"`
	CallProcessing      stats `json:"call_processing_s"`
	Turnout             stats `json:"turnout_s"`
	Travel              stats `json:"travel_s"`
	AlarmToFirstOnScene stats `json:"alarm_to_first_on_scene_s"`
}

func show(f figures) string {
	one := func(s stats) string {
		v := func(p *float64) string {
			if p == nil {
				return "null"
			}
			return fmt.Sprint(*p)
		}
		return fmt.Sprintf("{n %d p50 %s p90 %s missing %d negative %d}", s.N, v(s.P50), v(s.P90), s.Missing, s.Negative)
	}
	return fmt.Sprintf("incidents %d, call processing %s, turnout %s, travel %s, alarm to first on scene %s",
		f.Incidents, one(f.CallProcessing), one(f.Turnout), one(f.Travel), one(f.AlarmToFirstOnScene))
}

// recompute reads the CSV with its own parser and applies the definitions: an incident is an
// Incident Number, received at its earliest Received DtTm, in the dates when that falls on a
// calendar day from..to in San Francisco; call processing is its first Dispatch DtTm − received,
// alarm to first on scene its first On Scene DtTm − received; per unit row, turnout is Response
// DtTm − Dispatch DtTm and travel On Scene DtTm − Response DtTm. A step not reached is missing,
// a negative interval negative; percentiles are nearest-rank.
func recompute(t *testing.T, path, from, to string) figures {
	t.Helper()
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	at := func(rec []string, name string) *time.Time {
		i, ok := col[name]
		if !ok {
			t.Fatalf("the CSV has no column %q", name)
		}
		if rec[i] == "" {
			return nil
		}
		v, err := time.ParseInLocation("01/02/2006 03:04:05 PM", rec[i], la)
		if err != nil {
			t.Fatalf("%s %q: %v", name, rec[i], err)
		}
		return &v
	}
	type unit struct{ dispatched, enRoute, onScene *time.Time }
	type incident struct {
		received time.Time
		units    []unit
	}
	incidents := map[string]*incident{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		number := rec[col["Incident Number"]]
		received := at(rec, "Received DtTm")
		inc := incidents[number]
		if inc == nil {
			inc = &incident{received: *received}
			incidents[number] = inc
		}
		if received.Before(inc.received) {
			inc.received = *received
		}
		inc.units = append(inc.units, unit{at(rec, "Dispatch DtTm"), at(rec, "Response DtTm"), at(rec, "On Scene DtTm")})
	}
	var out figures
	var cp, turnout, travel, first []float64
	count := func(s *stats, list *[]float64, a, b *time.Time) {
		switch {
		case a == nil || b == nil:
			s.Missing++
		case b.Before(*a):
			s.Negative++
		default:
			*list = append(*list, b.Sub(*a).Seconds())
		}
	}
	earliest := func(us []unit, step func(unit) *time.Time) *time.Time {
		var e *time.Time
		for _, u := range us {
			if v := step(u); v != nil && (e == nil || v.Before(*e)) {
				e = v
			}
		}
		return e
	}
	for _, inc := range incidents {
		day := inc.received.In(la).Format(time.DateOnly)
		if day < from || day > to {
			continue
		}
		out.Incidents++
		received := inc.received
		count(&out.CallProcessing, &cp, &received, earliest(inc.units, func(u unit) *time.Time { return u.dispatched }))
		count(&out.AlarmToFirstOnScene, &first, &received, earliest(inc.units, func(u unit) *time.Time { return u.onScene }))
		for _, u := range inc.units {
			count(&out.Turnout, &turnout, u.dispatched, u.enRoute)
			count(&out.Travel, &travel, u.enRoute, u.onScene)
		}
	}
	rank := func(s *stats, list []float64) {
		s.N = len(list)
		if s.N == 0 {
			return
		}
		slices.Sort(list)
		pick := func(p float64) *float64 {
			v := list[int(math.Ceil(p/100*float64(len(list))))-1]
			return &v
		}
		s.P50, s.P90 = pick(50), pick(90)
	}
	rank(&out.CallProcessing, cp)
	rank(&out.Turnout, turnout)
	rank(&out.Travel, travel)
	rank(&out.AlarmToFirstOnScene, first)
	return out
}
