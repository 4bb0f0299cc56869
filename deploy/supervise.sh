#!/usr/bin/env bash
# Keeps one program running: starts it, and when it dies starts it again (after a pause that grows
# from 1 s to 30 s while it keeps dying within a minute). Used by deploy/demo.sh for the exchange;
# a real deployment uses systemd instead (deploy/systemd/tongban-exchange.service).
#
#   deploy/supervise.sh LOG -- PROGRAM [ARGS...]
#
# PROGRAM's stdout and stderr, and a line per restart, are appended to LOG. SIGTERM or SIGINT to
# the supervisor is passed on to PROGRAM; once it has exited, the supervisor exits too. PROGRAM is
# not restarted when it exits 0 (asked to stop), 64 (usage) or 78 (bad configuration): starting it
# again would not help.
set -uo pipefail
[ $# -ge 3 ] && [ "$2" = "--" ] || { echo "usage: $0 LOG -- PROGRAM [ARGS...]" >&2; exit 2; }
log=$1
shift 2

child=""
stopping=0
on_signal() {
  stopping=1
  [ -n "$child" ] && kill -TERM "$child" 2>/dev/null
}
trap on_signal TERM INT
trap '' HUP

pause=1
while [ $stopping -eq 0 ]; do
  started=$(date +%s)
  "$@" >>"$log" 2>&1 </dev/null &
  child=$!
  rc=0
  wait "$child" || rc=$?
  # A signal to the supervisor interrupts `wait`; wait again until the program has really exited.
  while kill -0 "$child" 2>/dev/null; do
    rc=0
    wait "$child" || rc=$?
  done
  child=""
  [ $stopping -eq 0 ] || break
  case $rc in
    0 | 64 | 78)
      echo "$(date -u +%FT%TZ) supervise.sh: $1 exited with $rc; not restarting" >>"$log"
      exit "$rc"
      ;;
  esac
  if [ $(($(date +%s) - started)) -ge 60 ]; then pause=1; fi
  echo "$(date -u +%FT%TZ) supervise.sh: $1 exited with $rc; restarting in ${pause}s" >>"$log"
  sleep "$pause" &
  wait $! || true  # interruptible by SIGTERM
  pause=$((pause * 2 > 30 ? 30 : pause * 2))
done
exit 0
