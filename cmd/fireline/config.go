package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/workflows"
)

// Config is everything the fireline command can be told, with its defaults in one place
// (DefaultConfig). Precedence: defaults, then environment, then flags.
type Config struct {
	// HTTPAddr is where the API, console and WHIP/WHEP listen.
	HTTPAddr string
	// DataDir holds the embedded PostgreSQL cluster and Temporal's SQLite file (dev only).
	DataDir string
	// TemporalPort and UIPort are the embedded Temporal frontend and Web UI ports (dev only).
	TemporalPort int
	UIPort       int

	// TemporalAddress, Namespace and DatabaseURL point serve at external services.
	TemporalAddress string
	Namespace       string
	DatabaseURL     string

	// Roles are the parts this process runs: api, worker, media.
	Roles []string
	// DemoPassword is the password of every demo login (dev only).
	DemoPassword string
	// Timers are the supervision intervals of new incidents.
	Timers workflows.Timers
	// ICEServers are the STUN/TURN servers WHIP and WHEP clients are told of, each a stun:,
	// turn: or turns: URL, TURN with ";username=U;credential=P" after it.
	ICEServers []string
	// MediaURL is the public base URL of this process's media server (http://host:port),
	// which API nodes redirect WHIP and WHEP to; empty: http:// and the address --http bound.
	MediaURL string
	// MetricsAddr, if set, serves /metrics without a token on an address of its own, for a
	// Prometheus server on the monitoring network. Off by default: the metrics name incidents.
	MetricsAddr string
	// LogLevel is debug, info, warn or error; LogFormat text or json.
	LogLevel  string
	LogFormat string

	// RecordingsDir is where media nodes write their recordings and API nodes read them (a
	// shared folder when they are separate machines); dev keeps them under DataDir.
	RecordingsDir string
	// RecordingKey signs the URLs that play recordings (FIRELINE_RECORDING_KEY, at least 16
	// bytes); API nodes behind one load balancer need the same. Empty: a random key per process.
	RecordingKey string
	// PersonalDataRetention is how long callers' names, numbers and words are kept after their
	// incident closed; the worker's hourly purge forgets them after it. 0 keeps them forever.
	PersonalDataRetention time.Duration
	// Basemap is a PMTiles v3 file of vector tiles (Protomaps basemap schema) the pages draw
	// under the map; empty: a plain background.
	Basemap string
}

// DefaultConfig holds every default.
func DefaultConfig() Config {
	return Config{
		HTTPAddr:     "127.0.0.1:8080",
		DataDir:      ".fireline",
		TemporalPort: 7233,
		UIPort:       8233,
		Namespace:    "default",
		Roles:        []string{"api", "worker", "media"},
		DemoPassword: "fireline-demo",
		Timers:       workflows.DefaultTimers(),
		LogLevel:     "info",
		LogFormat:    "text",

		RecordingsDir: "recordings",

		PersonalDataRetention: fireline.DefaultPersonalDataRetention,
	}
}

var allRoles = []string{"api", "worker", "media"}

// fromEnv applies the environment over cfg. Only cmd reads the environment. Secrets come from
// here alone, each as NAME or NAME_FILE (secret).
func (cfg *Config) fromEnv(getenv func(string) string) error {
	var errs []error
	set := func(dst *string, key string) {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	setSecret := func(dst *string, key string) {
		v, err := secret(getenv, key)
		errs = append(errs, err)
		if v != "" {
			*dst = v
		}
	}
	set(&cfg.TemporalAddress, "TEMPORAL_ADDRESS")
	set(&cfg.Namespace, "TEMPORAL_NAMESPACE")
	setSecret(&cfg.DatabaseURL, "DATABASE_URL")
	setSecret(&cfg.DemoPassword, "FIRELINE_DEMO_PASSWORD")
	set(&cfg.HTTPAddr, "FIRELINE_HTTP")
	set(&cfg.LogLevel, "FIRELINE_LOG_LEVEL")
	setSecret(&cfg.RecordingKey, "FIRELINE_RECORDING_KEY")
	set(&cfg.MediaURL, "FIRELINE_MEDIA_URL")
	set(&cfg.MetricsAddr, "FIRELINE_METRICS")
	var ice string
	setSecret(&ice, "FIRELINE_ICE_SERVERS")
	// One server per line or space; the flags add theirs after these.
	cfg.ICEServers = append(cfg.ICEServers, strings.Fields(ice)...)
	if v := getenv("FIRELINE_PERSONAL_DATA_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("FIRELINE_PERSONAL_DATA_RETENTION: %q is not a duration (e.g. 2160h)", v))
		}
		cfg.PersonalDataRetention = d
	}
	return errors.Join(errs...)
}

