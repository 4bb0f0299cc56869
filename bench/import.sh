#!/usr/bin/env bash
# Flow-back import speed: `tongban-admin import population FILE` (parse, validate, COPY into a
# staging table, upsert by key, checkpoint per batch) on a generated CSV file, beside `psql \copy`
# of the very same file in the same run:
#   - into a plain table (the registry's columns and defaults; no constraint but NOT NULL, no
#     index): the issue's baseline;
#   - straight into an empty population.persons (its CHECKs and three indexes; no validation, no
#     upsert, one transaction): the cost of the table itself, which any loader pays.
# Then the same file imported again with --again (every row identical: read, compared, not written).
#
#   bench/import.sh [ROWS] [BATCH_ROWS]      (default 1000000 20000)
source "$(dirname "$0")/common.sh"
rows=${1:-1000000}
batch=${2:-20000}
dir=$build/import-bench
rm -rf "$dir" && mkdir -p "$dir"
env -u TONGBAN_DATABASE_URL "$build/admin/tongban-admin" seed --persons "$rows" --entities 0 \
  --csv "$dir" >/dev/null
file=$dir/persons.csv
cols="citizen_id, name, sex, birth_date, ethnicity, region_code, address, status"
now() { date +%s.%N; }

db_plain=$(fresh_db bench_import_plain)
migrate "$db_plain" >/dev/null
psql "$db_plain" -qc "CREATE TABLE public.plain (LIKE population.persons INCLUDING DEFAULTS)"
t0=$(now)
psql "$db_plain" -q -v ON_ERROR_STOP=1 -c "\\copy public.plain ($cols) FROM '$file' WITH (FORMAT csv, HEADER true)"
t1=$(now)

db_table=$(fresh_db bench_import_table)
migrate "$db_table" >/dev/null
t2=$(now)
psql "$db_table" -q -v ON_ERROR_STOP=1 -c "\\copy population.persons ($cols) FROM '$file' WITH (FORMAT csv, HEADER true)"
t3=$(now)

db=$(fresh_db bench_import)
migrate "$db" >/dev/null
t4=$(now)
"$build/admin/tongban-admin" import population "$file" --db "$db" --batch-rows "$batch" >"$dir/first.out"
t5=$(now)
"$build/admin/tongban-admin" import population "$file" --db "$db" --batch-rows "$batch" --again \
  >"$dir/again.out"
t6=$(now)
grep -q "inserted $rows, updated 0, unchanged 0, rejected 0" "$dir/first.out" ||
  { echo "unexpected result:"; cat "$dir/first.out"; exit 1; }
grep -q "inserted 0, updated 0, unchanged $rows, rejected 0" "$dir/again.out" ||
  { echo "unexpected result:"; cat "$dir/again.out"; exit 1; }

awk -v r="$rows" -v b="$batch" -v bytes="$(stat -c %s "$file")" \
    -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" -v t4="$t4" -v t5="$t5" -v t6="$t6" 'BEGIN {
  plain = t1 - t0; table = t3 - t2; imp = t5 - t4; again = t6 - t5;
  printf "rows: %d (%.0f MB), batch %d rows\n", r, bytes / 1e6, b;
  printf "psql \\copy into a plain table        : %7.2f s  %9.0f rows/s\n", plain, r / plain;
  printf "psql \\copy into population.persons   : %7.2f s  %9.0f rows/s\n", table, r / table;
  printf "tongban-admin import (all new)       : %7.2f s  %9.0f rows/s\n", imp, r / imp;
  printf "tongban-admin import --again (same)  : %7.2f s  %9.0f rows/s\n", again, r / again;
  printf "ratio import / copy into plain table : %7.2f\n", plain / imp;
  printf "ratio import / copy into the table   : %7.2f\n", table / imp;
}'
"$root/deploy/pg.sh" stop "$build/pg" >/dev/null 2>&1
