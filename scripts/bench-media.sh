#!/usr/bin/env bash
# bench-media.sh runs the media benchmark and rewrites its generated section of
# BENCHMARKS.md: N publishers × M viewers of looped VP8 through Fireline (`fireline dev`, over
# its API with real logins), through media.Server alone (`loadgen sfu`) and through a
# comparison SFU, back to back in one run (media/loadgen: CPU per forwarded stream, loss,
# added latency per packet), then glass-to-glass latency through each in Chromium
# (e2e/browser/glass.bench.mjs). `make bench-media` runs it; `make test` does not.
#
# The comparison is Janus's VideoRoom, from Debian's packages: mediamtx, the usual choice,
# cannot be installed here (BENCHMARKS.md says why). Set MEDIAMTX to a mediamtx binary, or
# MEDIAMTX_VERSION to a version for `go install` to build in the work folder, to add it.
#
# Everything runs as root in a network namespace of its own (Janus gathers no loopback
# candidates, so the namespace has one address of its own besides loopback, from RFC 2544's
# benchmarking range); no packet leaves the machine.
#
# Environment: CELLS (N×M pairs, default "1x1 1x4 4x1 4x4 8x1 8x4"), DURATION (measured window
# per run, default 15s), GLASS_SECONDS (default 10), OUT (default BENCHMARKS.md), KEEP=1 keeps
# the work folder (logs, results). About eight minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'bench-media: %s\n' "$*" >&2; }

CELLS=${CELLS:-1x1 1x4 4x1 4x4 8x1 8x4}
DURATION=${DURATION:-15s}
GLASS_SECONDS=${GLASS_SECONDS:-10}
OUT=${OUT:-BENCHMARKS.md}
PASSWORD=bench-media

# Ports inside the namespace, which has nothing else listening.
FIRELINE_HTTP=127.0.0.1:18080
SFU_HTTP=127.0.0.1:18090
JANUS_PORT=18088
MEDIAMTX_PORT=18889
BENCH_ADDR=198.18.0.1

# pids are the servers the namespace side started, ended on its exit.
pids=()
stop_servers() {
	local p
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do
		for _ in $(seq 1 60); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
		kill -KILL "$p" 2>/dev/null || true
	done
}

