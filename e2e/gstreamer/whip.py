#!/usr/bin/python3
"""whip.py publishes a GStreamer test pattern to a WHIP endpoint (RFC 9725) through webrtcbin.

Debian 12's GStreamer has no whipsink or whipclientsink element, and its simple-whip-client
aborts (libsoup 2.4 and 3 in one process), so the media end-to-end test drives GStreamer's own
WebRTC stack with this: videotestsrc, vp8enc and rtpvp8pay into webrtcbin, the complete offer
POSTed with the bearer token, redirects followed with it, the answer applied, and a DELETE of
the session's Location at the end.

usage: whip.py URL TOKEN SECONDS
"""

import sys
import urllib.error
import urllib.parse
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

PIPELINE = (
    "webrtcbin name=wb bundle-policy=max-bundle "
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 ! videoconvert ! "
    "vp8enc deadline=1 target-bitrate=300000 keyframe-max-dist=30 ! rtpvp8pay pt=96 ! "
    "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000 ! wb."
)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def request(method, url, token, body=None, ctype=None):
    """request sends one HTTP request, following 307/308 itself so the token goes along."""
    opener = urllib.request.build_opener(NoRedirect)
    for _ in range(5):
        req = urllib.request.Request(url, data=body, method=method)
        req.add_header("Authorization", "Bearer " + token)
        if ctype:
            req.add_header("Content-Type", ctype)
        try:
            with opener.open(req, timeout=10) as resp:
                return url, resp.status, resp.headers, resp.read().decode()
        except urllib.error.HTTPError as err:
            if err.code in (307, 308):
                url = urllib.parse.urljoin(url, err.headers["Location"])
                print(f"whip: redirected to {url}", flush=True)
                continue
            raise SystemExit(f"whip: {method} {url}: {err.code} {err.read().decode()}")
    raise SystemExit("whip: too many redirects")


def main():
    url, token, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    Gst.init(None)
    pipe = Gst.parse_launch(PIPELINE)
    wb = pipe.get_by_name("wb")
    loop = GLib.MainLoop()
    session = {}

    def post_offer():
        offer = wb.get_property("local-description").sdp.as_text()
        final, status, headers, answer = request("POST", url, token, offer.encode(), "application/sdp")
        if status != 201:
            raise SystemExit(f"whip: POST answered {status}")
        session["location"] = urllib.parse.urljoin(final, headers["Location"])
        print(f"whip: 201 Created, session {session['location']}, ETag {headers.get('ETag')}", flush=True)
        _, sdp = GstSdp.SDPMessage.new_from_text(answer)
        desc = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, sdp)
        wb.emit("set-remote-description", desc, Gst.Promise.new())

    def on_gathering(element, _pspec):
        if element.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE and "posted" not in session:
            session["posted"] = True
            GLib.idle_add(post_offer)

    def on_offer(promise, _):
        reply = promise.get_reply()
        if reply is None or not reply.has_field("offer"):
            print(f"whip: no offer: {reply.to_string() if reply else 'no reply'}", flush=True)
            return
        wb.emit("set-local-description", reply.get_value("offer"), Gst.Promise.new())

    def on_negotiation_needed(element):
        if "offered" in session:
            return  # WHIP negotiates once
        session["offered"] = True
        element.emit("create-offer", None, Gst.Promise.new_with_change_func(on_offer, None))

    def on_state(element, _pspec):
        print(f"whip: connection {element.get_property('connection-state').value_nick}", flush=True)

    wb.connect("on-negotiation-needed", on_negotiation_needed)
    wb.connect("notify::ice-gathering-state", on_gathering)
    wb.connect("notify::connection-state", on_state)
    # The test pattern sends only: the transceiver webrtcbin made for the pad says so.
    for i in range(wb.emit("get-transceivers").len):
        wb.emit("get-transceiver", i).set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
    pipe.set_state(Gst.State.PLAYING)

    def stop():
        if "location" in session:
            request("DELETE", session["location"], token)
            print("whip: session deleted", flush=True)
        loop.quit()

    GLib.timeout_add_seconds(seconds, stop)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 2, stop)  # SIGINT ends the session too
    loop.run()
    pipe.set_state(Gst.State.NULL)


if __name__ == "__main__":
    main()
