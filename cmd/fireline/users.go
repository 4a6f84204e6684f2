package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/postgres"
)

const usersUsage = `usage: fireline users <command> [flags] [name]

commands (against DATABASE_URL):
  add NAME --role ROLE [--unit UNIT]   create a user; the password is read from stdin or --password-file
  list                                 list the users
  passwd NAME                          set a user's password (from stdin or --password-file); ends their sessions
  disable NAME                         stop a user signing in and end their sessions
  enable NAME                          let a disabled user sign in again
  revoke NAME                          end every session of a user

Passwords are never taken from a flag: a flag shows in the process list and the shell history.
`

// users runs `fireline users …` against the database at cfg.DatabaseURL.
func users(ctx context.Context, cfg Config, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usersUsage)
		if len(args) == 0 {
			return errors.New("users: no command given")
		}
		return nil
	}
	if cfg.DatabaseURL == "" {
		return errors.New("users: DATABASE_URL is required")
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	return runUsers(ctx, db, args, stdin, stdout, stderr)
}

// runUsers is `fireline users` on a store: the commands share the store's methods with the
// admin API, so both keep the same rules.
func runUsers(ctx context.Context, store fireline.UserAdmin, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := args[0]
	fs := flag.NewFlagSet("fireline users "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var role, unit, passwordFile string
	switch cmd {
	case "add":
		fs.StringVar(&role, "role", string(fireline.RoleOperator), "operator, supervisor, field, risk, admin or gateway")
		fs.StringVar(&unit, "unit", "", "the unit a field user crews")
		fallthrough
	case "passwd":
		fs.StringVar(&passwordFile, "password-file", "", "read the password from this file's first line (default: stdin)")
	case "list", "disable", "enable", "revoke":
	default:
		fmt.Fprint(stderr, usersUsage)
		return fmt.Errorf("users: unknown command %q", cmd)
	}
	names, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if want := map[bool]int{true: 0, false: 1}[cmd == "list"]; len(names) != want {
		return fmt.Errorf("users %s: want %d name(s), got %d", cmd, want, len(names))
	}
	switch cmd {
	case "list":
		return listUsers(ctx, store, stdout)
	case "add":
		password, err := readPassword(passwordFile, stdin, stderr)
		if err != nil {
			return err
		}
		a, err := store.CreateUser(ctx, fireline.NewUser{Username: names[0], Role: fireline.Role(role), UnitID: unit, Password: password})
		if err != nil {
			return userError(err)
		}
		fmt.Fprintf(stdout, "created %s (%s)\n", a.Username, a.Role)
	case "passwd":
		password, err := readPassword(passwordFile, stdin, stderr)
		if err != nil {
			return err
		}
		if err := store.SetPassword(ctx, names[0], password); err != nil {
			return userError(err)
		}
		fmt.Fprintf(stdout, "password of %s changed; their sessions ended\n", names[0])
	case "disable", "enable":
		disabled := cmd == "disable"
		if _, err := store.UpdateUser(ctx, names[0], fireline.UserUpdate{Disabled: &disabled}); err != nil {
			return userError(err)
		}
		fmt.Fprintf(stdout, "%s %sd\n", names[0], cmd)
	case "revoke":
		n, err := store.EndSessions(ctx, names[0])
		if err != nil {
			return userError(err)
		}
		fmt.Fprintf(stdout, "ended %d session(s) of %s\n", n, names[0])
	}
	return nil
}

// parseInterleaved parses flags before and after the positional arguments, so that both
// `add --role admin li` and `add li --role admin` work.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return names, nil
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func listUsers(ctx context.Context, store fireline.UserAdmin, stdout io.Writer) error {
	accounts, err := store.Users(ctx)
	if err != nil {
		return userError(err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tROLE\tUNIT\tSTATE")
	for _, a := range accounts {
		state := "enabled"
		switch {
		case a.Disabled:
			state = "disabled"
		case a.LockedUntil != nil:
			state = "locked until " + a.LockedUntil.Local().Format("15:04:05")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Username, a.Role, a.UnitID, state)
	}
	return tw.Flush()
}

// userError gives a user's mistake as its plain message; anything else stays as it is.
func userError(err error) error {
	if code := fireline.ErrorCode(err); code != fireline.EINTERNAL && code != fireline.EUNAVAILABLE {
		return errors.New(fireline.ErrorMessage(err))
	}
	return err
}

// readPassword reads a password: the first line of path, or of stdin when path is empty. On
// a terminal it asks without echoing, twice.
func readPassword(path string, stdin io.Reader, stderr io.Writer) (string, error) {
	if path != "" {
		f, err := os.Open(path) // #nosec G304 -- the administrator's own --password-file
		if err != nil {
			return "", fmt.Errorf("password file: %w", err)
		}
		defer f.Close()
		return firstLine(f)
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "password: ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "again: ")
		again, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(first) != string(again) {
			return "", errors.New("the passwords differ")
		}
		return string(first), nil
	}
	return firstLine(stdin)
}

// firstLine is the first line of r without its line ending; a password cannot be empty.
func firstLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password given: pipe it to stdin or name a --password-file")
	}
	return line, nil
}

// adminBootstrap is what serve needs of the store to make sure an administrator exists.
type adminBootstrap interface {
	HasAdmin(ctx context.Context) (bool, error)
	CreateUser(ctx context.Context, n fireline.NewUser) (fireline.Account, error)
}

// ensureAdmin makes sure serve starts with an enabled administrator and no default password:
// if there is none, it creates one from FIRELINE_ADMIN_PASSWORD_FILE (and
// FIRELINE_ADMIN_USERNAME, default admin), or refuses to start, saying what to run.
func ensureAdmin(ctx context.Context, store adminBootstrap, cfg Config, stdout io.Writer) error {
	ok, err := store.HasAdmin(ctx)
	if err != nil {
		return fmt.Errorf("check for an administrator: %w", err)
	}
	if ok {
		return nil
	}
	if cfg.AdminPasswordFile == "" {
		return fmt.Errorf(`no administrator exists, and serve has no default password. Create one, then start again:

    fireline users add --role admin --password-file /path/to/password %s

(with DATABASE_URL set), or start serve once with FIRELINE_ADMIN_PASSWORD_FILE=/path/to/password
(FIRELINE_ADMIN_USERNAME names the account; default admin)`, cfg.AdminUsername)
	}
	password, err := readPassword(cfg.AdminPasswordFile, nil, io.Discard)
	if err != nil {
		return fmt.Errorf("FIRELINE_ADMIN_PASSWORD_FILE: %w", err)
	}
	a, err := store.CreateUser(ctx, fireline.NewUser{Username: cfg.AdminUsername, Role: fireline.RoleAdmin, Password: password})
	if err != nil {
		return fmt.Errorf("create the first administrator: %w", userError(err))
	}
	fmt.Fprintf(stdout, "created administrator %s from FIRELINE_ADMIN_PASSWORD_FILE\n", a.Username)
	return nil
}
