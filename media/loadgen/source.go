package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pion/webrtc/v3/pkg/media/ivfreader"
)

// loadIVF reads every VP8 frame of an IVF file into memory; publishers loop over them, so the
// disk is not part of the measurement.
func loadIVF(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ivf: %w", err)
	}
	defer f.Close()
	r, h, err := ivfreader.NewWith(f)
	if err != nil {
		return nil, fmt.Errorf("ivf %s: %w", path, err)
	}
	if h.FourCC != "VP80" {
		return nil, fmt.Errorf("ivf %s: codec %q, want VP80", path, h.FourCC)
	}
	var frames [][]byte
	for {
		frame, _, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("ivf %s: frame %d: %w", path, len(frames), err)
		}
		frames = append(frames, frame)
	}
	if len(frames) == 0 {
		return nil, fmt.Errorf("ivf %s: no frames", path)
	}
	// Looping restarts at frame 0, which must be a keyframe for a late viewer to decode from
	// it: VP8 marks keyframes with a clear low bit in the first byte.
	if frames[0][0]&1 != 0 {
		return nil, fmt.Errorf("ivf %s: first frame is not a keyframe", path)
	}
	return frames, nil
}
