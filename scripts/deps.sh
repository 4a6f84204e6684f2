#!/usr/bin/env bash
# deps.sh installs what Fireline needs on a Debian machine and is missing: a C compiler (the H3
# library is C, so cgo stays on), PostgreSQL's server binaries (the embedded stack and the tests
# make throwaway clusters from them), Chromium (the browser tests), a CJK font (the sample city's
# names), jq (the README's examples) and Node with npm (the browser test's driver,
# playwright-core, which never downloads a browser of its own), xmllint (the CAP fixtures'
# schema check), ffmpeg (the recording tests encode clips with it and check recordings with
# its ffprobe), HAProxy (`make cluster`'s balancer) and GStreamer with its WHIP clients (the media test publishes a test pattern
# with them: Debian 12 has no whipsink element, but packages simple-whip-client).
# It changes nothing when everything is present, so `make demo` and `make test` can run it every time.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'deps: %s\n' "$*" >&2; }

need=()
command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v jq >/dev/null 2>&1 || need+=(jq) # the README's curl examples
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils) # checks the CAP test alerts against the OASIS schema
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg) # encodes the recorder's test clips, probes recordings
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3) # writes the base-map test's MBTiles
# The balancer of `make cluster`: HAProxy over nginx, because open-source HAProxy checks each
# node's /readyz actively (nginx's free build only notices a node failing real requests) and
# balances the GB/T 26875.3 devices' TCP connections in the same configuration. Installing it
# starts no service where there is no systemd; the cluster runs its own under .cluster/.
command -v haproxy >/dev/null 2>&1 || need+=(haproxy)
# Station and premise names are Chinese; without a CJK font a headless browser draws boxes.
fc-list 2>/dev/null | grep -qi -e 'wenquanyi' -e 'noto.*cjk' || need+=(fonts-wqy-microhei)
# GStreamer for the media test: the tools, VP8 (good), webrtcbin (bad), libnice, and the
# WHIP clients Debian has: whip-client, and the Python bindings for webrtcbin.
command -v gst-inspect-1.0 >/dev/null 2>&1 || need+=(gstreamer1.0-tools)
for p in gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-nice \
	simple-whip-client python3-gst-1.0 gir1.2-gst-plugins-bad-1.0; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done

if ((${#need[@]})); then
	log "installing from Debian's packages: ${need[*]}"
	sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		command -v sudo >/dev/null 2>&1 || { log "need root or sudo to install ${need[*]}"; exit 1; }
		sudo=(sudo)
	fi
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -q
	"${sudo[@]}" apt-get install -y -q --no-install-recommends "${need[@]}"
fi

# The embedded PostgreSQL refuses to run as root; as root Fireline runs it as this user.
if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
	log "creating the postgres system user"
	useradd --system --home-dir /var/lib/postgresql --shell /bin/false postgres
fi

command -v go >/dev/null 2>&1 || { log "Go 1.26 is required (https://go.dev/dl/); it is not installed"; exit 1; }

# The browser test's driver, pinned by e2e/browser/package-lock.json.
if [[ -f e2e/browser/package-lock.json ]]; then
	if [[ ! -d e2e/browser/node_modules/playwright-core ]] ||
		[[ e2e/browser/package-lock.json -nt e2e/browser/node_modules/.package-lock.json ]]; then
		log "installing the browser test's node modules"
		npm ci --prefix e2e/browser --no-audit --no-fund --loglevel=error
	fi
fi
# The pages' build and lint tools and MapLibre, pinned by web/package-lock.json. Some npm
# packages carry Go files of their own; a go.mod in node_modules keeps them out of ./...
if [[ ! -d web/node_modules/esbuild ]] || [[ web/package-lock.json -nt web/node_modules/.package-lock.json ]]; then
	log "installing the pages' node modules (esbuild, ESLint, MapLibre)"
	npm ci --prefix web --no-audit --no-fund --loglevel=error
fi
[[ -f web/node_modules/go.mod ]] || printf '// npm packages, not part of the fireline module: this go.mod keeps ./... out of them.\nmodule fireline.invalid/node_modules\n' >web/node_modules/go.mod
log "ok: go $(go env GOVERSION), $(ls -d /usr/lib/postgresql/*/bin | tail -1), $(chromium --version 2>/dev/null | head -1), node $(node --version), $(ffprobe -version 2>/dev/null | head -1 | cut -d' ' -f1-3)"
