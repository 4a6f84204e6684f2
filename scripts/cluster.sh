#!/usr/bin/env bash
# cluster.sh runs Fireline's production topology on loopback, under one state folder:
#   PostgreSQL (a throwaway cluster from the machine's binaries) holding Temporal's two
#   databases and Fireline's; a standalone Temporal server built from the Go module Fireline
#   requires, its schema set up by Temporal's own SQL tool; two `fireline serve --roles
#   api,worker` nodes and one `--roles media` node sharing the recordings folder and
#   FIRELINE_RECORDING_KEY; HAProxy in front, the one public port.
#
#   scripts/cluster.sh start    build what is missing, start what is not running (idempotent)
#   scripts/cluster.sh stop     stop every process, keep the state (the next start resumes it)
#   scripts/cluster.sh status   which processes run, and the addresses
#   scripts/cluster.sh destroy  stop and remove the state folder
#   scripts/cluster.sh start-one NAME / stop-one NAME [SIGNAL]   one process (the check uses them)
#
# Environment: CLUSTER_DIR (default .cluster), CLUSTER_PORT (default 18400: the balancer's
# public port is CLUSTER_PORT+80, every other port is an offset from it), FIRELINE (the
# binary, default bin/fireline), CLUSTER_SAMPLE_CITY (1: load the Liaocheng sample city and its
# demo logins into an empty database, as fireline dev does; 0: leave it empty). No password has a default: each is generated on first start
# into CLUSTER_DIR/secrets (mode 0600) and printed by path, never by value.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

