package backup

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline/devstack/pgcluster"
)

// TestCreateRestore runs a backup of a small database and recordings' folder through a real
// PostgreSQL, restores it into an empty database and folder, and checks the refusals: a
// target that holds data, and an archive whose bytes were changed after it was written.
func TestCreateRestore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	// The server runs as the postgres account when we are root; it must reach the dir.
	for d := dir; d != os.TempDir() && d != "/" && d != "."; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cluster, err := pgcluster.Start(ctx, pgcluster.Config{DataDir: filepath.Join(dir, "pg")})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	for _, db := range []string{"src", "dst", "tampered", "roles"} {
		if err := cluster.CreateDatabase(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	bin, err := pgcluster.Binaries()
	if err != nil {
		t.Fatal(err)
	}
	latest, err := LatestMigration()
	if err != nil {
		t.Fatal(err)
	}
	src, err := newClient(bin, cluster.URL("src"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.query(ctx, fmt.Sprintf(`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL);
		INSERT INTO schema_migrations SELECT v, 'm' || v FROM generate_series(1, %d) v;
		CREATE TABLE incidents (id bigint PRIMARY KEY, address text NOT NULL, at timestamptz NOT NULL);
		INSERT INTO incidents VALUES (1, '东昌府区光岳楼', '2026-12-04T10:00:00Z'), (2, 'Liuyuan Street 12', '2026-12-04T11:00:00Z');
		CREATE ROLE backup_test_app LOGIN;
		GRANT SELECT, INSERT ON incidents TO backup_test_app;`, latest)); err != nil {
		t.Fatal(err)
	}
	recs := filepath.Join(dir, "recordings")
	webm := append([]byte{0x1a, 0x45, 0xdf, 0xa3}, bytes.Repeat([]byte("frame"), 5000)...)
	files := map[string][]byte{
		"incident-1/E1-20261204T100000.000Z.webm":      webm,
		"incident-1/E1-20261204T100000.000Z.webm.json": []byte(`{"name":"E1-20261204T100000.000Z.webm"}`),
		"incident-2/T3-20261204T110000.000Z.webm":      webm[:4000],
	}
	for name, b := range files {
		p := filepath.Join(recs, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A sidecar being replaced as the backup looks is not part of the record.
	if err := os.WriteFile(filepath.Join(recs, "incident-1", "E1-20261204T100000.000Z.webm.json.tmp"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}

	archive := filepath.Join(dir, "fireline.tar")
	m, err := Create(ctx, Options{DatabaseURL: cluster.URL("src"), Recordings: recs, Bin: bin}, archive)
	if err != nil {
		t.Fatal(err)
	}
	if m.Format != Format || m.Migration != latest || m.Counts.RecordingFiles != 3 || m.Counts.Tables != 2 ||
		m.Database.Name != dumpName || len(m.Database.SHA256) != 64 || m.CreatedAt.IsZero() || strings.Join(m.Database.Roles, ",") != "backup_test_app" {
		t.Errorf("manifest %+v: want format 1, migration %d, 3 recordings, 2 tables, the dump hashed, the application's role", m, latest)
	}
	if _, err := Create(ctx, Options{DatabaseURL: cluster.URL("src"), Recordings: recs, Bin: bin}, archive); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a backup over an existing file: %v, want a refusal", err)
	}
	if names := archiveNames(t, archive); names[0] != "fireline-backup/database.dump" || names[len(names)-1] != "fireline-backup/manifest.json" {
		t.Errorf("archive entries %v: want the dump first and the manifest last", names)
	}

	t.Run("restore into an empty deployment", func(t *testing.T) {
		out := filepath.Join(dir, "restored")
		if _, err := Restore(ctx, Options{DatabaseURL: cluster.URL("dst"), Recordings: out, Bin: bin}, archive); err != nil {
			t.Fatal(err)
		}
		dst, _ := newClient(bin, cluster.URL("dst"))
		got, err := dst.query(ctx, "SELECT id, address, at FROM incidents ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		want, _ := src.query(ctx, "SELECT id, address, at FROM incidents ORDER BY id")
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("restored incidents %q, want %q", got, want)
		}
		if v, err := dst.scalar(ctx, "SELECT has_table_privilege('backup_test_app', 'incidents', 'INSERT')"); err != nil || v != "t" {
			t.Errorf("the application role's grant after the restore: %q (%v)", v, err)
		}
		for name, b := range files {
			if got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(name))); err != nil || !bytes.Equal(got, b) {
				t.Errorf("restored %s: %d bytes (%v), want the %d bytes backed up", name, len(got), err, len(b))
			}
		}
		if _, err := os.Stat(filepath.Join(out, "incident-1", "E1-20261204T100000.000Z.webm.json.tmp")); !os.IsNotExist(err) {
			t.Errorf("the temporary sidecar was restored (%v)", err)
		}

		// Again, into the same database: refused, naming what is there.
		_, err = Restore(ctx, Options{DatabaseURL: cluster.URL("dst"), Recordings: filepath.Join(dir, "elsewhere"), Bin: bin}, archive)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf(`database "dst" on 127.0.0.1:%d is not empty: it has a Fireline schema at migration %d`, cluster.Port(), latest)) {
			t.Errorf("restore into a database with data: %v", err)
		}
		// Into an empty database but a recordings' folder with files: refused.
		_, err = Restore(ctx, Options{DatabaseURL: cluster.URL("tampered"), Recordings: out, Bin: bin}, archive)
		if err == nil || !strings.Contains(err.Error(), "the recordings folder "+out+" is not empty: it has 2 entries (incident-1, incident-2)") {
			t.Errorf("restore into a folder with recordings: %v", err)
		}
	})

	t.Run("a changed byte is refused and nothing is restored", func(t *testing.T) {
		b, err := os.ReadFile(archive)
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(b, bytes.Repeat([]byte("frame"), 100))
		b[i] = 'F'
		bad := filepath.Join(dir, "tampered.tar")
		if err := os.WriteFile(bad, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "tampered-recordings")
		_, err = Restore(ctx, Options{DatabaseURL: cluster.URL("tampered"), Recordings: out, Bin: bin}, bad)
		if err == nil || !strings.Contains(err.Error(), "recordings/incident-1/E1-20261204T100000.000Z.webm has SHA-256") ||
			!strings.Contains(err.Error(), "nothing was restored") {
			t.Fatalf("restore of a changed archive: %v", err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("the recordings' folder was left behind (%v)", err)
		}
		c, _ := newClient(bin, cluster.URL("tampered"))
		if tables, err := c.tables(ctx); err != nil || len(tables) != 0 {
			t.Errorf("tables after a refused restore: %v (%v), want none", tables, err)
		}
	})

	t.Run("a role the archive grants to must exist", func(t *testing.T) {
		for _, db := range []string{"src", "dst"} {
			c, _ := newClient(bin, cluster.URL(db))
			if _, err := c.query(ctx, "DROP OWNED BY backup_test_app"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := src.query(ctx, "DROP ROLE backup_test_app"); err != nil {
			t.Fatal(err)
		}
		o := Options{DatabaseURL: cluster.URL("roles"), Recordings: filepath.Join(dir, "roles"), Bin: bin}
		_, err := Restore(ctx, o, archive)
		if err == nil || !strings.Contains(err.Error(), "the archive grants privileges to roles this server lacks: backup_test_app; create them first") {
			t.Fatalf("restore without the role: %v", err)
		}
		o.CreateRoles = true
		if _, err := Restore(ctx, o, archive); err != nil {
			t.Fatalf("restore creating the role: %v", err)
		}
		c, _ := newClient(bin, cluster.URL("roles"))
		if v, err := c.scalar(ctx, "SELECT has_table_privilege('backup_test_app', 'incidents', 'INSERT')"); err != nil || v != "t" {
			t.Errorf("the created role's grant: %q (%v)", v, err)
		}
	})

	t.Run("an archive from a newer schema is refused", func(t *testing.T) {
		newer := rewriteManifest(t, archive, filepath.Join(dir, "newer.tar"), func(m *Manifest) { m.Migration = latest + 1 })
		_, err := Restore(ctx, Options{DatabaseURL: cluster.URL("tampered"), Recordings: filepath.Join(dir, "newer"), Bin: bin}, newer)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("at migration %d, this binary knows up to %d", latest+1, latest)) {
			t.Errorf("restore of a newer archive: %v", err)
		}
	})
}

func archiveNames(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
}

// rewriteManifest copies the archive at from to to with its manifest changed by edit.
func rewriteManifest(t *testing.T, from, to string, edit func(*Manifest)) string {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	tr, tw := tar.NewReader(in), tar.NewWriter(out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == root+manifestName {
			var m Manifest
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			edit(&m)
			b, _ = json.Marshal(m)
			h.Size = int64(len(b))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return to
}

// TestSafeRel: a recording's path from an archive stays inside the recordings' folder.
func TestSafeRel(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"incident-1/E1-20261204T100000.000Z.webm", true},
		{"incident-1/E1-20261204T100000.000Z.webm.json", true},
		{"../postgres/postgresql.conf", false},
		{"incident-1/../../etc/passwd", false},
		{"/etc/passwd", false},
		{"..", false},
		{".", false},
		{"", false},
		{"incident-1//x.webm", false},
		{`incident-1\..\x.webm`, false},
	} {
		if err := safeRel(tt.name); (err == nil) != tt.ok {
			t.Errorf("safeRel(%q) = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}
