#!/usr/bin/env bash
# vulncheck.sh runs govulncheck over the module's requirements and the Go it builds with, offline:
# the vulnerability database is golang.org/x/vulndb's OSV files, fetched as a module through the
# module proxy (vuln.go.dev need not be reachable) and pinned, so a run is reproducible; pass
# VULNDB=latest for the newest. It fails on any finding scripts/vulncheck-known.txt does not
# explain, and prints the explained ones with their reasons.
#
# This is the module-level scan (about a second). `make vulncheck` runs the symbol-level scan,
# which also follows calls into the Temporal server and costs minutes and gigabytes.
set -euo pipefail
go=${GO:-go}
vulndb=${VULNDB:-v0.0.0-20261105234957-e22db6528018}
govulncheck=golang.org/x/vuln/cmd/govulncheck@v1.10.0
here=$(cd "$(dirname "$0")" && pwd)

db=$("$go" mod download -json "golang.org/x/vulndb@$vulndb" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -d $db/data/osv ]] || { echo "vulncheck: no golang.org/x/vulndb@$vulndb from the module proxy" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$go" run "$govulncheck" -db "file://$db/data/osv" -scan module -format json >"$out"

found=$(grep -o '"osv": *"GO-[0-9]*-[0-9]*"' "$out" | grep -o 'GO-[0-9]*-[0-9]*' | sort -u || true)
unexplained=0
for id in $found; do
	if reason=$(grep -m1 "^$id " "$here/vulncheck-known.txt"); then
		echo "vulncheck: known: $reason"
	else
		echo "vulncheck: $id is not explained in scripts/vulncheck-known.txt: fix it or explain it there" >&2
		unexplained=$((unexplained + 1))
	fi
done
echo "vulncheck: $(wc -w <<<"$found") finding(s) with database golang.org/x/vulndb@$vulndb, $unexplained unexplained"
((unexplained == 0))
