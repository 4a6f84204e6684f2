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
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fireline/fireline/internal/progress"
)

// maxManifest bounds the manifest read from an archive.
const maxManifest = 64 << 20

// Restore restores the archive at in into an empty deployment: a database without tables and
// a recordings' folder that is empty or absent. It reads the archive once, writing the dump
// to a temporary folder and the recordings into their folder, hashing each file; only when
// every file matches the manifest, and the schema is one this binary knows, does pg_restore
// run, in one transaction. On any failure the recordings it wrote are removed and the
// database is left as it was.
func Restore(ctx context.Context, o Options, in string) (Manifest, error) {
	log := o.logger()
	pg, err := newClient(o.Bin, o.DatabaseURL)
	if err != nil {
		return Manifest{}, err
	}
	if err := checkEmpty(ctx, pg, o.Recordings); err != nil {
		return Manifest{}, err
	}
	latest, err := LatestMigration()
	if err != nil {
		return Manifest{}, err
	}
	f, err := os.Open(in) // #nosec G304 -- the operator's own --in archive
	if err != nil {
		return Manifest{}, fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Manifest{}, fmt.Errorf("restore: %w", err)
	}
	// The dump waits beside the recordings' folder, on the deployment's own disk rather than
	// in a /tmp that may be small.
	tmpParent := ""
	if o.Recordings != "" {
		tmpParent = filepath.Dir(filepath.Clean(o.Recordings))
		if err := os.MkdirAll(tmpParent, 0o750); err != nil {
			return Manifest{}, fmt.Errorf("restore: %w", err)
		}
	}
	tmpDir, err := os.MkdirTemp(tmpParent, ".fireline-restore-")
	if err != nil {
		return Manifest{}, fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(tmpDir)

	ok := false
	createdRecordings := false
	if o.Recordings != "" {
		if _, err := os.Stat(o.Recordings); errors.Is(err, os.ErrNotExist) {
			createdRecordings = true
		}
		defer func() {
			if !ok {
				cleanRecordings(o.Recordings, createdRecordings)
			}
		}()
	}

	log.Info("reading the archive", "file", in, "bytes", fi.Size())
	meter := progress.New("restore", fi.Size(), o.Progress, log)
	got, m, err := extract(ctx, io.TeeReader(f, meter), tmpDir, o.Recordings, meter)
	if err != nil {
		return Manifest{}, err
	}
	if err := verify(m, got); err != nil {
		return Manifest{}, err
	}
	meter.Done()
	log.Info("every file matches the manifest", "files", len(got), "created_at", m.CreatedAt, "written_by", m.Fireline)
	if m.Migration > latest {
		return Manifest{}, fmt.Errorf("restore: the archive's schema is at migration %d, this binary knows up to %d: restore with the newer binary that wrote it (%s)",
			m.Migration, latest, m.Fireline)
	}

	missing, err := pg.missingRoles(ctx, m.Database.Roles)
	if err != nil {
		return Manifest{}, err
	}
	if len(missing) > 0 && !o.CreateRoles {
		return Manifest{}, fmt.Errorf("restore: the archive grants privileges to roles this server lacks: %s; create them first (CREATE ROLE … LOGIN PASSWORD …), then restore again",
			strings.Join(missing, ", "))
	}
	if len(missing) > 0 {
		log.Info("creating the roles the archive grants to", "roles", missing)
		if err := pg.createRoles(ctx, missing); err != nil {
			return Manifest{}, err
		}
	}

	// --no-owner: the restored objects belong to the role restoring them, the deployment's
	// owner role, whatever the source's was called. Grants are restored as dumped, so the
	// application role must exist on the target before the restore (see README).
	log.Info("restoring the database", "database", pg.where(), "tables", len(m.Database.Tables))
	if err := pg.run(ctx, "pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", filepath.Join(tmpDir, dumpName)); err != nil {
		return Manifest{}, err
	}
	v, err := pg.migration(ctx)
	if err != nil {
		return Manifest{}, err
	}
	if v != m.Migration {
		return Manifest{}, fmt.Errorf("restore: the restored database is at migration %d, the manifest says %d", v, m.Migration)
	}
	if v < latest {
		log.Warn("the restored schema is older than this binary's; run `fireline migrate` (dev migrates on start)", "restored", v, "binary", latest)
	}
	ok = true
	return m, nil
}

// checkEmpty refuses a target that already holds data: a restore never merges.
func checkEmpty(ctx context.Context, pg *client, recordings string) error {
	tables, err := pg.tables(ctx)
	if err != nil {
		return err
	}
	if len(tables) > 0 {
		v, _ := pg.migration(ctx)
		what := fmt.Sprintf("%d tables (%s)", len(tables), strings.Join(first(tables, 5), ", "))
		if v > 0 {
			what = fmt.Sprintf("a Fireline schema at migration %d and %s", v, what)
		}
		return fmt.Errorf("restore: %s is not empty: it has %s; a restore only goes into an empty database: create a new one (createdb) and point DATABASE_URL at it",
			pg.where(), what)
	}
	if recordings == "" {
		return nil
	}
	entries, err := os.ReadDir(recordings)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore: recordings folder: %w", err)
	}
	if len(entries) > 0 {
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return fmt.Errorf("restore: the recordings folder %s is not empty: it has %d entries (%s); a restore only goes into an empty folder",
			recordings, len(entries), strings.Join(first(names, 5), ", "))
	}
	return nil
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], "…")
	}
	return s
}

