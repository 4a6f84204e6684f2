#!/usr/bin/env bash
# bench-devices.sh runs the transmission-device fleet benchmark — a thousand simulated GB/T
# 26875.3 devices connected to `fireline dev` with heartbeats, a burst of a hundred fire alarms
# from a hundred buildings, and the same burst through the JSON panel endpoint as the baseline
# in the same run — and rewrites its section of BENCHMARKS.md. `make bench-devices` runs it;
# `make test` runs the same test without writing the figures.
#
# Environment: DEVICES (default 1000), ALARMS (100), HEARTBEAT (seconds, 10), OUT (BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."

DEVICES=${DEVICES:-1000}
ALARMS=${ALARMS:-100}
HEARTBEAT=${HEARTBEAT:-10}
OUT=$(realpath "${OUT:-BENCHMARKS.md}")

make build >/dev/null
cmdline="DEVICES=$DEVICES ALARMS=$ALARMS HEARTBEAT=$HEARTBEAT make bench-devices"
echo "bench-devices: running TestDeviceFleetBurst ($DEVICES devices, $ALARMS alarms)" >&2
FIRELINE_FLEET_DEVICES=$DEVICES FIRELINE_FLEET_ALARMS=$ALARMS FIRELINE_FLEET_HEARTBEAT=$HEARTBEAT \
FIRELINE_FLEET_BENCHMARKS=$OUT FIRELINE_FLEET_CMD=$cmdline \
	go test -count 1 -timeout 20m -run '^TestDeviceFleetBurst$' -v ./e2e/
