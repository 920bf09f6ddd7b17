#!/bin/sh
# Installs the Debian packages the full test suite drives, when they are missing: PostgreSQL (the
# second engine) and nginx (the load balancer of the multi-instance test). `npm install && npm start`
# needs neither. Exit 0 when both are there afterwards; 1 otherwise (the tests that need them then
# skip and say why).
set -u

have_postgres() { ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; }
have_nginx() { [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1; }

missing=""
have_postgres || missing="$missing postgresql"
have_nginx || missing="$missing nginx-light"
if [ -z "$missing" ]; then
  echo "install-services: postgresql and nginx are installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-services: missing:$missing; install with: sudo apt-get install -y$missing" >&2
  exit 1
fi
echo "install-services: installing$missing with apt-get (at most 10 minutes)"
export DEBIAN_FRONTEND=noninteractive
# Debian's postgresql package would create and start a cluster of its own; the tests start a
# throwaway one instead, so the packaged one is not needed (it is harmless if it runs).
if ! timeout 600 sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends$missing" >/tmp/install-services.log 2>&1; then
  echo "install-services: apt-get failed; see /tmp/install-services.log" >&2
  tail -n 5 /tmp/install-services.log >&2
  exit 1
fi
have_postgres && have_nginx && { echo "install-services: installed$missing"; exit 0; }
echo "install-services: apt-get finished but something is still missing" >&2
exit 1
