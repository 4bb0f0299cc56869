# Shared set-up for the bench/*.sh scripts: a Release build with the benchmarks and a private
# PostgreSQL under build/bench/. Source it; it defines $build, $cluster, $pgport and helpers.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build/bench
"$root/deploy/deps.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTONGBAN_BUILD_TESTS=OFF \
  -DTONGBAN_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null
cluster=$("$root/deploy/pg.sh" start "$build/pg")
pgport=$(cat "$build/pg/port")

# fresh_db NAME: drops and creates database NAME, prints its conninfo.
fresh_db() {
  psql "$cluster" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null
  psql "$cluster" -qc "CREATE DATABASE $1" >/dev/null
  echo "host=127.0.0.1 port=$pgport user=postgres dbname=$1"
}

# migrate CONNINFO
migrate() {
  TONGBAN_DATABASE_URL="$1" TONGBAN_LOG_PATH=/dev/null "$build/exchange/tongban-exchange" migrate
}
