#!/bin/sh
# Starts a throwaway PostgreSQL server for the tests and prints its URL on stdout (the only output
# there); everything else goes to stderr. Installs Debian's `postgresql` when it is missing and this
# is root. The cluster lives in a temporary directory, listens on 127.0.0.1 only, and is meant to be
# stopped with `scripts/postgres-throwaway.sh stop <dir>` (or to die with the machine).
#   url=$(scripts/postgres-throwaway.sh start [port] [dir])   -> postgres://registry@127.0.0.1:<port>/registry
#   (dir: an empty directory to hold the cluster; a new temporary one when omitted)
# Exit 1 when PostgreSQL is not there and cannot be installed; callers then skip and say why.
set -eu

log() { echo "postgres-throwaway: $*" >&2; }

find_bin() {
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  done
  return 1
}

install_postgres() {
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "PostgreSQL is missing; install it with: sudo apt-get install -y postgresql"
    return 1
  fi
  log "installing postgresql with apt-get (at most 10 minutes)"
  export DEBIAN_FRONTEND=noninteractive
  if ! timeout 600 sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql' >/tmp/postgres-install.log 2>&1; then
    log "apt-get could not install postgresql; see /tmp/postgres-install.log"
    tail -n 5 /tmp/postgres-install.log >&2
    return 1
  fi
}

# Runs a command as the cluster's owner: PostgreSQL refuses to run as root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd=${1:-start}
case "$cmd" in
  start)
    port=${2:-55432}
    bin=$(find_bin) || { install_postgres && bin=$(find_bin); } || exit 1
    dir=${3:-$(mktemp -d /tmp/registry-pg.XXXXXX)}
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U registry --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { log "initdb failed; see $dir/initdb.log"; exit 1; }
    # fsync stays on: the crash tests rely on acknowledged commits being durable.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c shared_buffers=128MB" start >&2 \
      || { log "the server did not start; see $dir/server.log"; tail -n 20 "$dir/server.log" >&2; exit 1; }
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U registry registry
    log "running in $dir (stop: $0 stop $dir)"
    echo "postgres://registry@127.0.0.1:$port/registry"
    ;;
  stop)
    dir=${2:?give the directory printed at start}
    bin=$(find_bin) || exit 0
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >&2 || true
    rm -rf "$dir"
    ;;
  *)
    log "usage: $0 start [port] | stop <dir>"
    exit 2
    ;;
esac
