package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v3"
)

// janusSignaller publishes and plays through the Janus WebRTC server's VideoRoom plugin over
// its HTTP API, for the comparison with another SFU in the same run. Janus's VideoRoom has no
// WHIP or WHEP: a publisher joins a room with its offer and gets an answer, as over WHIP, but
// the server offers to a subscriber, which answers. Each stream gets a room of its own, so a
// stream is one publisher and its viewers, as in Fireline.
type janusSignaller struct {
	client *http.Client
	base   string // e.g. http://127.0.0.1:8088/janus
}

// janusFeed is the publisher's id in its room: one publisher per room.
const janusFeed = 1

// janusRoom maps a stream name to a numeric room id.
func janusRoom(stream string) uint32 { return crc32.ChecksumIEEE([]byte(stream))%1_000_000_000 + 1 }

func (j janusSignaller) publish(ctx context.Context, pc *webrtc.PeerConnection, slot Slot) (func(), error) {
	ctx, cancel := context.WithTimeout(ctx, signalTimeout)
	defer cancel()
	s, err := j.open(ctx)
	if err != nil {
		return nil, err
	}
	room := janusRoom(slot.Stream)
	// A fresh room per publish: one left from an earlier run may still hold its publisher
	// until Janus's session timeout. 426 (no such room) is the usual answer.
	if _, err := s.request(ctx, map[string]any{"request": "destroy", "room": room}, nil); err != nil {
		s.close()
		return nil, err
	}
	created, err := s.request(ctx, map[string]any{"request": "create", "room": room, "publishers": 1, "videocodec": "vp8", "audiocodec": "opus"}, nil)
	if err != nil {
		s.close()
		return nil, err
	}
	if code := created.errorCode(); code != 0 {
		s.close()
		return nil, fmt.Errorf("janus create room %d: %s", room, created.pluginError())
	}
	offer, err := completeOffer(ctx, pc)
	if err != nil {
		s.close()
		return nil, err
	}
	joined, err := s.request(ctx, map[string]any{"request": "joinandconfigure", "ptype": "publisher", "room": room, "id": janusFeed, "display": slot.Stream},
		&janusJSEP{Type: "offer", SDP: offer})
	if err == nil && joined.errorCode() != 0 {
		err = fmt.Errorf("janus join room %d: %s", room, joined.pluginError())
	}
	if err == nil && joined.JSEP == nil {
		err = fmt.Errorf("janus join room %d: no answer", room)
	}
	if err == nil {
		err = pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: joined.JSEP.SDP})
	}
	if err != nil {
		s.close()
		return nil, err
	}
	return s.close, nil
}

func (j janusSignaller) play(ctx context.Context, pc *webrtc.PeerConnection, slot Slot) (func(), error) {
	ctx, cancel := context.WithTimeout(ctx, signalTimeout)
	defer cancel()
	s, err := j.open(ctx)
	if err != nil {
		return nil, err
	}
	room := janusRoom(slot.Stream)
	// Janus lists a publisher's feed only once its own side of DTLS is done, which may be a
	// moment after the publisher's: 428 (no such feed) is worth a retry.
	var attached janusMsg
	for {
		attached, err = s.request(ctx, map[string]any{"request": "join", "ptype": "subscriber", "room": room, "streams": []map[string]any{{"feed": janusFeed}}}, nil)
		if err != nil || attached.errorCode() != 428 || sleep(ctx, 100*time.Millisecond) != nil {
			break
		}
	}
	if err == nil && attached.errorCode() != 0 {
		err = fmt.Errorf("janus subscribe room %d: %s", room, attached.pluginError())
	}
	if err == nil && attached.JSEP == nil {
		err = fmt.Errorf("janus subscribe room %d: no offer", room)
	}
	if err == nil {
		err = pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: attached.JSEP.SDP})
	}
	var answer webrtc.SessionDescription
	if err == nil {
		answer, err = pc.CreateAnswer(nil)
	}
	var sdp string
	if err == nil {
		sdp, err = setLocal(ctx, pc, answer)
	}
	if err == nil {
		var started janusMsg
		started, err = s.request(ctx, map[string]any{"request": "start", "room": room}, &janusJSEP{Type: "answer", SDP: sdp})
		if err == nil && started.errorCode() != 0 {
			err = fmt.Errorf("janus start room %d: %s", room, started.pluginError())
		}
	}
	if err != nil {
		s.close()
		return nil, err
	}
	return s.close, nil
}

type janusJSEP struct {
	Type string `json:"type"`
	SDP  string `json:"sdp"`
}

// janusMsg is any message of the Janus API, as much of it as the loader reads.
type janusMsg struct {
	Janus       string `json:"janus"`
	Transaction string `json:"transaction"`
	Data        struct {
		ID int64 `json:"id"`
	} `json:"data"`
	Error *struct {
		Code   int    `json:"code"`
		Reason string `json:"reason"`
	} `json:"error"`
	PluginData struct {
		Data json.RawMessage `json:"data"`
	} `json:"plugindata"`
	JSEP *janusJSEP `json:"jsep"`
}

