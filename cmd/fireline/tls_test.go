package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline/api"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key as PEM files.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fireline test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// The API served on a listenTLS listener answers over TLS, with Strict-Transport-Security,
// and a plain-HTTP request to it gets no answer of the API's.
func TestServeTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tln, err := listenTLS(ln, certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: api.New(api.DefaultConfig(), api.Deps{Logger: slog.New(slog.DiscardHandler)}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(tln) }()
	t.Cleanup(func() { _ = srv.Close() })

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := client.Get("https://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK || res.TLS == nil || !strings.Contains(string(body), "ok") {
		t.Fatalf("https /healthz: %d, TLS %v, %s", res.StatusCode, res.TLS != nil, body)
	}
	if hsts := res.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(hsts, "max-age=") {
		t.Fatalf("Strict-Transport-Security = %q over TLS", hsts)
	}

	plain := &http.Client{Timeout: 5 * time.Second}
	if res, err := plain.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		b, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if strings.Contains(string(b), `"status":"ok"`) {
			t.Fatalf("plain HTTP got the API's answer: %d %s", res.StatusCode, b)
		}
	}
}

func TestTLSConfig(t *testing.T) {
	certFile, keyFile, _ := selfSigned(t)
	for _, c := range []struct {
		name      string
		cert, key string
		want      string
	}{
		{"cert without key", certFile, "", "--tls-cert and --tls-key go together"},
		{"key without cert", "", keyFile, "--tls-cert and --tls-key go together"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.TLSCert, cfg.TLSKey = c.cert, c.key
			if err := cfg.validate("dev"); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("validate: %v, want %q", err, c.want)
			}
		})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// The key of another certificate: refused at start.
	_, otherKey, _ := selfSigned(t)
	if _, err := listenTLS(ln, certFile, otherKey); err == nil || !strings.Contains(err.Error(), "--tls-cert") {
		t.Fatalf("mismatched key: %v", err)
	}
	var cfg Config
	if err := cfg.parse("serve", []string{"--tls-cert", certFile, "--tls-key", keyFile}, io.Discard); err != nil || cfg.TLSCert != certFile || cfg.scheme() != "https" {
		t.Fatalf("parse: %v, %+v", err, cfg)
	}
}

// FuzzICEServers: an --ice-server value either reads as a URL with TURN credentials or is
// refused; the URL is what came before the first ";", never more. (Not in fuzz-smoke: this
// package links the Temporal server, whose instrumented build alone would take minutes.)
func FuzzICEServers(f *testing.F) {
	for _, s := range []string{"stun:stun.example.com:3478", "turn:10.0.0.1:3478?transport=udp;username=u;credential=p",
		"turns:x;username=a=b;credential=", "turn:x;password=p", ";;", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		servers, err := iceServers([]string{v})
		if err != nil {
			return
		}
		if len(servers) != 1 || servers[0].URL != strings.Split(v, ";")[0] {
			t.Fatalf("%q read as %+v", v, servers)
		}
	})
}

// --intake-rate sets the devices' budget, ten seconds of it at once; less than one a second
// is refused.
func TestIntakeRate(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.parse("serve", []string{"--intake-rate", "500"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if l := rateLimits(cfg); l.Intake.Rate != 500 || l.Intake.Burst != 5000 || l.Login != (api.RateLimit{Rate: 10.0 / 60, Burst: 10}) {
		t.Fatalf("rate limits %+v; want serve's ten logins a minute", l)
	}
	// dev keeps the default login budget: its crews all sign in from one machine.
	cfg.LoginRate = 0
	if l := rateLimits(cfg); l.Login != api.DefaultRateLimits().Login {
		t.Fatalf("dev's login budget %+v", l.Login)
	}
	cfg.IntakeRate = 0.5
	if err := cfg.validate("dev"); err == nil || !strings.Contains(err.Error(), "--intake-rate") {
		t.Fatalf("validate: %v", err)
	}
}
