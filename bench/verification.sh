#!/usr/bin/env bash
# The verification core's serving paths under load, each figure beside a baseline from the same run:
#   1. HTTP single checks (POST /v1/verify, signed, audited) with wrk, beside the bare POCO
#      constant handler (bench/bare_http_server.cc);
#   2. HTTP batch (POST /v1/verify/batch) and Thrift batch (verifyBatch) checks/s with audit on,
#      beside pgbench running the equivalent point query (a person's status by citizen id);
#   3. the same three with audit off (verification.audit=false, a benchmark-only switch).
#   4. HTTP single and batch with audit on and receipts off (verification.receipts=false): the
#      cost of receipts (the runs of 1 and 2 seal every answer with the hub's verification key,
#      docs/receipts.md).
# The index is the verification core's own (verification/index.h), loaded with COPY from the
# database's registries at start; the database runs with fsync on, so the audit log's group commit
# is real.
#
#   bench/verification.sh [DURATION_S] [PERSONS] [BATCH]     (default 10 s, 200000, 10000)
source "$(dirname "$0")/common.sh"
duration=${1:-10}
persons=${2:-200000}
batch=${3:-10000}
conns=64
apps=48
matter=11330100MB0000001X4000203
work=$build/verification-bench
rm -rf "$work" && mkdir -p "$work"

db=$(fresh_db bench_verification)
migrate "$db" >/dev/null
"$build/admin/tongban-admin" seed --persons "$persons" --entities 1000 --db "$db" >/dev/null
psql "$db" -qtAc "SELECT citizen_id FROM population.persons ORDER BY md5(citizen_id) LIMIT 100000" >"$work/ids.txt"

export TONGBAN_DATABASE_URL="$db"
export TONGBAN_SECURITY_MASTER_KEY=$(openssl rand -base64 32)
admin="$build/admin/tongban-admin"
# The hub's PKI, so that answers carry receipts (verification.receipts, default on).
export TONGBAN_PKI_DIR="$work/pki" TONGBAN_PKI_PASSPHRASE=$(openssl rand -hex 16)
$admin pki init >/dev/null
$admin department add --code 1133010000002001XU --name 杭州市税务局 --region 330100 >/dev/null
$admin app add --department 1133010000002001XU --name 数据管理平台 --role admin >"$work/admin.json" 2>/dev/null
for i in $(seq 1 $apps); do
  $admin app add --department 1133010000002001XU --name "核验系统$i" 2>/dev/null >>"$work/apps.jsonl"
done

port_ex=18180
port_thrift=18190
port_bare=18181
pids=()
ex_pid=""
cleanup() { kill "${pids[@]}" $ex_pid 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
start_exchange() {  # audit: true|false; receipts: true (default)|false
  TONGBAN_VERIFICATION_RECEIPTS=${2:-true} TONGBAN_SERVER_PORT=$port_ex TONGBAN_SERVER_MAX_THREADS=$((conns + 16)) \
    TONGBAN_DATABASE_POOL_SIZE=16 TONGBAN_LOG_PATH="$work/exchange.log" \
    TONGBAN_VERIFICATION_THRIFT_PORT=$port_thrift \
    TONGBAN_VERIFICATION_AUDIT=$1 TONGBAN_AUDIT_MAX_BATCH=4096 TONGBAN_AUDIT_COMMIT_DELAY_US=1000 \
    "$build/exchange/tongban-exchange" serve &
  ex_pid=$!
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$port_ex/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "exchange did not start" >&2
  exit 1
}
stop_exchange() { kill $ex_pid; wait $ex_pid 2>/dev/null || true; ex_pid=""; }

"$build/bench/bare_http_server" $port_bare $((conns + 16)) &
pids+=($!)
start_exchange true

valid_to=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)
i=0
while read -r line; do
  i=$((i + 1))
  echo "$line" >"$work/app$i.json"
  req=$($admin call POST /v1/access-requests --url "http://127.0.0.1:$port_ex" \
    --credentials "$work/app$i.json" 2>/dev/null \
    "{\"resource_code\":\"VERIFY-PERSON\",\"fields\":[\"status\"],\"purpose\":\"压力测试\",\"legal_basis\":\"测试\",\"matter_codes\":[\"$matter\"],\"valid_to\":\"$valid_to\",\"rate_per_minute\":60000}")
  id=$(grep -o '"id":[0-9]*' <<<"$req" | head -1 | cut -d: -f2)
  $admin call POST "/v1/admin/access-requests/$id/approve" --url "http://127.0.0.1:$port_ex" \
    --credentials "$work/admin.json" >/dev/null 2>&1
done <"$work/apps.jsonl"

count=$((duration * 40000))
for run in on off norcpt; do
  "$build/bench/sign_requests" --apps "$work/apps.jsonl" --ids "$work/ids.txt" --count $count \
    --kind verify --matter $matter --host "127.0.0.1:$port_ex" >"$work/single-$run.txt"
