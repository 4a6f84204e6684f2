package importer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fireline/fireline/importer"
)

// FuzzImport: whatever bytes arrive as an export (the API streams an administrator's upload
// into the importer), the import neither panics nor stores a row it did not check: every row
// read is either stored or reported bad at a line after the header, and what is stored has a
// number, a received time and, if any, a position on the globe.
func FuzzImport(f *testing.F) {
	header := "Call Number,Unit ID,Incident Number,Call Type,Call Date,Watch Date,Received DtTm,Entry DtTm,Dispatch DtTm,Response DtTm,On Scene DtTm,Transport DtTm,Hospital DtTm,Call Final Disposition,Available DtTm,Address,City,Zipcode of Incident,Battalion,Station Area,Box,Original Priority,Priority,Final Priority,ALS Unit,Call Type Group,Number of Alarms,Unit Type,Unit sequence in call dispatch,Fire Prevention District,Supervisor District,Neighborhood  District,Location,RowID\n"
	row := `163664050,E39,16146990,Citizen Assist / Service Call,12/31/2016,12/31/2016,12/31/2016 11:57:56 PM,12/31/2016 11:59:31 PM,12/31/2016 11:59:42 PM,01/01/2017 12:01:47 AM,01/01/2017 12:04:18 AM,,,Fire,01/01/2017 12:24:11 AM,0 Block of BALCETA AVE,San Francisco,94127,B08,39,8644,3,3,3,true,Alarm,1,ENGINE,1,8,7,West of Twin Peaks,"(37.745858648581, -122.456664252061)",163664050-E39` + "\n"
	f.Add(header + row)
	f.Add(header + row + row)
	f.Add(header + strings.Replace(row, "(37.7", "(97.7", 1))
	f.Add(header + strings.Replace(row, `"(`, `(`, 1))
	f.Add(header + "1,2\n" + row)
	f.Add(header + `"` + row)
	f.Add("\ufeff" + header + strings.Replace(row, "PM", "XM", 1))
	m, err := importer.Builtin("sf-calls")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, file string) {
		store := &memStore{}
		im := importer.New(store, nil)
		im.BatchSize = 2
		sum, err := im.Import(context.Background(), m, strings.NewReader(file), importer.Options{})
		if err != nil {
			return // no header, or not this format's: refused whole
		}
		stored := 0
		for _, inc := range store.incidents {
			stored++
			if inc.Number == "" || inc.ReceivedAt.IsZero() || inc.Line < 2 {
				t.Fatalf("stored %+v", inc)
			}
			if inc.Point != nil && inc.Point.Validate() != nil {
				t.Fatalf("stored a position off the globe: %+v", inc)
			}
		}
		for _, b := range sum.Bad {
			if b.Line < 2 || b.Reason == "" {
				t.Fatalf("bad row %+v", b)
			}
		}
		if sum.BadRows > sum.Rows || stored > sum.Rows-sum.BadRows {
			t.Fatalf("%d rows, %d bad, %d incidents stored", sum.Rows, sum.BadRows, stored)
		}
	})
}
