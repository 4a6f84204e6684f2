#!/usr/bin/env bash
# bench-surge.sh measures the incident pipeline under a surge of alarms, from outside: for each
# load it starts a fresh `fireline dev` (its own data directory and ports), runs `fireline
# loadgen` against it (alarms spread over the sample city, 15% second callers, calls, public
# reports and panels), stops the stack, and finally rewrites BENCHMARKS.md's bench-surge
# section from the runs' JSON summaries. `make bench-surge` runs it; nothing of it is in
# `make test` (the e2e test TestLoadgenSurgeWithCrews is the short version).
#
# Environment: LOADS, space-separated N:T pairs (default "600:30s 2000:40s", i.e. 20 and 50
# alarms a second), or SURGE and OVER for one load (e.g. SURGE=30000 OVER=10m); DUPLICATES
# (0.15); SOURCES (call=0.7,public=0.2,iot=0.1); PLAY (incidents worked by operators and
# crews, 0); OUT (BENCHMARKS.md); KEEP=1 keeps the runs' folder; BASELINE, a fireline binary
# built from an earlier commit, runs each load on it first ("before") and then on this
# checkout's build ("after"), each on a fresh stack, so both share the machine and the moment
# (ratios, not absolute times, are what compare across runs on a noisy machine); READ_RATE
# (60), the reads a second that check every alarm once a load is sent; TIMEOUT ends a run,
# checks included (default: loadgen's). The stacks allow 6,000 sign-ins a minute from one
# address, so that loadgen signs every crew in before the first alarm, as crews on shift are
# (each from a tablet of its own, not all from loadgen's one address).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

if [[ -n "${SURGE:-}" ]]; then
	LOADS="$SURGE:${OVER:?OVER goes with SURGE, e.g. OVER=10m}"
fi
LOADS=${LOADS:-"600:30s 2000:40s"}
DUPLICATES=${DUPLICATES:-0.15}
SOURCES=${SOURCES:-call=0.7,public=0.2,iot=0.1}
PLAY=${PLAY:-0}
OUT=$(realpath "${OUT:-BENCHMARKS.md}")

make build >/dev/null
bin=$(realpath bin/fireline)
builds=("after=$bin")
if [[ -n "${BASELINE:-}" ]]; then
	builds=("before=$(realpath "$BASELINE")" "after=$bin")
fi
work=$(mktemp -d /tmp/bench-surge.XXXXXX)
FREE_PORTS_FILE=$work/ports
# The embedded PostgreSQL runs as the postgres user when this runs as root.
chmod 755 "$work"
export FIRELINE_DEMO_PASSWORD="bench-surge-$RANDOM$RANDOM"
pid=
cleanup() {
	if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
		kill -INT "$pid"
		wait "$pid" || true
	fi
	[[ "${KEEP:-}" == 1 ]] || rm -rf "$work"
}
trap cleanup EXIT


summaries=()
cmdline="LOADS=\"$LOADS\" DUPLICATES=$DUPLICATES SOURCES=$SOURCES PLAY=$PLAY${BASELINE:+ BASELINE=$BASELINE} make bench-surge"
i=0
for load in $LOADS; do
	for build in "${builds[@]}"; do
	label=${build%%=*}
	server=${build#*=}
	i=$((i + 1))
	n=${load%%:*}
	over=${load#*:}
	http=$(free_port) temporal=$(free_port) ui=$(free_port) gb=$(free_port)
	echo "bench-surge: run $i ($label): fresh fireline dev on 127.0.0.1:$http" >&2
	"$server" dev --http "127.0.0.1:$http" --data "$work/data-$i" --temporal-port "$temporal" --ui-port "$ui" \
		--gb26875 "127.0.0.1:$gb" --login-rate 6000 >"$work/dev-$i.log" 2>&1 &
	pid=$!
	for _ in $(seq 180); do
		if curl -sf "http://127.0.0.1:$http/readyz" >/dev/null; then break; fi
		kill -0 "$pid" 2>/dev/null || { tail -20 "$work/dev-$i.log" >&2; exit 1; }
		sleep 1
	done
	echo "bench-surge: run $i ($label): $n alarms over $over" >&2
	status=0
	"$bin" loadgen --target "http://127.0.0.1:$http" --surge "$n" --over "$over" --duplicates "$DUPLICATES" \
		--sources "$SOURCES" --play "$PLAY" --label "$label" --read-rate "${READ_RATE:-60}" ${TIMEOUT:+--timeout "$TIMEOUT"} \
		--json "$work/run-$i.json" || status=$?
	kill -INT "$pid"
	wait "$pid" || true
	pid=
	[[ -f "$work/run-$i.json" ]] || { echo "bench-surge: run $i wrote no summary (status $status)" >&2; exit 1; }
	summaries+=("$work/run-$i.json")
	done
done
"$bin" loadgen report --benchmarks "$OUT" --command "$cmdline" "${summaries[@]}"
echo "bench-surge: wrote $OUT" >&2
