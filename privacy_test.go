package fireline_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/fireline/fireline"
)

func TestPhoneMasked(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13812345678", "*******5678"},
		{"+86 138-1234-5678", "+** ***-****-5678"},
		{"0635-8234567", "****-***4567"},
		{"5678", "****"},
		{"119", "***"},
		{"", ""},
		{"*******5678", "*******5678"}, // a mask masked again is the same mask
		{"[purged]", "[purged]"},
	}
	for _, tt := range tests {
		if got := fireline.Phone(tt.in).Masked(); got != tt.want {
			t.Errorf("Phone(%q).Masked() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestPhoneLogValue logs a phone number and an alarm through a plain slog handler: the number
// shows masked, the caller's name and words not at all.
func TestPhoneLogValue(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	a := fireline.Alarm{ID: 3, Source: fireline.SourceCall, Caller: "王小明", Description: "三楼冒烟",
		Details: fireline.AlarmDetails{CallerNumber: "13812345678"}}
	log.Info("call", "number", a.Details.CallerNumber, "alarm", a)
	out := buf.String()
	for _, pii := range []string{"13812345678", "王小明", "三楼冒烟"} {
		if strings.Contains(out, pii) {
			t.Errorf("log shows %q: %s", pii, out)
		}
	}
	if strings.Count(out, "*******5678") != 2 {
		t.Errorf("log %s: want the mask twice (the number and the alarm's)", out)
	}
}
