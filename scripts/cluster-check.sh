#!/usr/bin/env bash
# cluster-check.sh drills the topology that scripts/cluster.sh runs, all through the balancer's
# public port: it signs in as an operator, posts alarms, kills -9 one fireline node and posts
# more while the balancer notices, brings the node back, restarts the Temporal server and posts
# more, then shows every alarm acknowledged, attached to an incident, and every incident
# present and carried on by its workflow. It starts the cluster when it is not running.
#
#   scripts/cluster-check.sh [ALARMS_PER_PHASE]   (default 10; three phases)
#   SURGE=N OVER=Ts scripts/cluster-check.sh      (then a loadgen surge, default 600 over 30s)
#
# Like a real alarm source, it resends an alarm that got no answer (or 429/502/503) with the
# same source id, for up to a minute; intake deduplicates it. It exits non-zero on any alarm
# not acknowledged, or acknowledged but not found afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10}
CLUSTER=scripts/cluster.sh

log() { printf 'check: %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
command -v jq >/dev/null || die "jq is missing: run scripts/deps.sh"

eval "$($CLUSTER env)"
$CLUSTER start >/dev/null 2>&1 || $CLUSTER start # quiet when it is up, loud when it fails
FIRELINE=${FIRELINE:-bin/fireline}

# An operator of the cluster's own, password generated like every other.
if [[ ! -s $SECRETS/operator-password ]]; then
	(umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$SECRETS/operator-password")
fi
if ! DATABASE_URL_FILE=$SECRETS/database-url "$FIRELINE" users list 2>/dev/null | awk '$1 == "check-operator" {f = 1} END {exit !f}'; then
	DATABASE_URL_FILE=$SECRETS/database-url "$FIRELINE" users add check-operator --role operator \
		--password-file "$SECRETS/operator-password" >/dev/null
fi
login() {
	jq -n --arg u check-operator --rawfile p "$SECRETS/operator-password" '{username:$u,password:($p | rtrimstr("\n"))}' |
		curl -fsS --max-time 5 "$PUBLIC/api/v1/auth/login" -H 'Content-Type: application/json' -d @- | jq -er .token
}
TOKEN=$(login) || die "cannot sign in through the balancer at $PUBLIC"
log "signed in through the balancer at $PUBLIC"

RUN=$(date -u +%Y%m%d%H%M%S)
ACKS=$(mktemp)
trap 'rm -f "$ACKS"' EXIT

# post I PHASE: one alarm, resent until acknowledged (60 s at most). Positions spread over the
# main districts of the sample city so that alarms make incidents of their own.
post() {
	local i=$1 phase=$2 body code out t0=$SECONDS tries=0
	local lat lng
	lat=$(awk -v i="$i" 'BEGIN{printf "%.5f", 36.40 + (i % 10) * 0.012}')
	lng=$(awk -v i="$i" 'BEGIN{printf "%.5f", 115.92 + int(i / 10) * 0.015}')
	body=$(jq -nc --arg sid "check-$RUN-$i" --arg t "$(date -u +%FT%TZ)" --argjson lat "$lat" --argjson lng "$lng" \
		'{source:"call",source_id:$sid,type:"structure_fire",lat:$lat,lng:$lng,address:"drill",description:"cluster drill",reported_at:$t}')
	while ((SECONDS - t0 < 60)); do
		tries=$((tries + 1))
		out=$(curl -sS --max-time 10 -w '\n%{http_code}' "$PUBLIC/api/v1/alarms" -H "Authorization: Bearer $TOKEN" \
			-H 'Content-Type: application/json' -d "$body" 2>/dev/null) || out=$'\n000'
		code=${out##*$'\n'}
		case $code in
		200 | 201 | 202)
			printf '%s %s %s %s\n' "$phase" "$i" "$(jq -r '"\(.alarm_id) \(.incident_id)"' <<<"${out%$'\n'*}")" "$tries" >>"$ACKS"
			return 0
			;;
		401) TOKEN=$(login) || true ;;
		esac
		sleep 1
	done
	log "alarm check-$RUN-$i (phase $phase) not acknowledged in 60s (last status $code)"
	return 1
}

phase() { # phase NAME FROM [GAP]: post N alarms, one every GAP seconds (default: 4 at once)
	local name=$1 from=$2 gap=${3:-} i failed=0 pids=()
	for ((i = from; i < from + N; i++)); do
		post "$i" "$name" &
		pids+=($!)
		if [[ -n $gap ]]; then
			sleep "$gap"
		elif ((${#pids[@]} % 4 == 0)); then sleep 0.2; fi
	done
	for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
	log "phase $name: $((N - failed))/$N alarms acknowledged"
}

T0=$SECONDS
phase before 0

# Kill one node outright while alarms are in flight: the balancer's health check (every
# second, down after two failures) and its redispatch of refused connections carry on.
log "kill -9 api1 with alarms in flight"
# Alarms spread over N/4 seconds, the kill a second in.
phase during-kill "$N" 0.25 &
PH=$!
sleep 1
$CLUSTER stop-one api1 KILL
wait "$PH"
$CLUSTER start-one api1 >/dev/null
log "api1 restarted"

# Restart the Temporal server: the nodes stay in the balancer (it checks PostgreSQL alone) and
# acknowledge alarms with their hand-off pending; each node's hand-off queue starts them, and
# the workflows carry on from PostgreSQL, when it is back.
log "restarting the Temporal server"
# Alarms spread over N/2 seconds, the stop a second in: some arrive while it is down.
phase during-temporal-restart $((2 * N)) 0.5 &
PH=$!
sleep 1
$CLUSTER stop-one temporal
$CLUSTER start-one temporal >/dev/null
wait "$PH"
log "Temporal server restarted"
phase after $((3 * N))

# ---- a surge through the balancer -----------------------------------------------------------
# fireline loadgen, as a city's sources and crews would: SURGE alarms over OVER (default 600
# over 30s, 20 a second; 15% second callers; operators and crews working 10 incidents), every
# unanswered, 429 or 5xx alarm resent with its same source id. A quarter in, api1 is killed
# with alarms in flight and started again 5 s later; half way, the Temporal server restarts.
# loadgen then reads every acknowledged alarm back from its incident and fails on any lost, or
# on a unit dispatched twice. SURGE=0 skips it (it needs the sample city: CLUSTER_SAMPLE_CITY).
SURGE=${SURGE:-600}
OVER=${OVER:-30s}
surged=0
if ((SURGE > 0)); then
	[[ $OVER =~ ^[0-9]+s$ ]] || die "OVER=$OVER: give it in seconds, e.g. 60s"
	secs=${OVER%s}
	[[ -s $SECRETS/demo-password ]] || die "no demo logins: start the cluster with CLUSTER_SAMPLE_CITY=1 (the default)"
	log "surge: $SURGE alarms over $OVER through the balancer (log $LOGS/surge.log)"
	"$FIRELINE" loadgen --target "$PUBLIC" --surge "$SURGE" --over "$OVER" --play 10 \
		--password-file "$SECRETS/demo-password" --json "$LOGS/surge.json" >"$LOGS/surge.log" 2>&1 &
	LG=$!
	sleep $((secs / 4))
	$CLUSTER stop-one api1 KILL
	log "surge: api1 killed with alarms in flight"
	sleep 5
	$CLUSTER start-one api1 >/dev/null
	log "surge: api1 restarted"
	sleep $((secs / 4 > 5 ? secs / 4 - 5 : 1))
	$CLUSTER stop-one temporal
	$CLUSTER start-one temporal >/dev/null
	log "surge: Temporal server restarted"
	wait "$LG" || surged=$?
	sed -n '/^alarms:/,$p' "$LOGS/surge.log" >&2
fi

# Everything acknowledged must be there, through the balancer.
want=$((4 * N))
got=$(wc -l <"$ACKS")
missing=0 incidents=()
while read -r ph i alarm incident tries; do
	al=$(curl -fsS --max-time 5 "$PUBLIC/api/v1/incidents/$incident/alarms" -H "Authorization: Bearer $TOKEN" 2>/dev/null) || al=''
	if ! jq -e --argjson a "$alarm" '.alarms | map(.id) | index($a) != null' <<<"$al" >/dev/null 2>&1; then
		log "alarm $alarm ($ph #$i) is not attached to incident $incident"
		missing=$((missing + 1))
	fi
	incidents+=("$incident")
done <"$ACKS"
mapfile -t incidents < <(printf '%s\n' "${incidents[@]}" | sort -nu)
# Each incident's workflow runs: the projection has left "new" or reports a status.
absent=0
for inc in "${incidents[@]}"; do
	st=$(curl -fsS --max-time 5 "$PUBLIC/api/v1/incidents/$inc" -H "Authorization: Bearer $TOKEN" 2>/dev/null | jq -r '.status // empty') || st=''
	if [[ -z $st ]]; then
		log "incident $inc is not readable through the balancer"
		absent=$((absent + 1))
	fi
done
resent=$(awk '$5 > 1' "$ACKS" | wc -l)
printf '\n%-26s %-13s %s\n' phase acknowledged resent
for ph in before during-kill during-temporal-restart after; do
	printf '%-26s %-13s %s\n' "$ph" "$(awk -v p="$ph" '$1 == p' "$ACKS" | wc -l)/$N" "$(awk -v p="$ph" '$1 == p && $5 > 1' "$ACKS" | wc -l)"
done
printf 'alarms acknowledged: %s/%s (%s needed a resend); attached: %s; incidents: %s, readable: %s; %ss\n\n' \
	"$got" "$want" "$resent" "$((got - missing))" "${#incidents[@]}" "$((${#incidents[@]} - absent))" "$((SECONDS - T0))"

# ---- fireline verify -----------------------------------------------------------------------
# The invariant checker across the cluster's database and Temporal server: every alarm stored
# and attached, every incident's workflow present and legal, no unit on two incidents,
# timelines whole. It waits out what is still settling (--settle) before it reports.
log "fireline verify against the cluster's database and Temporal"
verified=0
DATABASE_URL_FILE=$SECRETS/database-url TEMPORAL_ADDRESS=$TEMPORAL TEMPORAL_NAMESPACE=default \
	"$FIRELINE" verify --settle 5s || verified=$?
# ---------------------------------------------------------------------------------------------

((got == want && missing == 0 && absent == 0)) || die "lost or unreadable alarms (see above)"
((surged == 0)) || die "the surge lost alarms or dispatched a unit twice (see above and $LOGS/surge.log)"
((verified == 0)) || die "fireline verify found violations (see above)"
log "ok: every alarm acknowledged and attached, every incident present, through the balancer; the surge lost nothing; fireline verify passes"
