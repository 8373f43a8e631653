#!/usr/bin/env bash
# Real-application benchmark: WordPress, MediaWiki and phpMyAdmin (Debian packages,
# Apache + PHP + MariaDB) on loopback behind waf-proxy, driven by Debian's chromium with
# playwright-core (bench/apps/scenario.mjs). Every request the browser sends is recorded, as
# sent, by bench/apps/recorder.py in front of the WAF into target/apps/corpus.jsonl (replayable:
# method, path, headers, body). The WAF runs in log-only mode so that a false positive does not
# break the scenario. Then the recorded requests are sent again, byte for byte, to a second
# waf-proxy with the default policy in block mode and to Apache + ModSecurity + CRS 3.3.4 PL1
# (../shared/tools/peers.sh, whose nginx origin on 18000 is behind both): the report says which
# requests each would block, by rule, with the requests' shapes (bench/apps/report.py).
#
#   browser -> 18290 recorder -> 18291 waf-proxy (rules/, log_only) -> 18280 Apache -> 18306 MariaDB
#   replay  -> 18292 waf-proxy (rules/, block) | 18080 Apache + ModSecurity + CRS  -> 18000 nginx
#           -> 18293 waf-proxy (rules/ and one site, www.bench.test, with the wordpress, mediawiki
#              and phpmyadmin profiles on at their install paths; block)  -> 18000 nginx
#
# The sites are http://www.bench.test:18290/{wordpress,mediawiki,phpmyadmin}/: chromium maps the
# name to 127.0.0.1 (--host-resolver-rules), so that the URLs the applications put in parameters,
# redirects and the Referer carry a host name as on a real site, not a loopback address.
#
# usage: bash bench/apps/run.sh [--no-build] [--no-modsec] [--readme]
#   --no-build   use target/release/waf-proxy as it is
#   --no-modsec  replay through waf-proxy only
#   --readme     also write the tables into bench/README.md (between <!-- apps:start/end -->)
# Installs what it needs first (bench/apps/setup.sh). Each run starts from fresh databases (the
# applications are installed again), so it is repeatable. Output: target/apps/run/ (report.md,
# corpus.jsonl, steps.json, screenshots of failed steps), the corpus also as target/apps/corpus.jsonl.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/bench/apps
t=$root/target/apps
build=1; readme=0; modsec=1
while [ $# -gt 0 ]; do
  case $1 in
    --no-build) build=0 ;;
    --no-modsec) modsec=0 ;;
    --readme) readme=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