inner() {
	local work=$WORK
	trap stop_servers EXIT

	log "starting fireline dev"
	FIRELINE_DEMO_PASSWORD=$PASSWORD "$work/fireline" dev --http "$FIRELINE_HTTP" --data "$work/fireline-data" \
		--temporal-port 17233 --ui-port 18233 >"$work/fireline.log" 2>&1 &
	local fireline_pid=$!
	pids+=("$fireline_pid")

	log "starting media.Server alone"
	"$work/loadgen" sfu -listen "$SFU_HTTP" >"$work/sfu.out" 2>"$work/sfu.log" &
	local sfu_pid=$!
	pids+=("$sfu_pid")

	log "starting janus"
	janus_config "$work/janus"
	janus -C "$work/janus/janus.jcfg" -F "$work/janus" -o >"$work/janus.log" 2>&1 &
	local janus_pid=$!
	pids+=("$janus_pid")

	local mediamtx_pid=
	if [[ -n ${MEDIAMTX_BIN:-} ]]; then
		log "starting mediamtx"
		mediamtx_config "$work/mediamtx.yml"
		"$MEDIAMTX_BIN" "$work/mediamtx.yml" >"$work/mediamtx.log" 2>&1 &
		mediamtx_pid=$!
		pids+=("$mediamtx_pid")
	fi

	wait_http "fireline" "http://$FIRELINE_HTTP/readyz" 180 "$work/fireline.log"
	wait_http "media.Server alone" "http://$SFU_HTTP/none" 30 "$work/sfu.log"
	wait_http "janus" "http://127.0.0.1:$JANUS_PORT/janus/info" 30 "$work/janus.log"
	[[ -z $mediamtx_pid ]] || wait_http "mediamtx" "http://127.0.0.1:$MEDIAMTX_PORT/" 30 "$work/mediamtx.log"

	local most=0 c
	for c in $CELLS; do
		if ((${c%x*} > most)); then most=${c%x*}; fi
	done
	log "raising incidents and dispatching $most units to publish"
	"$work/loadgen" setup -fireline "http://$FIRELINE_HTTP" -password "$PASSWORD" -n "$most" -out "$work/slots.json"

	local targets=(fireline sfu janus)
	[[ -z $mediamtx_pid ]] || targets+=(mediamtx)
	local results=$work/results.jsonl
	: >"$results"
	local i=0 k t n m
	for c in $CELLS; do
		n=${c%x*} m=${c#*x}
		# Rotate the order from cell to cell, so no server always runs first (or last) on a
		# machine that warms up or is loaded by others.
		for k in "${!targets[@]}"; do
			t=${targets[$(((k + i) % ${#targets[@]}))]}
			log "load: $n publishers × $m viewers through $t for $DURATION"
			local args=(run -target "$t" -ivf "$work/source.ivf" -n "$n" -m "$m" -d "$DURATION" -idle 2s -settle 1s)
			case $t in
			fireline) args+=(-pid "$fireline_pid" -slots "$work/slots.json") ;;
			sfu) args+=(-pid "$sfu_pid" -whip "http://$SFU_HTTP/{stream}/whip" -whep "http://$SFU_HTTP/{stream}/whep") ;;
			janus) args+=(-pid "$janus_pid" -janus "http://127.0.0.1:$JANUS_PORT/janus") ;;
			mediamtx) args+=(-pid "$mediamtx_pid" -whip "http://127.0.0.1:$MEDIAMTX_PORT/{stream}/whip" -whep "http://127.0.0.1:$MEDIAMTX_PORT/{stream}/whep") ;;
			esac
			# A failed run is still a line (with its error) in the results; go on with the rest.
			"$work/loadgen" "${args[@]}" >>"$results" 2>>"$work/loadgen.log" || log "  $t failed: see $work/loadgen.log"
			tail -n 1 "$results" >&2
			sleep 1
		done
		i=$((i + 1))
	done

	log "glass to glass, ${GLASS_SECONDS}s each"
	local slot glass
	slot=$(jq -c '.[0]' "$work/slots.json")
	glass=$(jq -nc --argjson s "$slot" --arg sfu "http://$SFU_HTTP" --arg janus "http://127.0.0.1:$JANUS_PORT/janus" \
		--arg mtx "${mediamtx_pid:+http://127.0.0.1:$MEDIAMTX_PORT}" '
		[{name: "fireline", whip: $s.whip, whipToken: $s.whip_token, whep: $s.whep, whepToken: $s.whep_token},
		 {name: "sfu", whip: ($sfu + "/glass/whip"), whep: ($sfu + "/glass/whep")},
		 {name: "janus", janus: $janus}]
		+ (if $mtx == "" then [] else [{name: "mediamtx", whip: ($mtx + "/glass/whip"), whep: ($mtx + "/glass/whep")}] end)')
	GLASS_TARGETS=$glass GLASS_SECONDS=$GLASS_SECONDS node e2e/browser/glass.bench.mjs >>"$results" 2>>"$work/glass.log" ||
		log "glass to glass failed for a server: see $work/glass.log"
}

# wait_http waits for an HTTP answer from url: 200 from Fireline's /readyz, any status from the
# others (the bare SFU answers 404 to a path it does not serve).
wait_http() {
	local name=$1 url=$2 secs=$3 logf=$4 code
	for _ in $(seq 1 $((secs * 4))); do
		code=$(curl -s -o /dev/null -w '%{http_code}' "$url" 2>/dev/null || true)
		if [[ $code == 200 || ($name != fireline && -n $code && $code != 000) ]]; then
			return 0
		fi
		sleep 0.25
	done
	log "$name did not answer at $url within ${secs}s"
	tail -n 30 "$logf" >&2 || true
	exit 1
}

janus_config() {
	local dir=$1 lib
	lib=$(dirname "$(dpkg -L janus | grep -m1 '/janus/plugins/libjanus_videoroom.so$')")
	lib=$(dirname "$lib")
	mkdir -p "$dir"
	cat >"$dir/janus.jcfg" <<-CFG
		general: {
			configs_folder = "$dir"
			plugins_folder = "$lib/plugins"
			transports_folder = "$lib/transports"
			events_folder = "$lib/events"
			loggers_folder = "$lib/loggers"
			debug_level = 3
		}
		nat: {
			ice_enforce_list = "bench0"
		}
		plugins: {
			disable = "libjanus_audiobridge.so,libjanus_duktape.so,libjanus_echotest.so,libjanus_lua.so,libjanus_nosip.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so"
		}
		transports: {
			disable = "libjanus_websockets.so,libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_rabbitmq.so,libjanus_pfunix.so"
		}
		loggers: {
			disable = "libjanus_jsonlog.so"
		}
	CFG
	cat >"$dir/janus.transport.http.jcfg" <<-CFG
		general: {
			json = "compact"
			base_path = "/janus"
			http = true
			port = $JANUS_PORT
			ip = "127.0.0.1"
		}
		admin: {
			admin_http = false
		}
	CFG
	printf 'general: {\n}\n' >"$dir/janus.plugin.videoroom.jcfg"
}

# mediamtx_config writes a WHIP/WHEP-only mediamtx configuration on loopback, no
# authentication. Not exercised here, where mediamtx cannot be installed.
mediamtx_config() {
	cat >"$1" <<-CFG
		logLevel: warn
		api: no
		metrics: no
		pprof: no
		playback: no
		rtsp: no
		rtmp: no
		hls: no
		srt: no
		webrtc: yes
		webrtcAddress: 127.0.0.1:$MEDIAMTX_PORT
		webrtcLocalUDPAddress: 127.0.0.1:18189
		webrtcIPsFromInterfaces: no
		webrtcAdditionalHosts: [127.0.0.1]
		paths:
		  all_others:
	CFG
}

if [[ -n ${BENCH_MEDIA_INNER:-} ]]; then
	inner
	exit 0
fi

# --- outside the namespace: install, build, make the source video, run, report ---

if [[ $(id -u) -ne 0 ]]; then
	log "run as root: the benchmark makes a network namespace (sudo make bench-media)"
	exit 1
fi
scripts/deps.sh # Go, PostgreSQL, Chromium, Node and the browser test's playwright-core, jq
need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v janus >/dev/null 2>&1 || need+=(janus)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v curl >/dev/null 2>&1 || need+=(curl)
if ((${#need[@]})); then
	log "installing from Debian's packages: ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${need[@]}"
fi

WORK=$(mktemp -d /tmp/fireline-bench-media.XXXXXX)
chmod 755 "$WORK" # the embedded PostgreSQL runs as the postgres user
ns=fireline-bench-$$
cleanup() {
	ip netns del "$ns" 2>/dev/null || true
	if [[ -n ${KEEP:-} ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

log "building fireline and the loader"
go build -o "$WORK/fireline" ./cmd/fireline
go build -o "$WORK/loadgen" ./media/loadgen

mediamtx_note="not run: the Go module proxy here refuses github.com/bluenviron/mediamtx and its bluenviron dependencies (403); see below"
MEDIAMTX_BIN=${MEDIAMTX:-}
if [[ -z $MEDIAMTX_BIN && -n ${MEDIAMTX_VERSION:-} ]]; then
	log "building mediamtx $MEDIAMTX_VERSION in $WORK (never in the tree)"
	if (cd "$WORK" && GOBIN=$WORK/gobin GOFLAGS=-mod=mod go install "github.com/bluenviron/mediamtx@$MEDIAMTX_VERSION") >"$WORK/mediamtx-build.log" 2>&1; then
		MEDIAMTX_BIN=$WORK/gobin/mediamtx
	else
		mediamtx_note="not run: go install github.com/bluenviron/mediamtx@$MEDIAMTX_VERSION failed: $(tail -n 1 "$WORK/mediamtx-build.log")"
		log "$mediamtx_note"
	fi
fi
[[ -z $MEDIAMTX_BIN ]] || mediamtx_note="$("$MEDIAMTX_BIN" --version 2>&1 | head -n 1), WHIP/WHEP on loopback, no authentication"

log "making 10 s of VP8 (640×360, 30 fps, 800 kbit/s, a keyframe every 2 s) with ffmpeg"
ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc2=size=640x360:rate=30 -t 10 \
	-c:v libvpx -b:v 800k -g 60 -deadline realtime -cpu-used 8 "$WORK/source.ivf"

log "making network namespace $ns (loopback and $BENCH_ADDR)"
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add bench0 type veth peer name bench1
ip -n "$ns" addr add "$BENCH_ADDR/32" dev bench0
ip -n "$ns" link set bench1 up
ip -n "$ns" link set bench0 up

before=$(cat /proc/loadavg)
start=$(date +%s)
date=$(date -u '+%Y-%m-%d %H:%M UTC')
ip netns exec "$ns" env BENCH_MEDIA_INNER=1 WORK="$WORK" MEDIAMTX_BIN="$MEDIAMTX_BIN" CELLS="$CELLS" \
	DURATION="$DURATION" GLASS_SECONDS="$GLASS_SECONDS" bash "$0"
after=$(cat /proc/loadavg)
elapsed="$(($(date +%s) - start)) s"
# fireline dev records every published track, as it does for users; say how much it wrote.
recdir=$WORK/fireline-data/recordings
recorded="$(find "$recdir" -type f \( -name '*.webm' -o -name '*.mkv' \) 2>/dev/null | wc -l) files, $(du -sm "$recdir" 2>/dev/null | cut -f1) MB in all"

mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
cpu="$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo) ($(nproc) logical CPUs, \`nproc\`)"
go run ./scripts/benchmediareport -in "$WORK/results.jsonl" -out "$OUT" -cmd "make bench-media" \
	-meta "date=$date" -meta "cpu=$cpu" -meta "memory=$mem" -meta "go=$(go env GOVERSION) $(go env GOOS)/$(go env GOARCH)" \
	-meta "janus=$(janus --version 2>/dev/null | awk -F'[()]' '/version/ {print $2; exit}') (Debian $(dpkg-query -W -f '${Version}' janus)), VideoRoom, HTTP API, one room per stream" \
	-meta "chromium=$(chromium --version 2>/dev/null | head -n 1)" \
	-meta "ffmpeg=$(ffmpeg -version | head -n 1 | awk '{print $3}'), libvpx" \
	-meta "source=testsrc2 640×360, 30 fps, VP8 at 800 kbit/s, keyframe every 60 frames, 10 s looped; 1,200-byte RTP payloads" \
	-meta "mediamtx=$mediamtx_note" \
	-meta "load-before=$(awk '{print $1", "$2", "$3}' <<<"$before")" -meta "load-after=$(awk '{print $1", "$2", "$3}' <<<"$after")" \
	-meta "elapsed=$elapsed" -meta "fireline-recorded=$recorded"
log "wrote $OUT"
