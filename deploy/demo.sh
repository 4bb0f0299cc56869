#!/usr/bin/env bash
# The Tongban demo on one machine:
#
#   deploy/demo.sh         install what is missing, build (Release), start a private PostgreSQL
#                          under ./var/, migrate, seed sample registries (100k persons, 20k legal
#                          entities) once, start the exchange on 127.0.0.1:8080, print curl lines
#   deploy/demo.sh stop    stop the front door, the exchange and the database
#
# The front door (docs/deployment.md): nginx on 127.0.0.1:$FRONT_PORT (plain, default 8088) and
# 127.0.0.1:$TLS_PORT (TLS with a self-signed certificate in var/tls, default 8443) in front of the
# exchange, from deploy/nginx/tongban.conf.template; var/nginx holds its config, pid and logs.
#
# Running it again is fine: the build is incremental, the data is kept, the exchange restarts.
# Environment: PERSONS, ENTITIES (sample sizes, first run only), PORT (default 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
var=$root/var
build=$root/build/release
port=${PORT:-8080}
front_port=${FRONT_PORT:-8088}
tls_port=${TLS_PORT:-8443}
mkdir -p "$var"

stop_exchange() {
  if [ -f "$var/exchange.pid" ] && kill -0 "$(cat "$var/exchange.pid")" 2>/dev/null; then
    kill -TERM "$(cat "$var/exchange.pid")"
    for _ in $(seq 1 100); do kill -0 "$(cat "$var/exchange.pid")" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$var/exchange.pid"
}

# The nginx front door (separate from the exchange's start/stop).
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
  if [ ! -x "$nginx" ]; then
    echo "demo.sh: nginx is not installed (deploy/deps.sh installs it); no front door" >&2
    return 1
  fi
  mkdir -p "$var/nginx" "$var/tls"
  if [ ! -s "$var/tls/server.crt" ]; then
    (umask 077
     openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
       -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
       -keyout "$var/tls/server.key" -out "$var/tls/server.crt" 2>/dev/null) || {
      echo "demo.sh: openssl could not make the front door's certificate in var/tls" >&2
      return 1
    }
  fi
  sed -e "s#@PREFIX@#$var/nginx#g" -e "s#@LISTEN@#127.0.0.1:$front_port#" \
      -e "s#@TLS_LISTEN@#127.0.0.1:$tls_port#" -e "s#@TLS_CERT@#$var/tls/server.crt#" \
      -e "s#@TLS_KEY@#$var/tls/server.key#" -e "s#@UPSTREAM@#127.0.0.1:$port#" \
      deploy/nginx/tongban.conf.template >"$var/nginx/nginx.conf"
  stop_front_door
  "$nginx" -q -e "$var/nginx/nginx-error.log" -p "$var/nginx" -c "$var/nginx/nginx.conf" || {
    echo "demo.sh: nginx did not start (ports $front_port/$tls_port taken? try FRONT_PORT=, TLS_PORT=); see $var/nginx/nginx-error.log" >&2
    return 1
  }
}

if [ "${1:-}" = "stop" ]; then
  stop_front_door
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
cmake --build "$build" -j "$(nproc)" --target tongban-exchange tongban-admin tongban-verify >/dev/null

echo "== database"
cluster=$(deploy/pg.sh start "$var/pg")
pgport=$(cat "$var/pg/port")
psql "$cluster" -qtAc "SELECT 1 FROM pg_database WHERE datname = 'tongban'" | grep -q 1 ||
  psql "$cluster" -qc "CREATE DATABASE tongban"
db="host=127.0.0.1 port=$pgport user=postgres dbname=tongban"

stop_exchange
[ -s "$var/master.key" ] || (umask 077 && openssl rand -base64 32 >"$var/master.key")
# The hub's audit checkpoint key: ECDSA P-256, encrypted PKCS#8.
if [ ! -s "$var/audit-checkpoint.key.pem" ]; then
  (umask 077
   openssl rand -hex 16 >"$var/audit-checkpoint.pass"
   openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null |
     openssl pkcs8 -topk8 -v2 aes-256-cbc -passout "file:$var/audit-checkpoint.pass" \
       -out "$var/audit-checkpoint.key.pem"
   openssl pkey -in "$var/audit-checkpoint.key.pem" -passin "file:$var/audit-checkpoint.pass" \
     -pubout -out "$var/audit-checkpoint.pub.pem")
fi
[ -s "$var/pki.pass" ] || (umask 077 && openssl rand -hex 24 >"$var/pki.pass")
cat >"$var/exchange.ini" <<INI
; Written by deploy/demo.sh; see docs/configuration.md for every key.
[server]
host = 127.0.0.1
port = $port
trusted_proxies = 127.0.0.1
[database]
url = $db
pool_size = 16
[security]
master_key = $(cat "$var/master.key")
[pki]
dir = $var/pki
passphrase = $(cat "$var/pki.pass")
[audit]
node_id = demo-1
checkpoint_every_s = 10
checkpoint_key_file = $var/audit-checkpoint.key.pem
checkpoint_key_passphrase = $(cat "$var/audit-checkpoint.pass")
[log]
level = info
path = $var/exchange.log
INI

