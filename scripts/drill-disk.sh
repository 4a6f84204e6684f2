#!/usr/bin/env bash
# drill-disk.sh: the recordings disk fills up during an alarm surge, unattended. A fresh
# `fireline dev` runs with its recordings folder on a 16 MiB tmpfs (as root, where mount is
# allowed; otherwise the reserve stands in for a full disk, set above the folder's free space);
# a crew films an incident and a console watches it (media/loadgen, looping real VP8) while
# `fireline loadgen` sends a surge of alarms with operators and crews at work. Half way the disk
# is filled to the last byte, then freed. It passes when:
#   - the live video reached the console throughout (no viewer failed, packets arrived);
#   - the surge lost no alarm and dispatched no unit twice (loadgen's own checks);
#   - /readyz stayed 200 and said recordings suspended, then ok again;
#   - the recording in progress was listed as cut (tmpfs), and a new one began once space was
#     back; below the reserve, none began;
#   - `fireline verify` finds no violation of the record's invariants.
# It exits non-zero on any failure. scripts/drills.sh runs it with the other drills.
#
# Environment: SURGE (alarms, default 600) and OVER (default 30s): 20 alarms a second; PLAY
# (incidents worked, default 5); DRILL_DISK=reserve uses the reserve even where a tmpfs could
# be mounted; FIRELINE (the binary, default: make build's bin/fireline); KEEP=1 keeps the run's
# folder.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
SURGE=${SURGE:-600}
OVER=${OVER:-30s}
PLAY=${PLAY:-5}

log() { printf 'drill-disk: %s\n' "$*" >&2; }
fail=0
bad() {
	log "FAIL: $*"
	fail=1
}
command -v jq >/dev/null || {
	log "jq is missing: run scripts/deps.sh"
	exit 1
}

if [[ -z "${FIRELINE:-}" ]]; then
	make build >/dev/null
	FIRELINE=bin/fireline
fi
bin=$(realpath "$FIRELINE")
work=$(mktemp -d /tmp/drill-disk.XXXXXX)
FREE_PORTS_FILE=$work/ports
chmod 755 "$work" # the embedded PostgreSQL runs as the postgres user when this runs as root
go build -o "$work/medialoadgen" ./media/loadgen
export FIRELINE_DEMO_PASSWORD="drill-disk-$RANDOM$RANDOM"
data=$work/data
rec=$data/recordings
mkdir -p "$rec"

pid= mounted= pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
		kill -INT "$pid"
		wait "$pid" || true
	fi
	[[ -z "$mounted" ]] || umount "$rec" || log "umount $rec failed"
	if [[ "${KEEP:-}" == 1 ]]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT


flags=(--recordings-check 500ms)
if [[ "${DRILL_DISK:-}" != reserve ]] && mount -t tmpfs -o size=16m,mode=0755 tmpfs "$rec" 2>"$work/mount.err"; then
	mounted=1 mode=tmpfs
	flags+=(--recordings-min-free 0)
	log "mode tmpfs: the recordings folder is a 16 MiB tmpfs, which the drill fills to the last byte"
else
	mode=reserve
	free=$(df --output=avail -B1 "$rec" | tail -1 | tr -d ' ')
	flags+=(--recordings-min-free $((free + (256 << 20))))
	log "mode reserve: $(cat "$work/mount.err" 2>/dev/null || echo "DRILL_DISK=reserve")" 
	log "  the reserve is set 256 MiB above the folder's $((free >> 20)) MiB free: recording stays suspended"
fi

http=$(free_port) temporal=$(free_port) ui=$(free_port) gb=$(free_port)
base=http://127.0.0.1:$http
"$bin" dev --http "127.0.0.1:$http" --data "$data" --temporal-port "$temporal" --ui-port "$ui" \
	--gb26875 "127.0.0.1:$gb" "${flags[@]}" >"$work/dev.log" 2>&1 &
pid=$!
for _ in $(seq 180); do
	if curl -sf "$base/readyz" >/dev/null; then break; fi
	kill -0 "$pid" 2>/dev/null || {
		tail -20 "$work/dev.log" >&2
		exit 1
	}
	sleep 1
done
log "fireline dev ready on $base"

