package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pion/webrtc/v3"
)

// Slot is one published stream and where to publish and play it. WHIP and WHEP are absolute
// URLs; the tokens, when set, go as bearer tokens.
type Slot struct {
	Stream    string `json:"stream"`
	WHIP      string `json:"whip"`
	WHIPToken string `json:"whip_token,omitempty"`
	WHEP      string `json:"whep"`
	WHEPToken string `json:"whep_token,omitempty"`
}

// slotsFromTemplates makes n slots named s1…sn from URL templates holding {stream}, for a
// server without authentication (the bare SFU, or another WHIP/WHEP server).
func slotsFromTemplates(whip, whep string, n int) []Slot {
	slots := make([]Slot, n)
	for i := range slots {
		name := fmt.Sprintf("s%d", i+1)
		slots[i] = Slot{Stream: name, WHIP: strings.ReplaceAll(whip, "{stream}", name), WHEP: strings.ReplaceAll(whep, "{stream}", name)}
	}
	return slots
}

// signalTimeout bounds one WHIP or WHEP exchange, ICE gathering included.
const signalTimeout = 20 * time.Second

// negotiate sends pc's complete offer to endpoint (RFC 9725 WHIP, or WHEP, which has the same
// shape), applies the answer and returns a function that ends the session with a DELETE of
// its Location.
func negotiate(ctx context.Context, client *http.Client, pc *webrtc.PeerConnection, endpoint, token string) (func(), error) {
	ctx, cancel := context.WithTimeout(ctx, signalTimeout)
	defer cancel()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return nil, fmt.Errorf("create offer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return nil, fmt.Errorf("set offer: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return nil, fmt.Errorf("ice gathering: %w", ctx.Err())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(pc.LocalDescription().SDP))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/sdp")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("post offer: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("post offer to %s: %s: %s", endpoint, resp.Status, bytes.TrimSpace(body))
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(body)}); err != nil {
		return nil, fmt.Errorf("set answer: %w", err)
	}
	loc, err := resolve(endpoint, resp.Header.Get("Location"))
	if err != nil {
		return nil, err
	}
	return func() { hangUp(client, loc, token) }, nil
}

func resolve(base, ref string) (string, error) {
	if ref == "" {
		return "", errors.New("answer has no Location")
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("location %q: %w", ref, err)
	}
	return b.ResolveReference(r).String(), nil
}

// hangUp ends a session; a session the server already ended is fine.
func hangUp(client *http.Client, loc, token string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, loc, nil)
	if err != nil {
		return
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if resp, err := client.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
