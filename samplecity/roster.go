package samplecity

import (
	"time"

	"github.com/fireline/fireline"
)

// Short lists the sample city's units that Roster deliberately leaves one seat short, so that
// the console shows an understaffed unit and the recommendation flags or skips it: the first
// engine of the special-service station, which the city centre's alarms recommend first, and
// its ladder.
func Short() []string { return []string{"E-DCF-1", "L-DCF-1"} }

// shiftStart is the hour (China Standard Time) the sample city's 24-hour duty shift (值班)
// changes, as its stations do at morning roll call.
const shiftStart = 8

// Roster returns the duty roster of the shift that covers now: every unit crewed to its type's
// minimum staffing (fireline.DefaultMinStaff), a commander and a driver first, except the
// units of Short, one seat short each. Names are drawn from a fixed list, so the same units
// get the same crews on every call.
func Roster(units []fireline.Unit, now time.Time) []fireline.RosterEntry {
	cst := time.FixedZone("CST", 8*60*60)
	local := now.In(cst)
	from := time.Date(local.Year(), local.Month(), local.Day(), shiftStart, 0, 0, 0, cst)
	if local.Before(from) {
		from = from.AddDate(0, 0, -1)
	}
	to := from.Add(24 * time.Hour)
	short := map[string]bool{}
	for _, id := range Short() {
		short[id] = true
	}
	var out []fireline.RosterEntry
	n := 0
	for _, u := range units {
		seats := fireline.DefaultMinStaff(u.Type)
		if short[u.ID] {
			seats--
		}
		for i := range seats {
			out = append(out, fireline.RosterEntry{
				UnitID: u.ID, Name: crewName(n), Qualifications: seat(u.Type, i), From: from, To: to,
			})
			n++
		}
	}
	return out
}

// seat is the qualifications of the i-th person on a unit of type t.
func seat(t fireline.UnitType, i int) []fireline.Qualification {
	switch {
	case i == 0:
		return []fireline.Qualification{fireline.QualCommander, fireline.QualFirefighter}
	case i == 1 && t == fireline.UnitLadder:
		return []fireline.Qualification{fireline.QualDriver, fireline.QualAerial}
	case i == 1:
		return []fireline.Qualification{fireline.QualDriver}
	case t == fireline.UnitHazmat:
		return []fireline.Qualification{fireline.QualFirefighter, fireline.QualHazmat}
	case t == fireline.UnitRescue && i == 2:
		return []fireline.Qualification{fireline.QualFirefighter, fireline.QualEMT}
	}
	return []fireline.Qualification{fireline.QualFirefighter}
}

// crewName is the n-th of the sample city's firefighters: a surname and a given name. n mod 23
// picks the surname and 7n mod 30 the given name, so by the Chinese remainder theorem the first
// 690 names are distinct (the city rosters about 200).
func crewName(n int) string {
	surnames := []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢"}
	given := []string{"伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞", "鑫", "波", "宇", "浩", "凯", "健", "俊", "帆", "帅", "旭", "宁", "龙", "林", "欢"}
	return surnames[n%len(surnames)] + given[7*n%len(given)]
}