login() {
	jq -nc --arg u "$1" --arg p "$FIRELINE_DEMO_PASSWORD" '{username:$u,password:$p}' |
		curl -fsS --max-time 5 "$base/api/v1/auth/login" -H 'Content-Type: application/json' -d @- | jq -er .token
}
risk=$(login risk)
ready() { curl -sS --max-time 5 -w '\n%{http_code}' "$base/readyz"; }
recordings() { curl -fsS --max-time 5 "$base/api/v1/incidents/$incident/recordings" -H "Authorization: Bearer $risk" | jq -c '[.recordings[] | {name, state, bytes}]'; }
# until SECONDS DESCRIPTION COMMAND...: retry the command every half second until it succeeds.
until_ok() {
	local limit=$1 what=$2 t0=$SECONDS
	shift 2
	until "$@"; do
		if ((SECONDS - t0 >= limit)); then
			bad "$what: not within ${limit}s"
			return 1
		fi
		sleep 0.5
	done
	log "ok: $what"
}
readyz_says() { # readyz_says PATTERN: /readyz is 200 and its recordings check matches
	local out
	out=$(ready)
	[[ ${out##*$'\n'} == 200 ]] || {
		bad "/readyz answered ${out##*$'\n'}: ${out%$'\n'*}"
		return 1
	}
	jq -e --arg re "$1" '.recordings | test($re)' <<<"${out%$'\n'*}" >/dev/null
}
states_are() { [[ $(recordings | jq -r 'map(.state) | join(",")') =~ $1 ]]; }

# The crew's camera and a console watching it, for the whole drill.
"$work/medialoadgen" setup -fireline "$base" -password "$FIRELINE_DEMO_PASSWORD" -n 1 -out "$work/slots.json"
incident=$(jq -r '.[0].whip | capture("incidents/(?<id>[0-9]+)/").id' "$work/slots.json")
"$work/medialoadgen" run -target fireline -pid "$pid" -ivf e2e/testdata/camera.ivf -slots "$work/slots.json" \
	-n 1 -m 1 -d 45s -idle 1s >"$work/media.json" 2>"$work/media.log" &
media=$!
pids+=("$media")
log "incident $incident: a crew films it, a console watches"

# The surge, with operators and crews at work.
"$bin" loadgen --target "$base" --surge "$SURGE" --over "$OVER" --play "$PLAY" --json "$work/surge.json" \
	>"$work/surge.out" 2>"$work/surge.log" &
surge=$!
pids+=("$surge")
log "surge: $SURGE alarms over $OVER"

if [[ $mode == tmpfs ]]; then
	until_ok 20 "a recording under way" states_are '^recording$' || true
	sleep 3
	dd if=/dev/zero of="$rec/filler" bs=1M 2>/dev/null || true # until the disk is full
	dd if=/dev/zero of="$rec/filler" bs=4k oflag=append conv=notrunc 2>/dev/null || true
	log "the recordings disk is full: $(df -h --output=avail "$rec" | tail -1 | tr -d ' ') left"
	until_ok 15 "/readyz: recordings suspended (disk full), still 200" readyz_says '^suspended \(disk_full\)' || true
	until_ok 15 "the recording in progress listed as cut short" states_are '^cut$' || true
	sleep 5
	states_are '^cut$' || bad "recordings began while the disk was full: $(recordings)"
	rm -f "$rec/filler"
	log "space is back"
	until_ok 15 "/readyz: recordings ok again" readyz_says '^ok$' || true
	until_ok 15 "recording resumed in a new file" states_are '^cut,(recording|closed)$' || true
else
	until_ok 15 "/readyz: recordings suspended (below the reserve), still 200" readyz_says '^suspended \(low_space\)' || true
	sleep 10
	[[ $(recordings) == "[]" ]] || bad "recordings began below the reserve: $(recordings)"
fi

status=0
wait "$surge" || status=$?
[[ $status == 0 ]] || bad "fireline loadgen exited $status: $(tail -5 "$work/surge.log")"
log "surge: $(jq -c '{acknowledged, lost, double_dispatches}' "$work/surge.json" 2>/dev/null || echo 'no summary')"
status=0
wait "$media" || status=$?
[[ $status == 0 ]] || bad "media/loadgen exited $status: $(tail -5 "$work/media.log")"
if jq -e '.forwarded >= 1 and .failed == 0 and .recv_packets > 0' "$work/media.json" >/dev/null 2>&1; then
	log "ok: the live video reached the console throughout: $(jq -c '{recv_packets, loss_pct, latency_p99_us}' "$work/media.json")"
else
	bad "the live video did not reach the console: $(cat "$work/media.json" 2>/dev/null)"
fi
pids=()
grep -q 'recording suspended' "$work/dev.log" || bad "the node logged no warning that recording was suspended"

pg=$(sed -n 's/.*PostgreSQL starting.* port=\([0-9]*\).*/\1/p' "$work/dev.log" | head -1)
if DATABASE_URL="postgres://fireline_app@127.0.0.1:$pg/fireline?sslmode=disable" TEMPORAL_ADDRESS="127.0.0.1:$temporal" \
	"$bin" verify >"$work/verify.out" 2>&1; then
	log "ok: fireline verify: $(tail -1 "$work/verify.out")"
else
	bad "fireline verify: $(cat "$work/verify.out")"
fi

if ((fail)); then
	log "FAILED (mode $mode); the node's log: $work/dev.log"
	KEEP=1
	exit 1
fi
log "passed (mode $mode)"