cd "$root"
bash "$here/setup.sh"
[ $build = 1 ] && cargo build --release --locked -p waf-proxy
bin=$root/target/release/waf-proxy
PASS=Bench-Admin-Pass-1
shared=${SHARED:-$root/../shared}
base=http://www.bench.test:18290  # also in wp-config.php and wp-install.php
rm -rf "$t/run"; mkdir -p "$t/run/php-sessions" "$t/run/screens"
chown www-data:www-data "$t/run/php-sessions"
pids=()
started_peers=0
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ $started_peers = 1 ]; then bash "$shared/tools/peers.sh" stop >/dev/null 2>&1 || true; fi
  [ -f "$t/run/apache.pid" ] && kill "$(cat "$t/run/apache.pid")" 2>/dev/null || true
  [ -f "$t/run/mysql.pid" ] && kill "$(cat "$t/run/mysql.pid")" 2>/dev/null || true
}
trap cleanup EXIT
wait_port() { for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.2; done; echo "port $1 did not open" >&2; return 1; }
# The sites' addresses are written into the applications' configuration, so the ports are fixed:
# each must be free, or what answers there (another run) would be measured instead.
for p in 18290 18291 18292 18293 18280 18306; do
  if (echo > /dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "port $p is in use (another run?)" >&2; exit 1; fi
done

# MariaDB (private datadir), then fresh databases and users for the three applications.
/usr/sbin/mariadbd --datadir="$t/mysql" --socket="$t/run/mysql.sock" --port=18306 --bind-address=127.0.0.1 \
  --user=root --pid-file="$t/run/mysql.pid" --log-error="$t/run/mysql.err" --skip-log-bin &
pids+=($!)
wait_port 18306
sql() { mariadb -S "$t/run/mysql.sock" -u root -e "$1"; }
sql "DROP DATABASE IF EXISTS wordpress; DROP DATABASE IF EXISTS mediawiki;
     CREATE DATABASE wordpress; CREATE DATABASE mediawiki;
     CREATE USER IF NOT EXISTS 'wp'@'127.0.0.1' IDENTIFIED BY 'wp-bench-pass';
     CREATE USER IF NOT EXISTS 'mw'@'127.0.0.1' IDENTIFIED BY 'mw-bench-pass';
     CREATE USER IF NOT EXISTS 'pma'@'127.0.0.1' IDENTIFIED BY '$PASS';
     GRANT ALL ON wordpress.* TO 'wp'@'127.0.0.1'; GRANT ALL ON mediawiki.* TO 'mw'@'127.0.0.1';
     GRANT ALL ON *.* TO 'pma'@'127.0.0.1'; FLUSH PRIVILEGES;"

# The applications, installed again on the fresh databases.
rm -rf "$t/www/wordpress/wp-content/uploads"/* "$t/www/mediawiki/images"/* "$t/www/mediawiki/cache"/*
rm -f "$t/www/wordpress/.htaccess"; cp "$here/wp-htaccess" "$t/www/wordpress/.htaccess"
php "$here/wp-install.php" "$t/www/wordpress" "$PASS" > "$t/run/wp-install.log" 2>&1 || { cat "$t/run/wp-install.log"; exit 1; }
rm -f "$t/www/mediawiki/LocalSettings.php"
php "$t/www/mediawiki/maintenance/install.php" --dbtype=mysql --dbserver=127.0.0.1:18306 --dbname=mediawiki \
  --dbuser=mw --dbpass=mw-bench-pass --server=$base --scriptpath=/mediawiki --lang=en \
  --pass="$PASS" --confpath="$t/www/mediawiki" "WAF bench wiki" Admin > "$t/run/mw-install.log" 2>&1 ||
  { tail -20 "$t/run/mw-install.log"; exit 1; }
cat "$here/mediawiki-extra.php" >> "$t/www/mediawiki/LocalSettings.php"
chown -R www-data:www-data "$t/www/wordpress/wp-content/uploads" "$t/www/mediawiki/images" "$t/www/mediawiki/cache"

# Apache + PHP, waf-proxy in log-only mode with the default rules, the recorder.
APPS=$t /usr/sbin/apache2 -f "$here/apache.conf" -k start
wait_port 18280
rm -rf "$t/run/rules"; cp -r rules "$t/run/rules"
sed -i 's/^\(  mode:\) block/\1 log_only/' "$t/run/rules/settings.yaml"
grep -q 'mode: log_only' "$t/run/rules/settings.yaml"
"$bin" --listen 127.0.0.1:18291 --upstream http://127.0.0.1:18280 --rules-dir "$t/run/rules" \
  --events "$t/run/events.jsonl" > "$t/run/proxy.log" 2>&1 &
pids+=($!)
wait_port 18291
python3 "$here/recorder.py" 18290 18291 "$t/run/recorded.jsonl" 2> "$t/run/recorder.log" &
pids+=($!)
wait_port 18290

# The browser's scenarios (fresh profile each run).
rc=0
cp "$here/scenario.mjs" "$root/target/browser/scenario.mjs"  # ES modules resolve packages from their own folder
timeout --kill-after=10 900 node "$root/target/browser/scenario.mjs" \
  --base "$base" --password "$PASS" --out "$t/run" || rc=$?
echo "scenario: exit $rc"
sleep 1

# The replay: the recorded requests again, through waf-proxy in block mode and ModSecurity + CRS.
# Peers already running (another benchmark left them) are used as they are and left running.
if ! curl -s -o /dev/null -m 2 http://127.0.0.1:18000/; then
  bash "$shared/tools/peers.sh" start >/dev/null; started_peers=1
fi
"$bin" --listen 127.0.0.1:18292 --upstream http://127.0.0.1:18000 --rules-dir rules \
  --events "$t/run/replay-events.jsonl" > "$t/run/replay-proxy.log" 2>&1 &
pids+=($!)
wait_port 18292
# The same rules with the bench's site: the applications' profiles on (rules/profiles/).
rm -rf "$t/run/rules-profiles"; mkdir -p "$t/run/rules-profiles"; cp rules/*.yaml "$t/run/rules-profiles/"
cat > "$t/run/rules-profiles/sites.yaml" <<'EOF'
sites:
  - id: 1
    name: bench applications
    domain: www.bench.test
    target_url: http://127.0.0.1:18000
    profiles:
      - {name: wordpress, path: /wordpress}
      - {name: mediawiki, path: /mediawiki}
      - {name: phpmyadmin, path: /phpmyadmin}
EOF
"$bin" --listen 127.0.0.1:18293 --upstream http://127.0.0.1:18000 --rules-dir "$t/run/rules-profiles" \
  --events "$t/run/replay-profiles-events.jsonl" > "$t/run/replay-profiles-proxy.log" 2>&1 &
pids+=($!)
wait_port 18293
args=(--waf http://127.0.0.1:18292 --waf-events "$t/run/replay-events.jsonl"
      --waf-profiles http://127.0.0.1:18293 --waf-profiles-events "$t/run/replay-profiles-events.jsonl")
[ $modsec = 1 ] && args+=(--modsec http://127.0.0.1:18080 --modsec-log /tmp/waf-peers/apache-18080.err)
[ $readme = 1 ] && args+=(--readme bench/README.md)
python3 "$here/report.py" "$t/run" "${args[@]}"
cp "$t/run/corpus.jsonl" "$t/corpus.jsonl"
