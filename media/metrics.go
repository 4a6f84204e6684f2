package media

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/fireline/fireline"
)

// WriteMetrics writes the server's metrics in the Prometheus text exposition format (0.0.4):
// process-wide counts, and per stream and per track the rates, losses and jitter that tell an
// operator whether a crew's video is healthy. Series are labelled by room, stream, track and
// layer; a stream's series go when it ends.
func (s *Server) WriteMetrics(w io.Writer) error {
	st := s.Stats()
	b := bufio.NewWriter(w)
	family := func(name, typ, help string) {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	family("fireline_media_rooms", "gauge", "Rooms with at least one live stream.")
	fmt.Fprintf(b, "fireline_media_rooms %d\n", st.Rooms)
	family("fireline_media_publishers", "gauge", "Live publishers (WHIP sessions).")
	fmt.Fprintf(b, "fireline_media_publishers %d\n", st.Publishers)
	family("fireline_media_viewers", "gauge", "Live viewers (WHEP sessions).")
	fmt.Fprintf(b, "fireline_media_viewers %d\n", st.Viewers)
	family("fireline_media_forwarded_packets_total", "counter", "RTP packets sent to viewers since start.")
	fmt.Fprintf(b, "fireline_media_forwarded_packets_total %d\n", st.ForwardedPackets)
	family("fireline_media_forwarded_bytes_total", "counter", "RTP payload bytes sent to viewers since start.")
	fmt.Fprintf(b, "fireline_media_forwarded_bytes_total %d\n", st.ForwardedBytes)

	family("fireline_media_stream_viewers", "gauge", "Viewers of a stream.")
	for _, rs := range st.Streams {
		fmt.Fprintf(b, "fireline_media_stream_viewers{room=%s,stream=%s} %d\n", q(rs.Room), q(rs.Stream), rs.Viewers)
	}
	family("fireline_media_stream_bitrate_bits_per_second", "gauge", "What a publisher sends, over the last few seconds.")
	for _, rs := range st.Streams {
		fmt.Fprintf(b, "fireline_media_stream_bitrate_bits_per_second{room=%s,stream=%s} %d\n", q(rs.Room), q(rs.Stream), rs.Bitrate)
	}
	type trackMetric struct {
		name, typ, help string
		value           func(fireline.TrackStats) string
	}
	for _, m := range []trackMetric{
		{"fireline_media_track_packets_total", "counter", "RTP packets received from the publisher.", func(t fireline.TrackStats) string { return fmt.Sprint(t.Packets) }},
		{"fireline_media_track_bytes_total", "counter", "RTP payload bytes received from the publisher.", func(t fireline.TrackStats) string { return fmt.Sprint(t.Bytes) }},
		{"fireline_media_track_packets_lost", "gauge", "RTP packets lost between publisher and server so far (RFC 3550 cumulative loss: a late packet takes one back).", func(t fireline.TrackStats) string { return fmt.Sprint(t.PacketsLost) }},
		{"fireline_media_track_bitrate_bits_per_second", "gauge", "Received bitrate over the last few seconds.", func(t fireline.TrackStats) string { return fmt.Sprint(t.Bitrate) }},
		{"fireline_media_track_jitter_seconds", "gauge", "RFC 3550 interarrival jitter.", func(t fireline.TrackStats) string { return fmt.Sprintf("%g", t.JitterMS/1000) }},
	} {
		family(m.name, m.typ, m.help)
		for _, rs := range st.Streams {
			for _, t := range rs.TrackStats {
				fmt.Fprintf(b, "%s{room=%s,stream=%s,track=%s,kind=%s,layer=%s} %s\n", m.name,
					q(rs.Room), q(rs.Stream), q(t.Track), q(t.Kind), q(t.Layer), m.value(t))
			}
		}
	}
	family("fireline_media_viewer_bitrate_bits_per_second", "gauge", "What a viewer is sent, over the last few seconds.")
	for _, rs := range st.Streams {
		for _, v := range rs.ViewerStats {
			fmt.Fprintf(b, "fireline_media_viewer_bitrate_bits_per_second{room=%s,stream=%s,session=%s,layer=%s} %d\n",
				q(rs.Room), q(rs.Stream), q(v.Session), q(v.Layer), v.Bitrate)
		}
	}
	return b.Flush()
}

// q quotes a label value: backslash, double quote and line feed are escaped (exposition
// format 0.0.4).
func q(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v) + `"`
}
