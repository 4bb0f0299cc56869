#!/usr/bin/env bash
# The verification index in process (bench/verification_index.cc): load time and bytes per record
# with 10 million certificates and 1 million persons, checks/s per core beside a bare hash-table
# probe, and an eligibility scan beside the same predicate in PostgreSQL. Builds only what it
# runs; the data is generated once in database verification_bench of a private cluster under
# build/bench/pg (stopped at the end).
#
#   bench/verification_index.sh [CERTIFICATES] [PERSONS]      (default 10000000 1000000)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build/bench
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTONGBAN_BUILD_TESTS=OFF \
  -DTONGBAN_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$build" -j 2 --target verification_index >/dev/null
cluster=$(TONGBAN_PG_SETTINGS="fsync=off synchronous_commit=off full_page_writes=off max_wal_size=8GB" \
  "$root/deploy/pg.sh" start "$build/pg")
trap '"$root/deploy/pg.sh" stop "$build/pg" >/dev/null 2>&1 || true' EXIT
"$build/bench/verification_index" "$cluster" "${1:-10000000}" "${2:-1000000}"
