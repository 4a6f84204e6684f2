// Package migrations holds Fireline's PostgreSQL schema as numbered SQL files
// (0001_init.sql, 0002_....sql), embedded in the binary so that every build carries the schema
// it expects. postgres.DB.Migrate applies them.
//
// A file, once released, is never edited: a change is a new file with the next number.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
)

// FS holds the migration files at its root.
//
//go:embed *.sql
var FS embed.FS

// Migration is one numbered SQL file.
type Migration struct {
	// Version is the file's number: 1 for 0001_init.sql.
	Version int
	// Name is the file name.
	Name string
	// SQL is the file's content, run as one transaction.
	SQL string
}

var fileName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// All returns the migrations of FS in version order. Versions must run 1, 2, 3... without a
// gap or a repeat, so that two branches that each add "the next" file fail loudly here rather
// than apply in an order nobody tested. The one exception is a version in Reserved: its gap is
// allowed until its file arrives.
func All() ([]Migration, error) {
	return load(FS, Reserved())
}

// Reserved lists the versions being written on another branch, with who holds them. A later
// file may land first; the version's own file and its reservation may never be present
// together, so the merge that brings the file also deletes the reservation, and a database that
// already ran a later file refuses to run the reserved one out of order (postgres.DB.Migrate).
func Reserved() map[int]string {
	return map[int]string{}
}

// Load returns the migrations at the root of fsys, checked as All describes, with no version
// reserved.
func Load(fsys fs.FS) ([]Migration, error) {
	return load(fsys, nil)
}

func load(fsys fs.FS, reserved map[int]string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migrations: %s: name must look like 0001_what_it_does.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		out = append(out, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	want := 1
	for _, m := range out {
		if _, ok := reserved[m.Version]; ok {
			return nil, fmt.Errorf("migrations: %s: version %d is reserved (%s); its file has arrived, so delete the reservation", m.Name, m.Version, reserved[m.Version])
		}
		for _, ok := reserved[want]; ok; _, ok = reserved[want] {
			want++
		}
		if m.Version != want {
			return nil, fmt.Errorf("migrations: %s: expected version %d (versions run 1, 2, 3... with no gaps or repeats)", m.Name, want)
		}
		want++
	}
	return out, nil
}
