// Package backup writes and reads Fireline's backup archive: a consistent PostgreSQL dump and
// the recordings' folder, each file with its size and SHA-256, in one tar file.
//
// It drives the PostgreSQL client binaries (pg_dump, pg_restore, psql) rather than a driver, so
// that postgres stays the only importer of pgx, and so the dump is the standard one any
// PostgreSQL administrator can read with pg_restore -l.
//
// The archive, in this order:
//
//	fireline-backup/database.dump                 pg_dump --format=custom, one snapshot
//	fireline-backup/recordings/<incident-N>/<…>   every file of the recordings' folder
//	fireline-backup/manifest.json                 Manifest: versions, hashes, counts
//
// The manifest comes last because it carries the hashes of what was written before it: the
// recordings are read once, hashed as they are copied.
package backup

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/fireline/fireline/internal/progress"
	"github.com/fireline/fireline/migrations"
)

// Format is the archive format this package writes and reads.
const Format = 1

// Names inside the archive.
const (
	root         = "fireline-backup/"
	dumpName     = "database.dump"
	manifestName = "manifest.json"
	recordingsIn = "recordings/"
)

// Manifest describes one archive. It is the archive's last entry.
type Manifest struct {
	// Format is the archive format (Format).
	Format int `json:"format"`
	// Fireline is the version of the binary that wrote the archive (its module version and
	// VCS revision when the build recorded them).
	Fireline string `json:"fireline"`
	// Migration is the newest schema migration applied to the dumped database; a restore
	// refuses an archive newer than its binary knows.
	Migration int `json:"migration"`
	// CreatedAt is when the dump's snapshot was taken (UTC, to the second or better).
	CreatedAt time.Time `json:"created_at"`
	// Database is the dump.
	Database Dump `json:"database"`
	// Recordings are the recordings' folder's files, by path relative to the folder.
	Recordings []File `json:"recordings"`
	// Counts sum the archive up, for a reader and for progress.
	Counts Counts `json:"counts"`
}

// Dump is the database dump in the archive.
type Dump struct {
	File
	// Tool is the pg_dump that wrote it ("pg_dump (PostgreSQL) 15.x") and Server the
	// server it read.
	Tool   string `json:"tool"`
	Server string `json:"server"`
	// Tables are the tables whose data the dump holds.
	Tables []string `json:"tables"`
	// Roles are the roles the dump grants privileges to (the application's role): a restore
	// needs them on the target server.
	Roles []string `json:"roles"`
}

// File is one file of the archive, with the hash it must have.
type File struct {
	// Name is the path inside fireline-backup/ (database.dump, recordings/incident-12/…).
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Counts sum an archive up.
type Counts struct {
	Tables         int   `json:"tables"`
	RecordingFiles int   `json:"recording_files"`
	RecordingBytes int64 `json:"recording_bytes"`
	DatabaseBytes  int64 `json:"database_bytes"`
}

// Options say what to back up or restore, and where.
type Options struct {
	// DatabaseURL is the database to dump or restore into (postgres://…). A password in it is
	// handed to the client binaries in PGPASSWORD, never on their command line.
	DatabaseURL string
	// Recordings is the recordings' folder. Empty: no recordings (a deployment without the
	// media role).
	Recordings string
	// Bin is the directory of pg_dump, pg_restore and psql.
	Bin string
	// Logger receives the steps; nil discards them.
	Logger *slog.Logger
	// CreateRoles has a restore create the roles the archive grants to that the server lacks,
	// as NOLOGIN roles, rather than refuse: for a server of our own (dev's embedded cluster).
	CreateRoles bool
	// Progress, if not nil, is a terminal: progress is drawn on it in place. Otherwise it
	// goes to Logger as plain lines.
	Progress io.Writer
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger.With("component", "backup")
}

// Version is this binary's version as the manifest records it.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
		if s.Key == "vcs.modified" && s.Value == "true" {
			v += "+dirty"
		}
	}
	return v
}

// LatestMigration is the newest migration this binary carries.
func LatestMigration() (int, error) {
	all, err := migrations.All()
	if err != nil {
		return 0, err
	}
	if len(all) == 0 {
		return 0, nil
	}
	return all[len(all)-1].Version, nil
}

