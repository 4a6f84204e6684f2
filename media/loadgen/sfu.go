package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/media"
)

// sfuRoom is the one room of the bare SFU.
const sfuRoom = "bench"

// serveSFU runs a media.Server behind the smallest WHIP/WHEP front that works — no login, no
// incidents, no database — so a run against it charges the SFU alone for CPU. Its paths:
//
//	POST   /{stream}/whip       publish (application/sdp)
//	POST   /{stream}/whep       play
//	DELETE /session/{id}        end either
//
// It prints "listening http://ADDR" on stdout once it accepts connections and stops with ctx.
func serveSFU(ctx context.Context, addr string, log *slog.Logger) error {
	srv, err := media.New(media.Config{Logger: log})
	if err != nil {
		return err
	}
	defer srv.Close()
	mux := http.NewServeMux()
	sdp := func(do func(ctx context.Context, room, stream, offer string, opts ...fireline.MediaOption) (fireline.MediaSession, error)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Content-Type") != "application/sdp" {
				http.Error(w, "Content-Type must be application/sdp", http.StatusUnsupportedMediaType)
				return
			}
			offer, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
			if err != nil {
				http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
				return
			}
			sess, err := do(r.Context(), sfuRoom, r.PathValue("stream"), string(offer))
			if err != nil {
				http.Error(w, fireline.ErrorMessage(err), status(err))
				return
			}
			w.Header().Set("Content-Type", "application/sdp")
			w.Header().Set("Location", "/session/"+sess.ID)
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, sess.AnswerSDP)
		}
	}
	mux.HandleFunc("POST /{stream}/whip", sdp(srv.Publish))
	mux.HandleFunc("POST /{stream}/whep", sdp(srv.Play))
	mux.HandleFunc("DELETE /session/{id}", func(w http.ResponseWriter, r *http.Request) {
		if err := srv.End(sfuRoom, r.PathValue("id")); err != nil {
			http.Error(w, fireline.ErrorMessage(err), status(err))
		}
	})

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(os.Stdout, "listening http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func status(err error) int {
	switch fireline.ErrorCode(err) {
	case fireline.EINVALID:
		return http.StatusBadRequest
	case fireline.ENOTFOUND:
		return http.StatusNotFound
	case fireline.ECONFLICT:
		return http.StatusConflict
	case fireline.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
