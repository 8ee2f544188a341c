#!/usr/bin/env bash
# Makes sure the PostgreSQL server programs that the store/postgres tests
# start (initdb, pg_ctl, postgres) are on this machine: Debian's postgresql
# package is installed when they are missing. The tests start their own
# throwaway server in a temporary directory; nothing here starts a server.
#
# The server refuses to run as root, so the tests run it as the postgres
# system user (the package creates it); where that user is missing, this
# script creates it.
set -euo pipefail

have_pg() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && return 0
  done
  return 1
}

if ! have_pg; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "postgres.sh: no initdb/pg_ctl and no apt-get; install PostgreSQL by hand, or its tests will skip" >&2
    exit 0
  fi
  sudo=
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  echo "postgres.sh: installing Debian's postgresql package"
  $sudo apt-get update -q
  # The package's own cluster is not used; policy-rc.d-less containers may
  # fail to start it, which does not fail the install.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends postgresql
  have_pg || { echo "postgres.sh: postgresql installed but initdb/pg_ctl not found" >&2; exit 1; }
fi

if [ "$(id -u)" -eq 0 ] && ! getent passwd postgres >/dev/null; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin postgres
fi
if command -v pg_ctl >/dev/null 2>&1; then
  pg_ctl --version
else
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && "$d/pg_ctl" --version && break
  done
fi