// cleanRecordings removes what a failed restore wrote into the recordings' folder, which was
// empty (or absent) before it began.
func cleanRecordings(dir string, created bool) {
	if created {
		_ = os.RemoveAll(dir)
		return
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		_ = os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// extract reads the archive: the dump into tmpDir, the recordings into their folder, the
// manifest into memory. It returns every file it wrote with the size and hash it found.
func extract(ctx context.Context, r io.Reader, tmpDir, recordings string, meter *progress.Meter) (map[string]File, Manifest, error) {
	tr := tar.NewReader(r)
	got := map[string]File{}
	var m Manifest
	haveManifest := false
	for {
		if err := ctx.Err(); err != nil {
			return nil, m, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, m, fmt.Errorf("restore: not a Fireline backup archive, or a damaged one: %w", err)
		}
		if h.Typeflag == tar.TypeDir {
			continue
		}
		name, inRoot := strings.CutPrefix(h.Name, root)
		if !inRoot || h.Typeflag != tar.TypeReg {
			return nil, m, fmt.Errorf("restore: unexpected entry %q in the archive", h.Name)
		}
		if _, dup := got[name]; dup || (name == manifestName && haveManifest) {
			return nil, m, fmt.Errorf("restore: the archive holds %q twice", name)
		}
		var dst string
		switch {
		case name == manifestName:
			b, err := io.ReadAll(io.LimitReader(tr, maxManifest))
			if err != nil {
				return nil, m, fmt.Errorf("restore: manifest: %w", err)
			}
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, m, fmt.Errorf("restore: manifest: %w", err)
			}
			haveManifest = true
			continue
		case name == dumpName:
			dst = filepath.Join(tmpDir, dumpName)
		case strings.HasPrefix(name, recordingsIn):
			rel := strings.TrimPrefix(name, recordingsIn)
			if err := safeRel(rel); err != nil {
				return nil, m, err
			}
			if recordings == "" {
				return nil, m, fmt.Errorf("restore: the archive holds recordings; say where they go (--recordings)")
			}
			dst = filepath.Join(recordings, filepath.FromSlash(rel))
		default:
			return nil, m, fmt.Errorf("restore: unexpected entry %q in the archive", h.Name)
		}
		file, err := writeFile(tr, dst, name)
		if err != nil {
			return nil, m, err
		}
		got[name] = file
		meter.Add(1)
	}
	if !haveManifest {
		return nil, m, errors.New("restore: the archive has no manifest: it is incomplete (an interrupted copy?) or not a Fireline backup")
	}
	return got, m, nil
}

func writeFile(r io.Reader, dst, name string) (File, error) {
	// Recordings are readable by the service's group only, as the media server writes them.
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return File{}, fmt.Errorf("restore: %w", err)
	}
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640) // #nosec G302 G304 -- group-readable as the media server writes recordings, for API nodes of the service group; dst is an archive entry checked to stay inside the recordings folder
	if err != nil {
		return File{}, fmt.Errorf("restore: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return File{}, fmt.Errorf("restore: %s: %w", name, err)
	}
	return File{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// verify checks what was extracted against the manifest: the same files, each with its size
// and SHA-256.
func verify(m Manifest, got map[string]File) error {
	if m.Format != Format {
		return fmt.Errorf("restore: archive format %d; this binary reads format %d", m.Format, Format)
	}
	want := append([]File{m.Database.File}, m.Recordings...)
	var errs []error
	seen := map[string]bool{}
	for _, w := range want {
		seen[w.Name] = true
		g, ok := got[w.Name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s is in the manifest but not in the archive", w.Name))
		case g.Size != w.Size:
			errs = append(errs, fmt.Errorf("%s has %d bytes, the manifest says %d", w.Name, g.Size, w.Size))
		case g.SHA256 != w.SHA256:
			errs = append(errs, fmt.Errorf("%s has SHA-256 %s, the manifest says %s", w.Name, g.SHA256, w.SHA256))
		}
	}
	var extra []string
	for name := range got {
		if !seen[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		errs = append(errs, fmt.Errorf("%s is in the archive but not in the manifest", name))
	}
	if len(errs) > 0 {
		return fmt.Errorf("restore: the archive does not match its manifest; nothing was restored:\n%w", errors.Join(errs...))
	}
	return nil
}