func (m janusMsg) errorCode() int {
	var d struct {
		Code int `json:"error_code"`
	}
	_ = json.Unmarshal(m.PluginData.Data, &d)
	return d.Code
}

func (m janusMsg) pluginError() string { return string(m.PluginData.Data) }

// janusSession is one Janus session with one VideoRoom handle, and the long poll that
// receives its asynchronous events (and keeps it alive).
type janusSession struct {
	client  *http.Client
	session string // base/{session}
	handle  string // base/{session}/{handle}
	next    atomic.Uint64
	stop    chan struct{}
	polled  chan struct{}
	once    sync.Once

	mu      sync.Mutex
	waiting map[string]chan janusMsg
}

func (j janusSignaller) open(ctx context.Context) (*janusSession, error) {
	s := &janusSession{client: j.client, stop: make(chan struct{}), polled: make(chan struct{}), waiting: map[string]chan janusMsg{}}
	created, err := s.post(ctx, j.base, map[string]any{"janus": "create"})
	if err != nil {
		return nil, err
	}
	s.session = j.base + "/" + strconv.FormatInt(created.Data.ID, 10)
	attached, err := s.post(ctx, s.session, map[string]any{"janus": "attach", "plugin": "janus.plugin.videoroom"})
	if err != nil {
		close(s.polled)
		s.close()
		return nil, err
	}
	s.handle = s.session + "/" + strconv.FormatInt(attached.Data.ID, 10)
	go s.poll()
	return s, nil
}

// request sends a message to the VideoRoom handle and returns the plugin's answer: at once
// for synchronous requests, or the event that carries the same transaction.
func (s *janusSession) request(ctx context.Context, body map[string]any, jsep *janusJSEP) (janusMsg, error) {
	tx := "t" + strconv.FormatUint(s.next.Add(1), 10)
	ch := make(chan janusMsg, 1)
	s.mu.Lock()
	s.waiting[tx] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.waiting, tx)
		s.mu.Unlock()
	}()
	msg := map[string]any{"janus": "message", "transaction": tx, "body": body}
	if jsep != nil {
		msg["jsep"] = jsep
	}
	res, err := s.post(ctx, s.handle, msg)
	if err != nil {
		return janusMsg{}, err
	}
	if res.Janus != "ack" {
		return res, nil
	}
	select {
	case ev := <-ch:
		return ev, nil
	case <-ctx.Done():
		return janusMsg{}, fmt.Errorf("janus %v: no event: %w", body["request"], ctx.Err())
	}
}

// poll long-polls the session's events and hands each to the request waiting for it.
func (s *janusSession) poll() {
	defer close(s.polled)
	for {
		select {
		case <-s.stop:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
		go func() {
			select {
			case <-s.stop:
			case <-ctx.Done():
			}
			cancel()
		}()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.session+"?maxev=10", nil)
		if err != nil {
			cancel()
			return
		}
		resp, err := s.client.Do(req)
		if err != nil {
			cancel()
			select {
			case <-s.stop:
				return
			case <-time.After(200 * time.Millisecond):
				continue
			}
		}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		resp.Body.Close()
		cancel()
		var evs []janusMsg
		if len(raw) > 0 && raw[0] == '[' {
			_ = json.Unmarshal(raw, &evs)
		} else {
			var ev janusMsg
			if json.Unmarshal(raw, &ev) == nil {
				evs = append(evs, ev)
			}
		}
		for _, ev := range evs {
			if ev.Janus != "event" || ev.Transaction == "" {
				continue // keepalives, webrtcup, media, hangup...
			}
			s.mu.Lock()
			ch := s.waiting[ev.Transaction]
			s.mu.Unlock()
			if ch != nil {
				select {
				case ch <- ev:
				default:
				}
			}
		}
	}
}

// post sends one Janus API request and returns its immediate answer; a Janus error is an error.
func (s *janusSession) post(ctx context.Context, url string, msg map[string]any) (janusMsg, error) {
	if _, ok := msg["transaction"]; !ok {
		msg["transaction"] = "t" + strconv.FormatUint(s.next.Add(1), 10)
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return janusMsg{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return janusMsg{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return janusMsg{}, fmt.Errorf("janus %v: %w", msg["janus"], err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return janusMsg{}, err
	}
	var res janusMsg
	if err := json.Unmarshal(raw, &res); err != nil {
		return janusMsg{}, fmt.Errorf("janus %v: %s: %w", msg["janus"], resp.Status, err)
	}
	if res.Error != nil {
		return res, fmt.Errorf("janus %v: %d %s", msg["janus"], res.Error.Code, res.Error.Reason)
	}
	if res.Janus == "error" {
		return res, errors.New("janus error: " + string(raw))
	}
	return res, nil
}

// close destroys the session, which ends its handle and peer connection in Janus.
func (s *janusSession) close() {
	s.once.Do(func() {
		close(s.stop)
		<-s.polled
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = s.post(ctx, s.session, map[string]any{"janus": "destroy"})
	})
}
