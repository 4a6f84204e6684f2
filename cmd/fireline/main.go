// Command fireline runs the Fireline dispatch system.
//
//	fireline dev       the whole system in one process on the sample city (embedded Temporal and PostgreSQL)
//	fireline serve     the chosen roles against external Temporal and PostgreSQL (TEMPORAL_ADDRESS, DATABASE_URL)
//	fireline users     manage users and their sessions in DATABASE_URL
//	fireline backup    write the database and the recordings to one archive
//	fireline restore   restore such an archive into an empty deployment
//	fireline migrate   apply the database migrations as the schema owner (FIRELINE_MIGRATE_DATABASE_URL)
//	fireline audit     export the audit log as CSV
//	fireline keys      create, list and revoke the alarm sources' API keys (keys.go)
//	fireline import    load another dispatch system's CSV export as imported incidents (import.go)
//	fireline devicesim simulate buildings' GB/T 26875.3 transmission devices (devicesim.go)
//	fireline loadgen   drive a running Fireline with a surge of alarms, operators and crews (loadgen.go)
//	fireline verify    check the invariants of the record: alarms, workflows, units, timelines (verify.go)
//	fireline sample-city load the sample city and the demo logins into DATABASE_URL (samplecity.go)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: fireline <command> [flags]

commands:
  dev       run everything in one process on the Liaocheng sample city
  serve     run the chosen roles against external Temporal and PostgreSQL
  users     add, list, disable and enable users, set passwords, end sessions
  backup    write the database and the recordings to one archive (--out FILE)
  restore   restore an archive into an empty deployment (--in FILE)
  migrate   apply database migrations as the schema owner (FIRELINE_MIGRATE_DATABASE_URL, else DATABASE_URL)
  audit     export the audit log: fireline audit export --from TIME --to TIME
  keys      create, list and revoke the alarm sources' API keys
  analytics response-time intervals: fireline analytics intervals --from DATE --to DATE
  import    load another dispatch system's CSV export: fireline import --format sf-calls FILE
  devicesim simulate buildings' GB/T 26875.3 devices: fireline devicesim --devices 50 --fire 0
  loadgen   drive a running Fireline on this machine: fireline loadgen --surge 600 --over 30s --play 5
  verify    check the record's invariants; fails listing each violation: fireline verify [--alarms FILE]
  sample-city load the Liaocheng sample city and the demo logins into DATABASE_URL (--password-file FILE)

Run 'fireline <command> -h' for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first Ctrl-C the default behaviour returns, so a second one ends a stuck shutdown.
	go func() { <-ctx.Done(); stop() }()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "fireline:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd := args[0]
	if cmd == "keys" {
		return runKeys(ctx, args[1:], getenv, stdout, stderr)
	}
	switch cmd {
	case "dev", "serve", "migrate":
	case "users":
		cfg := DefaultConfig()
		if err := cfg.fromEnv(getenv); err != nil {
			return err
		}
		return users(ctx, cfg, args[1:], os.Stdin, stdout, stderr)
	case "backup", "restore":
		return runBackup(ctx, cmd, args[1:], getenv, stderr)
	case "audit":
		return auditCommand(ctx, args[1:], getenv, stdout, stderr)
	case "analytics":
		return analyticsCommand(ctx, args[1:], getenv, stdout, stderr)
	case "import":
		return importCommand(ctx, args[1:], getenv, stdout, stderr)
	case "devicesim":
		return devicesimCommand(ctx, args[1:], stdout, stderr)
	case "loadgen":
		return loadgenCommand(ctx, args[1:], getenv, stdout, stderr)
	case "verify":
		return verifyCommand(ctx, args[1:], getenv, stdout, stderr)
	case "sample-city":
		return sampleCityCommand(ctx, args[1:], getenv, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
	cfg := DefaultConfig()
	if cmd == "dev" {
		// The demo's crews and the end-to-end tests all sign in from this one machine: the
		// default budget, not serve's ten a minute.
		cfg.LoginRate = 0
		// The sample city's buildings have transmission devices: dev listens for them.
		cfg.GB26875Addr = DevGB26875Addr
	}
	if err := cfg.fromEnv(getenv); err != nil {
		return err
	}
	if err := cfg.parse(cmd, args[1:], stderr); err != nil {
		return err
	}
	if err := cfg.validate(cmd); err != nil {
		return err
	}
	log := newLogger(cfg, stderr)

	if cmd == "migrate" {
		return migrate(ctx, cfg, log)
	}
	m := NewMain(cfg, log)
	m.Dev = cmd == "dev"
	m.Stdout = stdout
	if err := m.Run(ctx); err != nil {
		_ = m.Close()
		return err
	}
	<-ctx.Done()
	log.Info("shutting down")
	return m.Close()
}
