package media

import "github.com/fireline/fireline"

// ErrClosed is returned by Publish and Play once Close has begun: the node is shutting down
// and the client should retry against another media node.
var ErrClosed = &fireline.Error{Code: fireline.EUNAVAILABLE, Message: "media server is shutting down"}

// The constructors below build the user-facing errors; each names the room and stream so the
// operator (or the field crew's app) can tell which request was wrong.

func errInvalid(format string, args ...any) error {
	return fireline.Errorf(fireline.EINVALID, format, args...)
}

func errStreamLive(room, stream string) error {
	return fireline.Errorf(fireline.ECONFLICT, "stream %q in room %q is already being published", stream, room)
}

func errNoStream(room, stream string) error {
	return fireline.Errorf(fireline.ENOTFOUND, "no live stream %q in room %q", stream, room)
}

func errNoSession(room, id string) error {
	return fireline.Errorf(fireline.ENOTFOUND, "no media session %q in room %q", id, room)
}

func errNoMedia(room, stream string) error {
	return fireline.Errorf(fireline.EUNAVAILABLE, "stream %q in room %q has sent no media yet; retry shortly", stream, room)
}

func errICERestart(room, id string) error {
	return fireline.Errorf(fireline.ECONFLICT,
		"media session %q in room %q: the fragment's ICE credentials are not the session's; ICE restarts are not supported, so start a new session", id, room)
}
