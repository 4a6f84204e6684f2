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

// signaller connects a publisher's or a viewer's peer connection to a server, and returns a
// function that ends the session.
type signaller interface {
	publish(ctx context.Context, pc *webrtc.PeerConnection, slot Slot) (func(), error)
	play(ctx context.Context, pc *webrtc.PeerConnection, slot Slot) (func(), error)
}

// whipSignaller speaks WHIP (RFC 9725) to publish and WHEP to play: the client offers, the
// server answers, and a DELETE of the session's Location ends it.
type whipSignaller struct{ client *http.Client }

func (w whipSignaller) publish(ctx context.Context, pc *webrtc.PeerConnection, slot Slot) (func(), error) {
	return negotiate(ctx, w.client, pc, slot.WHIP, slot.WHIPToken)
}

func (w whipSignaller) play(ctx context.Context, pc *webrtc.PeerConnection, slot Slot) (func(), error) {
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		return nil, err
	}
	return negotiate(ctx, w.client, pc, slot.WHEP, slot.WHEPToken)
}

// completeOffer returns pc's offer with every ICE candidate in it (no trickle).
func completeOffer(ctx context.Context, pc *webrtc.PeerConnection) (string, error) {
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return "", fmt.Errorf("create offer: %w", err)
	}
	return setLocal(ctx, pc, offer)
}

// setLocal applies a local description and returns it once ICE gathering is complete.
func setLocal(ctx context.Context, pc *webrtc.PeerConnection, desc webrtc.SessionDescription) (string, error) {
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(desc); err != nil {
		return "", fmt.Errorf("set local %s: %w", desc.Type, err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", fmt.Errorf("ice gathering: %w", ctx.Err())
	}
	return pc.LocalDescription().SDP, nil
}

// negotiate sends pc's complete offer to endpoint (WHIP, or WHEP, which has the same shape),
// applies the answer and returns a function that ends the session with a DELETE of its
// Location.
func negotiate(ctx context.Context, client *http.Client, pc *webrtc.PeerConnection, endpoint, token string) (func(), error) {
	ctx, cancel := context.WithTimeout(ctx, signalTimeout)
	defer cancel()
	offer, err := completeOffer(ctx, pc)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(offer))
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
