package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/fireline/fireline"
)

// Secrets reach the command one way only: from the environment, as NAME or as NAME_FILE naming
// a file that holds the value. Never from a flag, whose value every local user reads in ps.
// The names are listed in secretNames so that a test can prove each one has its _FILE form and
// that none of them shows in a log line or an error.
var secretNames = []string{
	"DATABASE_URL",           // holds the database password
	"FIRELINE_RECORDING_KEY", // signs recording URLs
	"FIRELINE_DEMO_PASSWORD", // every demo login's password (dev)
	"FIRELINE_ICE_SERVERS",   // TURN servers with their credentials
	// The schema owner's database URL, which runs the migrations.
	"FIRELINE_MIGRATE_DATABASE_URL",
	// Fireline's secret at the centre's directory (OpenID Connect).
	"FIRELINE_OIDC_CLIENT_SECRET",
}

// secret reads the secret name from the environment: the variable itself, or name_FILE, the
// path of a file holding it (a Docker or Kubernetes secret, a file systemd's LoadCredential
// wrote), one trailing newline trimmed. Setting both is an error: which one wins would be a
// guess. A file other users may read is refused: the secret in it has already leaked to every
// account on the machine, and starting anyway would hide that. (Kubernetes mounts secrets 0644
// unless told otherwise: set defaultMode: 0440 or 0400.) Neither the value nor a line of the
// file ever appears in an error.
func secret(getenv func(string) string, name string) (string, error) {
	v, path := getenv(name), getenv(name+"_FILE")
	switch {
	case v != "" && path != "":
		return "", fmt.Errorf("%s and %s_FILE are both set: set one", name, name)
	case path == "":
		return v, nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s_FILE: %s is not a regular file", name, path)
	}
	if st.Mode().Perm()&0o004 != 0 {
		return "", fmt.Errorf("%s_FILE: %s is readable by every user (mode %04o): make it 0600 or 0640 (chmod o-rwx)", name, path, st.Mode().Perm())
	}
	// The path comes from the operator's own environment, which is the point of the variable.
	b, err := os.ReadFile(path) // #nosec G304 -- the operator names the secret's file
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already in the message; the contents never are
		}
		return "", fmt.Errorf("%s_FILE: read %s: %w", name, path, err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	s = strings.TrimSuffix(s, "\r")
	if s == "" {
		return "", fmt.Errorf("%s_FILE: %s is empty", name, path)
	}
	return s, nil
}

// maskedKeys are the log attributes that hold a caller's phone number, whatever component logs
// them: the handler masks them even when a string slipped past fireline.Phone.
var maskedKeys = map[string]bool{
	"phone": true, "caller_phone": true, "caller_number": true, "callback": true, "callback_number": true,
	"reporter_number": true,
}

// maskPhones is the loggers' ReplaceAttr: an attribute named for a phone number shows only its
// last four digits (fireline.Phone's mask), in every group, in text and JSON alike.
func maskPhones(_ []string, a slog.Attr) slog.Attr {
	if !maskedKeys[strings.ToLower(a.Key)] || a.Value.Kind() == slog.KindGroup {
		return a
	}
	return slog.String(a.Key, fireline.Phone(a.Value.String()).Masked())
}