STATE=${CLUSTER_DIR:-$ROOT/.cluster}
[[ $STATE = /* ]] || STATE=$ROOT/$STATE
BASE=${CLUSTER_PORT:-18400}
FIRELINE=${FIRELINE:-$ROOT/bin/fireline}
[[ $FIRELINE = /* ]] || FIRELINE=$ROOT/$FIRELINE

# Ports, all on 127.0.0.1.
PORT_PUBLIC=$((BASE + 80))    # the balancer: console, API, SSE, WHIP/WHEP
PORT_MEDIA_PUBLIC=$((BASE + 81)) # the balancer's door to the media node (its --media-url)
PORT_STATS=$((BASE + 90))     # HAProxy's statistics page
PORT_GB_PUBLIC=$((BASE + 75)) # the balancer's GB/T 26875.3 TCP port
PORT_PG=$((BASE + 32))
PORT_T_FRONTEND=$((BASE + 33)) PORT_T_HISTORY=$((BASE + 34)) PORT_T_MATCHING=$((BASE + 35)) PORT_T_WORKER=$((BASE + 39))
PORT_T_MEMBER=$((BASE + 40)) # +0 frontend, +1 history, +2 matching, +3 worker
PORT_T_METRICS=$((BASE + 50))
PORT_API1=$((BASE + 1)) PORT_API2=$((BASE + 2)) PORT_MEDIA=$((BASE + 3))
PORT_GB1=$((BASE + 76)) PORT_GB2=$((BASE + 77))

BIN=$STATE/bin LOGS=$STATE/logs PIDS=$STATE/pids SECRETS=$STATE/secrets
PGDATA=$STATE/pg PGSOCK=$STATE/pg-socket RECORDINGS=$STATE/recordings

log() { printf 'cluster: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
# PostgreSQL refuses to run as root; as root it runs as the postgres account (scripts/deps.sh
# makes it), as pgcluster does for `fireline dev`.
as_pg=()
if [[ $(id -u) -eq 0 ]]; then as_pg=(runuser -u postgres --); fi

alive() { [[ -f $PIDS/$1.pid ]] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

# wait_for NAME SECONDS COMMAND...: poll until COMMAND succeeds, failing with the log's tail.
wait_for() {
	local name=$1 secs=$2
	shift 2
	local i
	for ((i = 0; i < secs * 4; i++)); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		if [[ -f $PIDS/$name.pid ]] && ! alive "$name"; then
			tail -20 "$LOGS/$name.log" >&2 || true
			die "$name exited; its log is $LOGS/$name.log"
		fi
		sleep 0.25
	done
	tail -20 "$LOGS/$name.log" >&2 || true
	die "$name did not become ready in ${secs}s; its log is $LOGS/$name.log"
}

# spawn NAME COMMAND...: run in the background in a session of its own, log and PID recorded.
spawn() {
	local name=$1
	shift
	setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
	echo $! >"$PIDS/$name.pid"
}

secret() { # secret NAME: the path of a generated secret, made on first use
	local f=$SECRETS/$1
	if [[ ! -s $f ]]; then
		(umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$f")
	fi
	printf '%s' "$f"
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

# --- build ---------------------------------------------------------------------------------

build() {
	mkdir -p "$BIN"
	[[ -x $FIRELINE ]] || die "$FIRELINE is missing: run make build (make cluster does)"
	# The Temporal server, its SQL tool and the namespace step come from deploy/temporal, a
	# module of its own pinned to the Temporal server version Fireline requires. Linking the
	# server takes half a minute even from a warm cache, so binaries newer than both modules'
	# files are kept.
	local t0=$SECONDS f fresh=1
	for f in go.mod deploy/temporal/go.mod deploy/temporal/go.sum deploy/temporal/namespace/main.go; do
		[[ -x $BIN/temporal-server && -x $BIN/temporal-sql-tool && -x $BIN/temporal-namespace &&
			$BIN/temporal-namespace -nt $f ]] || fresh=0
	done
	if ((fresh)); then
		log "the Temporal server, temporal-sql-tool and the namespace step are built"
		return 0
	fi
	(cd deploy/temporal &&
		go build -o "$BIN/temporal-server" go.temporal.io/server/cmd/server &&
		go build -o "$BIN/temporal-sql-tool" go.temporal.io/server/cmd/tools/sql &&
		go build -o "$BIN/temporal-namespace" ./namespace) || die "building the Temporal server failed"
	log "built the Temporal server, temporal-sql-tool and the namespace step ($((SECONDS - t0))s)"
}

# --- PostgreSQL ----------------------------------------------------------------------------

psql_su() { "${as_pg[@]}" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGSOCK" -p "$PORT_PG" -U postgres "$@"; }

start_postgres() {
	[[ -n $PGBIN ]] || die "PostgreSQL's server binaries are missing: run scripts/deps.sh"
	if ((${#as_pg[@]})) && ! "${as_pg[@]}" test -x "$STATE"; then
		die "the postgres account cannot reach $STATE (a parent folder is private): set CLUSTER_DIR to a folder it can, e.g. CLUSTER_DIR=/var/tmp/fireline-cluster"
	fi
	if [[ ! -f $PGDATA/PG_VERSION ]]; then
		log "initialising PostgreSQL in $PGDATA"
		mkdir -p "$PGDATA" "$PGSOCK"
		# The superuser signs in only over the private socket folder (mode 0700, the server's
		# account); every application role uses a password over TCP.
		((${#as_pg[@]})) && chown postgres "$PGDATA" "$PGSOCK"
		chmod 700 "$PGDATA" "$PGSOCK"
		"${as_pg[@]}" "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
			-E UTF8 --locale=C.UTF-8 >"$LOGS/initdb.log" 2>&1 || die "initdb failed: $LOGS/initdb.log"
	fi
	if "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
		log "PostgreSQL already running on 127.0.0.1:$PORT_PG"
	else
		touch "$LOGS/postgres.log"
		((${#as_pg[@]})) && chown postgres "$LOGS/postgres.log"
		"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$LOGS/postgres.log" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -p $PORT_PG -k $PGSOCK -c max_connections=200" start >/dev/null ||
			die "PostgreSQL did not start: $LOGS/postgres.log"
		log "PostgreSQL started on 127.0.0.1:$PORT_PG"
	fi
	"${as_pg[@]}" head -1 "$PGDATA/postmaster.pid" >"$PIDS/postgres.pid"
}

# ensure_role NAME SECRETFILE [ATTRS]: a login role whose password is the secret's.
ensure_role() {
	local pw
	pw=$(cat "$2")
	psql_su -v name="$1" -v pw="$pw" <<-'SQL'
		SELECT format('CREATE ROLE %I LOGIN', :'name') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name') \gexec
		SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'name', :'pw') \gexec
	SQL
}

# --- Temporal ------------------------------------------------------------------------------

sqltool() { # sqltool DB ARGS...: Temporal's SQL tool as the temporal role
	SQL_PASSWORD=$(cat "$(secret temporal-db-password)") "$BIN/temporal-sql-tool" --plugin postgres12 \
		--ep 127.0.0.1 -p "$PORT_PG" -u temporal --db "$1" "${@:2}"
}

setup_temporal_schema() {
	[[ -f $STATE/temporal/schema.done ]] && return 0
	log "setting up Temporal's schema with temporal-sql-tool"
	ensure_role temporal "$(secret temporal-db-password)"
	psql_su -c 'ALTER ROLE temporal CREATEDB'
	local db
	for db in temporal:temporal temporal_visibility:visibility; do
		local name=${db%%:*} dir=${db##*:}
		psql_su -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 ||
			sqltool "$name" create-database >>"$LOGS/temporal-sql-tool.log" 2>&1
		sqltool "$name" setup-schema -v 0.0 >>"$LOGS/temporal-sql-tool.log" 2>&1
		sqltool "$name" update-schema --schema-name "postgresql/v12/$dir" >>"$LOGS/temporal-sql-tool.log" 2>&1 ||
			die "temporal-sql-tool failed on $name: $LOGS/temporal-sql-tool.log"
	done
	touch "$STATE/temporal/schema.done"
}

write_temporal_config() {
	local pw
	pw=$(cat "$(secret temporal-db-password)")
	(umask 077 && sed -e "s|@PG_PORT@|$PORT_PG|g" -e "s|@PG_PASSWORD@|$pw|g" \
		-e "s|@FRONTEND@|$PORT_T_FRONTEND|g" -e "s|@HISTORY@|$PORT_T_HISTORY|g" \
		-e "s|@MATCHING@|$PORT_T_MATCHING|g" -e "s|@WORKER@|$PORT_T_WORKER|g" \
		-e "s|@M_FRONTEND@|$PORT_T_MEMBER|g" -e "s|@M_HISTORY@|$((PORT_T_MEMBER + 1))|g" \
		-e "s|@M_MATCHING@|$((PORT_T_MEMBER + 2))|g" -e "s|@M_WORKER@|$((PORT_T_MEMBER + 3))|g" \
		-e "s|@METRICS@|$PORT_T_METRICS|g" -e "s|@DYNAMIC@|$ROOT/deploy/temporal/dynamicconfig.yaml|g" \
		deploy/temporal/config.yaml.in >"$STATE/temporal/config.yaml")
}

start_temporal() {
	mkdir -p "$STATE/temporal"
	setup_temporal_schema
	if alive temporal; then
		log "Temporal already running on 127.0.0.1:$PORT_T_FRONTEND"
	else
		write_temporal_config
		spawn temporal "$BIN/temporal-server" --config-file "$STATE/temporal/config.yaml" --allow-no-auth start
		log "Temporal server starting (pid $(cat "$PIDS/temporal.pid"), log $LOGS/temporal.log)"
	fi
	"$BIN/temporal-namespace" --address "127.0.0.1:$PORT_T_FRONTEND" --namespace default >>"$LOGS/temporal-namespace.log" 2>&1 ||
		{ tail -5 "$LOGS/temporal-namespace.log" >&2; die "namespace default not served; see $LOGS/temporal.log"; }
	log "Temporal serves namespace default on 127.0.0.1:$PORT_T_FRONTEND"
}

# --- Fireline ------------------------------------------------------------------------------

setup_fireline_db() {
	ensure_role fireline_owner "$(secret fireline-owner-password)"
	# The application role exists before the migrations, which grant to it; the owner may not
	# create roles.
	ensure_role fireline_app "$(secret fireline-app-password)"
	psql_su -tAc "SELECT 1 FROM pg_database WHERE datname = 'fireline'" | grep -q 1 ||
		psql_su -c 'CREATE DATABASE fireline OWNER fireline_owner'
	local owner app
	owner=$(cat "$(secret fireline-owner-password)")
	(umask 077 && printf 'postgres://fireline_owner:%s@127.0.0.1:%s/fireline?sslmode=disable' "$owner" "$PORT_PG" >"$SECRETS/migrate-database-url")
	FIRELINE_MIGRATE_DATABASE_URL_FILE=$SECRETS/migrate-database-url "$FIRELINE" migrate >>"$LOGS/migrate.log" 2>&1 ||
		die "fireline migrate failed: $LOGS/migrate.log"
	app=$(cat "$(secret fireline-app-password)")
	(umask 077 && printf 'postgres://fireline_app:%s@127.0.0.1:%s/fireline?sslmode=disable' "$app" "$PORT_PG" >"$SECRETS/database-url")
	secret recording-key >/dev/null
	if ! DATABASE_URL_FILE=$SECRETS/database-url "$FIRELINE" users list 2>/dev/null | awk '$1 == "admin" {f = 1} END {exit !f}'; then
		DATABASE_URL_FILE=$SECRETS/database-url "$FIRELINE" users add admin --role admin --password-file "$(secret admin-password)" >>"$LOGS/users.log" 2>&1 ||
			die "adding the administrator failed: $LOGS/users.log"
		log "administrator 'admin' created; password in $SECRETS/admin-password"
	fi
	log "Fireline database migrated (owner fireline_owner, application role fireline_app)"
	# The drills run on the sample city, as fireline dev does: its stations, units and run cards,
	# and the demo logins (operator, gateway, crew-<unit>) with a generated password. A real
	# centre imports its own city instead; CLUSTER_SAMPLE_CITY=0 leaves the database empty.
	if [[ ${CLUSTER_SAMPLE_CITY:-1} == 1 ]]; then
		DATABASE_URL_FILE=$SECRETS/database-url "$FIRELINE" sample-city --password-file "$(secret demo-password)" \
			>>"$LOGS/sample-city.log" 2>&1 || die "loading the sample city failed: $LOGS/sample-city.log"
		log "sample city loaded; the demo logins' password is in $SECRETS/demo-password"
	fi
}

# node NAME PORT ROLES EXTRA...: one `fireline serve` process.
start_node() {
	local name=$1 port=$2 roles=$3
	shift 3
	if alive "$name"; then
		log "$name already running on 127.0.0.1:$port"
		return 0
	fi
	spawn "$name" env DATABASE_URL_FILE="$SECRETS/database-url" FIRELINE_RECORDING_KEY_FILE="$SECRETS/recording-key" \
		TEMPORAL_ADDRESS="127.0.0.1:$PORT_T_FRONTEND" TEMPORAL_NAMESPACE=default \
		"$FIRELINE" serve --http "127.0.0.1:$port" --roles "$roles" --recordings "$RECORDINGS" \
		--trusted-proxy 127.0.0.1 "$@"
	log "$name starting: fireline serve --roles $roles on 127.0.0.1:$port (pid $(cat "$PIDS/$name.pid"))"
}

start_fireline() {
	mkdir -p "$RECORDINGS"
	local media_url=http://127.0.0.1:$PORT_MEDIA_PUBLIC
	start_node media "$PORT_MEDIA" media --media-url "$media_url"
	start_node api1 "$PORT_API1" api,worker --gb26875 "127.0.0.1:$PORT_GB1" --media-origin "$media_url"
	start_node api2 "$PORT_API2" api,worker --gb26875 "127.0.0.1:$PORT_GB2" --media-origin "$media_url"
	wait_for media 120 http_ok "http://127.0.0.1:$PORT_MEDIA/readyz"
	wait_for api1 120 http_ok "http://127.0.0.1:$PORT_API1/readyz"
	wait_for api2 120 http_ok "http://127.0.0.1:$PORT_API2/readyz"
	log "fireline nodes ready: api1 :$PORT_API1, api2 :$PORT_API2, media :$PORT_MEDIA"
}

start_balancer() {
	command -v haproxy >/dev/null || die "HAProxy is missing: run scripts/deps.sh"
	sed -e "s|@PUBLIC@|$PORT_PUBLIC|g" -e "s|@MEDIA_PUBLIC@|$PORT_MEDIA_PUBLIC|g" -e "s|@STATS@|$PORT_STATS|g" \
		-e "s|@GB_PUBLIC@|$PORT_GB_PUBLIC|g" -e "s|@API1@|$PORT_API1|g" -e "s|@API2@|$PORT_API2|g" \
		-e "s|@MEDIA@|$PORT_MEDIA|g" -e "s|@GB1@|$PORT_GB1|g" -e "s|@GB2@|$PORT_GB2|g" \
		deploy/haproxy.cfg.in >"$STATE/haproxy.cfg.new"
	haproxy -c -q -f "$STATE/haproxy.cfg.new" || die "HAProxy rejects $STATE/haproxy.cfg.new"
	if ! cmp -s "$STATE/haproxy.cfg.new" "$STATE/haproxy.cfg" && alive haproxy; then
		log "HAProxy's configuration changed: restarting it"
		stop_one haproxy
	fi
	mv "$STATE/haproxy.cfg.new" "$STATE/haproxy.cfg"
	if alive haproxy; then
		log "HAProxy already running on 127.0.0.1:$PORT_PUBLIC"
		return 0
	fi
	spawn haproxy haproxy -db -f "$STATE/haproxy.cfg"
	wait_for haproxy 30 http_ok "http://127.0.0.1:$PORT_PUBLIC/readyz"
	log "HAProxy balancing on 127.0.0.1:$PORT_PUBLIC (stats http://127.0.0.1:$PORT_STATS/)"
}

# --- commands ------------------------------------------------------------------------------

start() {
	local t0=$SECONDS
	mkdir -p "$STATE" "$LOGS" "$PIDS" "$SECRETS" "$BIN"
	chmod 700 "$SECRETS"
	# PostgreSQL's account must reach its folders through the state folder.
	chmod 755 "$STATE" "$LOGS"
	build
	start_postgres
	start_temporal
	setup_fireline_db
	start_fireline
	start_balancer
	log "up in $((SECONDS - t0))s: http://127.0.0.1:$PORT_PUBLIC/ (sign in as admin, password in $SECRETS/admin-password)"
	status
}

stop_one() { # stop_one NAME [SIGNAL]
	local name=$1 sig=${2:-TERM}
	if [[ $name = postgres ]]; then
		if [[ -f $PGDATA/PG_VERSION ]] && "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
			"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null && log "stopped postgres"
		fi
		rm -f "$PIDS/postgres.pid"
		return 0
	fi
	alive "$name" || { rm -f "$PIDS/$name.pid"; return 0; }
	local pid i
	pid=$(cat "$PIDS/$name.pid")
	kill -"$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < 120 && $(kill -0 "$pid" 2>/dev/null && echo 1 || echo 0); i++)); do sleep 0.25; done
	if kill -0 "$pid" 2>/dev/null; then
		log "$name did not stop in 30s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$PIDS/$name.pid"
	log "stopped $name (pid $pid, SIG$sig)"
}

start_one() {
	case $1 in
	api1 | api2 | media) start_fireline ;;
	temporal) start_temporal ;;
	haproxy) start_balancer ;;
	postgres) start_postgres ;;
	*) die "no process named $1" ;;
	esac
}

stop() {
	local n
	for n in haproxy api1 api2 media temporal; do stop_one "$n"; done
	stop_one postgres
}

status() {
	local n
	for n in postgres temporal media api1 api2 haproxy; do
		if [[ $n = postgres ]]; then
			if [[ -f $PGDATA/PG_VERSION ]] && "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
				printf '  %-9s running   127.0.0.1:%s\n' postgres "$PORT_PG"
			else printf '  %-9s stopped\n' postgres; fi
			continue
		fi
		if alive "$n"; then printf '  %-9s running   pid %s  log %s\n' "$n" "$(cat "$PIDS/$n.pid")" "$LOGS/$n.log"; else printf '  %-9s stopped\n' "$n"; fi
	done
	printf '  public    http://127.0.0.1:%s/   (GB/T 26875.3: 127.0.0.1:%s, HAProxy stats: http://127.0.0.1:%s/)\n' "$PORT_PUBLIC" "$PORT_GB_PUBLIC" "$PORT_STATS"
}

case ${1:-start} in
start) start ;;
stop) stop ;;
status) status ;;
destroy) stop && rm -rf "$STATE" && log "removed $STATE" ;;
stop-one) stop_one "$2" "${3:-TERM}" ;;
start-one) start_one "$2" ;;
env) # for the check script: the addresses, one NAME=VALUE a line
	printf 'STATE=%s\nPUBLIC=http://127.0.0.1:%s\nSECRETS=%s\nLOGS=%s\nPIDS=%s\nTEMPORAL=127.0.0.1:%s\n' \
		"$STATE" "$PORT_PUBLIC" "$SECRETS" "$LOGS" "$PIDS" "$PORT_T_FRONTEND" ;;
*) die "usage: $0 start|stop|status|destroy|start-one NAME|stop-one NAME [SIGNAL]|env" ;;
esac
