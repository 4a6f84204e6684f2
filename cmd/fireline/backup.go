package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/fireline/fireline/backup"
	"github.com/fireline/fireline/devstack/pgcluster"
)

// backupFlags are the flags of `fireline backup` and `fireline restore`.
type backupFlags struct {
	file       string // --out or --in
	recordings string
	data       string
	logLevel   string
}

// runBackup runs `fireline backup` or `fireline restore`. The database is DATABASE_URL and
// the recordings --recordings, as for serve; or --data names a `fireline dev` data folder,
// whose embedded cluster is used while dev runs and started for the occasion when it does not.
func runBackup(ctx context.Context, cmd string, args []string, getenv func(string) string, stderr io.Writer) (err error) {
	f := backupFlags{logLevel: DefaultConfig().LogLevel}
	if v := getenv("FIRELINE_LOG_LEVEL"); v != "" {
		f.logLevel = v
	}
	fs := flag.NewFlagSet("fireline "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if cmd == "backup" {
		fs.StringVar(&f.file, "out", "", "the archive to write (a new file; .tar)")
	} else {
		fs.StringVar(&f.file, "in", "", "the archive to restore")
	}
	fs.StringVar(&f.recordings, "recordings", "", "folder of the video recordings (as serve's --recordings)")
	fs.StringVar(&f.data, "data", "", "a `fireline dev` data folder instead of DATABASE_URL and --recordings")
	fs.StringVar(&f.logLevel, "log-level", f.logLevel, "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	level, err := parseLevel(f.logLevel)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	var errs []error
	if f.file == "" {
		errs = append(errs, fmt.Errorf("--%s must name the archive", map[string]string{"backup": "out", "restore": "in"}[cmd]))
	}
	dbURL, err := secret(getenv, "DATABASE_URL")
	if err != nil {
		errs = append(errs, err)
	}
	if f.data != "" && (dbURL != "" || f.recordings != "") {
		errs = append(errs, errors.New("--data names the database and the recordings of a dev deployment: give it alone, without DATABASE_URL or --recordings"))
	}
	if f.data == "" && dbURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is required (or --data for a dev deployment)"))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}

	bin, err := pgcluster.Binaries()
	if err != nil {
		return err
	}
	o := backup.Options{DatabaseURL: dbURL, Recordings: f.recordings, Bin: bin, Logger: log}
	if isTerminal(stderr) {
		o.Progress = stderr
	}
	if f.data != "" {
		var stop func(failed bool)
		if stop, err = devDatabase(ctx, cmd, f.data, &o, log); err != nil {
			return err
		}
		// err is the result: a failed restore's cluster is removed.
		defer func() { stop(err != nil) }()
	}
	if cmd == "backup" {
		m, err := backup.Create(ctx, o, f.file)
		if err != nil {
			return err
		}
		log.Info("backup written", "file", f.file, "migration", m.Migration, "tables", m.Counts.Tables,
			"recording_files", m.Counts.RecordingFiles, "database_bytes", m.Counts.DatabaseBytes, "recording_bytes", m.Counts.RecordingBytes)
		return nil
	}
	m, err := backup.Restore(ctx, o, f.file)
	if err != nil {
		return err
	}
	log.Info("restored", "file", f.file, "created_at", m.CreatedAt, "migration", m.Migration, "tables", m.Counts.Tables,
		"recording_files", m.Counts.RecordingFiles)
	return nil
}

// devDatabase points o at a dev data folder's embedded cluster and recordings. A backup reads
// the cluster of a running `fireline dev` (pg_dump's snapshot makes that safe) or starts the
// cluster itself when dev is not running; a restore needs a folder with no cluster yet, and
// creates one. stop stops a cluster started here; after a failed restore it also removes the
// cluster it created, so that the same folder can be tried again.
func devDatabase(ctx context.Context, cmd, data string, o *backup.Options, log *slog.Logger) (stop func(failed bool), err error) {
	abs, err := filepath.Abs(data)
	if err != nil {
		return nil, err
	}
	pgDir := filepath.Join(abs, "postgres")
	o.Recordings = filepath.Join(abs, "recordings")
	_, statErr := os.Stat(filepath.Join(pgDir, "PG_VERSION"))
	switch {
	case cmd == "backup" && errors.Is(statErr, os.ErrNotExist):
		return nil, fmt.Errorf("%s holds no embedded PostgreSQL cluster (no %s): is it a `fireline dev` data folder?", data, pgDir)
	case cmd == "restore" && statErr == nil:
		return nil, fmt.Errorf("%s already holds a PostgreSQL cluster (%s); a restore goes into a new data folder", data, pgDir)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil { // #nosec G301 -- the embedded PostgreSQL runs as its own account and must reach its folder inside
		return nil, err
	}
	pg, err := pgcluster.Start(ctx, pgcluster.Config{DataDir: pgDir, Durable: true, Logger: log})
	if errors.Is(err, pgcluster.ErrDataDirInUse) && cmd == "backup" {
		// `fireline dev` runs on this folder: dump its live cluster.
		url, err := pgcluster.RunningURL(pgDir, "fireline")
		if err != nil {
			return nil, err
		}
		log.Info("backing up a running dev deployment", "data", data)
		o.DatabaseURL = url
		return func(bool) {}, nil
	}
	if err != nil {
		return nil, err
	}
	o.DatabaseURL = pg.URL("fireline")
	// The cluster is the restore's own: the roles the archive grants to are created in it.
	o.CreateRoles = true
	return func(failed bool) {
		if err := pg.Close(); err != nil {
			log.Error("stop the embedded PostgreSQL", "error", err)
			return
		}
		if failed && cmd == "restore" {
			if err := os.RemoveAll(pgDir); err != nil {
				log.Error("remove the embedded PostgreSQL of the failed restore", "dir", pgDir, "error", err)
			}
		}
	}, nil
}

// isTerminal reports whether w is a character device (a terminal), where progress is drawn
// in place rather than logged line by line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
