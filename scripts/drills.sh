#!/usr/bin/env bash
# drills.sh runs Fireline's fault drills unattended, each during a surge from `fireline loadgen`
# (which resends an unanswered, 429 or 5xx alarm with its same source id, as a real source
# does), each followed by `fireline verify` over the surge's receipts, and prints one verdict a
# drill. It exits non-zero when any drill failed.
#
#   scripts/drills.sh [DRILL...]    (default: kill-dev restart-postgres cluster disk)
#
#   kill-dev          `fireline dev`; half way through the surge the whole process tree (the
#                     embedded PostgreSQL and its backends, the in-process Temporal server, the
#                     worker and the API) is killed with SIGKILL, then started again on the same
#                     data while the surge's resends carry on.
#   restart-postgres  `fireline dev`; a third of the way through the surge its embedded
#                     PostgreSQL is stopped as by a crash (pg_ctl -m immediate) and started
#                     again DOWN seconds later on the same port; meanwhile intake must answer
#                     503 with Retry-After.
#   cluster           the production topology (scripts/cluster.sh, a fresh one in the drill's
#                     folder unless CLUSTER_DIR names one, ports from CLUSTER_PORT, default
#                     18600): scripts/cluster-check.sh posts alarms and a loadgen surge (SURGE
#                     over OVER) through the balancer while it kills -9 one node and restarts
#                     the Temporal server, and ends with fireline verify. The topology is
#                     stopped afterwards. Skipped, and said so, without HAProxy or jq.
#   disk              the recordings disk filled during a surge: scripts/drill-disk.sh (the
#                     media side's), run with FIRELINE, SURGE and OVER; its exit status is the
#                     verdict, its output in the drill's folder.
#
# A dev drill passes when every planned alarm was acknowledged, none lost, failed or left
# unchecked, every incident recommended, no unit on two incidents at once, no alarm left
# awaiting its hand-off, and verify reports no violation. What the
# played operators and crews were refused (a 409 for an order a 503 had in fact carried out, a
# unit taken by another incident) is printed, not judged: those are the console's to handle.
#
# Environment: SURGE (alarms a drill, default 600) over OVER (default 30s) — the issue's 20
# alarms a second —, PLAY (incidents operators and crews work through dispatch to close
# meanwhile, default 10), ATTEMPT (how long loadgen waits for an answer before it resends,
# default 10s), DOWN (restart-postgres' outage, default 10s), FIRELINE (the binary,
# default bin/fireline), DRILLS_DIR (the logs, default .drills/<UTC time>). Each drill's
# logs — fireline's runs, loadgen's progress and summary, the receipts, verify's report — are
# kept in DRILLS_DIR/<drill>/. About two minutes for the two dev drills, a minute and a half for
# the cluster (its first start also builds the Temporal server), one for the disk.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
ROOT=$PWD
FIRELINE=${FIRELINE:-$ROOT/bin/fireline}
[[ $FIRELINE = /* ]] || FIRELINE=$ROOT/$FIRELINE
SURGE=${SURGE:-600}
OVER=${OVER:-30s}
DOWN=${DOWN:-10s}
PLAY=${PLAY:-10}
ATTEMPT=${ATTEMPT:-10s}
DIR=${DRILLS_DIR:-$ROOT/.drills/$(date -u +%Y%m%d-%H%M%S)}
[[ $DIR = /* ]] || DIR=$ROOT/$DIR
PASSWORD=drill-$RANDOM$RANDOM
export FIRELINE_DEMO_PASSWORD=$PASSWORD

say() { printf 'drills: %s\n' "$*" >&2; }
phase() { say "[$DRILL] $*"; }
secs() { # secs 30s|2m|45: whole seconds
	local v=$1
	case $v in
	*ms) echo 0 ;; *s) echo "${v%s}" ;; *m) echo $((${v%m} * 60)) ;; *) echo "$v" ;;
	esac
}
OVER_S=$(secs "$OVER")
DOWN_S=$(secs "$DOWN")

[[ -x $FIRELINE ]] || { say "no fireline binary at $FIRELINE: run make build"; exit 2; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
as_pg=()
if [[ $(id -u) -eq 0 ]]; then as_pg=(runuser -u postgres --); fi


# ---- one fireline dev, its ports and data in the drill's folder ---------------------------
DEV_PID='' DEV_RUN=0
dev_start() { # dev_start: run fireline dev on the drill's data, wait until /readyz answers 200
	DEV_RUN=$((DEV_RUN + 1))
	local log=$D/fireline-$DEV_RUN.log i t0
	t0=$(date +%s%N)
	setsid "$FIRELINE" dev --http "127.0.0.1:$HTTP" --data "$D/data" --temporal-port "$TPORT" --ui-port "$UIPORT" \
		--gb26875 "127.0.0.1:$GBPORT" >"$log" 2>&1 </dev/null &
	DEV_PID=$!
	for ((i = 0; i < 720; i++)); do
		if curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$HTTP/readyz" 2>/dev/null; then
			phase "fireline dev run $DEV_RUN ready in $((($(date +%s%N) - t0) / 1000000)) ms (pid $DEV_PID, log $log)"
			return 0
		fi
		if ! kill -0 "$DEV_PID" 2>/dev/null; then
			tail -20 "$log" >&2
			phase "fireline dev exited during start-up"
			return 1
		fi
		sleep 0.25
	done
	phase "fireline dev not ready in 3 minutes"
	return 1
}
dev_stop() { # dev_stop: SIGINT, as Ctrl-C, and wait for a clean exit
	[[ -n $DEV_PID ]] || return 0
	kill -INT "$DEV_PID" 2>/dev/null
	local i
	for ((i = 0; i < 240; i++)); do
		kill -0 "$DEV_PID" 2>/dev/null || break
		sleep 0.25
	done
	if kill -0 "$DEV_PID" 2>/dev/null; then
		phase "fireline dev still running 60 s after SIGINT: killed"
		kill -KILL "$DEV_PID" 2>/dev/null
	fi
	wait "$DEV_PID" 2>/dev/null
	DEV_PID=''
}
tree() { # tree PID: the processes under PID, parents first
	local c
	for c in $(ps -o pid= --ppid "$1"); do
		echo "$c"
		tree "$c"
	done
}
pg_port() { # the embedded PostgreSQL's port, from the last run's log
	sed -n 's/.*PostgreSQL starting.* port=\([0-9]*\).*/\1/p' "$D/fireline-$DEV_RUN.log" | tail -1
}
db_url() { echo "postgres://fireline_app@127.0.0.1:$(pg_port)/fireline?sslmode=disable"; }
pg_ctl() { "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$D/data/postgres" "$@"; }

# ---- the surge and the verdict ------------------------------------------------------------
LOAD_PID=''
load_start() {
	"$FIRELINE" loadgen --target "http://127.0.0.1:$HTTP" --surge "$SURGE" --over "$OVER" --run-id "drill-$DRILL" \
		--attempt-timeout "$ATTEMPT" --play "$PLAY" --think 2s --crew-step 1s --json "$D/summary.json" --acked "$D/acked.jsonl" >"$D/loadgen.log" 2>&1 &
	LOAD_PID=$!
	phase "surge: $SURGE alarms over $OVER (loadgen pid $LOAD_PID, log $D/loadgen.log)"
}
load_wait() { # load_wait: 0 when loadgen found every alarm acknowledged and none lost
	local rc=0
	wait "$LOAD_PID" || rc=$?
	LOAD_PID=''
	grep -E '^(alarms|acknowledgement|alarm →)' "$D/loadgen.log" | sed "s/^/drills: [$DRILL]   /" >&2
	[[ -s $D/summary.json ]] || { phase "loadgen wrote no summary (exit $rc)"; return 1; }
	local planned acked lost failed unchecked doubles played dispatches incidents recommended timedout
	read -r planned acked lost failed unchecked doubles played dispatches incidents recommended timedout < <(jq -r \
		'"\(.planned) \(.acknowledged) \(.lost) \(.failed) \(.unchecked // 0) \(.double_dispatches) \(.played) \(.dispatches) \(.incidents) \(.recommended) \(.timed_out // false)"' "$D/summary.json")
	jq -r '(.lost_alarms // [])[], (.failures // [])[], (.doubles // [])[], ((.play_errors // [])[] | "play: " + .)' "$D/summary.json" |
		sed '/^[[:space:]]*$/d' | head -20 | sed "s/^/drills: [$DRILL]   /" >&2
	# loadgen waits for the recommendation of every incident its alarms opened (not those they
	# joined) until its time is up: timed out, some never came. Name them, with their alarms'
	# hand-off marks.
	if [[ $timedout == true ]]; then
		"$PGBIN/psql" -XtA -F ' ' -c "SELECT i.id, i.status, i.created_at, a.id, a.stored_at, a.handed_off_at
			FROM incidents i JOIN alarms a ON a.incident_id = i.id WHERE NOT EXISTS (SELECT FROM incident_events e
			WHERE e.incident_id = i.id AND e.kind = 'recommended') ORDER BY i.id, a.id" \
			"$(db_url)" 2>&1 | tee "$D/unrecommended.txt" |
			sed "s/^/drills: [$DRILL]   no recommendation: /" >&2
	fi
	SUMMARY="$acked/$planned acknowledged, $lost lost, $failed failed; $incidents incidents, $recommended recommended of those it opened; $played worked, $dispatches dispatches, $doubles units on two incidents"
	((rc == 0 && acked == planned && lost == 0 && failed == 0 && unchecked == 0 && doubles == 0)) &&
		[[ $timedout == false ]]
}
handoffs() { # how many alarms the starter handed on after a delay, over the drill's runs
	cat "$D"/fireline-*.log 2>/dev/null | sed -n 's/.*msg="alarms handed off after a delay".* count=\([0-9]*\).*/\1/p' |
		awk '{n += $1} END {print n + 0}'
}
drained() { # drained: 0 once no alarm awaits its hand-off to its workflow (30 s at most)
	local n i
	for ((i = 0; i < 30; i++)); do
		n=$("$PGBIN/psql" -XtAc "SELECT count(*) FROM alarms WHERE handed_off_at IS NULL AND incident_id IS NOT NULL" \
			"$(db_url)" 2>&1)
		[[ $n == 0 ]] && break
		sleep 1
	done
	phase "alarms awaiting their hand-off: $n; the starter handed on $(handoffs) after a delay (intake/starter.go)"
	[[ $n == 0 ]]
}
verify() {
	local rc=0
	phase "fireline verify"
	DATABASE_URL="postgres://fireline_app@127.0.0.1:$(pg_port)/fireline?sslmode=disable" TEMPORAL_ADDRESS=127.0.0.1:$TPORT \
		"$FIRELINE" verify --alarms "$D/acked.jsonl" --settle 5s >"$D/verify.log" 2>&1 || rc=$?
	tail -1 "$D/verify.log" | sed "s/^/drills: [$DRILL]   /" >&2
	grep VIOLATION "$D/verify.log" | head -10 | sed "s/^/drills: [$DRILL]   /" >&2
	return $rc
}

# ---- the drills ---------------------------------------------------------------------------
drill_kill_dev() {
	dev_start || return 1
	load_start
	sleep $((OVER_S / 2))
	local pids
	mapfile -t pids < <(tree "$DEV_PID")
	phase "SIGKILL fireline dev (pid $DEV_PID) and the ${#pids[@]} processes under it"
	# The processes under it first, deepest last to first: the embedded PostgreSQL must die
	# by the kill, not by the fast shutdown its parent's death would ask for.
	local i
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -KILL "${pids[i]}" 2>/dev/null; done
	kill -KILL "$DEV_PID"
	wait "$DEV_PID" 2>/dev/null
	DEV_PID=''
	phase "restarting fireline dev on the same data"
	dev_start || return 1
	local ok=0
	phase "waiting for the surge to end and loadgen's read-back"
	load_wait || ok=1
	drained || ok=1
	verify || ok=1
	dev_stop
	return $ok
}

drill_restart_postgres() {
	dev_start || return 1
	local opts
	opts=$(cut -d' ' -f2- "$D/data/postgres/postmaster.opts")
	local token
	token=$(jq -n --arg p "$PASSWORD" '{username:"operator",password:$p}' |
		curl -fsS --max-time 5 "http://127.0.0.1:$HTTP/api/v1/auth/login" -H 'Content-Type: application/json' -d @- | jq -r .token)
	load_start
	sleep $((OVER_S / 3))
	phase "PostgreSQL: immediate shutdown (as a crash), down for $DOWN"
	pg_ctl stop -m immediate -w >>"$D/pg_ctl.log" 2>&1 || { phase "pg_ctl stop failed (see $D/pg_ctl.log)"; dev_stop; return 1; }
	sleep 2
	# An alarm of its own while the database is away: 503 with Retry-After, not accepted.
	local hdr code retry ok=0
	hdr=$(curl -sS --max-time 30 -o "$D/while-down.json" -D - "http://127.0.0.1:$HTTP/api/v1/alarms" \
		-H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		-d "{\"source\":\"call\",\"source_id\":\"drill-while-down-$RANDOM\",\"type\":\"structure_fire\",\"lat\":36.45,\"lng\":115.98,\"reported_at\":\"$(date -u +%FT%TZ)\"}")
	code=$(awk 'NR == 1 {print $2}' <<<"$hdr")
	retry=$(awk 'tolower($1) == "retry-after:" {print $2}' <<<"$hdr" | tr -d '\r')
	phase "an alarm while PostgreSQL is down: $code, Retry-After ${retry:-none}"
	[[ $code == 503 && -n $retry ]] || { phase "FAIL: want 503 with Retry-After"; ok=1; }
	sleep $((DOWN_S > 2 ? DOWN_S - 2 : 0))
	phase "PostgreSQL: starting again on the same data and port"
	# shellcheck disable=SC2086 # opts is postmaster.opts' quoted list, for pg_ctl's shell
	pg_ctl start -w -t 120 -l "$D/data/postgres/server.log" -o "$opts" >>"$D/pg_ctl.log" 2>&1 ||
		{ phase "pg_ctl start failed (see $D/pg_ctl.log)"; dev_stop; return 1; }
	phase "waiting for the surge to end and loadgen's read-back"
	load_wait || ok=1
	drained || ok=1
	verify || ok=1
	dev_stop
	# The server pg_ctl started is not fireline's child: it is stopped here.
	pg_ctl stop -m fast -w >>"$D/pg_ctl.log" 2>&1
	return $ok
}

drill_cluster() {
	if ! command -v haproxy >/dev/null || ! command -v jq >/dev/null; then
		SKIP="HAProxy or jq is missing (scripts/deps.sh installs them)"
		return 0
	fi
	# A fresh topology each run, its logs kept with the drill's: a second surge on the last
	# run's open incidents would only join them (same places, within the dedupe window). The
	# Temporal server's binaries, half a minute to link, are kept between runs (hard links).
	export CLUSTER_DIR=${CLUSTER_DIR:-$D/state} CLUSTER_PORT=${CLUSTER_PORT:-18600} FIRELINE
	local rc=0 kept=$ROOT/.drills/cluster-bin
	if [[ -d $kept && ! -e $CLUSTER_DIR/bin ]]; then mkdir -p "$CLUSTER_DIR" && cp -pl -r "$kept" "$CLUSTER_DIR/bin"; fi
	phase "starting the topology in $CLUSTER_DIR (log $D/cluster.log)"
	CLUSTER_UP=1
	scripts/cluster.sh start >"$D/cluster.log" 2>&1 || { tail -5 "$D/cluster.log" >&2; phase "the topology did not start"; return 1; }
	[[ -d $kept ]] || cp -pl -r "$CLUSTER_DIR/bin" "$kept"
	# cluster-check posts its own alarms around a kill -9 of api1 and a restart of the Temporal
	# server, then the loadgen surge (SURGE over OVER, operators and crews at work) with api1
	# killed a quarter in and the Temporal server restarted half way, and ends with verify.
	phase "scripts/cluster-check.sh: alarms and a $SURGE-alarm surge through the balancer, api1 killed, the Temporal server restarted (log $D/cluster-check.log)"
	SURGE=$SURGE OVER=$OVER scripts/cluster-check.sh "${CLUSTER_ALARMS:-10}" >"$D/cluster-check.log" 2>&1 || rc=$?
	grep -E '^check: |^alarms acknowledged|^alarms: |checked [0-9]+ incidents' "$D/cluster-check.log" |
		grep -Ev 'signed in|restarting|restarted$' | sed "s/^/drills: [$DRILL]   /" >&2
	SUMMARY=$(grep -E '^alarms acknowledged' "$D/cluster-check.log" | tail -1)
	local surge
	surge=$(grep -E '^alarms: ' "$D/cluster-check.log" "$CLUSTER_DIR"/logs/surge.log 2>/dev/null | tail -1 | sed 's/^[^:]*:alarms: //; s/^alarms: //')
	[[ -n $surge ]] && SUMMARY="$SUMMARY; surge: $surge"
	return $rc
}

drill_disk() {
	if [[ ! -x scripts/drill-disk.sh ]]; then
		SKIP="scripts/drill-disk.sh does not exist yet"
		return 0
	fi
	phase "scripts/drill-disk.sh: the recordings disk fills during a surge (log $D/drill-disk.log)"
	local rc=0
	FIRELINE=$FIRELINE SURGE=$SURGE OVER=$OVER scripts/drill-disk.sh >"$D/drill-disk.log" 2>&1 || rc=$?
	tail -5 "$D/drill-disk.log" | sed "s/^/drills: [$DRILL]   /" >&2
	return $rc
}

CLUSTER_UP=''
cleanup() {
	[[ -n $LOAD_PID ]] && kill "$LOAD_PID" 2>/dev/null
	dev_stop
	if [[ -n $CLUSTER_UP ]]; then scripts/cluster.sh stop >>"$D/cluster.log" 2>&1; CLUSTER_UP=''; fi
	if [[ -n ${D:-} && -f $D/data/postgres/postmaster.pid ]]; then pg_ctl stop -m fast -w >/dev/null 2>&1; fi
}
trap 'cleanup; exit 130' INT TERM

DRILLS=("$@")
((${#DRILLS[@]})) || DRILLS=(kill-dev restart-postgres cluster disk)
mkdir -p "$DIR"
FREE_PORTS_FILE=$DIR/ports
say "logs in $DIR; ${#DRILLS[@]} drills: ${DRILLS[*]}"
VERDICTS=() FAILED=0
for DRILL in "${DRILLS[@]}"; do
	D=$DIR/$DRILL
	mkdir -p "$D"
	# PostgreSQL runs as postgres when we are root: it must reach its data folder.
	chmod 755 "$DIR" "$D"
	HTTP=$(free_port) TPORT=$(free_port) UIPORT=$(free_port) GBPORT=$(free_port)
	SUMMARY='' SKIP='' DEV_RUN=0
	T0=$SECONDS
	say "=== $DRILL"
	rc=0
	case $DRILL in
	kill-dev) drill_kill_dev || rc=$? ;;
	restart-postgres) drill_restart_postgres || rc=$? ;;
	cluster) drill_cluster || rc=$? ;;
	disk) drill_disk || rc=$? ;;
	*) say "unknown drill $DRILL"; rc=2 ;;
	esac
	cleanup
	if [[ -n $SKIP ]]; then
		v="SKIPPED  $DRILL: $SKIP"
	elif ((rc == 0)); then
		v="PASS     $DRILL: ${SUMMARY:+$SUMMARY; }verify passed; $((SECONDS - T0)) s"
	else
		v="FAIL     $DRILL: ${SUMMARY:+$SUMMARY; }see $D; $((SECONDS - T0)) s"
		FAILED=$((FAILED + 1))
	fi
	say "$v"
	VERDICTS+=("$v")
done
echo
printf '%s\n' "${VERDICTS[@]}"
exit $((FAILED > 0))
