package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// client runs the PostgreSQL client binaries against one database.
type client struct {
	bin      string
	url      string // without its password
	password string
	host, db string
}

func newClient(bin, dbURL string) (*client, error) {
	if dbURL == "" {
		return nil, errors.New("backup: no database URL (DATABASE_URL)")
	}
	if bin == "" {
		return nil, errors.New("backup: no PostgreSQL binaries directory")
	}
	u, err := url.Parse(dbURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("backup: database URL: want postgres://user@host:port/database")
	}
	c := &client{bin: bin, host: u.Host, db: strings.TrimPrefix(u.Path, "/")}
	// The password goes in the environment: a command line is readable by every user of the
	// machine (ps).
	if p, ok := u.User.Password(); ok {
		c.password = p
		u.User = url.User(u.User.Username())
	}
	c.url = u.String()
	return c, nil
}

// where names the database for messages, without credentials.
func (c *client) where() string {
	return fmt.Sprintf("database %q on %s", c.db, c.host)
}

func (c *client) command(ctx context.Context, tool string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, tool), args...) // #nosec G204 -- PostgreSQL's own client tools from pgcluster.Binaries; arguments built here, the URL's password in the environment
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10", "LC_ALL=C", "LANG=C")
	if c.password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+c.password)
	}
	return cmd
}

// run runs tool on the database (its --dbname) with args, failing with its error output.
func (c *client) run(ctx context.Context, tool string, args ...string) error {
	cmd := c.command(ctx, tool, append([]string{"--dbname=" + c.url}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("backup: %s: %w: %s", tool, err, tail(stderr.Bytes()))
	}
	return nil
}

// query runs one SQL statement through psql and returns its rows, one line each.
func (c *client) query(ctx context.Context, sql string) ([]string, error) {
	cmd := c.command(ctx, "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "--dbname="+c.url, "-c", sql)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("backup: %s: %w: %s", c.where(), err, tail(stderr.Bytes()))
	}
	var rows []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			rows = append(rows, l)
		}
	}
	return rows, nil
}

func (c *client) scalar(ctx context.Context, sql string) (string, error) {
	rows, err := c.query(ctx, sql)
	if err != nil || len(rows) == 0 {
		return "", err
	}
	return rows[0], nil
}

// tables lists the tables in the database's own schemas, schema-qualified.
func (c *client) tables(ctx context.Context) ([]string, error) {
	return c.query(ctx, `SELECT schemaname || '.' || tablename FROM pg_tables
		WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`)
}

// grantees are the roles the database's own objects grant privileges to, other than each
// object's owner and PUBLIC: roles live in the cluster, not in the database, so a dump names
// them but cannot create them, and a restore needs them to exist.
func (c *client) grantees(ctx context.Context) ([]string, error) {
	rows, err := c.query(ctx, `SELECT DISTINCT r.rolname FROM (
		SELECT (aclexplode(relacl)).grantee, relowner AS owner FROM pg_class
		WHERE relacl IS NOT NULL AND relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace, 'pg_toast'::regnamespace)
		UNION ALL
		SELECT (aclexplode(nspacl)).grantee, nspowner FROM pg_namespace
		WHERE nspacl IS NOT NULL AND nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'
		UNION ALL
		SELECT (aclexplode(proacl)).grantee, proowner FROM pg_proc
		WHERE proacl IS NOT NULL AND pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
		UNION ALL
		SELECT (aclexplode(defaclacl)).grantee, defaclrole FROM pg_default_acl
	) g JOIN pg_roles r ON r.oid = g.grantee
	WHERE g.grantee <> g.owner ORDER BY 1`)
	if rows == nil {
		rows = []string{}
	}
	return rows, err
}

// missingRoles are those of roles the server lacks.
func (c *client) missingRoles(ctx context.Context, roles []string) ([]string, error) {
	have, err := c.query(ctx, "SELECT rolname FROM pg_roles")
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, r := range roles {
		if !slices.Contains(have, r) {
			missing = append(missing, r)
		}
	}
	return missing, nil
}

// createRoles creates roles as NOLOGIN roles, the name quoted by the server (format %I).
func (c *client) createRoles(ctx context.Context, roles []string) error {
	for _, r := range roles {
		cmd := c.command(ctx, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "role="+r, "--dbname="+c.url)
		cmd.Stdin = strings.NewReader("SELECT format('CREATE ROLE %I NOLOGIN', :'role') \\gexec\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("backup: create role %q: %w: %s", r, err, tail(out))
		}
	}
	return nil
}

// migration is the newest applied migration, 0 when the database has no schema_migrations.
func (c *client) migration(ctx context.Context) (int, error) {
	v, err := c.scalar(ctx, `SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0
		ELSE (SELECT coalesce(max(version), 0) FROM schema_migrations) END`)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("backup: %s: migration version %q", c.where(), v)
	}
	return n, nil
}

// toolVersion is what tool --version says.
func (c *client) toolVersion(ctx context.Context, tool string) (string, error) {
	out, err := c.command(ctx, tool, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("backup: %s --version: %w", tool, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// dumpTables lists the tables whose data a custom-format dump holds, from its table of
// contents (pg_restore --list): "<id>; <oid> <oid> TABLE DATA <schema> <table> <owner>".
func (c *client) dumpTables(ctx context.Context, dump string) ([]string, error) {
	out, err := c.command(ctx, "pg_restore", "--list", dump).Output()
	if err != nil {
		return nil, fmt.Errorf("backup: pg_restore --list: %w", err)
	}
	tables := []string{}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, ";") {
			continue
		}
		_, rest, ok := strings.Cut(l, " TABLE DATA ")
		if !ok {
			continue
		}
		if f := strings.Fields(rest); len(f) >= 2 {
			tables = append(tables, f[0]+"."+f[1])
		}
	}
	return tables, nil
}

func tail(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 2048 {
		b = b[len(b)-2048:]
	}
	return string(b)
}
