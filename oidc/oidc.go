// Package oidc signs people in through a command centre's directory with OpenID Connect: the
// authorization code flow with PKCE and a nonce, the ID token verified against the issuer's
// published keys, and the directory's groups mapped to Fireline roles. It is the only importer
// of go-oidc and golang.org/x/oauth2; what it returns speaks the domain's types.
package oidc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/fireline/fireline"
)

// RoleMapping gives Role to members of the directory group Group. Mappings are tried in the
// order configured, so a person in two groups gets the first mapping's role.
type RoleMapping struct {
	Role  fireline.Role
	Group string
}

// ParseRoleMapping reads "role=group", as the --oidc-role flag takes it. The group is
// everything after the first '=' (directory group names may hold '=' and ',').
func ParseRoleMapping(s string) (RoleMapping, error) {
	role, group, ok := strings.Cut(s, "=")
	m := RoleMapping{Role: fireline.Role(role), Group: group}
	switch {
	case !ok || group == "":
		return m, fmt.Errorf("oidc role %q: want role=group", s)
	case !m.Role.Valid():
		return m, fmt.Errorf("oidc role %q: %q is not a role", s, role)
	case m.Role == fireline.RoleField || m.Role == fireline.RoleGateway:
		return m, fmt.Errorf("oidc role %q: the %s role is not given through the directory", s, role)
	}
	return m, nil
}

// Config is how Fireline is registered with the directory.
type Config struct {
	// Issuer is the directory's issuer URL; its /.well-known/openid-configuration is read at
	// start.
	Issuer string
	// ClientID and ClientSecret are Fireline's registration (a confidential client).
	ClientID     string
	ClientSecret string
	// RedirectURL is where the directory sends people back: the public URL of
	// /api/v1/auth/oidc/callback, as registered.
	RedirectURL string
	// UsernameClaim names the claim used as the username (default preferred_username);
	// GroupsClaim the claim listing the person's groups (default groups).
	UsernameClaim string
	GroupsClaim   string
	// Roles map directory groups to roles; a person in none of them is not let in.
	Roles []RoleMapping
}

// Validate checks cfg before anything is dialled.
func (cfg Config) Validate() error {
	var errs []error
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		errs = append(errs, errors.New("oidc: issuer, client id and redirect URL are all required"))
	}
	if cfg.ClientSecret == "" {
		errs = append(errs, errors.New("oidc: the client secret is required (FIRELINE_OIDC_CLIENT_SECRET or its _FILE)"))
	}
	if len(cfg.Roles) == 0 {
		errs = append(errs, errors.New("oidc: map at least one directory group to a role (--oidc-role role=group)"))
	}
	return errors.Join(errs...)
}

// Provider is one directory, discovered and ready to sign people in.
type Provider struct {
	cfg      Config
	oauth    oauth2.Config
	verifier *gooidc.IDTokenVerifier
}

// New discovers the issuer's endpoints and keys. The context bounds the discovery only.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.UsernameClaim == "" {
		cfg.UsernameClaim = "preferred_username"
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	// go-oidc keeps the context for fetching keys later; it must outlive this call.
	p, err := gooidc.NewProvider(gooidc.ClientContext(context.WithoutCancel(ctx), nil), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: discover %s: %w", cfg.Issuer, err)
	}
	scopes := []string{gooidc.ScopeOpenID, "profile", "email"}
	if cfg.GroupsClaim == "groups" {
		scopes = append(scopes, "groups")
	}
	return &Provider{
		cfg: cfg,
		oauth: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: scopes,
		},
		verifier: p.Verifier(&gooidc.Config{ClientID: cfg.ClientID}),
	}, nil
}

// AuthCodeURL is where a person is sent to sign in: state and nonce tie the answer to this
// browser and this request, and verifier (PKCE, S256) to this exchange.
func (p *Provider) AuthCodeURL(state, nonce, verifier string) string {
	return p.oauth.AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
}

// Identify exchanges the code the directory sent back for an ID token, verifies it
// (signature, issuer, audience, expiry, nonce) and says who it names. A directory that
// refuses or a token that fails a check is EUNAUTHORIZED; a person in no mapped group is
// EFORBIDDEN.
func (p *Provider) Identify(ctx context.Context, code, verifier, nonce string) (fireline.DirectoryIdentity, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return fireline.DirectoryIdentity{}, fmt.Errorf("%w: %w", fireline.Errorf(fireline.EUNAUTHORIZED, "the directory refused the sign-in code"), err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return fireline.DirectoryIdentity{}, fireline.Errorf(fireline.EUNAUTHORIZED, "the directory answered without an ID token")
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return fireline.DirectoryIdentity{}, fmt.Errorf("%w: %w", fireline.Errorf(fireline.EUNAUTHORIZED, "the directory's ID token failed verification"), err)
	}
	if idt.Nonce != nonce {
		return fireline.DirectoryIdentity{}, fireline.Errorf(fireline.EUNAUTHORIZED, "the directory's ID token answers another sign-in (nonce)")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return fireline.DirectoryIdentity{}, fireline.Errorf(fireline.EUNAUTHORIZED, "the directory's ID token has unreadable claims")
	}
	username, _ := claims[p.cfg.UsernameClaim].(string)
	id := fireline.DirectoryIdentity{
		Issuer: idt.Issuer, Subject: idt.Subject, Username: username,
		Role: p.role(groups(claims[p.cfg.GroupsClaim])),
	}
	return id, id.Validate()
}

// role is the first mapping whose group the person is in; "" when none.
func (p *Provider) role(groups []string) fireline.Role {
	for _, m := range p.cfg.Roles {
		if slices.Contains(groups, m.Group) {
			return m.Role
		}
	}
	return ""
}

// groups reads a groups claim: a list of strings, or one string.
func groups(v any) []string {
	switch g := v.(type) {
	case string:
		return []string{g}
	case []any:
		out := make([]string, 0, len(g))
		for _, e := range g {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
