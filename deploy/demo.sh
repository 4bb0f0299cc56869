#!/usr/bin/env bash
# The Tongban demo on one machine:
#
#   deploy/demo.sh         install what is missing, build (Release), start a private PostgreSQL
#                          under ./var/, migrate, seed sample registries (100k persons, 20k legal
#                          entities) once, start the exchange on 127.0.0.1:8080, print curl lines
#   deploy/demo.sh stop    stop the exchange and the database
#
# Running it again is fine: the build is incremental, the data is kept, the exchange restarts.
# Environment: PERSONS, ENTITIES (sample sizes, first run only), PORT (default 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
var=$root/var
build=$root/build/release
port=${PORT:-8080}
mkdir -p "$var"

stop_exchange() {
  if [ -f "$var/exchange.pid" ] && kill -0 "$(cat "$var/exchange.pid")" 2>/dev/null; then
    kill -TERM "$(cat "$var/exchange.pid")"
    for _ in $(seq 1 100); do kill -0 "$(cat "$var/exchange.pid")" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$var/exchange.pid"
}

if [ "${1:-}" = "stop" ]; then
  stop_exchange
  deploy/pg.sh stop "$var/pg"
  echo "stopped"
  exit 0
fi
[ $# -eq 0 ] || { echo "usage: $0 [stop]" >&2; exit 2; }

echo "== packages"
deploy/deps.sh
echo "== build (Release)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTONGBAN_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target tongban-exchange tongban-admin >/dev/null

echo "== database"
cluster=$(deploy/pg.sh start "$var/pg")
pgport=$(cat "$var/pg/port")
psql "$cluster" -qtAc "SELECT 1 FROM pg_database WHERE datname = 'tongban'" | grep -q 1 ||
  psql "$cluster" -qc "CREATE DATABASE tongban"
db="host=127.0.0.1 port=$pgport user=postgres dbname=tongban"

stop_exchange
cat >"$var/exchange.ini" <<INI
; Written by deploy/demo.sh; see docs/configuration.md for every key.
[server]
host = 127.0.0.1
port = $port
[database]
url = $db
pool_size = 16
[log]
level = info
path = $var/exchange.log
INI

"$build/exchange/tongban-exchange" migrate --config "$var/exchange.ini"
persons=$(psql "$db" -qtAc "SELECT count(*) FROM population.persons")
if [ "$persons" = "0" ]; then
  echo "== seeding sample registries"
  "$build/admin/tongban-admin" seed --persons "${PERSONS:-100000}" --entities "${ENTITIES:-20000}" \
    --config "$var/exchange.ini"
else
  echo "== registries already hold $persons persons (kept)"
fi

echo "== exchange"
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "demo.sh: port $port is taken by another program; try PORT=8081 $0" >&2
  exit 1
fi
nohup "$build/exchange/tongban-exchange" serve --config "$var/exchange.ini" \
  >>"$var/exchange.out" 2>&1 &
echo $! >"$var/exchange.pid"
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || {
  echo "demo.sh: the exchange did not become ready; see $var/exchange.out and $var/exchange.log" >&2
  exit 1
}

person=$(psql "$db" -qtAc "SELECT citizen_id FROM population.persons ORDER BY citizen_id LIMIT 1")
entity=$(psql "$db" -qtAc "SELECT credit_code FROM legal_entity.entities ORDER BY credit_code LIMIT 1")
cat <<MSG

Tongban exchange is running on http://127.0.0.1:$port (log: var/exchange.log). Try:

  curl -s http://127.0.0.1:$port/readyz
  curl -s http://127.0.0.1:$port/v1/registry/persons/$person
  curl -s http://127.0.0.1:$port/v1/registry/entities/$entity
  curl -s http://127.0.0.1:$port/v1/registry/persons/110105194912310021     # bad check character: 400
  curl -s http://127.0.0.1:$port/metrics | head -20
  $build/admin/tongban-admin id check credit-code 91350100M000100Y43

Stop it all with: deploy/demo.sh stop
MSG
