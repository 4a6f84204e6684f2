package web_test

import (
	"testing"

	"github.com/fireline/fireline"
)

// TestDeviceConditionsNamed: every condition a building's fire facilities report has a name in
// every language, so a board never shows a raw word like "backup_power_fault" to an operator.
// The word lists of the buildings' pages come from the same catalogue.
func TestDeviceConditionsNamed(t *testing.T) {
	want := map[string]string{ // the standard's own Chinese words (GB/T 26875.3 8.2.1)
		"fire_alarm": "火警", "fault": "故障", "shielded": "屏蔽", "test": "测试", "supervisory": "监管",
		"main_power_fault": "主电故障", "backup_power_fault": "备电故障", "reset": "复位",
	}
	for _, loc := range locales {
		cat := catalogue(t, loc)
		for _, c := range fireline.DeviceConditions {
			name, ok := cat["buildings.condition."+string(c)]
			if !ok {
				t.Errorf("%s: no name for the condition %s (buildings.condition.%s)", loc, c, c)
			}
			if w, ok := want[string(c)]; ok && loc == "zh-CN" && name != w {
				t.Errorf("zh-CN names %s %q, want %q", c, name, w)
			}
		}
		for _, k := range []string{"fire_alarms", "faults", "shielded", "in_test", "supervisory", "offline"} {
			for _, form := range []string{"one", "other"} {
				if _, ok := cat["buildings.count."+k+"."+form]; !ok {
					t.Errorf("%s: no buildings.count.%s.%s for the impairment in words", loc, k, form)
				}
			}
		}
	}
}
