#!/usr/bin/env bash
# deploy/supervise.sh (the demo's exchange supervisor): a program that dies is started again; one
# that exits 78 (bad configuration) is not; SIGTERM to the supervisor stops the program and the
# supervisor. Waits poll for the observable state; no sleep decides an outcome.
#
#   supervise_test.sh SUPERVISE_SH
set -euo pipefail
sup=$1
work=$(mktemp -d)
trap '[ -z "${spid:-}" ] || kill -TERM "$spid" 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/log" ] && cat "$work/log" >&2; exit 1; }
wait_for() {  # seconds, condition...
  local deadline=$(($(date +%s) + $1))
  shift
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# The program: records each start; the first two die at once (a crash), the third stays up.
cat >"$work/prog.sh" <<'PROG'
#!/usr/bin/env bash
echo start >>"$1/starts"
[ "$(wc -l <"$1/starts")" -ge 3 ] || kill -SEGV $$
echo $$ >"$1/alive.pid"
exec sleep 600
PROG
chmod +x "$work/prog.sh"

"$sup" "$work/log" -- "$work/prog.sh" "$work" &
spid=$!
wait_for 30 test -s "$work/alive.pid" || fail "the program was not restarted after dying"
[ "$(wc -l <"$work/starts")" -eq 3 ] || fail "expected 3 starts, got $(wc -l <"$work/starts")"
grep -q "restarting" "$work/log" || fail "no restart line in the log"
alive=$(cat "$work/alive.pid")
kill -TERM "$spid"
rc=0
wait "$spid" || rc=$?
[ "$rc" -eq 0 ] || fail "the supervisor exited $rc after SIGTERM"
! kill -0 "$alive" 2>/dev/null || fail "the program outlived its supervisor"

# A configuration error is not retried.
printf '#!/bin/sh\necho run >>"%s/config-runs"\nexit 78\n' "$work" >"$work/bad.sh"
chmod +x "$work/bad.sh"
rc=0
"$sup" "$work/log" -- "$work/bad.sh" || rc=$?
[ "$rc" -eq 78 ] || fail "expected the supervisor to exit 78, got $rc"
[ "$(wc -l <"$work/config-runs")" -eq 1 ] || fail "a configuration error was retried"
spid=""
echo "ok: supervise.sh restarts a crashed program, stops on SIGTERM, gives up on exit 78"
