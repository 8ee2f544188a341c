#!/usr/bin/env bash
# Makes sure node and npm are on this machine: Debian's nodejs and npm
# packages are installed when either is missing. crawler/warc's tests read
# the WARC files trawl writes with warcio, an independent reader from the
# npm registry, which they install with npm into a cache directory and run
# with node.
set -euo pipefail

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "nodejs.sh: no node/npm and no apt-get; install Node.js by hand, or the warcio test will skip" >&2
    exit 0
  fi
  sudo=
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  echo "nodejs.sh: installing Debian's nodejs and npm packages"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends nodejs npm
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
    { echo "nodejs.sh: nodejs and npm installed but node/npm not found" >&2; exit 1; }
fi
echo "node $(node --version), npm $(npm --version)"
