#!/usr/bin/env bash
# deploy/pg.sh start when the port it picks is taken between its check and the server's bind (a
# socket bound but not listening looks free to the check): it moves to the next free port, prints
# only the conninfo on stdout, and nothing on stderr.
#   pg_port_taken_test.sh PG_SH WORKDIR
set -uo pipefail
pg_sh=$1
work=$2
fail() { echo "FAIL: $*" >&2; "$pg_sh" stop "$work/pg" >/dev/null 2>&1; exit 1; }
"$pg_sh" destroy "$work/pg" >/dev/null 2>&1
mkdir -p "$work/pg"
dir=$(cd "$work/pg" && pwd -P)
wanted=$((54320 + $(printf '%s' "$dir" | cksum | cut -d' ' -f1) % 2000))
python3 -c "
import socket, sys, time
s = socket.socket()
s.bind(('127.0.0.1', $wanted))
sys.stdout.write('bound\n'); sys.stdout.flush()
time.sleep(60)" >"$work/holder.out" &
holder=$!
trap 'kill $holder 2>/dev/null' EXIT
for _ in $(seq 1 50); do grep -q bound "$work/holder.out" 2>/dev/null && break; sleep 0.1; done
grep -q bound "$work/holder.out" || fail "could not hold port $wanted"
out=$("$pg_sh" start "$dir" 2>"$work/stderr") || fail "start failed: $(cat "$work/stderr")"
[ ! -s "$work/stderr" ] || fail "start wrote to stderr: $(cat "$work/stderr")"
got=$(cat "$dir/port")
[ "$got" != "$wanted" ] || fail "the server claims the taken port $wanted"
[ "$out" = "host=127.0.0.1 port=$got user=postgres dbname=postgres" ] || fail "stdout: $out"
"$pg_sh" stop "$dir" >/dev/null 2>&1
"$pg_sh" destroy "$dir" >/dev/null 2>&1
echo "ok: a taken port moves pg.sh to $got (wanted $wanted)"