// Create writes an archive of the database and the recordings to out, a new file: it is
// written beside as out.partial and renamed when complete, so a failed or interrupted backup
// never leaves a file that looks like one.
func Create(ctx context.Context, o Options, out string) (Manifest, error) {
	log := o.logger()
	pg, err := newClient(o.Bin, o.DatabaseURL)
	if err != nil {
		return Manifest{}, err
	}
	if _, err := os.Stat(out); err == nil {
		return Manifest{}, fmt.Errorf("backup: %s exists; choose a new file name", out)
	}
	tmpDir, err := os.MkdirTemp(filepath.Dir(out), ".fireline-backup-")
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmpDir)

	m := Manifest{Format: Format, Fireline: Version()}
	if m.Migration, err = pg.migration(ctx); err != nil {
		return Manifest{}, err
	}
	if m.Migration == 0 {
		return Manifest{}, fmt.Errorf("backup: %s has no Fireline schema (no schema_migrations): is DATABASE_URL the right database?", pg.where())
	}
	if m.Database.Server, err = pg.scalar(ctx, "SHOW server_version"); err != nil {
		return Manifest{}, err
	}
	if m.Database.Roles, err = pg.grantees(ctx); err != nil {
		return Manifest{}, err
	}
	if m.Database.Tool, err = pg.toolVersion(ctx, "pg_dump"); err != nil {
		return Manifest{}, err
	}

	// pg_dump reads every table in one repeatable-read snapshot: the dump is the database as
	// it was at one instant, whatever the application writes meanwhile.
	dumpPath := filepath.Join(tmpDir, dumpName)
	log.Info("dumping the database", "database", pg.where(), "server", m.Database.Server)
	m.CreatedAt = time.Now().UTC()
	if err := pg.run(ctx, "pg_dump", "--format=custom", "--file="+dumpPath); err != nil {
		return Manifest{}, err
	}
	if m.Database.Tables, err = pg.dumpTables(ctx, dumpPath); err != nil {
		return Manifest{}, err
	}

	recs, err := listRecordings(o.Recordings, log)
	if err != nil {
		return Manifest{}, err
	}
	dumpInfo, err := os.Stat(dumpPath)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	total := dumpInfo.Size()
	for _, r := range recs {
		total += r.Size
	}
	meter := progress.New("backup", total, o.Progress, log).Count("files", 1+len(recs), false)

	partial := out + ".partial"
	f, err := os.OpenFile(partial, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600) // #nosec G304 -- the operator's own --out
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(partial)
		}
	}()
	tw := tar.NewWriter(f)
	m.Database.File, err = addFile(ctx, tw, dumpPath, dumpName, dumpInfo.Size(), dumpInfo.ModTime(), meter)
	if err != nil {
		return Manifest{}, err
	}
	for _, r := range recs {
		file, err := addFile(ctx, tw, filepath.Join(o.Recordings, filepath.FromSlash(r.Name)), recordingsIn+r.Name, r.Size, r.ModTime, meter)
		if err != nil {
			return Manifest{}, err
		}
		m.Recordings = append(m.Recordings, file)
		m.Counts.RecordingBytes += file.Size
	}
	if m.Recordings == nil {
		m.Recordings = []File{}
	}
	m.Counts.Tables = len(m.Database.Tables)
	m.Counts.RecordingFiles = len(m.Recordings)
	m.Counts.DatabaseBytes = m.Database.Size
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: manifest: %w", err)
	}
	b = append(b, '\n')
	if err := tw.WriteHeader(&tar.Header{Name: root + manifestName, Mode: 0o644, Size: int64(len(b)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg}); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	if _, err := tw.Write(b); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	if err := tw.Close(); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	if err := f.Sync(); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(partial, out); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	ok = true
	meter.Done()
	return m, nil
}

// recording is a file of the recordings' folder as found before copying.
type recording struct {
	Name    string // slash-separated, relative to the folder
	Size    int64
	ModTime time.Time
}

// listRecordings lists the regular files under dir, sorted. A sidecar's temporary file (being
// replaced as we look) and anything not a regular file are left out.
func listRecordings(dir string, log *slog.Logger) ([]recording, error) {
	if dir == "" {
		return nil, nil
	}
	var out []recording
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir && errors.Is(err, fs.ErrNotExist) {
				log.Warn("no recordings folder; the archive holds the database only", "dir", dir)
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			log.Warn("not a regular file; left out", "file", rel)
			return nil
		}
		if strings.HasSuffix(p, ".tmp") {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, recording{Name: filepath.ToSlash(rel), Size: fi.Size(), ModTime: fi.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("backup: recordings: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// addFile copies size bytes of the file at src into the archive as name, hashing them. A
// recording still being written has grown since it was listed: the archive takes the size it
// had then, a prefix that plays up to its last complete frame, and the manifest hashes exactly
// that.
func addFile(ctx context.Context, tw *tar.Writer, src, name string, size int64, mod time.Time, meter *progress.Meter) (File, error) {
	if err := ctx.Err(); err != nil {
		return File{}, err
	}
	f, err := os.Open(src) // #nosec G304 -- a file of the recordings folder, found by walking it
	if err != nil {
		return File{}, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	if err := tw.WriteHeader(&tar.Header{Name: root + name, Mode: 0o644, Size: size, ModTime: mod, Typeflag: tar.TypeReg}); err != nil {
		return File{}, fmt.Errorf("backup: %s: %w", name, err)
	}
	h := sha256.New()
	n, err := io.CopyN(io.MultiWriter(tw, h, meter), f, size)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return File{}, fmt.Errorf("backup: %s shrank from %d to %d bytes while being copied", name, size, n)
		}
		return File{}, fmt.Errorf("backup: %s: %w", name, err)
	}
	meter.Add(1)
	return File{Name: name, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// safeRel checks a recording's path from an archive: relative, clean, inside the folder.
func safeRel(name string) error {
	if name == "" || path.IsAbs(name) || path.Clean(name) != name || name == "." || strings.HasPrefix(name, "../") || name == ".." ||
		strings.Contains(name, "\\") {
		return fmt.Errorf("restore: the archive names a file outside the recordings' folder: %q", name)
	}
	return nil
}
