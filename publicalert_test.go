package fireline_test

import (
	"strings"
	"testing"

	"github.com/fireline/fireline"
)

// TestPublicAlertNoteChecked: the note is held to its limit whether or not the alert has
// English texts.
func TestPublicAlertNoteChecked(t *testing.T) {
	base := fireline.PublicAlertParams{Event: "危化品泄漏", Headline: "请撤离"}.WithDefaults("hazmat_leak")
	if err := base.Validate(); err != nil {
		t.Fatalf("base: %v", err)
	}
	for _, tt := range []struct {
		name    string
		english *fireline.PublicAlertText
	}{
		{"Chinese only", nil},
		{"with English", &fireline.PublicAlertText{Event: "Hazmat leak", Headline: "Evacuate"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := base
			p.English = tt.english
			if err := p.Validate(); err != nil {
				t.Fatalf("valid alert: %v", err)
			}
			p.Note = strings.Repeat("x", fireline.MaxAlertText+1)
			if err := p.Validate(); fireline.ErrorCode(err) != fireline.EINVALID || !strings.Contains(fireline.ErrorMessage(err), "note") {
				t.Errorf("a note of %d bytes: %v, want EINVALID naming the note", len(p.Note), err)
			}
		})
	}
}
