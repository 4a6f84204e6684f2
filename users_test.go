package fireline_test

import (
	"testing"
	"time"

	"github.com/fireline/fireline"
)

func TestLockDurationGrows(t *testing.T) {
	p := fireline.DefaultLoginPolicy()
	for failures, want := range map[int]time.Duration{
		1: 0, 4: 0, 5: time.Minute, 6: 2 * time.Minute, 7: 4 * time.Minute, 9: 16 * time.Minute, 10: 30 * time.Minute, 50: 30 * time.Minute,
	} {
		if got := p.LockDuration(failures); got != want {
			t.Errorf("LockDuration(%d) = %v, want %v", failures, got, want)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		user, password string
		ok             bool
	}{
		{"li.wei", "correct horse battery", true},
		{"li.wei", "十二个汉字的口令也算十二个字符", true},
		{"li.wei", "elevenchars", false},
		{"administrator", "Administrator", false},
		{"li.wei", string(make([]byte, 73)), false},
	}
	for _, tt := range tests {
		if err := fireline.ValidatePassword(tt.user, tt.password); (err == nil) != tt.ok {
			t.Errorf("ValidatePassword(%q, %q) = %v, want ok %v", tt.user, tt.password, err, tt.ok)
		}
	}
}
