package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fireline/fireline"
)

// bodyImporter reads the body it is given to the end, as the importer streams it, and says
// how many bytes it saw.
type bodyImporter struct{ read int64 }

func (b *bodyImporter) ImportCSV(_ context.Context, format string, r io.Reader) (fireline.ImportSummary, error) {
	if format != "sf-calls" {
		return fireline.ImportSummary{}, fireline.Errorf(fireline.EINVALID, "format: %q is not one of sf-calls", format)
	}
	n, err := io.Copy(io.Discard, r)
	b.read += n
	return fireline.ImportSummary{Format: format, Dataset: format, Rows: 2, IncidentsAdded: 1, UnitsAdded: 2, Bad: []fireline.BadRow{}}, err
}

// TestImportRecordsRoute: an administrator posts a CSV export and gets the import's summary;
// the wrong media type, no format, an unknown one and a body over the limit are refused with
// the problem each deserves; without an importer the route is unavailable.
func TestImportRecordsRoute(t *testing.T) {
	post := func(s *Server, path, contentType, body string, length int64) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer admin")
		r.Header.Set("Content-Type", contentType)
		if length > 0 {
			r.ContentLength = length
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	s, _ := newRoleServer(t)
	imp := &bodyImporter{}
	s.importer = imp
	csv := "Incident Number,Received DtTm\n1,12/31/2016 11:57:56 PM\n1,12/31/2016 11:58:56 PM\n"
	w := post(s, "/api/v1/admin/imports?format=sf-calls", "text/csv; charset=utf-8", csv, 0)
	var sum fireline.ImportSummary
	if err := json.Unmarshal(w.Body.Bytes(), &sum); w.Code != http.StatusOK || err != nil || sum.Rows != 2 || sum.IncidentsAdded != 1 || imp.read != int64(len(csv)) {
		t.Errorf("an export: %d %s (read %d bytes)", w.Code, w.Body, imp.read)
	}
	for _, tc := range []struct {
		name, path, contentType string
		length                  int64
		status                  int
		detail                  string
	}{
		{"JSON", "/api/v1/admin/imports?format=sf-calls", "application/json", 0, http.StatusUnsupportedMediaType, "Content-Type must be text/csv"},
		{"Latin-1", "/api/v1/admin/imports?format=sf-calls", "text/csv; charset=iso-8859-1", 0, http.StatusUnsupportedMediaType, "charset must be utf-8"},
		{"no format", "/api/v1/admin/imports", "text/csv", 0, http.StatusBadRequest, "format: required"},
		{"another format", "/api/v1/admin/imports?format=chicago", "text/csv", 0, http.StatusBadRequest, "is not one of sf-calls"},
		{"too large", "/api/v1/admin/imports?format=sf-calls", "text/csv", maxImportBody + 1, http.StatusRequestEntityTooLarge, "larger than 268435456 bytes"},
	} {
		w := post(s, tc.path, tc.contentType, csv, tc.length)
		if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.detail) {
			t.Errorf("%s: %d %s, want %d saying %q", tc.name, w.Code, w.Body, tc.status, tc.detail)
		}
	}
	s.importer = nil
	if w := post(s, "/api/v1/admin/imports?format=sf-calls", "text/csv", csv, 0); w.Code != http.StatusServiceUnavailable {
		t.Errorf("without an importer: %d %s", w.Code, w.Body)
	}
}
