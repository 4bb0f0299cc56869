#!/usr/bin/env bash
# The exchange under load, every figure beside a baseline from the same run:
#   1. a bare POCO handler returning a constant body (the HTTP ceiling on this machine);
#   2. signed, audited registry lookups  GET /v1/registry/persons/{id}?matter_code&case_id;
#   3. signed, audited queries            POST /v1/query/POP-PERSON-BASIC (5 fields, masked);
#   4. pgbench: the same point lookups straight against PostgreSQL.
# Requests are pre-signed (bench/sign_requests.cc) and replayed once each by wrk
# (bench/signed.lua), spread over 16 consumer applications with a grant each. The database runs
# with fsync on, so the audit log's group commit is measured for real.
#
#   bench/exchange.sh [DURATION_S] [CONNECTIONS]     (default 10 s, 64 connections)
source "$(dirname "$0")/common.sh"
duration=${1:-10}
conns=${2:-64}
apps=16
matter=11330100MB0000001X4000203
work=$build/exchange-bench
rm -rf "$work" && mkdir -p "$work"

db=$(fresh_db bench_exchange)
migrate "$db" >/dev/null
"$build/admin/tongban-admin" seed --persons 100000 --entities 20000 --db "$db" >/dev/null
export TONGBAN_DATABASE_URL="$db"
export TONGBAN_SECURITY_MASTER_KEY=$(openssl rand -base64 32)
admin="$build/admin/tongban-admin"
$admin department add --code 1133010000002001XU --name 杭州市税务局 --region 330100 >/dev/null
$admin app add --department 1133010000002001XU --name 数据管理平台 --role admin >"$work/admin.json" 2>/dev/null
for i in $(seq 1 $apps); do
  $admin app add --department 1133010000002001XU --name "压测系统$i" 2>/dev/null >>"$work/apps.jsonl"
done

port_ex=18080
port_bare=18081
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
TONGBAN_SERVER_PORT=$port_ex TONGBAN_SERVER_MAX_THREADS=$((conns + 16)) \
  TONGBAN_DATABASE_POOL_SIZE=16 TONGBAN_LOG_PATH="$work/exchange.log" \
  "$build/exchange/tongban-exchange" serve &
pids+=($!)
"$build/bench/bare_http_server" $port_bare $((conns + 16)) &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port_ex/readyz" >/dev/null 2>&1 &&
    curl -fs "http://127.0.0.1:$port_bare/" >/dev/null 2>&1 && break
  sleep 0.1
done

valid_to=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)
i=0
while read -r line; do
  i=$((i + 1))
  echo "$line" >"$work/app$i.json"
  req=$($admin call POST /v1/access-requests --url "http://127.0.0.1:$port_ex" \
    --credentials "$work/app$i.json" 2>/dev/null \
    "{\"resource_code\":\"POP-PERSON-BASIC\",\"fields\":[\"name\",\"sex\",\"birth_date\",\"region_code\",\"status\"],\"purpose\":\"压力测试\",\"legal_basis\":\"测试\",\"matter_codes\":[\"$matter\"],\"valid_to\":\"$valid_to\",\"rate_per_minute\":60000}")
  id=$(grep -o '"id":[0-9]*' <<<"$req" | head -1 | cut -d: -f2)
  $admin call POST "/v1/admin/access-requests/$id/approve" --url "http://127.0.0.1:$port_ex" \
    --credentials "$work/admin.json" >/dev/null 2>&1
done <"$work/apps.jsonl"

psql "$db" -qtAc "SELECT citizen_id FROM population.persons ORDER BY md5(citizen_id) LIMIT 10000" >"$work/ids.txt"
count=$((duration * 30000))
"$build/bench/sign_requests" --apps "$work/apps.jsonl" --ids "$work/ids.txt" --count $count \
  --kind lookup --matter $matter --host "127.0.0.1:$port_ex" >"$work/lookup.txt"
"$build/bench/sign_requests" --apps "$work/apps.jsonl" --ids "$work/ids.txt" --count $count \
  --kind query --matter $matter --host "127.0.0.1:$port_ex" >"$work/query.txt"

summary() {  # label, wrk output
  local rps p50 p99 bad
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$2")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$2")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$2")
  bad=$(grep -E "Non-2xx|Socket errors" <<<"$2" | tr -s ' ' | tr '\n' ' ' || true)
  printf "%-36s %10s req/s   p50 %8s   p99 %8s  %s\n" "$1" "$rps" "$p50" "$p99" "$bad" >&2
  echo "$rps"
}
wrk_run() {  # url [requests-file]
  if [ -n "${2:-}" ]; then
    REQUESTS_FILE=$2 WRK_THREADS=2 wrk -t2 -c"$conns" -d"${duration}s" --latency \
      -s "$root/bench/signed.lua" "$1"
  else
    wrk -t2 -c"$conns" -d"${duration}s" --latency "$1"
  fi
}

echo "wrk: 2 threads, $conns keep-alive connections, ${duration}s each; 16 applications"
bare=$(summary "bare POCO constant handler" "$(wrk_run "http://127.0.0.1:$port_bare/")" )
audit0=$(psql "$db" -qtAc "SELECT count(*) FROM exchange.audit_log")
lookup=$(summary "signed audited registry lookup" "$(wrk_run "http://127.0.0.1:$port_ex" "$work/lookup.txt")" )
query=$(summary "signed audited query (5 fields)" "$(wrk_run "http://127.0.0.1:$port_ex" "$work/query.txt")" )
audit1=$(psql "$db" -qtAc "SELECT count(*) FROM exchange.audit_log")
batches=$(curl -s "http://127.0.0.1:$port_ex/metrics" | awk '/^tongban_audit_batches_total/ {print $2}')

psql "$db" -qc "CREATE TABLE IF NOT EXISTS bench_ids (n serial PRIMARY KEY, citizen_id char(18))" >/dev/null
psql "$db" -qc "TRUNCATE bench_ids" >/dev/null
psql "$db" -qc "\copy bench_ids (citizen_id) FROM '$work/ids.txt'" >/dev/null
cat >"$work/pgbench.sql" <<'SQL'
\set n random(1, 10000)
SELECT p.name, p.sex, p.birth_date, p.region_code, p.status
  FROM bench_ids b JOIN population.persons p USING (citizen_id) WHERE b.n = :n;
SQL
pg=$(pgbench -h 127.0.0.1 -p "$pgport" -U postgres -n -M prepared -c 16 -j 2 -T "$duration" \
  -f "$work/pgbench.sql" bench_exchange 2>&1)
pgtps=$(awk '/^tps/ {print $3; exit}' <<<"$pg")
pglat=$(awk '/latency average/ {print $4}' <<<"$pg")
printf "%-36s %10s tps     avg %6s ms  (16 clients, prepared)\n" "pgbench point lookup" "$pgtps" "$pglat"

echo "audit entries written during the two exchange runs: $((audit1 - audit0)); group-commit batches in total: ${batches%.*}"
awk -v l="$lookup" -v q="$query" -v b="$bare" -v p="$pgtps" 'BEGIN {
  printf "ratios: lookup/bare %.2f   query/bare %.2f   query/pgbench %.2f   lookup/pgbench %.2f\n",
         l / b, q / b, q / p, l / p }'
