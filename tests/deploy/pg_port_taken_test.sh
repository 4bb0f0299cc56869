#!/usr/bin/env bash
# deploy/pg.sh start when the port it would use is taken between its check and the server's bind (a
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
# Hold a free port (bound, not listening) and give it to pg.sh as the port it used before.
python3 -c "
import socket, sys, time
s = socket.socket()
s.bind(('127.0.0.1', 0))
sys.stdout.write('bound %d\\n' % s.getsockname()[1]); sys.stdout.flush()
time.sleep(60)" >"$work/holder.out" &
holder=$!
trap 'kill $holder 2>/dev/null' EXIT
for _ in $(seq 1 50); do grep -q bound "$work/holder.out" 2>/dev/null && break; sleep 0.1; done
grep -q bound "$work/holder.out" || fail "could not hold a port"
wanted=$(awk '/bound/ {print $2}' "$work/holder.out")
echo "$wanted" >"$dir/port"
out=$("$pg_sh" start "$dir" 2>"$work/stderr") || fail "start failed: $(cat "$work/stderr")"
[ ! -s "$work/stderr" ] || fail "start wrote to stderr: $(cat "$work/stderr")"
got=$(cat "$dir/port")
[ "$got" != "$wanted" ] || fail "the server claims the taken port $wanted"
[ "$out" = "host=127.0.0.1 port=$got user=postgres dbname=postgres" ] || fail "stdout: $out"
"$pg_sh" stop "$dir" >/dev/null 2>&1
"$pg_sh" destroy "$dir" >/dev/null 2>&1
echo "ok: a taken port moves pg.sh to $got (wanted $wanted)"