done

summary() {  # label, wrk output
  local rps p50 p99 bad
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$2")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$2")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$2")
  bad=$(grep -E "Non-2xx|Socket errors" <<<"$2" | tr -s ' ' | tr '\n' ' ' || true)
  printf "%-44s %10s req/s   p50 %8s   p99 %8s  %s\n" "$1" "$rps" "$p50" "$p99" "$bad" >&2
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
load() {  # label mode threads
  local out perf_pid=""
  # PERF=1: profile the exchange during each batch run (perf report -i $work/perf-<mode>.data).
  if [ -n "${PERF:-}" ]; then
    perf record -g -o "$work/perf-$2.data" -p "$ex_pid" -- sleep "$duration" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  out=$("$build/bench/verify_load" --mode "$2" --port "$([ "$2" = http ] && echo $port_ex || echo $port_thrift)" \
    --apps "$work/apps.jsonl" --ids "$work/ids.txt" --batch "$batch" --threads "$3" \
    --seconds "$duration" --matter $matter)
  [ -z "$perf_pid" ] || wait "$perf_pid" || true
  printf "%-44s %10s checks/s  (batches of %s, %s connections, failed calls %s)\n" "$1" \
    "${out% *}" "$batch" "$3" "${out#* }" >&2
  echo "${out% *}"
}

echo "wrk: 2 threads, $conns keep-alive connections, ${duration}s each; $apps applications; $persons persons in the index"
bare=$(summary "bare POCO constant handler" "$(wrk_run "http://127.0.0.1:$port_bare/")")
a0=$(psql "$db" -qtAc "SELECT count(*) FROM exchange.audit_log")
single_on=$(summary "HTTP single check, audit on" "$(wrk_run "http://127.0.0.1:$port_ex" "$work/single-on.txt")")
http_on=$(load "HTTP batch, audit on" http 4)
thrift_on=$(load "Thrift batch, audit on" thrift 4)
a1=$(psql "$db" -qtAc "SELECT count(*) FROM exchange.audit_log")
batches=$(curl -s "http://127.0.0.1:$port_ex/metrics" | awk '/^tongban_audit_batches_total/ {print $2}')
stop_exchange
start_exchange false
single_off=$(summary "HTTP single check, audit off" "$(wrk_run "http://127.0.0.1:$port_ex" "$work/single-off.txt")")
http_off=$(load "HTTP batch, audit off" http 4)
thrift_off=$(load "Thrift batch, audit off" thrift 4)
stop_exchange
start_exchange true false
single_norcpt=$(summary "HTTP single check, audit on, receipts off" "$(wrk_run "http://127.0.0.1:$port_ex" "$work/single-norcpt.txt")")
http_norcpt=$(load "HTTP batch, audit on, receipts off" http 4)
stop_exchange

psql "$db" -qc "CREATE TABLE IF NOT EXISTS bench_ids (n serial PRIMARY KEY, citizen_id char(18))" >/dev/null
psql "$db" -qc "TRUNCATE bench_ids" >/dev/null
psql "$db" -qc "\copy bench_ids (citizen_id) FROM '$work/ids.txt'" >/dev/null
cat >"$work/pgbench.sql" <<'SQL'
\set n random(1, 100000)
SELECT p.status = 'living' FROM bench_ids b JOIN population.persons p USING (citizen_id) WHERE b.n = :n;
SQL
pg=$(pgbench -h 127.0.0.1 -p "$pgport" -U postgres -n -M prepared -c 16 -j 2 -T "$duration" \
  -f "$work/pgbench.sql" bench_verification 2>&1)
pgtps=$(awk '/^tps/ {print $3; exit}' <<<"$pg")
printf "%-44s %10s tps  (16 clients, prepared)\n" "pgbench point query (status by citizen id)" "$pgtps"

echo "audit records written with audit on: $((a1 - a0)) (one per call); group-commit batches in total: ${batches%.*}"
awk -v b="$bare" -v s1="$single_on" -v s0="$single_off" -v h1="$http_on" -v h0="$http_off" \
    -v t1="$thrift_on" -v t0="$thrift_off" -v p="$pgtps" -v sn="$single_norcpt" \
    -v hn="$http_norcpt" 'BEGIN {
  printf "ratios: single/bare %.2f   HTTP batch/pgbench %.1f   Thrift batch/pgbench %.1f\n",
         s1 / b, h1 / p, t1 / p
  printf "audit on/off: single %.2f   HTTP batch %.2f   Thrift batch %.2f\n", s1 / s0, h1 / h0, t1 / t0
  printf "receipts on/off (audit on): single %.2f   HTTP batch %.2f\n", s1 / sn, h1 / hn }'
