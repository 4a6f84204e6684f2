#!/usr/bin/env bash
# bench-import.sh runs the import benchmark — the San Francisco export replicated to about
# 100,000 rows, imported by the importer (COPY to staging), again (a re-import), by one INSERT
# per row (the baseline) and read alone — against a throwaway PostgreSQL, and rewrites the
# import section of BENCHMARKS.md. `make bench-import` runs it; `make test` does not.
#
# Environment: COUNT (runs of each variant, default 5), OUT (default BENCHMARKS.md).
# About four minutes on two cores, most of it the baseline.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'bench-import: %s\n' "$*" >&2; }

COUNT=${COUNT:-5}
OUT=${OUT:-BENCHMARKS.md}

cmd=(go test -run '^$' -bench 'BenchmarkImport' -benchtime 1x -count "$COUNT" -timeout 30m -v ./importer/)
cmdline="go test -run '^\$' -bench 'BenchmarkImport' -benchtime 1x -count $COUNT -timeout 30m -v ./importer/"

raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
# Build first, so compiling is not part of the run or its load figures.
go test -run '^$' -count 1 -c -o /dev/null ./importer/
log "running: $cmdline"
before=$(cut -d' ' -f1-3 /proc/loadavg | sed 's/ /, /g')
start=$(date +%s)
if ! "${cmd[@]}" 2>&1 | tee "$raw"; then
	log "the benchmark failed; $OUT is left as it was"
	exit 1
fi
after=$(cut -d' ' -f1-3 /proc/loadavg | sed 's/ /, /g')
go run ./scripts/benchimportreport -in "$raw" -out "$OUT" -cmd "$cmdline" \
	-meta "load-before=$before" -meta "load-after=$after" -meta "elapsed=$(($(date +%s) - start)) s"
log "wrote $OUT"
