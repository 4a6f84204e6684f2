#!/usr/bin/env bash
# bench.sh runs the unit index's benchmarks — nearest-k by the in-memory H3 index, by a brute-force
# scan and by PostGIS KNN over the same units in one run, full recommendation latency, and the
# index update per AVL ping — and rewrites the generated section of BENCHMARKS.md with the
# figures, their ratios, the machine and the command. `make bench` runs it; `make test` does not.
#
# Environment: COUNT (runs of each benchmark, default 5), BENCHTIME (how long each run lasts,
# default 1s), BENCH (the -bench pattern, default all), OUT (default BENCHMARKS.md).
# About six minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'bench: %s\n' "$*" >&2; }

COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-1s}
BENCH=${BENCH:-.}
OUT=${OUT:-BENCHMARKS.md}

install() {
	local sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		command -v sudo >/dev/null 2>&1 || { log "need root or sudo to install $*"; exit 1; }
		sudo=(sudo)
	fi
	log "installing from Debian's packages: $*"
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -q
	"${sudo[@]}" apt-get install -y -q --no-install-recommends "$@"
}

# The throwaway cluster (devstack/pgcluster) uses the newest server under /usr/lib/postgresql;
# PostGIS must match its major version.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || install postgresql
major=$(ls /usr/lib/postgresql | sort -n | tail -1)
[[ -f /usr/share/postgresql/$major/extension/postgis.control ]] || install "postgresql-$major-postgis-3"
# The server refuses to run as root; as root, pgcluster runs it as this user.
if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
	log "creating the postgres system user"
	useradd --system --home-dir /var/lib/postgresql --shell /bin/false postgres
fi

# -p 1: the two packages' benchmarks must not run at the same time on two cores.
# -v: the PostGIS benchmark logs the server's versions, which the report quotes.
cmd=(go test -p 1 -run '^$' -bench "$BENCH" -benchmem -benchtime "$BENCHTIME" -count "$COUNT" -timeout 30m -v ./resources/ ./postgres/)
cmdline="go test -p 1 -run '^\$' -bench '$BENCH' -benchmem -benchtime $BENCHTIME -count $COUNT -timeout 30m -v ./resources/ ./postgres/"

raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
# Build first, so compiling (h3 is C) is not part of the run or its load figures.
go test -run '^$' -count 1 -c -o /dev/null ./resources/
go test -run '^$' -count 1 -c -o /dev/null ./postgres/
log "running: $cmdline"
before=$(cat /proc/loadavg)
start=$(date +%s)
if ! "${cmd[@]}" 2>&1 | tee "$raw"; then
	log "the benchmarks failed; $OUT is left as it was"
	exit 1
fi
after=$(cat /proc/loadavg)
elapsed="$(($(date +%s) - start)) s"
go run ./scripts/benchreport -in "$raw" -out "$OUT" -cmd "$cmdline" \
	-load-before "$before" -load-after "$after" -elapsed "$elapsed"
log "wrote $OUT"