// parse reads the flags of a command over cfg.
func (cfg *Config) parse(cmd string, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("fireline "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	roles := strings.Join(cfg.Roles, ",")
	switch cmd {
	case "dev":
		fs.StringVar(&cfg.HTTPAddr, "http", cfg.HTTPAddr, "address of the API, console and media signalling")
		fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "folder for the embedded PostgreSQL and Temporal data")
		fs.IntVar(&cfg.TemporalPort, "temporal-port", cfg.TemporalPort, "embedded Temporal frontend port")
		fs.IntVar(&cfg.UIPort, "ui-port", cfg.UIPort, "Temporal Web UI port (-1 disables it)")
	case "serve":
		fs.StringVar(&cfg.HTTPAddr, "http", cfg.HTTPAddr, "address of the API, console and media signalling")
		fs.StringVar(&roles, "roles", roles, "comma-separated roles to run: api, worker, media")
		fs.StringVar(&cfg.RecordingsDir, "recordings", cfg.RecordingsDir, "folder of the video recordings (media writes, api reads)")
	}
	fs.DurationVar(&cfg.Timers.CallProcessing, "call-processing", cfg.Timers.CallProcessing, "alarm → first dispatch before escalation")
	fs.DurationVar(&cfg.Timers.Acknowledge, "ack-timeout", cfg.Timers.Acknowledge, "dispatch → crew acknowledgement before escalation")
	fs.DurationVar(&cfg.Timers.Assessment, "assessment", cfg.Timers.Assessment, "alarm → incident assessed before escalation")
	fs.DurationVar(&cfg.Timers.Turnout, "turnout", cfg.Timers.Turnout, "dispatch → en route before escalation, for fires (EMS incidents: 60s)")
	fs.DurationVar(&cfg.Timers.FirstArrival, "first-arrival", cfg.Timers.FirstArrival, "first unit en route → first on scene before escalation")
	fs.DurationVar(&cfg.Timers.FullAlarm, "full-alarm", cfg.Timers.FullAlarm, "first unit en route → the whole first alarm on scene before escalation")
	fs.DurationVar(&cfg.Timers.PARInterval, "par-interval", cfg.Timers.PARInterval, "how often a PAR is due while crews work the scene")
	fs.DurationVar(&cfg.Timers.PARGrace, "par-grace", cfg.Timers.PARGrace, "PAR due → confirmed before escalation")
	if cmd == "dev" || cmd == "serve" {
		fs.Func("ice-server", "a STUN/TURN server for WHIP/WHEP clients (repeatable): stun:host:port, or turn:host:port?transport=udp;username=U (a TURN credential goes in FIRELINE_ICE_SERVERS or FIRELINE_ICE_SERVERS_FILE: a flag shows in ps)", func(v string) error {
			if strings.Contains(v, ";credential=") {
				return errors.New("a TURN credential on the command line shows in ps to every user: put the server in FIRELINE_ICE_SERVERS or FIRELINE_ICE_SERVERS_FILE")
			}
			cfg.ICEServers = append(cfg.ICEServers, v)
			return nil
		})
		fs.StringVar(&cfg.MediaURL, "media-url", cfg.MediaURL, "public base URL of this node's media server, e.g. http://10.0.0.5:8080 (default: the --http address)")
		fs.StringVar(&cfg.MetricsAddr, "metrics", cfg.MetricsAddr, "address for an unauthenticated /metrics listener (default off; /metrics on --http takes a console token)")
		fs.StringVar(&cfg.Basemap, "basemap", cfg.Basemap, "a PMTiles file of vector tiles (Protomaps basemap schema) drawn under the map (default none: a plain background)")
	}
	if cmd == "dev" || cmd == "serve" {
		fs.DurationVar(&cfg.PersonalDataRetention, "personal-data-retention", cfg.PersonalDataRetention, "how long callers' names, numbers and words are kept after their incident closed (0: forever); an hourly purge forgets them")
	}
	fs.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error")
	fs.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "text or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	cfg.Roles = strings.Split(roles, ",")
	return nil
}

