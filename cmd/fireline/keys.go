package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/postgres"
)

const keysUsage = `usage: fireline keys <create|list|revoke> [flags]   (DATABASE_URL names the database)

  create --name NAME --source iot|lamppost|public|cap [--prefix SOURCE-ID-PREFIX] [--by ADMIN]
         prints the key's secret, once: give it to the gateway as Authorization: Bearer flk_…
  list   every key, revoked ones too
  revoke [--by ADMIN] ID
`

// runKeys is `fireline keys`: the alarm sources' API keys, through the same store methods as
// the admin API (/api/v1/admin/api-keys).
func runKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, keysUsage)
		return errors.New("keys: no subcommand given")
	}
	fs := flag.NewFlagSet("keys "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, keysUsage) }
	var req fireline.NewAPIKey
	var source string
	by := fs.String("by", "cli:"+getenv("USER"), "who makes the change, for the record")
	if args[0] == "create" {
		fs.StringVar(&req.Name, "name", "", "which gateway or feed holds the key")
		fs.StringVar(&source, "source", "", "the one source it posts: iot, lamppost, public or cap")
		fs.StringVar(&req.SourceIDPrefix, "prefix", "", "if set, every alarm's source id (a CAP feed's sender) must begin with it")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	req.Source = fireline.AlarmSource(source)
	url, err := secret(getenv, "DATABASE_URL")
	if err != nil {
		return err
	}
	if url == "" {
		return errors.New("keys: DATABASE_URL is required")
	}
	db, err := postgres.Open(ctx, url, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	defer db.Close()

	switch args[0] {
	case "create":
		if fs.NArg() != 0 {
			return fmt.Errorf("keys create: unexpected argument %q", fs.Arg(0))
		}
		k, secret, err := db.CreateAPIKey(ctx, req, *by)
		if err != nil {
			return fmt.Errorf("keys create: %s", fireline.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "API key %d %q posts %s alarms", k.ID, k.Name, k.Source)
		if k.SourceIDPrefix != "" {
			fmt.Fprintf(stdout, " whose source id begins with %q", k.SourceIDPrefix)
		}
		fmt.Fprintf(stdout, ".\nIts secret, shown this once:\n%s\n", secret)
		return nil
	case "list":
		keys, err := db.APIKeys(ctx)
		if err != nil {
			return fmt.Errorf("keys list: %s", fireline.ErrorMessage(err))
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSOURCE\tPREFIX\tCREATED\tBY\tLAST USED\tREVOKED")
		for _, k := range keys {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Source, k.SourceIDPrefix,
				k.CreatedAt.Format(time.RFC3339), k.CreatedBy, stamp(k.LastUsedAt), stamp(k.RevokedAt))
		}
		return tw.Flush()
	case "revoke":
		if fs.NArg() != 1 {
			return errors.New("keys revoke: give the key's id (fireline keys list)")
		}
		id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("keys revoke: %q is not a key id", fs.Arg(0))
		}
		k, err := db.RevokeAPIKey(ctx, id, *by)
		if err != nil {
			return fmt.Errorf("keys revoke: %s", fireline.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "API key %d %q revoked at %s by %s.\n", k.ID, k.Name, k.RevokedAt.Format(time.RFC3339), k.RevokedBy)
		return nil
	}
	fmt.Fprint(stderr, keysUsage)
	return fmt.Errorf("keys: unknown subcommand %q", args[0])
}

// stamp is a time for the list, or "-".
func stamp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}
