#!/usr/bin/env bash
# A private PostgreSQL cluster for Tongban's demo and tests.
#
#   deploy/pg.sh start  DIR   create the cluster on first use, start it; prints its conninfo
#   deploy/pg.sh stop   DIR   stop it (fast shutdown); fine if it is not running
#   deploy/pg.sh status DIR   exit 0 and print the conninfo if running, exit 3 if not
#   deploy/pg.sh destroy DIR  stop it and delete its data and DIR (as root the data is outside DIR)
#
# The cluster listens on 127.0.0.1 on a port of its own (chosen once, kept in DIR/port) and on a
# Unix socket in its data directory. Authentication is `trust`, which is why it never listens on
# another address. DIR/conninfo holds the libpq connection string after a start.
#
# As root, initdb and the server run as the `postgres` system user, and the data directory lives
# under /tmp (DIR may sit under /root, which that user cannot traverse); DIR/data is a symlink to
# it. Otherwise they run as the caller, with the data in DIR/data. A system cluster is never
# touched. Extra server settings: TONGBAN_PG_SETTINGS="fsync=off shared_buffers=512MB" (tests).
#
# It works from any working directory, even one the `postgres` user cannot enter (a home directory,
# `mktemp -d`): it changes to / first, and only the conninfo goes to stdout (scripts read stdout;
# everything else goes to stderr).
set -euo pipefail

usage() { echo "usage: $0 start|stop|status|destroy DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd -P)
# The server's programs run as `postgres`, which may not be able to enter the caller's directory
# (they then print "could not change directory"); every path below is absolute.
cd /

pgbin=""
for v in 15 16 17 14; do
  if [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ]; then pgbin=/usr/lib/postgresql/$v/bin; break; fi
done
[ -n "$pgbin" ] || { echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
  data=/tmp/tongban-pg-$(printf '%s' "$dir" | sha1sum | cut -c1-12)
  as_pg() { runuser -u postgres -- "$@"; }
else
  data=$dir/data
  as_pg() { "$@"; }
fi

running() { [ -f "$data/PG_VERSION" ] && as_pg "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# The running server's port is in its own settings; DIR/port may be missing (a fresh DIR whose
# cluster under /tmp survived from an earlier run at the same path).
running_port() { sed -n "s/^port = //p" "$data/tongban.conf" 2>/dev/null | head -n 1; }
conninfo() {
  local port
  port=$(running_port)
  [ -n "$port" ] || port=$(cat "$dir/port")
  echo "$port" >"$dir/port"
  echo "host=127.0.0.1 port=$port user=postgres dbname=postgres"
}

case "$cmd" in
  start)
    if [ ! -f "$data/PG_VERSION" ]; then
      rm -rf "$data"
      mkdir -p "$data"
      chmod 700 "$data"
      [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data"
      as_pg "$pgbin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
      echo "include_if_exists = 'tongban.conf'" | as_pg tee -a "$data/postgresql.conf" >/dev/null
    fi
    [ "$(id -u)" -eq 0 ] && ln -sfn "$data" "$dir/data"
    if running; then conninfo | tee "$dir/conninfo"; exit 0; fi
    port=$(cat "$dir/port" 2>/dev/null || true)
    if [ -z "$port" ] || port_busy "$port"; then
      port=$(( 54320 + $(printf '%s' "$dir" | cksum | cut -d' ' -f1) % 2000 ))
      while port_busy "$port"; do port=$((port + 1)); done
      echo "$port" >"$dir/port"
    fi
    # Another program (a cluster started at the same moment, say) may take the port between the
    # check above and the server's bind: then try the next free port, a few times.
    for attempt in 1 2 3 4 5; do
      {
        echo "port = $port"
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$data'"
        echo "max_connections = 200"
        echo "shared_buffers = 256MB"
        echo "logging_collector = off"
        for s in ${TONGBAN_PG_SETTINGS:-}; do echo "${s%%=*} = '${s#*=}'"; done
      } | as_pg tee "$data/tongban.conf" >/dev/null
      seen=$(as_pg cat "$data/server.log" 2>/dev/null | wc -l || true)
      if as_pg "$pgbin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start \
        >/dev/null 2>"$dir/pg_ctl.err"; then
        break
      fi
      if [ "$attempt" -lt 5 ] &&
        as_pg tail -n "+$((seen + 1))" "$data/server.log" | grep -q "Address already in use"; then
        port=$((port + 1))
        while port_busy "$port"; do port=$((port + 1)); done
        echo "$port" >"$dir/port"
        continue
      fi
      cat "$dir/pg_ctl.err" >&2
      echo "pg.sh: server did not start; last lines of $data/server.log:" >&2
      as_pg tail -n 20 "$data/server.log" >&2
      exit 1
    done
    conninfo | tee "$dir/conninfo"
    ;;
  stop)
    if running; then as_pg "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi
    ;;
  destroy)
    if running; then as_pg "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi
    rm -rf "$data" "$dir"
    ;;
  status)
    if running; then conninfo; exit 0; fi
    echo "not running" >&2
    exit 3
    ;;
  *) usage ;;
esac
