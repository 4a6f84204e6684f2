package api

import (
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/fireline/fireline"
)

// maxImportBody bounds an export posted for import: years of one city's records fit in it, and
// fireline import takes larger files from the command line.
const maxImportBody = 256 << 20

// importRoutes: administrators load another dispatch system's export (fireline.ActionImportRecords).
// Without an importer the route answers 503.
func (s *Server) importRoutes(admin routeSet) {
	admin.post("/imports", s.importRecords)
}

// importRecords is POST /admin/imports?format=NAME with a text/csv body in a built-in format,
// streamed into the importer. It answers the import's summary: rows read, incidents and unit
// rows added and already present, bad rows with their lines. Bad rows are in the summary, not a
// failure.
func (s *Server) importRecords(w http.ResponseWriter, r *http.Request) {
	if s.importer == nil {
		s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "imports are not taken on this node"))
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "format: required, e.g. ?format=sf-calls"))
		return
	}
	if err := requireType(r, "text/csv"); err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8") {
		cs := params["charset"]
		s.writeError(w, r, &fireline.Error{Code: errUnsupportedMedia, Message: "Content-Type charset must be utf-8, not " + cs})
		return
	}
	if r.ContentLength > maxImportBody {
		s.writeError(w, r, fireline.Errorf(fireline.ETOOLARGE, "body: larger than %d bytes", int64(maxImportBody)))
		return
	}
	sum, err := s.importer.ImportCSV(r.Context(), format, http.MaxBytesReader(w, r.Body, maxImportBody))
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		// The batches before the limit are stored; the same file again adds only the rest.
		err = fireline.Errorf(fireline.ETOOLARGE, "body: larger than %d bytes; the %d rows before the limit were imported", maxErr.Limit, sum.Rows)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("records imported", "format", format, "actor", userFrom(r.Context()).Username, "rows", sum.Rows,
		"incidents_added", sum.IncidentsAdded, "units_added", sum.UnitsAdded, "bad_rows", sum.BadRows)
	writeJSON(w, http.StatusOK, sum)
}
