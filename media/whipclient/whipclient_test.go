package whipclient_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/media"
	"github.com/fireline/fireline/media/whipclient"
)

// whipServer is the least HTTP a WHIP/WHEP server needs, over a real media.Server: it stands
// in for the API so the client can be tested here. /go/ redirects to the real endpoints.
func whipServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	srv, err := media.New(media.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	var patches atomic.Int64
	mux := http.NewServeMux()
	status := func(err error) int {
		switch fireline.ErrorCode(err) {
		case fireline.ENOTFOUND:
			return 404
		case fireline.ECONFLICT:
			return 409
		}
		return 400
	}
	mux.HandleFunc("POST /go/{kind}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/"+r.PathValue("kind"), http.StatusTemporaryRedirect)
	})
	open := func(w http.ResponseWriter, r *http.Request, sess fireline.MediaSession, err error) {
		if err != nil {
			http.Error(w, err.Error(), status(err))
			return
		}
		w.Header().Set("Location", "/session/"+sess.ID)
		w.Header().Set("ETag", sess.ETag)
		w.Header().Add("Link", `<stun:stun.example.net:3478>; rel="ice-server"`)
		w.Header().Add("Link", `<turn:turn.example.net:3478?transport=udp>; rel="ice-server"; username="crew"; credential="a,b"`)
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, sess.AnswerSDP)
	}
	mux.HandleFunc("POST /whip", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		offer, _ := io.ReadAll(r.Body)
		sess, err := srv.Publish(r.Context(), "incident:1", "E-1", string(offer))
		open(w, r, sess, err)
	})
	mux.HandleFunc("POST /whep", func(w http.ResponseWriter, r *http.Request) {
		offer, _ := io.ReadAll(r.Body)
		sess, err := srv.Play(r.Context(), "incident:1", "E-1", string(offer))
		open(w, r, sess, err)
	})
	mux.HandleFunc("PATCH /session/{id}", func(w http.ResponseWriter, r *http.Request) {
		info, err := srv.Session("incident:1", r.PathValue("id"))
		if err != nil {
			http.Error(w, err.Error(), 404)
			return
		}
		if r.Header.Get("Content-Type") != "application/trickle-ice-sdpfrag" || r.Header.Get("If-Match") != info.ETag {
			http.Error(w, "bad patch", 400)
			return
		}
		frag, _ := io.ReadAll(r.Body)
		if err := srv.Trickle("incident:1", r.PathValue("id"), string(frag)); err != nil {
			http.Error(w, err.Error(), status(err))
			return
		}
		patches.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /session/{id}", func(w http.ResponseWriter, r *http.Request) {
		if err := srv.End("incident:1", r.PathValue("id")); err != nil {
			http.Error(w, err.Error(), 404)
		}
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs, &patches
}

func TestPublishAndPlay(t *testing.T) {
	for _, trickle := range []bool{true, false} {
		name := map[bool]string{true: "trickle", false: "candidates in the offer"}[trickle]
		t.Run(name, func(t *testing.T) {
			hs, patches := whipServer(t)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c := &whipclient.Client{Token: "tok", NoTrickle: !trickle, LoopbackOnly: true}
			pub, err := c.Publish(ctx, hs.URL+"/go/whip")
			if err != nil {
				t.Fatalf("Publish: %v", err)
			}
			go pub.SendFrames(ctx)
			if pub.Redirects != 1 || !strings.HasPrefix(pub.Location.String(), hs.URL+"/session/") || pub.ETag == "" {
				t.Errorf("redirects %d, Location %s, ETag %q", pub.Redirects, pub.Location, pub.ETag)
			}
			if len(pub.ICEServers) != 2 || pub.ICEServers[1].Username != "crew" || pub.ICEServers[1].Credential != "a,b" {
				t.Errorf("ICE servers from Link = %+v", pub.ICEServers)
			}
			if err := pub.Connected(ctx); err != nil {
				t.Fatal(err)
			}
			if err := pub.TrickleErr(); err != nil {
				t.Fatal(err)
			}
			if got := patches.Load(); trickle != (got > 0) {
				t.Errorf("%d PATCHes with trickle %v", got, trickle)
			}
			play, err := (&whipclient.Client{LoopbackOnly: true}).Play(ctx, hs.URL+"/whep")
			if err != nil {
				t.Fatalf("Play: %v", err)
			}
			for play.Packets() < 10 {
				if ctx.Err() != nil {
					t.Fatal("the viewer got no packets")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := play.Close(ctx); err != nil {
				t.Error(err)
			}
			if err := pub.Close(ctx); err != nil {
				t.Error(err)
			}
			var se *whipclient.StatusError
			if _, err := (&whipclient.Client{LoopbackOnly: true}).Publish(ctx, hs.URL+"/whip"); err == nil || !asStatus(err, &se) || se.Code != 401 {
				t.Errorf("publish without a token = %v, want 401", err)
			}
		})
	}
}

func asStatus(err error, target **whipclient.StatusError) bool {
	se, ok := err.(*whipclient.StatusError)
	*target = se
	return ok
}
