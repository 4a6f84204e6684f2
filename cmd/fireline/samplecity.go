package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/fireline/fireline/postgres"
)

// sampleCityCommand is `fireline sample-city`: it loads the Liaocheng sample city (stations,
// units, water sources, key premises, run cards, devices, the duty roster) into DATABASE_URL's
// database, when it has no stations yet, and sets the demo logins (operator, supervisor, risk,
// admin, gateway, crew-<unit id>) to the password read from --password-file or
// FIRELINE_DEMO_PASSWORD: what `fireline dev` does at its start, for a deployment of separate
// processes (make cluster) that drills or demonstrates on the sample city.
func sampleCityCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sample-city", flag.ContinueOnError)
	fs.SetOutput(stderr)
	passwordFile := fs.String("password-file", "", "the demo logins' password, from this file's first line (default: FIRELINE_DEMO_PASSWORD)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sample-city: unexpected argument %q", fs.Arg(0))
	}
	cfg := DefaultConfig()
	cfg.DemoPassword = ""
	if err := cfg.fromEnv(getenv); err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		return errors.New("sample-city: DATABASE_URL is required")
	}
	password := cfg.DemoPassword
	if *passwordFile != "" {
		p, err := readPassword(*passwordFile, nil, stderr)
		if err != nil {
			return err
		}
		password = p
	}
	if password == "" {
		return errors.New("sample-city: the demo logins need a password: --password-file or FIRELINE_DEMO_PASSWORD")
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := loadSampleCity(ctx, db, password, slog.New(slog.NewTextHandler(stderr, nil))); err != nil {
		return fmt.Errorf("sample-city: %w", err)
	}
	fmt.Fprintln(stdout, "sample city ready; the demo logins use the given password")
	return nil
}
