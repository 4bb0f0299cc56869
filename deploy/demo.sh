#!/usr/bin/env bash
# The Tongban demo on one machine:
#
#   deploy/demo.sh         install what is missing, build (Release), start a private PostgreSQL
#                          under ./var/, migrate, seed sample registries (100k persons, 20k legal
#                          entities) once, start the exchange on 127.0.0.1:8080 (restarted if it
#                          dies), print curl lines
#   deploy/demo.sh stop    stop the front door, the exchange and the database
#   deploy/demo.sh reset   stop everything and delete the demo's data, database and secrets, so
#                          that the next run starts from nothing (`rm -rf var` is not enough: as
#                          root the database cluster lives outside var/, under /tmp)
#
# The front door (docs/deployment.md): nginx on 127.0.0.1:$FRONT_PORT (plain, default 8088) and
# 127.0.0.1:$TLS_PORT (TLS with a self-signed certificate in var/tls, default 8443) in front of the
# exchange, from deploy/nginx/tongban.conf.template; var/nginx holds its config, pid and logs.
#
# Running it again is fine: the build is incremental, the data is kept, the exchange restarts.
# Everything under var/ is private to the caller (umask 077): the master key and the passphrases
# are files of their own (mode 0600) that var/exchange.ini names (security.master_key_file, ...).
# The exchange serves as the database login role tongban_exchange (a member of tongban_runtime,
# which can only append to the audit and transparency logs); migrations and tongban-admin use
# var/admin.ini (the cluster's superuser). Every step that fails says which step and why.
# Environment: PERSONS, ENTITIES (sample sizes, first run only), PORT (default 8080), FRONT_PORT,
# TLS_PORT, SIM_PORT (the household-registration simulator, default 8091: docs/adapters.md).
set -Eeuo pipefail
umask 077
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
var=$root/var
build=$root/build/release
port=${PORT:-8080}
front_port=${FRONT_PORT:-8088}
tls_port=${TLS_PORT:-8443}
sim_port=${SIM_PORT:-8091}  # the household-registration simulator behind the live adapter
admin="$build/admin/tongban-admin"

# ---- steps and their failures -------------------------------------------------------------------
step_name="start"
step_err=/dev/null  # where the current step's commands put their error output
step() {
  step_name=$1
  step_err=$var/demo-step.err
  : >"$step_err"
  echo "== $1"
}
on_error() {  # exit code, command
  [ "$BASHPID" = "$$" ] || return 0  # inside $(...): the main shell reports it
  trap - ERR
  echo "demo.sh: step \"$step_name\" failed (exit $1) at: $2" >&2
  if [ -s "$step_err" ]; then
    echo "-- its error output ($step_err):" >&2
    tail -n 20 "$step_err" >&2
  fi
  echo "Logs: var/exchange.out, var/exchange.log. To start over: deploy/demo.sh reset" >&2
}
trap 'on_error $? "$BASH_COMMAND"' ERR
die() {  # message: a failure this script recognises, with what to do
  trap - ERR
  echo "demo.sh: step \"$step_name\": $*" >&2
  exit 1
}

