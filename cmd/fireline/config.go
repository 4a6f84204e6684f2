package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/exchange"
	"github.com/fireline/fireline/media"
	"github.com/fireline/fireline/oidc"
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
	// PprofAddr, if set, serves Go's runtime profiles (/debug/pprof/) on a loopback address of
	// its own, for measuring the embedded stack under load (dev only; no authentication).
	PprofAddr string

	// TemporalAddress, Namespace and DatabaseURL point serve at external services.
	TemporalAddress string
	Namespace       string
	DatabaseURL     string
	// MigrateDatabaseURL is the schema owner's connection (FIRELINE_MIGRATE_DATABASE_URL).
	// DatabaseURL is the application's role, which may not change the audit log, so it cannot
	// migrate either: fireline migrate uses this URL, and serve, given it, migrates at start.
	MigrateDatabaseURL string
	// TrustedProxies are the reverse proxies (addresses or CIDR prefixes) whose
	// X-Forwarded-For the audit log believes (FIRELINE_TRUSTED_PROXIES, comma-separated).
	TrustedProxies []string

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
	// RecordingsMinFree is the media node's reserve on the recordings disk, in bytes: below
	// it nothing is recorded (live video goes on), and the recording in progress is cut short
	// cleanly before the disk is full. 0 turns it off: only a write refused for want of space
	// stops recording. RecordingsCheck is how often the free space is read, and when
	// recording resumes once space is back.
	RecordingsMinFree int64
	RecordingsCheck   time.Duration
	// RecordingKey signs the URLs that play recordings (FIRELINE_RECORDING_KEY, at least 16
	// bytes); API nodes behind one load balancer need the same. Empty: a random key per process.
	RecordingKey string
	// PersonalDataRetention is how long callers' names, numbers and words are kept after their
	// incident closed; the worker's hourly purge forgets them after it. 0 keeps them forever.
	PersonalDataRetention time.Duration
	// RiskInterval is how often the worker's schedule recomputes the fire-risk grid's history
	// and premises factors (warnings are read live); 0 turns the scheduled runs off.
	RiskInterval time.Duration
	// Basemap is a PMTiles v3 file of vector tiles (Protomaps basemap schema) the pages draw
	// under the map; empty: a plain background.
	Basemap string

	// LoginRate is how many login attempts a minute one client address may make on an API
	// node; 0 keeps the default budget (dev's, whose crews all sign in from one address).
	LoginRate int
	// AdminPasswordFile, when serve finds no administrator, holds the first one's password
	// (FIRELINE_ADMIN_PASSWORD_FILE), and AdminUsername names it (FIRELINE_ADMIN_USERNAME).
	AdminPasswordFile string
	AdminUsername     string
	// OIDC signs people in through the centre's directory when OIDC.Issuer is set; the client
	// secret comes from FIRELINE_OIDC_CLIENT_SECRET only, never a flag.
	OIDC oidc.Config
	// TLSCert and TLSKey are PEM files of the HTTP listener's certificate chain and key: with
	// both, the API, console and WHIP/WHEP are served over TLS only.
	TLSCert string
	TLSKey  string
	// IntakeRate is how many alarms, warnings and position fixes a second one gateway or
	// address may post, sustained; ten seconds' worth may come at once.
	IntakeRate float64
	// MediaOrigins are other media nodes' public URLs the pages may be redirected to for
	// WHIP and WHEP (their content security policy allows them).
	MediaOrigins []string
	// Understaffed is what the recommendation does with a unit below its minimum staffing:
	// flag it (recommended, saying why) or skip it for the next suitable unit.
	Understaffed fireline.Understaffed

	// TimeZone is the centre's IANA time zone, whose calendar dates the analytics count live
	// incidents by; AnalyticsTargets the response-time targets they are held to.
	TimeZone         string
	AnalyticsTargets fireline.IntervalTargets
	// EIDO names the centre in the NENA EIDO documents it issues (--eido-agency-id).
	EIDO exchange.EIDOConfig
	// CAP is how the centre publishes its public alerts: its CAP sender address and names,
	// and the public URL of its feed.
	CAP exchange.CAPConfig

	// GB26875Addr is where the api role listens for buildings' user information transmission
	// devices speaking GB/T 26875.3 over TCP; empty: no listener (serve's default). dev
	// listens on DevGB26875Addr.
	GB26875Addr string
	// DeviceOfflineAfter is how long a transmission device may be silent before its building's
	// board shows it offline.
	DeviceOfflineAfter time.Duration
	// SimulateDevices has dev connect a simulated transmission device for each of the sample
	// city's, sending heartbeats (dev only).
	SimulateDevices bool
}

