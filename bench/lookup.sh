#!/usr/bin/env bash
# Registry lookup rate: wrk against tongban-exchange's GET /v1/registry/persons/{id} (random ids
# from the seeded registry) beside a bare POCO handler that returns a constant body, same wrk
# settings, same run.
#
#   bench/lookup.sh [DURATION_S] [CONNECTIONS]     (default 10 s, 32 connections, 2 wrk threads)
source "$(dirname "$0")/common.sh"
duration=${1:-10}
conns=${2:-32}

db=$(fresh_db bench_lookup)
migrate "$db" >/dev/null
"$build/admin/tongban-admin" seed --persons 100000 --entities 20000 --db "$db" >/dev/null

ids=$build/person-ids.txt
psql "$db" -qtAc "SELECT citizen_id FROM population.persons ORDER BY md5(citizen_id) LIMIT 10000" >"$ids"
lua=$build/lookup.lua
cat >"$lua" <<LUA
local ids = {}
for line in io.lines("$ids") do ids[#ids + 1] = line end
local i = math.random(#ids)
request = function()
  i = i % #ids + 1
  return wrk.format("GET", "/v1/registry/persons/" .. ids[i])
end
LUA

port_ex=18080
port_bare=18081
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
pids=()
trap cleanup EXIT
TONGBAN_DATABASE_URL="$db" TONGBAN_SERVER_PORT=$port_ex TONGBAN_DATABASE_POOL_SIZE=8 \
  TONGBAN_LOG_PATH="$build/exchange-bench.log" "$build/exchange/tongban-exchange" serve &
pids+=($!)
"$build/bench/bare_http_server" $port_bare &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port_ex/readyz" >/dev/null 2>&1 &&
    curl -fs "http://127.0.0.1:$port_bare/" >/dev/null 2>&1 && break
  sleep 0.1
done

run() {  # label, url, [lua]
  local out
  if [ -n "${3:-}" ]; then
    out=$(wrk -t2 -c"$conns" -d"${duration}s" --latency -s "$3" "$2")
  else
    out=$(wrk -t2 -c"$conns" -d"${duration}s" --latency "$2")
  fi
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" | tr '\n' ' ' || true)
  printf "%-34s %10s req/s   p50 %8s   p99 %8s  %s\n" "$1" "$rps" "$p50" "$p99" "$errors"
  echo "$rps" >"$build/rps-$4"
}

echo "wrk: 2 threads, $conns connections, ${duration}s each, keep-alive"
run "bare POCO constant handler" "http://127.0.0.1:$port_bare/" "" bare
run "exchange person lookup" "http://127.0.0.1:$port_ex/" "$lua" lookup
awk -v a="$(cat "$build/rps-lookup")" -v b="$(cat "$build/rps-bare")" \
  'BEGIN { printf "ratio lookup/bare: %.2f\n", a / b }'