"$build/exchange/tongban-exchange" migrate --config "$var/exchange.ini"
if [ ! -s "$var/pki/root.pem" ]; then
  echo "== hub PKI (root CA and hub signer) in var/pki"
  mkdir -p "$var/pki" && chmod 700 "$var/pki"
  "$build/admin/tongban-admin" pki init --config "$var/exchange.ini" >/dev/null
  # Key roles (issue 7): the exchange never loads the root's key; keep it offline (here: a
  # directory the exchange is not configured with).
  mkdir -p "$var/offline-root" && chmod 700 "$var/offline-root"
  mv "$var/pki/keys/root-ca.key.pem" "$var/offline-root/"
fi
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

echo "== front door (nginx) on 127.0.0.1:$front_port and https://127.0.0.1:$tls_port"
start_front_door

# Demo parties (first run only): a data administrators' application, and a tax bureau's
# consumer application granted person and entity data for one service matter.
admin="$build/admin/tongban-admin"
call() { "$admin" call --url "http://127.0.0.1:$port" "$@"; }
matter=11330100MB0000001X4000203
# Credentials kept from an earlier run whose database is gone (a new cluster) are stale.
if [ -s "$var/consumer.json" ]; then
  app_id=$(grep -o '"app_id":"[^"]*"' "$var/consumer.json" | cut -d'"' -f4)
  if [ "$(psql "$db" -qtAc "SELECT count(*) FROM exchange.applications WHERE app_id = '$app_id'")" != "1" ]; then
    rm -f "$var/admin.json" "$var/consumer.json" "$var/issuer.json" "$var/seal.json"
  fi
fi
if [ ! -s "$var/consumer.json" ]; then
  echo "== demo applications and grants"
  "$admin" department add --config "$var/exchange.ini" --code 11110000000000019K \
    --name 市政务服务数据管理局 --region 110000 >/dev/null 2>&1 || true
  "$admin" department add --config "$var/exchange.ini" --code 1133010000002001XU \
    --name 杭州市税务局 --region 330100 >/dev/null 2>&1 || true
  (umask 077
   "$admin" app add --config "$var/exchange.ini" --department 11110000000000019K \
     --name 数据管理平台 --role admin >"$var/admin.json" 2>/dev/null
   "$admin" app add --config "$var/exchange.ini" --department 1133010000002001XU \
     --name 税务登记系统 >"$var/consumer.json.tmp" 2>/dev/null)
  valid_to=$(date -u -d '+365 days' +%Y-%m-%dT%H:%M:%SZ)
  for spec in 'POP-PERSON-BASIC:"citizen_id","name","sex","birth_date","region_code","address","status"' \
              'LE-ENTITY-BASIC:"credit_code","name","entity_type","legal_rep_citizen_id","registered_capital","established_on","status"'; do
    req=$(call --credentials "$var/consumer.json.tmp" POST /v1/access-requests 2>/dev/null \
      "{\"resource_code\":\"${spec%%:*}\",\"fields\":[${spec#*:}],\"purpose\":\"办理企业开办时核验经办人与企业信息\",\"legal_basis\":\"《优化营商环境条例》\",\"matter_codes\":[\"$matter\"],\"valid_to\":\"$valid_to\"}")
    id=$(grep -o '"id":[0-9]*' <<<"$req" | head -1 | cut -d: -f2)
    if grep -q '"state":"pending"' <<<"$req"; then
      call --credentials "$var/admin.json" POST "/v1/admin/access-requests/$id/approve" >/dev/null 2>&1
    fi
  done
  mv "$var/consumer.json.tmp" "$var/consumer.json"
fi

# The market regulator issues business licences (营业执照) with an SM2 seal (first run only).
licence=11100000MB0143028R001
if [ ! -s "$var/issuer.json" ]; then
  echo "== demo issuer: seal and certificate type"
  # A 1x1 PNG stands in for the seal's picture.
  echo 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=' |
    base64 -d >"$var/seal.png"
  "$admin" seal create --config "$var/exchange.ini" --department 11110000000010022N \
    --name 市场监督管理局电子证照专用章 --kind certificate --algorithm SM2-SM3 \
    --picture "$var/seal.png" --width-mm 42 --height-mm 42 >"$var/seal.json"
  "$admin" type authorize --config "$var/exchange.ini" $licence 11110000000010022N >/dev/null
  (umask 077
   "$admin" app add --config "$var/exchange.ini" --department 11110000000010022N \
     --name 电子证照签发系统 --role provider >"$var/issuer.json" 2>/dev/null)
