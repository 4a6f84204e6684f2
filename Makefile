# Fireline — the two commands a newcomer needs are `make demo` and `make test`.
GO   ?= go
BIN  := bin/fireline
# Unit packages: everything except the end-to-end tests, the binary and the embedded Temporal
# server (devstack itself; devstack/pgcluster stays): only the binary links the Temporal server,
# whose cold build takes minutes on two cores. Its own test runs with `make devstack-test`.
UNIT  = $(shell $(GO) list ./... | grep -v -e '/e2e' -e '/cmd/' -e '/devstack$$')
ARGS ?=

export CGO_ENABLED := 1

# FUZZTIME is how long fuzz-smoke runs each intake adapter's fuzz target; FUZZTIME_SMALL each
# of the API's, the media server's, the importer's and the GB/T 26875.3 codec's small parsers
# (a header, a query string, a file name, an SDP body, a frame), whose few branches a fuzzer
# covers in seconds. 8 s and 4 s keep the smoke near two minutes for seventeen
# targets (their corpora also run as unit tests), inside make test's half hour beside the fault
# drills' short versions; a hunt sets FUZZTIME=10m.
FUZZTIME ?= 8s
FUZZTIME_SMALL ?= 4s
FUZZ_TARGETS = FuzzAlarm FuzzCall FuzzIoT FuzzLampPost FuzzPublic FuzzCAP
API_FUZZ_TARGETS = FuzzPMTilesHeader FuzzIncidentFilter FuzzRecordingName FuzzSDPText FuzzDecodeJSON FuzzClientAddress
MEDIA_FUZZ_TARGETS = FuzzSDPFrag FuzzOffer

.PHONY: demo test deps web build vet lint security unit fuzz-smoke e2e devstack-test clean

## demo: install what is missing, build, and run the whole embedded system on the sample city
demo: deps build
	./$(BIN) dev $(ARGS)

## test: the whole suite — vet and lint, unit tests with the race detector, the intake fuzz
## smoke, end-to-end and browser tests
test: deps vet lint unit fuzz-smoke e2e

deps:
	@scripts/deps.sh

## web: bundle the pages (web/src) into web/static/dist with esbuild, which the binary embeds
web:
	@npm run --prefix web --silent build

build: web
	$(GO) build -o $(BIN) ./cmd/fireline

vet: web
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

## lint: staticcheck on every package but those that link the Temporal server (checking them
## means type-checking the whole server, minutes on two cores), workflowcheck on the workflows
## (no I/O, clocks, goroutines or map ranges in workflow code). Pinned versions run from the module proxy, outside go.mod, so
## they never move the project's own dependencies.
STATICCHECK   = honnef.co/go/tools/cmd/staticcheck@v0.8.2
WORKFLOWCHECK = go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0
lint: web gosec
	@scripts/vulncheck.sh
	npm run --prefix web --silent lint
	$(GO) run $(STATICCHECK) $(UNIT) ./e2e/
	$(GO) run $(WORKFLOWCHECK) ./workflows/...

## security: gosec over every package, then govulncheck's symbol-level scan against the Go
## vulnerability database. `make lint` runs gosec (clean) and govulncheck's module-level scan
## (scripts/vulncheck.sh, a second), which fails on any finding scripts/vulncheck-known.txt does
## not explain. The symbol-level scan (`make vulncheck`) follows calls through the whole binary,
## Temporal server included: about 450 CPU-seconds and 12 GB of memory, so it is not in
## `make test`; it finds 24 reachable vulnerabilities that need dependency upgrades (Go 1.26.10;
## golang.org/x/net 0.60; echo 4.16 and klauspost/compress 1.20.2 under the Temporal UI server;
## otel 1.45; pion/dtls/v2, fixed only in pion/webrtc v4).
## gosec's exclusions, each with its reason (a finding in our own code is fixed, or marked
## `#nosec G### -- why` on its line):
##   G115  integer conversions: they sit in the binary formats (WebM/EBML, H.264, RTP, PMTiles,
##         H3 cells) whose field widths the format fixes; the fuzz targets check those parsers.
##   dirs  scripts, media/loadgen, internal/{benchdoc,freeport}, web/gen: developer tools that
##         read and write the files their own user names; devstack/pgcluster: the development
##         PostgreSQL, started from the developer's own binaries and folders.
## govulncheck runs offline: the database is golang.org/x/vulndb's OSV files, fetched as a
## module through the module proxy (vuln.go.dev itself need not be reachable), which
## govulncheck reads as a folder. VULNDB=latest is the newest the proxy has.
GOSEC       = github.com/securego/gosec/v2/cmd/gosec@v2.30.0
GOVULNCHECK = golang.org/x/vuln/cmd/govulncheck@v1.10.0
VULNDB     ?= latest
GOSEC_FLAGS = -quiet -exclude=G115 -exclude-dir=scripts -exclude-dir=loadgen -exclude-dir=benchdoc \
	-exclude-dir=freeport -exclude-dir=gen -exclude-dir=pgcluster
.PHONY: security gosec vulncheck
security: gosec vulncheck
gosec:
	$(GO) run $(GOSEC) $(GOSEC_FLAGS) ./...
