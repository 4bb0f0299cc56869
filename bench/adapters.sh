#!/usr/bin/env bash
# Live adapter queries through the exchange, beside the upstream alone, in the same run:
#   1. wrk straight at the household-registration simulator (GET /persons/{id}): the upstream's
#      own ceiling on this machine;
#   2. signed, audited, masked queries POST /v1/query/HH-PERSON-LIVE through the exchange, each a
#      live REST/JSON call to that simulator (response cache off);
#   3. the same while a second upstream hangs on every call (8 connections kept busy on a resource
#      over it): the p99 of the healthy adapter's queries should not move much, since the hanging
#      calls are bounded by their own timeout and bulkhead.
# The simulator serves 10,000 persons exported from the seeded population registry.
#
#   bench/adapters.sh [DURATION_S] [CONNECTIONS]     (default 10 s, 32 connections)
source "$(dirname "$0")/common.sh"
duration=${1:-10}
conns=${2:-32}
apps=16
matter=11330100MB0000001X4000203
work=$build/adapters-bench
rm -rf "$work" && mkdir -p "$work"
sims=$build/adapters/sim

db=$(fresh_db bench_adapters)
migrate "$db" >/dev/null
"$build/admin/tongban-admin" seed --persons 10000 --entities 100 --db "$db" >/dev/null
psql "$db" -qtAc "SELECT json_build_object('persons', json_agg(json_build_object(
    'idNumber', citizen_id, 'fullName', name, 'gender', sex, 'birthDate', birth_date,
    'regionCode', region_code, 'residence', json_build_object('address', address),
    'householdStatus', status))) FROM population.persons" >"$work/household.json"
psql "$db" -qtAc "SELECT citizen_id FROM population.persons ORDER BY md5(citizen_id) LIMIT 10000" \
  >"$work/ids.txt"

export TONGBAN_DATABASE_URL="$db"
export TONGBAN_SECURITY_MASTER_KEY=$(openssl rand -base64 32)
admin="$build/admin/tongban-admin"
$admin department add --code 1133010000002001XU --name 杭州市税务局 --region 330100 >/dev/null
$admin app add --department 1133010000002001XU --name 数据管理平台 --role admin >"$work/admin.json" 2>/dev/null
for i in $(seq 1 $apps); do
  $admin app add --department 1133010000002001XU --name "压测系统$i" 2>/dev/null >>"$work/apps.jsonl"
done

port_ex=18180
port_sim=18181
port_hang=18182
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  "$root/deploy/pg.sh" stop "$build/pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT
"$sims/tongban-sim-household" --port $port_sim --threads $((conns + 8)) \
  --data "$work/household.json" >"$work/sim.log" 2>&1 &
pids+=($!)
"$sims/tongban-sim-household" --port $port_hang --threads 64 --hang-rate 1 \
  --data "$work/household.json" >"$work/hang.log" 2>&1 &
pids+=($!)

fields="citizen_id=idNumber::citizen_id, name=fullName::name, sex=gender:enum, birth_date=birthDate:date:date, region_code=regionCode, address=residence.address::address, status=householdStatus:enum"
export TONGBAN_ADAPTERS_INSTANCES="household, hang"
for a in household hang; do
  A=${a^^}
  port=$port_sim
  [ $a = hang ] && port=$port_hang
  export TONGBAN_ADAPTER_${A}_KIND=rest
  export TONGBAN_ADAPTER_${A}_SOURCE=$a.persons
  export TONGBAN_ADAPTER_${A}_OWNER=11110000000010014U
  export TONGBAN_ADAPTER_${A}_ENDPOINT=http://127.0.0.1:$port
  export TONGBAN_ADAPTER_${A}_PATH=/persons/{key}
  export TONGBAN_ADAPTER_${A}_KEY_FIELD=citizen_id
  export TONGBAN_ADAPTER_${A}_FIELDS="$fields"
  export TONGBAN_ADAPTER_${A}_POOL_SIZE=$((conns + 8))
  export TONGBAN_ADAPTER_${A}_MAX_CONCURRENT=$((conns + 8))
  export TONGBAN_ADAPTER_${A}_REQUEST_TIMEOUT_MS=1000
  export TONGBAN_ADAPTER_${A}_BREAKER_FAILURES=100000
done
export TONGBAN_ADAPTER_HANG_MAX_CONCURRENT=8
TONGBAN_SERVER_PORT=$port_ex TONGBAN_SERVER_MAX_THREADS=$((conns + 32)) \
  TONGBAN_DATABASE_POOL_SIZE=16 TONGBAN_LOG_PATH="$work/exchange.log" \
  "$build/exchange/tongban-exchange" serve &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port_ex/readyz" >/dev/null 2>&1 &&
    curl -fs "http://127.0.0.1:$port_sim/_sim/stats" >/dev/null 2>&1 && break
  sleep 0.1
done

