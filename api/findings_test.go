package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// findingStore keeps the findings of incident 7 in memory.
type findingStore struct {
	*fakeStore
	findings []fireline.Finding
}

func newFindingServer(t *testing.T) (*Server, *findingStore) {
	t.Helper()
	_, units, inc := newTestServer(t)
	st := &findingStore{fakeStore: units}
	s := New(DefaultConfig(), Deps{Store: st, Incidents: inc, Locator: fakeLocator{}, Logger: slog.New(slog.DiscardHandler)})
	s.now = func() time.Time { return now }
	return s, st
}

func (f *findingStore) Findings(_ context.Context, id int64) ([]fireline.Finding, error) {
	if id != 7 {
		return nil, fireline.Errorf(fireline.ENOTFOUND, "incident %d does not exist", id)
	}
	return f.findings, nil
}

func (f *findingStore) AddFinding(_ context.Context, fd fireline.Finding) (fireline.Finding, error) {
	if fd.IncidentID != 7 {
		return fireline.Finding{}, fireline.Errorf(fireline.ENOTFOUND, "incident %d does not exist", fd.IncidentID)
	}
	if fd.Corrects != 0 && (fd.Corrects > int64(len(f.findings)) || fd.Corrects < 1) {
		return fireline.Finding{}, fireline.Errorf(fireline.EINVALID, "corrects: incident 7 has no earlier finding %d", fd.Corrects)
	}
	fd.ID = int64(len(f.findings) + 1)
	f.findings = append(f.findings, fd)
	return fd, nil
}

// TestFindingsAPI: who may record findings, what the API checks, and that the author and
// time are the server's, not the request's.
func TestFindingsAPI(t *testing.T) {
	s, st := newFindingServer(t)
	tests := []struct {
		name, token, path, body string
		code                    int
		detail                  string
	}{
		{"risk officer", "risk", "/api/v1/incidents/7/findings",
			`{"category":"response_time","text":"一号车出动用时 95 秒，超过 80 秒标准。"}`, 201, ""},
		{"supervisor, correcting", "supervisor", "/api/v1/incidents/7/findings",
			`{"category":"response_time","text":"Turnout was 85 s by the station log.","corrects":1}`, 201, ""},
		{"administrator", "admin", "/api/v1/incidents/7/findings", `{"category":"other","text":"checked"}`, 201, ""},
		{"an operator may not", "operator", "/api/v1/incidents/7/findings", `{"category":"other","text":"x"}`, 403, "may not"},
		{"a crew may not", "field:E-1", "/api/v1/incidents/7/findings", `{"category":"other","text":"x"}`, 403, "may not"},
		{"unknown category", "risk", "/api/v1/incidents/7/findings", `{"category":"luck","text":"x"}`, 400,
			`category: "luck" is not one of response_time, communication, equipment, procedure, other`},
		{"blank text", "risk", "/api/v1/incidents/7/findings", `{"category":"other","text":"   "}`, 400, "text: write what was found"},
		{"text too long", "risk", "/api/v1/incidents/7/findings",
			`{"category":"other","text":"` + strings.Repeat("水", 2001) + `"}`, 400, "text: 2001 characters, at most 2000"},
		{"an author in the body", "risk", "/api/v1/incidents/7/findings", `{"category":"other","text":"x","author":"chief"}`, 400,
			`unknown field "author"`},
		{"correcting nothing", "risk", "/api/v1/incidents/7/findings", `{"category":"other","text":"x","corrects":99}`, 400,
			"corrects: incident 7 has no earlier finding 99"},
		{"unknown incident", "risk", "/api/v1/incidents/99/findings", `{"category":"other","text":"x"}`, 404, "incident 99"},
		{"bad incident id", "risk", "/api/v1/incidents/x/findings", `{"category":"other","text":"x"}`, 400, "not a positive integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := call(t, s, tt.token, "POST", tt.path, tt.body)
			detail, _ := body["detail"].(string)
			if code != tt.code || (tt.detail != "" && !strings.Contains(detail, tt.detail)) {
				t.Fatalf("%d %v, want %d with %q", code, body, tt.code, tt.detail)
			}
		})
	}
	if len(st.findings) != 3 {
		t.Fatalf("stored %d findings, want 3: %+v", len(st.findings), st.findings)
	}
	if f := st.findings[0]; f.Author != "risk" || f.AuthorRole != fireline.RoleRisk || !f.At.Equal(now) || f.IncidentID != 7 {
		t.Errorf("first finding %+v, want by risk, at the server's time", f)
	}
	if f := st.findings[1]; f.Author != "supervisor" || f.Corrects != 1 {
		t.Errorf("correction %+v", f)
	}

	code, body := call(t, s, "risk", "GET", "/api/v1/incidents/7/findings", "")
	list, _ := body["findings"].([]any)
	if code != 200 || len(list) != 3 {
		t.Fatalf("GET findings: %d %v", code, body)
	}
	first, _ := list[0].(map[string]any)
	if first["category"] != "response_time" || first["author"] != "risk" || first["author_role"] != "risk" ||
		first["at"] != "2026-11-22T09:00:00Z" || first["text"] != "一号车出动用时 95 秒，超过 80 秒标准。" {
		t.Errorf("first finding as JSON: %v", first)
	}
	if code, _ := call(t, s, "operator", "GET", "/api/v1/incidents/7/findings", ""); code != 200 {
		t.Errorf("an operator reading findings: %d, want 200 (every console role reads the review)", code)
	}
	if code, _ := call(t, s, "field:E-1", "GET", "/api/v1/incidents/7/findings", ""); code != 403 {
		t.Errorf("a crew reading findings: %d, want 403", code)
	}
	if code, _ := call(t, s, "risk", "GET", "/api/v1/incidents/99/findings", ""); code != 404 {
		t.Errorf("findings of an unknown incident: %d, want 404", code)
	}
	for _, method := range []string{"PUT", "PATCH", "DELETE"} {
		if code, _ := call(t, s, "admin", method, "/api/v1/incidents/7/findings", `{}`); code != http.StatusMethodNotAllowed {
			t.Errorf("%s findings: %d, want 405: findings are append-only", method, code)
		}
	}
}
