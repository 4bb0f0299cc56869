#!/usr/bin/env bash
# Installs the Debian packages Tongban builds and runs with, if any is missing.
# Needs root (or sudo) only when something has to be installed.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  libpoco-dev libpqxx-dev libpq-dev libthrift-dev thrift-compiler libboost-dev libevent-dev
  rapidjson-dev libssl-dev openssl libgtest-dev libgmock-dev libbenchmark-dev
  postgresql postgresql-client curl wrk nginx
  python3-thrift  # tests/verification: the Thrift IDL used from Python
  # The console: npm vendors Apache ECharts at build time (console/package-lock.json); the
  # browser tests drive chromium with playwright-core; a CJK font so that screenshots show the
  # Chinese interface.
  chromium fonts-wqy-microhei
)
# Node and npm: Debian's packages unless a node with npm is installed already (NodeSource's
# nodejs carries npm and conflicts with Debian's npm package).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps.sh: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# Packages with a system service (postgresql, nginx) must not start it: nginx's would take port
# 80, and a start that fails would fail the install. policy-rc.d (exit 101: "not allowed") tells
# the packages' scripts so, for this install only.
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  policy=/usr/sbin/policy-rc.d
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
fi
status=0
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
[ -z "$policy" ] || $sudo rm -f "$policy"
[ $status -eq 0 ] || { echo "deps.sh: apt-get install failed (exit $status)" >&2; exit $status; }
# Tongban never uses the system PostgreSQL cluster or nginx service: deploy/pg.sh runs a private
# cluster, and the demo and the tests run their own nginx (deploy/nginx/tongban.conf.template).