fi
seal_id=$(grep -o '"seal_id":"[^"]*"' "$var/seal.json" | head -1 | cut -d'"' -f4)
company=$(psql "$db" -qtAc "SELECT credit_code || '|' || e.name || '|' || p.name || '|' || e.established_on || '|' || e.address
  FROM legal_entity.entities e JOIN population.persons p ON p.citizen_id = e.legal_rep_citizen_id
  WHERE e.entity_type = 'llc' AND e.status = 'in_business' ORDER BY credit_code LIMIT 1")
IFS='|' read -r c_code c_name c_rep c_date c_addr <<<"$company"
cat >"$var/licence.json" <<JSON
{"type_code":"$licence","seal_id":"$seal_id","holder":{"code":"$c_code","name":"$c_name"},
 "surface":{"name":"$c_name","credit_code":"$c_code","entity_type":"有限责任公司","legal_representative":"$c_rep",
  "established_on":"$c_date","business_term_from":"$c_date","address":"$c_addr",
  "business_scope":"技术开发、技术咨询","registration_authority":"市场监督管理局"}}
JSON

# Reading a certificate needs a grant (issue 7): the issuer offers business licences as the
# catalog resource CERT-$licence, and the demo consumer is granted it for the demo matter.
cert_resource=CERT-$licence
# Each step's answer goes to var/cert-grant.err, shown only when the step fails.
cert_step() {
  local what=$1; shift
  call "$@" 2>"$var/cert-grant.err" || {
    echo "demo.sh: $what failed:" >&2; cat "$var/cert-grant.err" >&2; exit 1
  }
}
consumer_app=$(grep -o '"app_id":"[^"]*"' "$var/consumer.json" | cut -d'"' -f4)
if [ "$(psql "$db" -qtAc "SELECT count(*) FROM catalog.grants WHERE app_id = '$consumer_app' AND resource_code = '$cert_resource'")" = "0" ]; then
  echo "== demo certificate reader: $cert_resource and the consumer's grant"
  if [ "$(psql "$db" -qtAc "SELECT count(*) FROM catalog.resources WHERE code = '$cert_resource' AND status = 'published'")" = "0" ]; then
    cert_step "creating catalog resource $cert_resource (as the issuer)" \
      --credentials "$var/issuer.json" POST /v1/admin/catalog/resources \
      "{\"code\":\"$cert_resource\",\"name\":\"营业执照（电子证照）\",\"provider_department\":\"11110000000010022N\",\"source\":\"certs:$licence\",\"key_fields\":[\"certificate_id\"],\"sharing_type\":\"conditional\",\"update_cycle\":\"realtime\",\"fields\":[{\"name\":\"certificate_id\",\"type\":\"string\"},{\"name\":\"certificate\",\"type\":\"string\",\"sensitivity\":\"sensitive\"}]}" >/dev/null
    cert_step "publishing $cert_resource" \
      --credentials "$var/issuer.json" POST "/v1/admin/catalog/resources/$cert_resource/versions/1/publish" >/dev/null
  fi
  valid_to=$(date -u -d '+365 days' +%Y-%m-%dT%H:%M:%SZ)
  req=$(cert_step "the consumer's access request for $cert_resource" \
    --credentials "$var/consumer.json" POST /v1/access-requests \
    "{\"resource_code\":\"$cert_resource\",\"fields\":[\"certificate_id\",\"certificate\"],\"purpose\":\"办理企业开办时核验营业执照\",\"legal_basis\":\"《优化营商环境条例》\",\"matter_codes\":[\"$matter\"],\"valid_to\":\"$valid_to\"}")
  id=$(grep -o '"id":[0-9]*' <<<"$req" | head -1 | cut -d: -f2)
  cert_step "approving the consumer's access request $id" \
    --credentials "$var/admin.json" POST "/v1/admin/access-requests/$id/approve" >/dev/null
fi

person=$(psql "$db" -qtAc "SELECT citizen_id FROM population.persons ORDER BY citizen_id LIMIT 1")
entity=$(psql "$db" -qtAc "SELECT credit_code FROM legal_entity.entities ORDER BY credit_code LIMIT 1")
purpose="matter_code=$matter&case_id=DEMO-0001"
cat <<MSG

Tongban exchange is running on http://127.0.0.1:$port (log: var/exchange.log), behind its front
door (nginx) on http://127.0.0.1:$front_port and https://127.0.0.1:$tls_port (self-signed:
var/tls/server.crt); anything that is not on this machine talks to the TLS port only.
Every /v1 call is signed (docs/request-signing.md); tongban-admin call signs for you with the
demo consumer's credentials in var/consumer.json. Try:

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
  \$A call --credentials var/admin.json GET '/v1/admin/audit?limit=5'
  \$A audit verify --config var/exchange.ini --checkpoint-key var/audit-checkpoint.pub.pem
  \$A id check credit-code 91350100M000100Y43

Electronic certificates (the demo issuer's request is in var/licence.json):

  \$A call --credentials var/issuer.json --header 'Idempotency-Key: demo-licence-1' \\
      POST /v1/certificates --body-file var/licence.json          # again: the same certificate
  \$A call --credentials var/consumer.json GET '/v1/certificates/CERTIFICATE_ID?$purpose' > bundle.json   # granted $cert_resource
  $build/certs/tongban-verify bundle.json --root var/pki/root.pem
  curl -s http://127.0.0.1:$port/v1/transparency/sth

Stop it all with: deploy/demo.sh stop
MSG
