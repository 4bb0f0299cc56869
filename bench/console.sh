#!/usr/bin/env bash
# The administrators' console on demo-sized data: 100,000 persons and a million real, chained
# audit entries (all within the last hour, so the dashboard's per-minute chart counts all of
# them: its worst case). Page load times in headless chromium, beside the login page as the
# baseline; then the size of the shipped static files.
#
#   bench/console.sh [AUDIT_ROWS] [RUNS]     (default 1000000, 5)
source "$(dirname "$0")/common.sh"
rows=${1:-1000000}
runs=${2:-5}
work=$build/console-bench
rm -rf "$work" && mkdir -p "$work"
db=$(fresh_db bench_console)
migrate "$db" >/dev/null
"$build/admin/tongban-admin" seed --persons 100000 --entities 20000 --db "$db" >/dev/null
t0=$(date +%s)
"$build/bench/console_fill_audit" "$db" "$rows" >&2
echo "filled the audit log with $rows entries in $(( $(date +%s) - t0 )) s" >&2
psql "$db" -qc "VACUUM ANALYZE exchange.audit_log" >/dev/null
export TONGBAN_DATABASE_URL="$db"
export TONGBAN_SECURITY_MASTER_KEY=$(openssl rand -base64 32)
password="bench-console-password-$RANDOM"
TONGBAN_CONSOLE_PASSWORD=$password "$build/admin/tongban-admin" user add bench --name 压测管理员 >/dev/null
"$build/admin/tongban-admin" user role bench hub_admin >/dev/null
port=18090
TONGBAN_SERVER_PORT=$port TONGBAN_LOG_PATH="$work/exchange.log" TONGBAN_LOG_ACCESS=false \
  "$build/exchange/tongban-exchange" serve &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
NODE_PATH=$build/console-npm/node_modules TB_BASE=http://127.0.0.1:$port TB_USER=bench \
  TB_PASSWORD=$password TB_SEARCH_APP=app_0000000000000003 TB_SUBJECT=110105194900001234 RUNS=$runs \
  node "$root/bench/console_pages.cjs"
echo "static files shipped (embedded in tongban-exchange):"
total=0
for f in "$root"/console/web/*; do total=$((total + $(stat -c %s "$f"))); done
echarts=$(stat -c %s "$build/console-npm/node_modules/echarts/dist/echarts.common.min.js")
gz=$(cat "$root"/console/web/* "$build/console-npm/node_modules/echarts/dist/echarts.common.min.js" | gzip -9 | wc -c)
echo "  console/web/ $total bytes; vendor/echarts.min.js $echarts bytes; all gzip -9: $gz bytes"
"$root/deploy/pg.sh" stop "$build/pg" >/dev/null
