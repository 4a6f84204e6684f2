package fireline

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// FindingCategory is what a review finding is about.
type FindingCategory string

// The finding categories a review sorts its findings into.
const (
	FindingResponseTime  FindingCategory = "response_time"
	FindingCommunication FindingCategory = "communication"
	FindingEquipment     FindingCategory = "equipment"
	FindingProcedure     FindingCategory = "procedure"
	FindingOther         FindingCategory = "other"
)

// FindingCategories lists every finding category in a stable order.
var FindingCategories = []FindingCategory{
	FindingResponseTime, FindingCommunication, FindingEquipment, FindingProcedure, FindingOther,
}

// Valid reports whether c is a known finding category.
func (c FindingCategory) Valid() bool { return slices.Contains(FindingCategories, c) }

// MaxFindingLen bounds a finding's text in characters (not bytes: a finding is as often written
// in Chinese as in English).
const MaxFindingLen = 2000

// Finding is one observation a reviewer records about an incident: a delay, a radio problem, a
// piece of kit that failed. Findings are evidence, as the timeline is: they are only ever
// added. A correction is a new finding that names the one it corrects.
type Finding struct {
	ID         int64           `json:"id"`
	IncidentID int64           `json:"incident_id"`
	Category   FindingCategory `json:"category"`
	Text       string          `json:"text"`
	// Author is the username of the person who recorded it and AuthorRole their role then.
	Author     string `json:"author"`
	AuthorRole Role   `json:"author_role"`
	// At is when it was recorded.
	At time.Time `json:"at"`
	// Corrects is the earlier finding on the same incident this one corrects, 0 when none.
	Corrects int64 `json:"corrects,omitempty"`
}

// Validate names the first bad field of a finding as its author wrote it: the category, the
// text (not blank, at most MaxFindingLen characters, valid UTF-8) and the finding it corrects.
func (f Finding) Validate() error {
	n := utf8.RuneCountInString(f.Text)
	switch {
	case !f.Category.Valid():
		return Errorf(EINVALID, "category: %q is not one of %s", f.Category, joinNames(FindingCategories))
	case strings.TrimSpace(f.Text) == "":
		return Errorf(EINVALID, "text: write what was found")
	case !utf8.ValidString(f.Text):
		return Errorf(EINVALID, "text: not valid UTF-8")
	case strings.ContainsRune(f.Text, 0):
		return Errorf(EINVALID, "text: contains a NUL character")
	case n > MaxFindingLen:
		return Errorf(EINVALID, "text: %d characters, at most %d", n, MaxFindingLen)
	case f.Corrects < 0:
		return Errorf(EINVALID, "corrects: %d is not a finding id", f.Corrects)
	}
	return nil
}

// FindingStore keeps the findings of incident reviews. Findings are append-only: nothing
// edits or deletes one. postgres.DB implements it.
type FindingStore interface {
	// AddFinding records f (validated) on its incident and returns it with its id and time; a
	// zero f.At is the store's clock. ENOTFOUND when the incident does not exist, EINVALID when
	// f.Corrects is not a finding of the same incident.
	AddFinding(ctx context.Context, f Finding) (Finding, error)
	// Findings returns an incident's findings in the order they were recorded. ENOTFOUND when
	// the incident does not exist.
	Findings(ctx context.Context, incidentID int64) ([]Finding, error)
}
