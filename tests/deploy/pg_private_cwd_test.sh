#!/usr/bin/env bash
# deploy/pg.sh run from a directory the cluster's user cannot enter (a 0700 `mktemp -d`; as root,
# the `postgres` user cannot enter it): start, status and stop succeed, print nothing on stderr,
# and stdout holds exactly the conninfo line (issue 7, hole 11); destroy removes the cluster.
#
#   pg_private_cwd_test.sh PG_SH DIR
set -euo pipefail
pg_sh=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
dir=$2
fail() { echo "FAIL: $*" >&2; exit 1; }

cwd=$(mktemp -d)
chmod 700 "$cwd"
trap 'cd /; "$pg_sh" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$cwd"' EXIT
cd "$cwd"
err=$cwd/stderr
conninfo_re='^host=127\.0\.0\.1 port=[0-9]+ user=postgres dbname=postgres$'

check() {  # name, expected exit code, then the command
  local name=$1 want=$2 out rc=0
  shift 2
  out=$("$@" 2>"$err") || rc=$?
  [ "$rc" -eq "$want" ] || fail "$name exited $rc, expected $want; stderr: $(cat "$err")"
  if [ "$want" -eq 0 ]; then
    [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "$name printed more than one line: $out"
    [[ $out =~ $conninfo_re ]] || fail "$name stdout is not a conninfo: $out"
    [ ! -s "$err" ] || fail "$name wrote to stderr: $(cat "$err")"
  else
    [ -z "$out" ] || fail "$name printed on stdout: $out"
  fi
  printf '%s' "$out"
}

started=$(check start 0 "$pg_sh" start "$dir")
status=$(check status 0 "$pg_sh" status "$dir")
[ "$started" = "$status" ] || fail "status ($status) differs from start ($started)"
again=$(check "second start" 0 "$pg_sh" start "$dir")
[ "$started" = "$again" ] || fail "a second start changed the conninfo: $again"
"$pg_sh" stop "$dir" 2>"$err" >"$cwd/stdout" || fail "stop failed: $(cat "$err")"
[ ! -s "$err" ] && [ ! -s "$cwd/stdout" ] || fail "stop printed: $(cat "$cwd/stdout" "$err")"
check "status when stopped" 3 "$pg_sh" status "$dir" >/dev/null
# destroy (what deploy/demo.sh reset uses): the data goes, wherever it lived, and DIR with it.
data=$(readlink -f "$dir/data")
"$pg_sh" destroy "$dir" 2>"$err" >"$cwd/stdout" || fail "destroy failed: $(cat "$err")"
[ ! -e "$data" ] && [ ! -e "$dir" ] || fail "destroy left $data or $dir behind"
echo "ok: pg.sh start/status/stop from a private working directory"
