#!/usr/bin/env bash
# bench-console.sh runs the console benchmark and rewrites its generated section of
# BENCHMARKS.md: the operator console in Chromium with 200 open incidents on the board and 500
# units each sending an AVL fix every 5 s — frame times idle and under load in one run, click on
# an incident's row to its panel open, what the page fetched and where its main thread went.
# e2e's TestConsoleUnderLoad starts `fireline dev`, makes the load and runs the browser side
# (e2e/browser/console.bench.mjs); scripts/benchconsolereport writes the section. `make
# bench-console` runs it; `make test` does not.
#
# Environment: OUT (default BENCHMARKS.md); BENCH_IDLE_S (10), BENCH_LOAD_S (30), BENCH_CLICKS
# (40), BENCH_PROFILE_S (10) reach the browser side; FIRELINE_ARTIFACTS keeps its screenshots and
# the raw results (default: a temporary folder, removed). About five minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'bench-console: %s\n' "$*" >&2; }

OUT=${OUT:-BENCHMARKS.md}

scripts/deps.sh # Go, PostgreSQL, Chromium, Node, the pages' and the browser scripts' modules
work=$(mktemp -d /tmp/fireline-bench-console.XXXXXX)
trap 'rm -rf "$work"' EXIT
make --no-print-directory build

commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n $(git status --porcelain -- web/src 2>/dev/null) ]]; then commit+=" with uncommitted changes in web/src"; fi

log "running TestConsoleUnderLoad"
before=$(cat /proc/loadavg)
start=$(date +%s)
date=$(date -u '+%Y-%m-%d %H:%M UTC')
if ! FIRELINE_BIN="$PWD/bin/fireline" FIRELINE_BENCH_CONSOLE=1 FIRELINE_BENCH_OUT="$work/results.json" \
	FIRELINE_ARTIFACTS="${FIRELINE_ARTIFACTS:-$work/artifacts}" \
	go test -count 1 -timeout 20m -v -run '^TestConsoleUnderLoad$' ./e2e/; then
	log "the benchmark failed; $OUT is left as it was"
	exit 1
fi
after=$(cat /proc/loadavg)
if [[ -n ${FIRELINE_ARTIFACTS:-} ]]; then cp "$work/results.json" "$FIRELINE_ARTIFACTS/console-bench-results.json"; fi
elapsed="$(($(date +%s) - start)) s"

mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
cpu="$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo) ($(nproc) logical CPUs, \`nproc\`)"
go run ./scripts/benchconsolereport -in "$work/results.json" -out "$OUT" -cmd "make bench-console" \
	-meta "date=$date" -meta "cpu=$cpu" -meta "memory=$mem" -meta "go=$(go env GOVERSION) $(go env GOOS)/$(go env GOARCH)" \
	-meta "commit=$commit (\`make build\`: web/src bundled by esbuild, embedded in bin/fireline)" \
	-meta "load-before=$(awk '{print $1", "$2", "$3}' <<<"$before")" -meta "load-after=$(awk '{print $1", "$2", "$3}' <<<"$after")" \
	-meta "elapsed=$elapsed"
log "wrote $OUT"
