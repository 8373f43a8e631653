#!/usr/bin/env bash
# Installs the benchmarks' browser, idempotently: Debian's chromium, and playwright-core (npm,
# pinned by bench/browser/package-lock.json) into target/browser to drive it. Scripts that use it
# are copied into target/browser and run from there (ES modules resolve packages from their own
# folder): bench/apps/scenario.mjs, bench/scanners/xss_check.mjs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/bench/browser
t=$root/target/browser
if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "ok installed"; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
mkdir -p "$t"
cp "$here/package.json" "$here/package-lock.json" "$t/"
if [ ! -f "$t/node_modules/playwright-core/package.json" ] || ! cmp -s "$here/package-lock.json" "$t/.installed-lock"; then
  (cd "$t" && npm ci --silent --no-audit --no-fund)
  cp "$here/package-lock.json" "$t/.installed-lock"
fi