// DevGB26875Addr is where fireline dev listens for transmission devices: the standard's
// number, so `fireline devicesim` finds it without being told.
const DevGB26875Addr = "127.0.0.1:26875"

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
		IntakeRate:    200,
		Understaffed:  fireline.UnderstaffedFlag,
		LoginRate:     10,
		AdminUsername: "admin",

		RecordingsMinFree: media.DefaultMinFree,
		RecordingsCheck:   media.DefaultCheckEvery,

		PersonalDataRetention: fireline.DefaultPersonalDataRetention,

		TimeZone:         fireline.DefaultCentreTimeZone,
		AnalyticsTargets: fireline.DefaultIntervalTargets(),
		RiskInterval:     workflows.DefaultRiskInterval,

		DeviceOfflineAfter: fireline.DefaultDeviceOfflineAfter,
		SimulateDevices:    true,
		EIDO:               exchange.DefaultEIDOConfig(),

		CAP: exchange.DefaultCAPConfig(),
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
	setSecret(&cfg.MigrateDatabaseURL, "FIRELINE_MIGRATE_DATABASE_URL")
	if v := getenv("FIRELINE_TRUSTED_PROXIES"); v != "" {
		cfg.TrustedProxies = strings.Split(v, ",")
	}
	setSecret(&cfg.DemoPassword, "FIRELINE_DEMO_PASSWORD")
	set(&cfg.HTTPAddr, "FIRELINE_HTTP")
	set(&cfg.LogLevel, "FIRELINE_LOG_LEVEL")
	setSecret(&cfg.RecordingKey, "FIRELINE_RECORDING_KEY")
	set(&cfg.MediaURL, "FIRELINE_MEDIA_URL")
	set(&cfg.MetricsAddr, "FIRELINE_METRICS")
	set(&cfg.AdminPasswordFile, "FIRELINE_ADMIN_PASSWORD_FILE")
	set(&cfg.AdminUsername, "FIRELINE_ADMIN_USERNAME")
	setSecret(&cfg.OIDC.ClientSecret, "FIRELINE_OIDC_CLIENT_SECRET")
	var ice string
	setSecret(&ice, "FIRELINE_ICE_SERVERS")
	// One server per line or space; the flags add theirs after these.
	cfg.ICEServers = append(cfg.ICEServers, strings.Fields(ice)...)
	setDuration := func(dst *time.Duration, key, example string) {
		if v := getenv(key); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a duration (e.g. %s)", key, v, example))
				return
			}
			*dst = d
		}
	}
	setDuration(&cfg.PersonalDataRetention, "FIRELINE_PERSONAL_DATA_RETENTION", "2160h")
	setDuration(&cfg.RiskInterval, "FIRELINE_RISK_INTERVAL", "15m")
	if v := getenv("FIRELINE_RECORDINGS_MIN_FREE"); v != "" {
		n, err := parseByteSize(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("FIRELINE_RECORDINGS_MIN_FREE: %w", err))
		}
		cfg.RecordingsMinFree = n
	}
	set(&cfg.GB26875Addr, "FIRELINE_GB26875")
	setDuration(&cfg.DeviceOfflineAfter, "FIRELINE_DEVICE_OFFLINE_AFTER", "3m")
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
		fs.StringVar(&cfg.PprofAddr, "pprof", cfg.PprofAddr, "loopback address for Go's runtime profiles at /debug/pprof/ (default off)")
		fs.BoolVar(&cfg.SimulateDevices, "simulate-devices", cfg.SimulateDevices, "connect a simulated transmission device, with its heartbeat, for each of the sample city's buildings' devices")
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
		fs.IntVar(&cfg.LoginRate, "login-rate", cfg.LoginRate, "login attempts a minute allowed from one client address (0: the default budget, 60 a minute in bursts of 20)")
		fs.StringVar(&cfg.OIDC.Issuer, "oidc-issuer", cfg.OIDC.Issuer, "issuer URL of the centre's OpenID Connect directory (default none: password sign-in only)")
		fs.StringVar(&cfg.OIDC.ClientID, "oidc-client-id", cfg.OIDC.ClientID, "Fireline's client id at the directory (the secret: FIRELINE_OIDC_CLIENT_SECRET)")
		fs.StringVar(&cfg.OIDC.RedirectURL, "oidc-redirect-url", cfg.OIDC.RedirectURL, "public URL of /api/v1/auth/oidc/callback, as registered at the directory")
		fs.StringVar(&cfg.OIDC.UsernameClaim, "oidc-username-claim", cfg.OIDC.UsernameClaim, "ID token claim used as the username (default preferred_username)")
		fs.StringVar(&cfg.OIDC.GroupsClaim, "oidc-groups-claim", cfg.OIDC.GroupsClaim, "ID token claim listing the person's groups (default groups)")
		fs.Func("oidc-role", "role=group: members of the directory group get the role (repeatable; the first match wins)", func(v string) error {
			m, err := oidc.ParseRoleMapping(v)
			if err == nil {
				cfg.OIDC.Roles = append(cfg.OIDC.Roles, m)
			}
			return err
		})
		fs.Func("trusted-proxy", "a reverse proxy (address or CIDR) whose X-Forwarded-For names the client in the audit log (repeatable)", func(v string) error {
			cfg.TrustedProxies = append(cfg.TrustedProxies, v)
			return nil
		})
		fs.Float64Var(&cfg.IntakeRate, "intake-rate", cfg.IntakeRate, "alarms, warnings and position fixes a second per gateway and per address (10 s of it at once); beyond it 429")
		fs.StringVar(&cfg.TLSCert, "tls-cert", cfg.TLSCert, "PEM certificate chain: serve --http over TLS (with --tls-key)")
		fs.StringVar(&cfg.TLSKey, "tls-key", cfg.TLSKey, "PEM private key of --tls-cert")
		fs.Func("media-origin", "another media node's public URL the pages may be sent to for video (repeatable), e.g. https://10.0.0.6:8443", func(v string) error {
			cfg.MediaOrigins = append(cfg.MediaOrigins, v)
			return nil
		})
		// Public alerts (CAP): who they are from, and where the public polls them.
		fs.StringVar(&cfg.CAP.Sender.Address, "cap-sender", cfg.CAP.Sender.Address, "the centre's CAP sender address on its public alerts, e.g. cap@119.example.gov.cn")
		fs.StringVar(&cfg.CAP.Sender.Name, "cap-sender-name", cfg.CAP.Sender.Name, "the centre's name on its public alerts, in Chinese")
		fs.StringVar(&cfg.CAP.Sender.NameEn, "cap-sender-name-en", cfg.CAP.Sender.NameEn, "the centre's name on its public alerts, in English")
		fs.StringVar(&cfg.CAP.PublicURL, "cap-public-url", cfg.CAP.PublicURL, "public base URL the CAP feed's links start with, e.g. https://alerts.example.gov.cn (default: the URL the feed was asked at)")
		fs.Func("understaffed", "a unit below its minimum staffing is recommended and flagged (flag, the default) or left out (skip)", func(v string) error {
			cfg.Understaffed = fireline.Understaffed(v)
			return nil
		})
	}
	if cmd == "dev" || cmd == "serve" {
		cfg.analyticsFlags(fs)
		fs.StringVar(&cfg.EIDO.AgencyID, "eido-agency-id", cfg.EIDO.AgencyID, "the centre's agency id in the NENA EIDO documents it issues: a domain name it holds; joint agencies are named under its parent domain")
	}
	if cmd == "dev" || cmd == "serve" {
		fs.DurationVar(&cfg.PersonalDataRetention, "personal-data-retention", cfg.PersonalDataRetention, "how long callers' names, numbers and words are kept after their incident closed (0: forever); an hourly purge forgets them")
		fs.StringVar(&cfg.GB26875Addr, "gb26875", cfg.GB26875Addr, "address of the listener for buildings' transmission devices (GB/T 26875.3 over TCP), e.g. :26875 (default: none in serve, "+DevGB26875Addr+" in dev)")
		fs.DurationVar(&cfg.DeviceOfflineAfter, "device-offline-after", cfg.DeviceOfflineAfter, "how long a transmission device may be silent before its building's board shows it offline")
		fs.DurationVar(&cfg.RiskInterval, "risk-interval", cfg.RiskInterval, "how often the fire-risk grid is recomputed from the incident history and key premises (0: never; warnings count at once)")
	}
	if cmd == "dev" || cmd == "serve" {
		fs.Func("recordings-min-free", "free space the media node keeps on the recordings disk, e.g. 512MiB, 2GiB: below it recording stops cleanly until space is back, live video goes on (0: none, stop only when the disk is full) (default 512MiB)", func(v string) error {
			n, err := parseByteSize(v)
			cfg.RecordingsMinFree = n
			return err
		})
		fs.DurationVar(&cfg.RecordingsCheck, "recordings-check", cfg.RecordingsCheck, "how often the media node reads the recordings disk's free space, and resumes recording once space is back")
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
	if _, err := trustedProxies(cfg.TrustedProxies); err != nil {
		errs = append(errs, err)
	}
	if cfg.MediaURL != "" {
		if u, err := url.Parse(cfg.MediaURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			errs = append(errs, fmt.Errorf("media URL %q: want http(s)://host:port", cfg.MediaURL))
		}
	}
	if cfg.LoginRate < 0 {
		errs = append(errs, fmt.Errorf("--login-rate %d: want 0 or more", cfg.LoginRate))
	}
	if cfg.OIDC.Issuer != "" {
		if err := cfg.OIDC.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.IntakeRate < 1 {
		errs = append(errs, fmt.Errorf("--intake-rate %g: want at least 1 a second", cfg.IntakeRate))
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	for _, o := range cfg.MediaOrigins {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			errs = append(errs, fmt.Errorf("media origin %q: want http(s)://host:port", o))
		}
	}
	if err := cfg.EIDO.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("--eido-agency-id: %s", fireline.ErrorMessage(err)))
	}
	if err := cfg.CAP.Validate(); err != nil {
		errs = append(errs, err)
	}
	if !cfg.Understaffed.Valid() {
		errs = append(errs, fmt.Errorf("understaffed %q: want flag or skip", cfg.Understaffed))
	}
	if r := cfg.PersonalDataRetention; r < 0 || (r > 0 && r < time.Hour) {
		errs = append(errs, fmt.Errorf("personal data retention %s: want 0 (keep forever) or at least 1h", r))
	}
	if cfg.GB26875Addr != "" {
		if _, _, err := net.SplitHostPort(cfg.GB26875Addr); err != nil {
			errs = append(errs, fmt.Errorf("--gb26875 %q: want host:port (%v)", cfg.GB26875Addr, err))
		}
	}
	if d := cfg.DeviceOfflineAfter; d < 10*time.Second || d > 24*time.Hour {
		errs = append(errs, fmt.Errorf("--device-offline-after %s: want 10s to 24h (devices send their state every minute or so)", d))
	}
	if r := cfg.RiskInterval; r < 0 || (r > 0 && r < time.Minute) {
		errs = append(errs, fmt.Errorf("risk interval %s: want 0 (never) or at least 1m", r))
	}
	if cfg.RecordingsCheck < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("--recordings-check %s: at least 100ms", cfg.RecordingsCheck))
	}
	if _, err := parseLevel(cfg.LogLevel); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, cfg.validateAnalytics())
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
		if cfg.MigrateDatabaseURL == "" && cfg.DatabaseURL == "" {
			errs = append(errs, errors.New("FIRELINE_MIGRATE_DATABASE_URL (the schema owner's) is required"))
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

// trustedProxies reads --trusted-proxy values: an IP address or a CIDR prefix.
func trustedProxies(vals []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range vals {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if p, err := netip.ParsePrefix(v); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want an IP address or a CIDR prefix such as 10.0.0.0/8", v)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
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