# ---- the exchange, kept running by deploy/supervise.sh -------------------------------------------
stop_exchange() {
  local pid
  pid=$(cat "$var/exchange.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$var/exchange.pid"
}

start_exchange() {
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port is taken by another program; try PORT=8081 $0"
  fi
  nohup "$root/deploy/supervise.sh" "$var/exchange.out" -- \
    "$build/exchange/tongban-exchange" serve --config "$var/exchange.ini" \
    >>"$var/exchange.out" 2>&1 </dev/null &
  echo $! >"$var/exchange.pid"
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null ||
    die "the exchange did not become ready; see var/exchange.out and var/exchange.log"
}

# ---- the household-registration simulator (REST/JSON) the live adapter reaches ----------------
stop_household_sim() {
  local pid
  pid=$(cat "$var/sim-household.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$var/sim-household.pid"
}

start_household_sim() {
  stop_household_sim
  if (exec 3<>"/dev/tcp/127.0.0.1/$sim_port") 2>/dev/null; then
    die "port $sim_port is taken by another program; try SIM_PORT=8092 $0"
  fi
  nohup "$build/adapters/sim/tongban-sim-household" --port "$sim_port" \
    >>"$var/sim-household.out" 2>&1 </dev/null &
  echo $! >"$var/sim-household.pid"
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$sim_port/_sim/stats" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "the household simulator did not start; see var/sim-household.out"
}

# ---- the nginx front door -----------------------------------------------------------------------
stop_front_door() {
  if [ -f "$var/nginx/nginx.pid" ] && kill -0 "$(cat "$var/nginx/nginx.pid")" 2>/dev/null; then
    kill -QUIT "$(cat "$var/nginx/nginx.pid")"
    for _ in $(seq 1 100); do kill -0 "$(cat "$var/nginx/nginx.pid" 2>/dev/null)" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$var/nginx/nginx.pid"
}

start_front_door() {
  local nginx
  nginx=$(command -v nginx || echo /usr/sbin/nginx)
  [ -x "$nginx" ] || die "nginx is not installed (deploy/deps.sh installs it)"
  mkdir -p "$var/nginx" "$var/tls"
  if [ ! -s "$var/tls/server.crt" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
      -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      -keyout "$var/tls/server.key" -out "$var/tls/server.crt" 2>>"$step_err"
  fi
  sed -e "s#@PREFIX@#$var/nginx#g" -e "s#@LISTEN@#127.0.0.1:$front_port#" \
      -e "s#@TLS_LISTEN@#127.0.0.1:$tls_port#" -e "s#@TLS_CERT@#$var/tls/server.crt#" \
      -e "s#@TLS_KEY@#$var/tls/server.key#" -e "s#@UPSTREAM@#127.0.0.1:$port#" \
      deploy/nginx/tongban.conf.template >"$var/nginx/nginx.conf"
  stop_front_door
  "$nginx" -q -e "$var/nginx/nginx-error.log" -p "$var/nginx" -c "$var/nginx/nginx.conf" \
    2>>"$step_err" ||
    die "nginx did not start (ports $front_port/$tls_port taken? try FRONT_PORT=, TLS_PORT=); see var/nginx/nginx-error.log"
}

# ---- commands -----------------------------------------------------------------------------------
stop_all() {
  stop_front_door
  stop_exchange
  stop_household_sim
  deploy/pg.sh stop "$var/pg"
  echo "stopped"
}

reset_all() {
  stop_front_door
  stop_exchange
  stop_household_sim
  deploy/pg.sh destroy "$var/pg"
  rm -rf "$var"
  echo "reset: the demo's database, data and secrets are gone; deploy/demo.sh starts afresh"
}

build_programs() {
  step "packages"
  deploy/deps.sh
  step "build (Release)"
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTONGBAN_BUILD_TESTS=OFF \
    >/dev/null 2>>"$step_err"
  cmake --build "$build" -j "$(nproc)" --target tongban-exchange tongban-admin tongban-verify \
    tongban-sim-household \
    >/dev/null 2>>"$step_err"
}

start_database() {
  step "database"
  local fresh_var=0
  [ -s "$var/master.key" ] || fresh_var=1
  cluster=$(deploy/pg.sh start "$var/pg" 2>>"$step_err")
  pgport=$(cat "$var/pg/port")
  if [ "$(psql "$cluster" -qtAc "SELECT 1 FROM pg_database WHERE datname = 'tongban'" \
    2>>"$step_err")" = "1" ]; then
    if [ $fresh_var -eq 1 ]; then
      die "var/ holds no master key, but the cluster still has the demo database of an earlier run
(var/ was removed; as root the cluster's data lives outside it, under /tmp). That database's
secrets were in the old var/. Start over with: deploy/demo.sh reset && deploy/demo.sh"
    fi
  else
    psql "$cluster" -qc "CREATE DATABASE tongban" 2>>"$step_err"
  fi
  owner_db="host=127.0.0.1 port=$pgport user=postgres dbname=tongban"
  runtime_db="host=127.0.0.1 port=$pgport user=tongban_exchange dbname=tongban"
}

make_secrets() {
  step "secrets (var/, mode 0600)"
  chmod -R go-rwx "$var"  # an earlier demo.sh left var/exchange.ini world-readable
  [ -s "$var/master.key" ] || openssl rand -base64 32 >"$var/master.key"
  # The hub's audit checkpoint key: ECDSA P-256, encrypted PKCS#8.
  if [ ! -s "$var/audit-checkpoint.key.pem" ]; then
    openssl rand -hex 16 >"$var/audit-checkpoint.pass"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>>"$step_err" |
      openssl pkcs8 -topk8 -v2 aes-256-cbc -passout "file:$var/audit-checkpoint.pass" \
        -out "$var/audit-checkpoint.key.pem"
    openssl pkey -in "$var/audit-checkpoint.key.pem" -passin "file:$var/audit-checkpoint.pass" \
      -pubout -out "$var/audit-checkpoint.pub.pem"
  fi
  [ -s "$var/pki.pass" ] || openssl rand -hex 24 >"$var/pki.pass"
}

write_config() {  # file, database conninfo
  cat >"$1" <<INI
; Written by deploy/demo.sh; see docs/configuration.md for every key. Secrets are in files of
; their own (mode 0600), named here.
[server]
host = 127.0.0.1
port = $port
trusted_proxies = 127.0.0.1
[database]
url = $2
pool_size = 16
[security]
master_key_file = $var/master.key
[pki]
dir = $var/pki
passphrase_file = $var/pki.pass
[audit]
node_id = demo-1
checkpoint_every_s = 10
checkpoint_key_file = $var/audit-checkpoint.key.pem
checkpoint_key_passphrase_file = $var/audit-checkpoint.pass
[log]
level = info
path = $var/exchange.log
; Household registration read live from the ministry's system (here its simulator):
; docs/adapters.md.
[adapters]
instances = household
[adapter.household]
kind = rest
source = household.persons
owner = 11110000000010014U
endpoint = http://127.0.0.1:$sim_port
path = /persons/{key}
key_field = citizen_id
fields = citizen_id=idNumber::citizen_id, name=fullName::name, sex=gender:enum, birth_date=birthDate:date:date, address=residence.address::address, phone=phone::phone, status=householdStatus:enum
request_timeout_ms = 2000
INI
}

migrate_database() {
  step "configuration, migrations and database roles"
  write_config "$var/exchange.ini" "$runtime_db"  # serve: the runtime role
  write_config "$var/admin.ini" "$owner_db"       # migrate, tongban-admin: the owner
  "$build/exchange/tongban-exchange" migrate --config "$var/admin.ini" >/dev/null 2>>"$step_err"
  # The exchange's login role: a member of tongban_runtime (0012_roles.sql). The cluster takes
  # trust logins on 127.0.0.1 only (deploy/pg.sh): no password in the demo.
  psql "$owner_db" -qc "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tongban_exchange') THEN
        CREATE ROLE tongban_exchange LOGIN IN ROLE tongban_runtime;
      END IF; END \$\$" 2>>"$step_err"
}

init_pki() {
  [ -s "$var/pki/root.pem" ] && return 0
  step "hub PKI (root CA and hub signer) in var/pki"
  mkdir -p "$var/pki"
  chmod 700 "$var/pki"
  "$admin" pki init --config "$var/admin.ini" >/dev/null 2>>"$step_err"
  # Key roles: the exchange never loads the root's key; keep it offline (here: a directory the
  # exchange is not configured with).
  mkdir -p "$var/offline-root"
  mv "$var/pki/keys/root-ca.key.pem" "$var/offline-root/"
}

seed_registries() {
  local persons
  persons=$(psql "$owner_db" -qtAc "SELECT count(*) FROM population.persons")
  if [ "$persons" = "0" ]; then
    step "seeding sample registries"
    "$admin" seed --persons "${PERSONS:-100000}" --entities "${ENTITIES:-20000}" \
      --config "$var/admin.ini" 2>>"$step_err"
  else
    echo "== registries already hold $persons persons (kept)"
  fi
}

# A batch flow-back file (数据回流) from a household-registration system (docs/import.md): its
# persons are upserted by citizen id; its one malformed record goes to the reject file. A rerun
# finds the file imported (by content) and does nothing.
import_flowback_sample() {
  step "importing a flow-back sample (deploy/samples/flowback_persons.csv)"
  local rc=0
  "$admin" import population "$root/deploy/samples/flowback_persons.csv" \
    --reject-file "$var/flowback_persons.rejects.csv" --config "$var/admin.ini" \
    2>>"$step_err" || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 3 ]  # 3: imported, with rejected records
}

call() { "$admin" call --url "http://127.0.0.1:$port" "$@"; }
matter=11330100MB0000001X4000203

# Demo parties (first run only): a data administrators' application, and a tax bureau's consumer
# application granted person and entity data for one service matter.
demo_parties() {
  # Credentials kept from an earlier run whose database is gone (a new cluster) are stale.
  if [ -s "$var/consumer.json" ]; then
    local app_id
    app_id=$(grep -o '"app_id":"[^"]*"' "$var/consumer.json" | cut -d'"' -f4)
    if [ "$(psql "$owner_db" -qtAc "SELECT count(*) FROM directory.applications WHERE app_id = '$app_id'")" != "1" ]; then
      rm -f "$var/admin.json" "$var/consumer.json" "$var/issuer.json" "$var/seal.json"
    fi
  fi
  [ -s "$var/consumer.json" ] && return 0
  step "demo applications and grants"
  "$admin" department add --config "$var/admin.ini" --code 11110000000000019K \
    --name 市政务服务数据管理局 --region 110000 >/dev/null 2>&1 || true  # kept from a run before
  "$admin" department add --config "$var/admin.ini" --code 1133010000002001XU \
    --name 杭州市税务局 --region 330100 >/dev/null 2>&1 || true
  "$admin" app add --config "$var/admin.ini" --department 11110000000000019K \
    --name 数据管理平台 --role admin >"$var/admin.json" 2>>"$step_err"
  "$admin" app add --config "$var/admin.ini" --department 1133010000002001XU \
    --name 税务登记系统 >"$var/consumer.json.tmp" 2>>"$step_err"
  local valid_to spec req id
  valid_to=$(date -u -d '+365 days' +%Y-%m-%dT%H:%M:%SZ)
  for spec in 'POP-PERSON-BASIC:"citizen_id","name","sex","birth_date","region_code","address","status"' \
              'LE-ENTITY-BASIC:"credit_code","name","entity_type","legal_rep_citizen_id","registered_capital","established_on","status"' \
              'VERIFY-PERSON:"status","region_code","birth_date"' \
              'VERIFY-ENTITY:"status","legal_rep_citizen_id"'; do
    req=$(call --credentials "$var/consumer.json.tmp" POST /v1/access-requests 2>>"$step_err" \
      "{\"resource_code\":\"${spec%%:*}\",\"fields\":[${spec#*:}],\"purpose\":\"办理企业开办时核验经办人与企业信息\",\"legal_basis\":\"《优化营商环境条例》\",\"matter_codes\":[\"$matter\",\"$precheck_matter\"],\"valid_to\":\"$valid_to\"}")
    id=$(grep -o '"id":[0-9]*' <<<"$req" | head -1 | cut -d: -f2)
    [ -n "$id" ] || die "the access request for ${spec%%:*} was refused: $req"
    if grep -q '"state":"pending"' <<<"$req"; then
      call --credentials "$var/admin.json" POST "/v1/admin/access-requests/$id/approve" \
        >/dev/null 2>>"$step_err"
    fi
  done
  mv "$var/consumer.json.tmp" "$var/consumer.json"
}

# A hub administrator for the web console (/console/), password in var/console-admin.password.
demo_console_user() {
  if [ -s "$var/console-admin.password" ] &&
    [ "$(psql "$owner_db" -qtAc "SELECT count(*) FROM console.users WHERE username = 'admin'")" = "1" ]; then
    return 0
  fi
  step "console administrator"
  local password
  password=$(openssl rand -base64 18 | tr -d '/+=')
  printf '%s\n' "$password" >"$var/console-admin.password"
  "$admin" user add admin --name 演示管理员 --config "$var/admin.ini" \
    <"$var/console-admin.password" >/dev/null 2>>"$step_err"
  "$admin" user role admin hub_admin --config "$var/admin.ini" >/dev/null 2>>"$step_err"
}

# The market regulator issues business licences (营业执照) with an SM2 seal (first run only).
licence=11100000MB0143028R001
# The matter whose precheck the demo shows (食品经营许可: docs/matters.md); the consumer's grants
# name it beside $matter.
precheck_matter=210000-SCJG-0002
demo_issuer() {
  if [ ! -s "$var/issuer.json" ]; then
    step "demo issuer: seal and certificate type"
    # A 1x1 PNG stands in for the seal's picture.
    echo 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=' |
      base64 -d >"$var/seal.png"
    "$admin" seal create --config "$var/admin.ini" --department 11110000000010022N \
      --name 市场监督管理局电子证照专用章 --kind certificate --algorithm SM2-SM3 \
      --picture "$var/seal.png" --width-mm 42 --height-mm 42 >"$var/seal.json" 2>>"$step_err"
    "$admin" type authorize --config "$var/admin.ini" $licence 11110000000010022N \
      >/dev/null 2>>"$step_err"
    "$admin" app add --config "$var/admin.ini" --department 11110000000010022N \
      --name 电子证照签发系统 --role provider >"$var/issuer.json" 2>>"$step_err"
  fi
  step "demo certificate request"
  local seal_id company c_code c_name c_rep c_date c_addr
  seal_id=$(grep -o '"seal_id":"[^"]*"' "$var/seal.json" | head -1 | cut -d'"' -f4)
  company=$(psql "$owner_db" -qtAc "SELECT credit_code || '|' || e.name || '|' || p.name || '|' || e.established_on || '|' || e.address
    FROM legal_entity.entities e JOIN population.persons p ON p.citizen_id = e.legal_rep_citizen_id
    WHERE e.entity_type = 'llc' AND e.status = 'in_business' ORDER BY credit_code LIMIT 1")
  IFS='|' read -r c_code c_name c_rep c_date c_addr <<<"$company"
  cat >"$var/licence.json" <<JSON
{"type_code":"$licence","seal_id":"$seal_id","holder":{"code":"$c_code","name":"$c_name"},
 "surface":{"name":"$c_name","credit_code":"$c_code","entity_type":"有限责任公司","legal_representative":"$c_rep",
  "established_on":"$c_date","business_term_from":"$c_date","address":"$c_addr",
  "business_scope":"技术开发、技术咨询","registration_authority":"市场监督管理局"}}
JSON
}

# Reading a certificate needs a grant: the issuer offers business licences as the catalog
# resource CERT-$licence, and the demo consumer is granted it for the demo matter (first run only).
cert_resource=CERT-$licence
demo_cert_reader() {
  local consumer_app valid_to req id
  consumer_app=$(grep -o '"app_id":"[^"]*"' "$var/consumer.json" | cut -d'"' -f4)
  [ "$(psql "$owner_db" -qtAc "SELECT count(*) FROM catalog.grants WHERE app_id = '$consumer_app' AND resource_code = '$cert_resource'")" = "0" ] || return 0
  step "demo certificate reader: $cert_resource and the consumer's grant"
  if [ "$(psql "$owner_db" -qtAc "SELECT count(*) FROM catalog.resources WHERE code = '$cert_resource' AND status = 'published'")" = "0" ]; then
    call --credentials "$var/issuer.json" POST /v1/admin/catalog/resources 2>>"$step_err" \
      "{\"code\":\"$cert_resource\",\"name\":\"营业执照（电子证照）\",\"provider_department\":\"11110000000010022N\",\"source\":\"certs:$licence\",\"key_fields\":[\"certificate_id\"],\"sharing_type\":\"conditional\",\"update_cycle\":\"realtime\",\"fields\":[{\"name\":\"certificate_id\",\"type\":\"string\"},{\"name\":\"holder_code\",\"type\":\"string\",\"sensitivity\":\"sensitive\"},{\"name\":\"certificate\",\"type\":\"string\",\"sensitivity\":\"sensitive\"}]}" >/dev/null
    call --credentials "$var/issuer.json" POST "/v1/admin/catalog/resources/$cert_resource/versions/1/publish" \
      >/dev/null 2>>"$step_err"
  fi
  valid_to=$(date -u -d '+365 days' +%Y-%m-%dT%H:%M:%SZ)
  req=$(call --credentials "$var/consumer.json" POST /v1/access-requests 2>>"$step_err" \
    "{\"resource_code\":\"$cert_resource\",\"fields\":[\"certificate_id\",\"holder_code\",\"certificate\"],\"purpose\":\"办理企业开办时核验营业执照\",\"legal_basis\":\"《优化营商环境条例》\",\"matter_codes\":[\"$matter\",\"$precheck_matter\"],\"valid_to\":\"$valid_to\"}")
  id=$(grep -o '"id":[0-9]*' <<<"$req" | head -1 | cut -d: -f2)
  [ -n "$id" ] || die "the access request for $cert_resource was refused: $req"
  call --credentials "$var/admin.json" POST "/v1/admin/access-requests/$id/approve" \
    >/dev/null 2>>"$step_err"
}

# A resource over the household adapter, published by its owner's administrator and granted to the
# demo consumer (first run only), then one query answered live by the simulator.
demo_adapter() {
  local fields='[{"name":"citizen_id","type":"string","masking":"citizen_id"},{"name":"name","type":"string","masking":"name"},{"name":"sex","type":"enum"},{"name":"address","type":"string","masking":"address"},{"name":"status","type":"enum"}]'
  if ! call --credentials "$var/consumer.json" GET /v1/catalog/resources 2>/dev/null |
      grep -q '"HH-PERSON-LIVE"'; then
    step "a catalog resource over the live household adapter"
    call --credentials "$var/admin.json" POST /v1/admin/catalog/resources 2>>"$step_err" \
      "{\"code\":\"HH-PERSON-LIVE\",\"name\":\"户籍人口（部级系统实时）\",\"provider_department\":\"11110000000010014U\",\"source\":\"household.persons\",\"key_fields\":[\"citizen_id\"],\"sharing_type\":\"conditional\",\"update_cycle\":\"realtime\",\"fields\":$fields}" >/dev/null
    call --credentials "$var/admin.json" POST /v1/admin/catalog/resources/HH-PERSON-LIVE/versions/1/publish \
      >/dev/null 2>>"$step_err"
    local valid_to req id
    valid_to=$(date -u -d '+365 days' +%Y-%m-%dT%H:%M:%SZ)
    req=$(call --credentials "$var/consumer.json" POST /v1/access-requests 2>>"$step_err" \
      "{\"resource_code\":\"HH-PERSON-LIVE\",\"fields\":[\"citizen_id\",\"name\",\"sex\",\"address\",\"status\"],\"purpose\":\"办理企业开办时核验经办人户籍\",\"legal_basis\":\"《优化营商环境条例》\",\"matter_codes\":[\"$matter\"],\"valid_to\":\"$valid_to\"}")
    id=$(grep -o '"id":[0-9]*' <<<"$req" | head -1 | cut -d: -f2)
    [ -n "$id" ] || die "the access request for HH-PERSON-LIVE was refused: $req"
    if grep -q '"state":"pending"' <<<"$req"; then
      call --credentials "$var/admin.json" POST "/v1/admin/access-requests/$id/approve" \
        >/dev/null 2>>"$step_err"
    fi
  fi
  step "a query answered live by the household-registration system (simulator on :$sim_port)"
  call --credentials "$var/consumer.json" POST /v1/query/HH-PERSON-LIVE 2>>"$step_err" \
    "{\"keys\":{\"citizen_id\":\"11010519491231002X\"},\"fields\":[\"name\",\"sex\",\"address\",\"status\"],\"purpose\":{\"matter_code\":\"$matter\",\"case_id\":\"DEMO-LIVE-1\"}}"
  echo
}

print_usage() {
  local person entity purpose licensee licensee_rep
  person=$(psql "$owner_db" -qtAc "SELECT citizen_id FROM population.persons ORDER BY citizen_id LIMIT 1")
  entity=$(psql "$owner_db" -qtAc "SELECT credit_code FROM legal_entity.entities ORDER BY credit_code LIMIT 1")
  purpose="matter_code=$matter&case_id=DEMO-0001"
  IFS='|' read -r licensee licensee_rep <<<"$(psql "$owner_db" -qtAc "SELECT credit_code || '|' || legal_rep_citizen_id
    FROM legal_entity.entities WHERE entity_type = 'llc' AND status = 'in_business' ORDER BY credit_code LIMIT 1")"
  cat <<MSG

Tongban exchange is running on http://127.0.0.1:$port (log: var/exchange.log; restarted if it
dies, see var/exchange.out), behind its front door (nginx) on http://127.0.0.1:$front_port and
https://127.0.0.1:$tls_port (self-signed: var/tls/server.crt); anything that is not on this
machine talks to the TLS port only. Every /v1 call is signed (docs/request-signing.md); tongban-admin call
signs for you with the demo consumer's credentials in var/consumer.json. Try:

  curl -s http://127.0.0.1:$port/readyz
  curl -s --cacert var/tls/server.crt https://localhost:$tls_port/readyz
  curl -s http://127.0.0.1:$port/metrics | head -20
  A=$build/admin/tongban-admin
  \$A call --credentials var/consumer.json GET '/v1/registry/persons/$person?$purpose'
  \$A call --credentials var/consumer.json GET '/v1/subjects/entities/$entity?$purpose'
  \$A call --credentials var/consumer.json POST /v1/query/POP-PERSON-BASIC \\
      '{"keys":{"citizen_id":"$person"},"fields":["name","address"],"purpose":{"matter_code":"$matter","case_id":"DEMO-0002"}}'
  \$A call --credentials var/consumer.json POST /v1/query/POP-PERSON-BASIC \\
      '{"keys":{"citizen_id":"$person"},"fields":["ethnicity"],"purpose":{"matter_code":"$matter","case_id":"DEMO-0003"}}'   # not granted: 403
  \$A call --credentials var/consumer.json GET /v1/catalog/resources
  \$A call --credentials var/consumer.json POST /v1/query/HH-PERSON-LIVE \\
      '{"keys":{"citizen_id":"11010519491231002X"},"fields":["name","address"],"purpose":{"matter_code":"$matter","case_id":"DEMO-0004"}}'   # live, from the household simulator
  \$A call --credentials var/consumer.json POST /v1/verify/batch \\
      '{"purpose":{"matter_code":"$matter","case_id":"DEMO-0005"},"checks":[{"kind":"person_alive","subject":"$person"},{"kind":"person_age_at_least","subject":"$person","min_age":18},{"kind":"entity_in_business","subject":"$entity"}]}'   # 免证办: yes/no only
  \$A matter show 210000-SCJG-0002 --config var/admin.ini      # a matter's materials and what the hub stands in for
  \$A call --credentials var/admin.json GET '/v1/admin/audit?limit=5'
  \$A audit verify --config var/admin.ini --checkpoint-key var/audit-checkpoint.pub.pem
  \$A id check credit-code 91350100M000100Y43

Service matters (docs/matters.md): what an applicant need not submit, and a precheck:

  \$A call --credentials var/consumer.json GET /v1/matters/210000-SCJG-0002/certificate-free
  \$A call --credentials var/consumer.json POST /v1/matters/$precheck_matter/precheck \\
      '{"purpose":{"matter_code":"$precheck_matter","case_id":"DEMO-0006"},"applicant":{"credit_code":"$licensee","citizen_id":"$licensee_rep"}}'
      # 营业执照 not_satisfied until the licence below is issued to this company; run it again after

Electronic certificates (the demo issuer's request is in var/licence.json):

  \$A call --credentials var/issuer.json --header 'Idempotency-Key: demo-licence-1' \\
      POST /v1/certificates --body-file var/licence.json          # again: the same certificate
  \$A call --credentials var/consumer.json GET '/v1/certificates/CERTIFICATE_ID?$purpose' > bundle.json   # granted $cert_resource
  $build/certs/tongban-verify bundle.json --root var/pki/root.pem
  curl -s http://127.0.0.1:$port/v1/transparency/sth

The administrators' console: http://127.0.0.1:$port/console/ (user admin, password in
var/console-admin.password; docs/console.md).

Stop it all with: deploy/demo.sh stop     Start over from nothing: deploy/demo.sh reset
MSG
}

main() {
  case "${1:-}" in
    stop) [ $# -eq 1 ] || { echo "usage: $0 [stop|reset]" >&2; exit 2; }; stop_all; exit 0 ;;
    reset) [ $# -eq 1 ] || { echo "usage: $0 [stop|reset]" >&2; exit 2; }; reset_all; exit 0 ;;
    "") ;;
    *) echo "usage: $0 [stop|reset]" >&2; exit 2 ;;
  esac
  mkdir -p "$var"
  build_programs
  start_database
  stop_exchange
  make_secrets
  migrate_database
  init_pki
  seed_registries
  import_flowback_sample
  step "household-registration simulator on 127.0.0.1:$sim_port"
  start_household_sim
  step "exchange"
  start_exchange
  step "front door (nginx) on 127.0.0.1:$front_port and https://127.0.0.1:$tls_port"
  start_front_door
  demo_parties
  demo_console_user
  demo_issuer
  demo_cert_reader
  demo_adapter
  print_usage
}

# Sourced (tests/deploy/demo_secrets_test.sh), it only defines the steps.
[ "${BASH_SOURCE[0]}" != "$0" ] || main "$@"
