# bench/lib.sh: what the benchmark scripts share.  Source it after `set -eu`:
#   bench_init                     a work directory, removed (with everything
#                                  started) at exit
#   wait_ready PORT                until a server accepts connections there
#   start_cluster BASE TABLES [N]  the DoSQL local cluster: router on BASE,
#                                  N shards (default 4: -40, 40-80, 80-c0,
#                                  c0-; N a power of two up to 256) of equal
#                                  keyspace ranges on BASE+1..N (without
#                                  DoLake); TABLES is the vschema's "tables"
#                                  object
#   start_postgres PORT [SETTINGS] a PostgreSQL in $work/pg (run as user
#                                  postgres, so root is needed) with role and
#                                  database dosql
#   stop_cluster                   stops the cluster and removes its data
#   shard_port I                   the port of shard I (0..N-1) of the cluster

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pids=()
cluster_base=0

as_pg() { runuser -u postgres -- "$@"; }

bench_cleanup() {
	[ -f "$work/pg/pgbouncer.pid" ] && kill "$(cat "$work/pg/pgbouncer.pid")" 2>/dev/null || true
	[ -d "$work/pg/data" ] && as_pg "$pgbin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}

bench_init() {
	work=$(mktemp -d /tmp/dosql-bench-XXXXXX)
	chmod 755 "$work"
	trap bench_cleanup EXIT
}

wait_ready() {
	for _ in $(seq 1 200); do
		"$pgbin/pg_isready" -q -h 127.0.0.1 -p "$1" && return 0
		sleep 0.1
	done
	echo "port $1 did not come up" >&2
	exit 1
}

shard_port() { echo $((cluster_base + 1 + $1)); }

start_cluster() {
	cluster_base=$1
	local n=${3:-4} i shards=""
	for ((i = 0; i < n; i++)); do
		local lo hi
		lo=$([ "$i" = 0 ] || printf %02x $((i * 256 / n)))
		hi=$([ "$i" = $((n - 1)) ] || printf %02x $(((i + 1) * 256 / n)))
		shards+="$([ "$i" = 0 ] || echo ,) {\"name\": \"$lo-$hi\", \"host\": \"127.0.0.1\", \"port\": $(shard_port "$i")}"
	done
	cat >"$work/vschema.json" <<JSON
{"sharded": true,
 "shards": [$shards],
 "vindexes": {"hash": {"type": "hash"}},
 "tables": $2,
 "default_placement": {"pinned": "-$([ "$n" = 1 ] || printf %02x $((256 / n)))"}}
JSON
	echo "{\"listen\": {\"host\": \"127.0.0.1\", \"port\": $1}, \"auth\": \"trust\", \"vschema\": \"vschema.json\"}" \
		>"$work/dosql.json"
	DOSQL_LAKE=0 DOSQL_DATA="$work/cluster" "$repo/tools/local-cluster" --config "$work/dosql.json" >"$work/cluster.log" 2>&1 &
	cluster_pid=$!
	pids+=($!)
	wait_ready "$1"
}

stop_cluster() {
	kill "$cluster_pid" 2>/dev/null || true
	wait "$cluster_pid" 2>/dev/null || true
	rm -rf "$work/cluster"
}

start_postgres() {
	mkdir -p "$work/pg"
	chown postgres "$work/pg"
	as_pg "$pgbin/initdb" -D "$work/pg/data" -U postgres -A trust --no-sync >/dev/null
	as_pg "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w -o \
		"-p $1 -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work/pg ${2:-}" start >/dev/null
	"$pgbin/psql" -X -q -h 127.0.0.1 -p "$1" -U postgres postgres \
		-c "create role dosql superuser login" -c "create database dosql owner dosql"
}
