#!/usr/bin/env bash
# Installs what building and testing the WAF needs on a fresh Debian machine. Idempotent: every
# step checks before it installs. Used by scripts/run.sh, scripts/test.sh and .ci/run.
set -euo pipefail

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# pebble (and pebble-challtestsrv): the ACME test CA of admin-api/tests/e2e_acme.rs.
for p in cmake pkg-config libssl-dev clang wrk python3-yaml curl jq openssl pebble; do
  pkg_installed "$p" || need_apt+=("$p")
done
# The API client tests (admin-api/postman/run.sh): newman from npm, schemathesis in a venv.
have npm || need_apt+=(npm)
python3 -c 'import ensurepip, venv' 2>/dev/null || pkg_installed python3-venv || need_apt+=(python3-venv)
if [ "${WAF_SETUP_PEERS:-0}" = 1 ]; then
  for p in nginx apache2 libapache2-mod-security2 modsecurity-crs libmaxmind-db-writer-perl; do
    pkg_installed "$p" || need_apt+=("$p")
  done
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
have cargo-nextest || cargo install --locked cargo-nextest >/dev/null
rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt clippy >/dev/null 2>&1 || true
python3 -c 'import yaml' 2>/dev/null || pip install -q pyyaml
echo "setup: ok"
