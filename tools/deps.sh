#!/usr/bin/env bash
# Installs the Debian packages DoSQL needs to build, run, test and fuzz.
# Does nothing (and touches no network) when every package is installed.
set -euo pipefail

packages=(
	# build
	build-essential pkg-config clang libclang-rt-14-dev clang-format
	libpq-dev libevent-dev libsqlite3-dev libssl-dev libpg-query-dev libprotobuf-c-dev
	libjansson-dev libxxhash-dev libzstd-dev
	# dosql-lake: Parquet codecs, Avro C for Iceberg manifests
	libsnappy-dev zlib1g-dev libavro-dev
	# dosql-lake: S3 over HTTP (libcurl signs AWS SigV4); curl for the S3 test
	libcurl4-openssl-dev curl
	# run
	sqlite3 openssl
	# test: real PostgreSQL server and clients, Perl TAP harness, drivers
	postgresql postgresql-client postgresql-contrib
	libipc-run-perl libtest-simple-perl libdbd-pg-perl python3-psycopg2 python3-psycopg python3-sqlalchemy
	nodejs
	libpostgresql-jdbc-java default-jdk-headless golang-go golang-github-lib-pq-dev
	# test: the router's HTTP endpoints and Prometheus metrics
	curl prometheus
)

# One dpkg-query for all packages; a package dpkg has never heard of is
# absent from its output.
declare -A installed=()
while read -r pkg status; do
	[[ "$status" == "install ok installed" ]] && installed[$pkg]=1
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null || true)

missing=()
for pkg in "${packages[@]}"; do
	[[ -n "${installed[$pkg]:-}" ]] || missing+=("$pkg")
done

# Debian's nodejs comes without npm (a package of its own); builds of
# nodejs that bundle npm conflict with that package.
if ! command -v npm >/dev/null 2>&1 && [[ -n "${installed[nodejs]:-}" ]]; then
	missing+=(npm)
fi

if ((${#missing[@]} == 0)); then
	exit 0
fi

if ((EUID == 0)); then
	sudo=()
elif command -v sudo >/dev/null 2>&1; then
	sudo=(sudo)
else
	echo "deps.sh: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi

echo "deps.sh: installing ${missing[*]}"
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y --no-install-recommends "${missing[@]}"
