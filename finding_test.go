package fireline_test

import (
	"strings"
	"testing"

	"github.com/fireline/fireline"
)

func TestFindingValidate(t *testing.T) {
	ok := fireline.Finding{Category: fireline.FindingCommunication, Text: "无线电在地下车库内中断约两分钟。"}
	tests := []struct {
		name   string
		edit   func(*fireline.Finding)
		detail string // "" for valid
	}{
		{"valid", func(*fireline.Finding) {}, ""},
		{"every category", func(f *fireline.Finding) { f.Category = fireline.FindingOther }, ""},
		{"a correction", func(f *fireline.Finding) { f.Corrects = 3 }, ""},
		{"unknown category", func(f *fireline.Finding) { f.Category = "luck" },
			`category: "luck" is not one of response_time, communication, equipment, procedure, other`},
		{"no category", func(f *fireline.Finding) { f.Category = "" }, `category: ""`},
		{"blank text", func(f *fireline.Finding) { f.Text = " \n\t" }, "text: write what was found"},
		// 2,000 Chinese characters are 6,000 bytes: the limit counts characters.
		{"longest text", func(f *fireline.Finding) { f.Text = strings.Repeat("火", fireline.MaxFindingLen) }, ""},
		{"text too long", func(f *fireline.Finding) { f.Text = strings.Repeat("火", fireline.MaxFindingLen+1) },
			"text: 2001 characters, at most 2000"},
		{"broken UTF-8", func(f *fireline.Finding) { f.Text = "ok \xff" }, "text: not valid UTF-8"},
		// PostgreSQL's text refuses NUL: caught here, it is a 400, not a 500 from the store.
		{"NUL in text", func(f *fireline.Finding) { f.Text = "a\x00b" }, "text: contains a NUL character"},
		{"negative correction", func(f *fireline.Finding) { f.Corrects = -1 }, "corrects: -1 is not a finding id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := ok
			tt.edit(&f)
			err := f.Validate()
			switch {
			case tt.detail == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.detail != "" && (fireline.ErrorCode(err) != fireline.EINVALID || !strings.Contains(fireline.ErrorMessage(err), tt.detail)):
				t.Errorf("Validate() = %v, want invalid with %q", err, tt.detail)
			}
		})
	}
}
