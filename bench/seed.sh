#!/usr/bin/env bash
# Seeding speed: `tongban-admin seed` (generate + COPY in one transaction) beside `psql \copy` of
# the very same rows from CSV into an identical empty schema, in the same run.
#
#   bench/seed.sh [PERSONS] [ENTITIES]      (default 100000 20000)
source "$(dirname "$0")/common.sh"
persons=${1:-100000}
entities=${2:-20000}
rows=$((persons + entities))
csv=$build/seed-csv
rm -rf "$csv" && mkdir -p "$csv"

db1=$(fresh_db bench_seed)
migrate "$db1" >/dev/null
t0=$(date +%s.%N)
"$build/admin/tongban-admin" seed --persons "$persons" --entities "$entities" --db "$db1" >/dev/null
t1=$(date +%s.%N)
"$build/admin/tongban-admin" seed --persons "$persons" --entities "$entities" --csv "$csv" \
  --db "$db1" --replace >/dev/null

db2=$(fresh_db bench_copy)
migrate "$db2" >/dev/null
t2=$(date +%s.%N)
psql "$db2" -q -v ON_ERROR_STOP=1 <<SQL
BEGIN;
\copy population.persons (citizen_id, name, sex, birth_date, ethnicity, region_code, address, status) FROM '$csv/persons.csv' WITH (FORMAT csv, HEADER true)
\copy legal_entity.entities (credit_code, name, entity_type, legal_rep_citizen_id, registered_capital, established_on, region_code, address, status, business_scope) FROM '$csv/entities.csv' WITH (FORMAT csv, HEADER true)
COMMIT;
SQL
t3=$(date +%s.%N)

awk -v r="$rows" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN {
  seed = b - a; copy = d - c;
  printf "rows: %d\n", r;
  printf "tongban-admin seed : %7.2f s  %10.0f rows/s\n", seed, r / seed;
  printf "psql \\copy (CSV)   : %7.2f s  %10.0f rows/s\n", copy, r / copy;
  printf "ratio seed/copy    : %7.2f\n", (r / seed) / (r / copy);
}'
