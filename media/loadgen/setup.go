package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// setupFireline prepares n publishing slots on a running Fireline (`fireline dev`): it signs in
// as the operator, raises incidents through the API at places apart, assesses each and
// dispatches its recommended units until n are dispatched, and signs in each unit's crew, since
// only a dispatched crew may publish. Viewers play as the operator, as a console does.
func setupFireline(ctx context.Context, client *http.Client, base, password string, n int) ([]Slot, error) {
	base = strings.TrimRight(base, "/")
	api := fireAPI{client: client, base: base}
	op, err := api.login(ctx, "operator", password)
	if err != nil {
		return nil, err
	}
	var slots []Slot
	for i, at := range scenes {
		if len(slots) >= n {
			break
		}
		id, units, err := api.incident(ctx, op, i, at)
		if err != nil {
			return nil, err
		}
		media := fmt.Sprintf("%s/api/v1/media/incidents/%d", base, id)
		for _, u := range units {
			crew, err := api.login(ctx, "crew-"+u, password)
			if err != nil {
				return nil, err
			}
			slots = append(slots, Slot{Stream: u, WHIP: media + "/whip", WHIPToken: crew, WHEP: media + "/streams/" + u + "/whep", WHEPToken: op})
		}
	}
	if len(slots) < n {
		return nil, fmt.Errorf("%d units dispatched over %d incidents, want %d", len(slots), len(scenes), n)
	}
	return slots[:n], nil
}

// scenes are places in the sample city far enough apart (5–10 km) that their alarms open
// separate incidents, each with its own nearest units.
var scenes = [][2]float64{
	{36.4560, 115.9850}, {36.4000, 115.9000}, {36.5000, 116.0600}, {36.3500, 116.0200},
	{36.5200, 115.9200}, {36.4300, 116.1200}, {36.3300, 115.9300}, {36.5600, 116.0000},
}

// incident raises a structure fire at a scene, assesses it at level 2 and dispatches the units
// it recommends; it returns the incident and those units.
func (a fireAPI) incident(ctx context.Context, op string, i int, at [2]float64) (int64, []string, error) {
	var receipt struct {
		IncidentID int64 `json:"incident_id"`
	}
	now := time.Now().UTC()
	if err := a.call(ctx, "POST", "/api/v1/alarms", op, map[string]any{
		"source": "call", "source_id": fmt.Sprintf("bench-media-%d-%d", now.UnixNano(), i), "type": "structure_fire",
		"lat": at[0], "lng": at[1], "address": "media benchmark", "description": "load test of the media server",
		"reported_at": now.Format(time.RFC3339),
	}, &receipt); err != nil {
		return 0, nil, err
	}
	id := receipt.IncidentID
	path := fmt.Sprintf("/api/v1/incidents/%d", id)
	// The incident's workflow starts with the alarm and recommends shortly after.
	var inc struct {
		Recommendation []struct {
			UnitID string `json:"unit_id"`
		} `json:"recommendation"`
	}
	deadline := time.Now().Add(time.Minute)
	var err error
	for {
		err = a.call(ctx, "POST", path+"/assess", op, map[string]any{"type": "structure_fire", "level": 2, "priority": 2}, &inc)
		if (err == nil && len(inc.Recommendation) > 0) || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("assess incident %d: %w", id, err)
	}
	units := make([]string, len(inc.Recommendation))
	for j, r := range inc.Recommendation {
		units[j] = r.UnitID
	}
	if len(units) == 0 {
		return 0, nil, fmt.Errorf("incident %d: no units recommended", id)
	}
	if err := a.call(ctx, "POST", path+"/dispatch", op, map[string]any{"unit_ids": units}, nil); err != nil {
		return 0, nil, fmt.Errorf("dispatch %v: %w", units, err)
	}
	return id, units, nil
}

type fireAPI struct {
	client *http.Client
	base   string
}

func (a fireAPI) login(ctx context.Context, user, password string) (string, error) {
	var res struct {
		Token string `json:"token"`
	}
	if err := a.call(ctx, "POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": password}, &res); err != nil {
		return "", fmt.Errorf("login %s: %w", user, err)
	}
	return res.Token, nil
}

// call sends a JSON request and decodes a 2xx JSON answer into out, when out is not nil.
func (a fireAPI) call(ctx context.Context, method, path, token string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(raw))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}