// validate checks cfg for the given command.
func (cfg *Config) validate(cmd string) error {
	var errs []error
	for _, r := range cfg.Roles {
		if !slices.Contains(allRoles, r) {
			errs = append(errs, fmt.Errorf("role %q: want api, worker or media", r))
		}
	}
	for _, d := range []time.Duration{cfg.Timers.Assessment, cfg.Timers.CallProcessing, cfg.Timers.Acknowledge, cfg.Timers.Turnout,
		cfg.Timers.FirstArrival, cfg.Timers.FullAlarm, cfg.Timers.PARInterval, cfg.Timers.PARGrace} {
		if d < time.Second {
			errs = append(errs, fmt.Errorf("timer %s: timers must be at least 1s", d))
			break
		}
	}
	if cfg.RecordingKey != "" && len(cfg.RecordingKey) < 16 {
		errs = append(errs, errors.New("FIRELINE_RECORDING_KEY must be at least 16 bytes"))
	}
	if _, err := iceServers(cfg.ICEServers); err != nil {
		errs = append(errs, err)
	}
	if cfg.MediaURL != "" {
		if u, err := url.Parse(cfg.MediaURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			errs = append(errs, fmt.Errorf("media URL %q: want http(s)://host:port", cfg.MediaURL))
		}
	}
	if r := cfg.PersonalDataRetention; r < 0 || (r > 0 && r < time.Hour) {
		errs = append(errs, fmt.Errorf("personal data retention %s: want 0 (keep forever) or at least 1h", r))
	}
	if _, err := parseLevel(cfg.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log format %q: want text or json", cfg.LogFormat))
	}
	switch cmd {
	case "serve":
		if cfg.RecordingsDir == "" && (cfg.has("api") || cfg.has("media")) {
			errs = append(errs, errors.New("--recordings must name a folder"))
		}
		if cfg.DatabaseURL == "" {
			errs = append(errs, errors.New("DATABASE_URL is required"))
		}
		if cfg.TemporalAddress == "" && (cfg.has("api") || cfg.has("worker")) {
			errs = append(errs, errors.New("TEMPORAL_ADDRESS is required"))
		}
	case "migrate":
		if cfg.DatabaseURL == "" {
			errs = append(errs, errors.New("DATABASE_URL is required"))
		}
	case "dev":
		if cfg.DataDir == "" {
			errs = append(errs, errors.New("--data must name a folder"))
		}
		if cfg.DemoPassword == "" {
			errs = append(errs, errors.New("FIRELINE_DEMO_PASSWORD must not be empty"))
		}
	}
	return errors.Join(errs...)
}

func (cfg *Config) has(role string) bool { return slices.Contains(cfg.Roles, role) }

// iceServers reads --ice-server values: a URL, then ";username=…;credential=…" for TURN.
func iceServers(vals []string) ([]fireline.ICEServer, error) {
	var out []fireline.ICEServer
	for _, v := range vals {
		parts := strings.Split(v, ";")
		s := fireline.ICEServer{URL: parts[0]}
		for _, p := range parts[1:] {
			k, val, _ := strings.Cut(p, "=")
			switch k {
			case "username":
				s.Username = val
			case "credential":
				s.Credential = val
			default:
				return nil, fmt.Errorf("ice server %q: unknown attribute %q (want username= and credential=)", parts[0], k)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("log level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	level, _ := parseLevel(cfg.LogLevel)
	// Whatever component logs a caller's number under a phone attribute, the line shows its mask.
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: maskPhones}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
