#!/usr/bin/env bash
# Installs the Debian packages Tongban builds and runs with, if any is missing.
# Needs root (or sudo) only when something has to be installed.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  libpoco-dev libpqxx-dev libthrift-dev thrift-compiler libboost-dev libevent-dev
  rapidjson-dev libssl-dev openssl libgtest-dev libgmock-dev libbenchmark-dev
  postgresql postgresql-client curl wrk nginx
)

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
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's postgresql package starts a system cluster; Tongban never uses it (deploy/pg.sh runs a
# private one), so leave it as the package left it. The same goes for nginx's system service:
# the demo and the tests run their own nginx (deploy/nginx/tongban.conf.template) with -p.
