package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"

	"github.com/fireline/fireline/api"
)

// listenTLS serves TLS on ln with the certificate chain and key of the PEM files
// (--tls-cert, --tls-key). Loading them here makes a wrong path or a key that does not match
// its certificate an error at start, not at the first browser's handshake. TLS 1.2 is the
// oldest version taken: every browser a dispatch centre runs speaks it.
func listenTLS(ln net.Listener, certFile, keyFile string) (net.Listener, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: load --tls-cert %s and --tls-key %s: %w", certFile, keyFile, err)
	}
	return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), nil
}

// scheme is how clients reach the HTTP listener: https when it serves TLS.
func (cfg *Config) scheme() string {
	if cfg.TLSCert != "" {
		return "https"
	}
	return "http"
}

// mediaOrigins are the origins the pages may reach for WHIP and WHEP besides their own: this
// node's --media-url, when it differs, and --media-origin.
func mediaOrigins(cfg Config) []string {
	var out []string
	for _, o := range append([]string{cfg.MediaURL}, cfg.MediaOrigins...) {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			out = append(out, u.Scheme+"://"+u.Host)
		}
	}
	return out
}

// rateLimits are the API's request budgets with the intake's from --intake-rate.
func rateLimits(cfg Config) api.RateLimits {
	l := api.DefaultRateLimits()
	l.Intake = api.RateLimit{Rate: cfg.IntakeRate, Burst: int(10 * cfg.IntakeRate)}
	if cfg.LoginRate > 0 {
		// A shift signs in within a minute: the whole minute's attempts may come at once.
		l.Login = api.RateLimit{Rate: float64(cfg.LoginRate) / 60, Burst: cfg.LoginRate}
	}
	return l
}