vulncheck:
	@db=$$($(GO) mod download -json golang.org/x/vulndb@$(VULNDB) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
	test -d "$$db/data/osv" || { echo "govulncheck: no golang.org/x/vulndb@$(VULNDB) from the module proxy"; exit 1; }; \
	echo "govulncheck: database golang.org/x/vulndb@$(VULNDB) ($$db)"; \
	$(GO) run $(GOVULNCHECK) -db "file://$$db/data/osv" ./...

unit: web
	$(GO) test -race -count=1 $(UNIT)

## fuzz-smoke: each intake adapter's fuzz target for FUZZTIME, then the API's, the media
## server's and the importer's parsers for FUZZTIME_SMALL, and the GB/T 26875.3 codec's for
## the same, one after another; a crasher lands in PKG/testdata/fuzz/ to be kept as a seed
## (scripts/fuzz-smoke.sh says more).
fuzz-smoke:
	@GO=$(GO) scripts/fuzz-smoke.sh intake $(FUZZTIME) $(FUZZ_TARGETS)
	@GO=$(GO) scripts/fuzz-smoke.sh api $(FUZZTIME_SMALL) $(API_FUZZ_TARGETS)
	@GO=$(GO) scripts/fuzz-smoke.sh media $(FUZZTIME_SMALL) $(MEDIA_FUZZ_TARGETS)
	@GO=$(GO) scripts/fuzz-smoke.sh importer $(FUZZTIME_SMALL) FuzzImport
	@GO=$(GO) scripts/fuzz-smoke.sh gb26875 $(FUZZTIME_SMALL) FuzzDecode FuzzSplit

## e2e also runs the command's own tests (flags, secrets, TLS, the users' and keys' commands):
## without the race detector, as `make build` compiled what they link.
e2e: build
	$(GO) test -count=1 ./cmd/...
	FIRELINE_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 20m -v ./e2e/

devstack-test:
	$(GO) test -tags devstack -count=1 -v ./devstack/

clean:
	rm -rf bin .fireline web/static/dist

## cluster: the production topology on loopback (docs/deployment.md) — PostgreSQL, a standalone
## Temporal server built from its Go module (deploy/temporal), two `fireline serve --roles
## api,worker` nodes, a media node and HAProxy on one public port — under .cluster/, left
## running; `make cluster-stop` stops it, `make cluster-check` drills it (a node killed, the
## Temporal server restarted). First start about a minute with a warm Go cache. Not part of `make test`.
.PHONY: cluster cluster-stop cluster-check
cluster: deps build
	@scripts/cluster.sh start

cluster-stop:
	@scripts/cluster.sh stop

cluster-check: cluster
	@scripts/cluster-check.sh

## drills: the fault drills, unattended, each during a `fireline loadgen` surge (600 alarms over
## 30 s) and each followed by `fireline verify`: kill-dev (the whole `fireline dev` process tree
## killed with SIGKILL half way, restarted on the same data), restart-postgres (its PostgreSQL
## crashed and started again 10 s later), cluster (a surge through the balancer of a fresh
## `make cluster` topology while scripts/cluster-check.sh kills a node and restarts the Temporal
## server) and disk (scripts/drill-disk.sh, when it exists). One verdict a drill, logs in
## .drills/<time>/; non-zero exit if any failed. About five minutes. DRILLS picks some (e.g.
## DRILLS="kill-dev restart-postgres"); SURGE, OVER, DOWN, PLAY, ATTEMPT as the script says.
## `make test` runs short versions of kill-dev and restart-postgres (e2e/drills_test.go).
.PHONY: drills
DRILLS ?=
drills: deps build
	@scripts/drills.sh $(DRILLS)

## bench: the unit index's benchmarks — in-memory index vs brute force vs PostGIS KNN in one run,
## recommendation latency, AVL update cost — and rewrite BENCHMARKS.md. Not part of `make test`.
.PHONY: bench
bench:
	@scripts/bench.sh

## bench-media: the media benchmark — Fireline, media.Server alone and Janus under the same
## WHIP/WHEP load in one run, then glass-to-glass latency in Chromium — and rewrite its section
## of BENCHMARKS.md. As root (a network namespace); about eight minutes. Not part of `make test`.
.PHONY: bench-media
bench-media:
	@scripts/bench-media.sh

## bench-import: the import throughput — the importer against one INSERT per row, same run — into
## BENCHMARKS.md (scripts/bench-import.sh, about four minutes).
.PHONY: bench-import
bench-import:
	@scripts/bench-import.sh

## bench-devices: the device fleet's benchmark — a thousand simulated GB/T 26875.3 transmission
## devices on `fireline dev` with heartbeats, a burst of a hundred fire alarms, and the same burst
## through the JSON panel endpoint in one run — and rewrite its section of BENCHMARKS.md. About
## two minutes. `make test` runs the same test without writing the figures.
.PHONY: bench-devices
bench-devices:
	@scripts/bench-devices.sh

## bench-console: the console benchmark — the operator console in Chromium with 200 open
## incidents and 500 units sending AVL fixes, frame times idle and under load in one run, click
## to panel open — and rewrite its section of BENCHMARKS.md. About five minutes. Not part of `make test`.
.PHONY: bench-console
bench-console:
	@scripts/bench-console.sh

## bench-surge: the incident pipeline under a surge, measured from outside with `fireline
## loadgen` — 20 alarms a second for 30 s and 50 a second for 40 s, 15% second callers, each on
## a fresh `fireline dev` — and rewrite its section of BENCHMARKS.md. About four minutes.
## SURGE=30000 OVER=10m runs one long load instead; LOADS, DUPLICATES, SOURCES, PLAY as
## scripts/bench-surge.sh says. Not part of `make test`.
.PHONY: bench-surge
bench-surge:
	@scripts/bench-surge.sh