call() {  # method path credentials [body]
  $admin call "$1" "$2" --url "http://127.0.0.1:$port_ex" --credentials "$3" ${4:+"$4"} 2>/dev/null
}
fj='[{"name":"citizen_id","type":"string","masking":"citizen_id"},{"name":"name","type":"string","masking":"name"},{"name":"sex","type":"enum"},{"name":"birth_date","type":"date","masking":"date"},{"name":"region_code","type":"string"},{"name":"status","type":"enum"}]'
for code in HH-PERSON-LIVE HANG-PERSON; do
  src=household.persons
  [ $code = HANG-PERSON ] && src=hang.persons
  call POST /v1/admin/catalog/resources "$work/admin.json" \
    "{\"code\":\"$code\",\"name\":\"实时户籍 $code\",\"provider_department\":\"11110000000010014U\",\"source\":\"$src\",\"key_fields\":[\"citizen_id\"],\"sharing_type\":\"conditional\",\"update_cycle\":\"realtime\",\"fields\":$fj}" >/dev/null
  call POST "/v1/admin/catalog/resources/$code/versions/1/publish" "$work/admin.json" >/dev/null
done
valid_to=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)
i=0
while read -r line; do
  i=$((i + 1))
  echo "$line" >"$work/app$i.json"
  for code in HH-PERSON-LIVE HANG-PERSON POP-PERSON-BASIC; do
    req=$(call POST /v1/access-requests "$work/app$i.json" \
      "{\"resource_code\":\"$code\",\"fields\":[\"name\",\"sex\",\"birth_date\",\"region_code\",\"status\"],\"purpose\":\"压力测试\",\"legal_basis\":\"测试\",\"matter_codes\":[\"$matter\"],\"valid_to\":\"$valid_to\",\"rate_per_minute\":60000}")
    id=$(grep -o '"id":[0-9]*' <<<"$req" | head -1 | cut -d: -f2)
    call POST "/v1/admin/access-requests/$id/approve" "$work/admin.json" >/dev/null
  done
done <"$work/apps.jsonl"

count=$((duration * 20000))
for code in HH-PERSON-LIVE HANG-PERSON; do
  "$build/bench/sign_requests" --apps "$work/apps.jsonl" --ids "$work/ids.txt" --count $count \
    --kind query --resource $code --matter $matter --host "127.0.0.1:$port_ex" >"$work/$code.txt"
done
first=$(head -1 "$work/ids.txt")
# A local query of the same shape (PostgreSQL registry, same grants, masking and audit): what the
# exchange itself costs per query on this machine today.
"$build/bench/sign_requests" --apps "$work/apps.jsonl" --ids "$work/ids.txt" --count $count \
  --kind query --resource POP-PERSON-BASIC --matter $matter --host "127.0.0.1:$port_ex" >"$work/local.txt"

summary() {  # label, wrk output
  local rps p50 p99 bad
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$2")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$2")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$2")
  bad=$(grep -E "Non-2xx|Socket errors" <<<"$2" | tr -s ' ' | tr '\n' ' ' || true)
  printf "%-44s %10s req/s   p50 %8s   p99 %8s  %s\n" "$1" "$rps" "$p50" "$p99" "$bad" >&2
  echo "$rps $p99"
}
signed() {  # requests-file connections duration
  REQUESTS_FILE=$1 WRK_THREADS=2 wrk -t2 -c"$2" -d"${3}s" --latency -s "$root/bench/signed.lua" \
    "http://127.0.0.1:$port_ex"
}

echo "wrk: 2 threads, $conns keep-alive connections, ${duration}s each"
read -r sim_rps _ <<<"$(summary "household simulator alone (GET /persons/id)" \
  "$(wrk -t2 -c"$conns" -d"${duration}s" --latency "http://127.0.0.1:$port_sim/persons/$first")")"
read -r local_rps _ <<<"$(summary "local registry query through the exchange" \
  "$(signed "$work/local.txt" "$conns" "$duration")")"
read -r live_rps live_p99 <<<"$(summary "live adapter query through the exchange" \
  "$(signed "$work/HH-PERSON-LIVE.txt" "$conns" "$duration")")"
# Fresh signatures for the second run (nonces are single-use).
"$build/bench/sign_requests" --apps "$work/apps.jsonl" --ids "$work/ids.txt" --count $count \
  --kind query --resource HH-PERSON-LIVE --matter $matter --host "127.0.0.1:$port_ex" >"$work/again.txt"
signed "$work/HANG-PERSON.txt" 8 $((duration + 2)) >"$work/hang-wrk.txt" 2>&1 &
hang_wrk=$!
sleep 1
read -r hang_rps hang_p99 <<<"$(summary "live query while another upstream hangs" \
  "$(signed "$work/again.txt" "$conns" "$duration")")"
wait $hang_wrk || true
hung=$(awk '/requests in/ {print $1}' "$work/hang-wrk.txt")
echo "calls to the hanging upstream meanwhile: ${hung:-?} (each a 504 after 1000 ms, or a 503 when its 8-call bulkhead was full)"
curl -s "http://127.0.0.1:$port_ex/metrics" |
  grep -E '^tongban_adapter_(calls|errors|timeouts|rejected)_total|^tongban_adapter_latency' || true
awk -v l="$live_rps" -v s="$sim_rps" -v h="$hang_rps" -v q="$local_rps" 'BEGIN {
  printf "ratios: live-through-exchange / simulator-alone %.2f   live / local query %.2f   with a hanging upstream / without %.2f\n",
         l / s, l / q, h / l }'
echo "p99 live: $live_p99   p99 live while another upstream hangs: $hang_p99"
