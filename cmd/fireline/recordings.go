package main

import (
	"github.com/fireline/fireline"
	"github.com/fireline/fireline/api"
	"github.com/fireline/fireline/media"
)

// recordings gives the API the recordings' folder over media.Library.
type recordings struct{ *media.Library }

func (l recordings) Recordings(room string) ([]api.Recording, error) {
	list, err := l.Library.Recordings(room)
	out := make([]api.Recording, 0, len(list))
	for _, ri := range list {
		out = append(out, recordingOf(ri))
	}
	return out, err
}

func (l recordings) Open(room, name string) (api.RecordingFile, api.Recording, error) {
	f, ri, err := l.Library.Open(room, name)
	if err != nil {
		return nil, api.Recording{}, err
	}
	return f, recordingOf(ri), nil
}

func recordingOf(ri fireline.Recording) api.Recording {
	r := api.Recording{
		Name: ri.Name, Stream: ri.Stream, Codecs: ri.Codecs(), ContentType: ri.ContentType,
		StartedAt: ri.StartedAt, EndedAt: ri.EndedAt, Duration: ri.Duration, Bytes: ri.Bytes, Frames: ri.Frames,
		Complete: ri.Complete, State: ri.State,
	}
	for _, t := range ri.Tracks {
		if t.Kind == "video" {
			r.Width, r.Height = t.Width, t.Height
		}
	}
	return r
}
