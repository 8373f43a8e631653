#!/usr/bin/env bash
# Prepares the real-application benchmark, idempotently: Debian packages (Apache + PHP, MariaDB,
# WordPress, MediaWiki, phpMyAdmin), the browser (bench/browser/setup.sh: chromium, playwright-core),
# and private copies of the three applications under target/apps/www with their own
# configuration (nothing is written to /etc: the packages' trees are copied, not configured).
# The database is a private MariaDB datadir in target/apps/mysql. bench/apps/run.sh starts it all.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/bench/apps
t=$root/target/apps
mkdir -p "$t"
pkgs=(apache2 libapache2-mod-php php-mysql php-xml php-mbstring php-intl php-gd php-curl mariadb-server mariadb-client
      wordpress mediawiki phpmyadmin python3-pygments)
need=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  # phpMyAdmin's package would otherwise ask to configure a database and a web server.
  printf '%s\n' 'phpmyadmin phpmyadmin/dbconfig-install boolean false' \
    'phpmyadmin phpmyadmin/reconfigure-webserver multiselect' | debconf-set-selections
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

bash "$root/bench/browser/setup.sh"

# Private copies of the applications, made again when a package is upgraded.
ver=$(dpkg-query -W wordpress mediawiki phpmyadmin | sha256sum | cut -c1-16)
if [ "$(cat "$t/www/.version" 2>/dev/null)" != "$ver" ]; then
  rm -rf "$t/www"; mkdir -p "$t/www"
  cp -a /usr/share/wordpress "$t/www/wordpress"
  cp -a /usr/share/mediawiki "$t/www/mediawiki"
  # Debian links these into /var/lib/mediawiki and /etc/mediawiki: the copy has its own.
  rm -f "$t/www/mediawiki/LocalSettings.php" "$t/www/mediawiki/config" "$t/www/mediawiki/images" "$t/www/mediawiki/extensions"
  cp -a /usr/share/mediawiki/extensions-core "$t/www/mediawiki/extensions"
  mkdir -p "$t/www/mediawiki/images" "$t/www/mediawiki/cache"
  cp -a /usr/share/phpmyadmin "$t/www/phpmyadmin"
  sed -i -e "s#'/etc/phpmyadmin/config.inc.php'#'$t/phpmyadmin.inc.php'#" \
    -e "s#'/var/lib/phpmyadmin/tmp/'#'$t/pma-tmp/'#" "$t/www/phpmyadmin/libraries/vendor_config.php"
  # Relative links into /usr/share/javascript, /usr/share/php...: made absolute, as in the original.
  for app in wordpress mediawiki phpmyadmin; do
    find "$t/www/$app" -type l | while read -r l; do
      rel=${l#"$t/www/$app/"}
      orig=/usr/share/$app/${rel/#extensions\//extensions-core/}
      real=$(readlink -f "$orig") && [ -e "$real" ] && ln -sfn "$real" "$l"
    done
  done
  mkdir -p "$t/www/wordpress/wp-content/uploads" "$t/pma-tmp"
  chown -R www-data:www-data "$t/www/wordpress/wp-content" "$t/www/mediawiki/images" "$t/www/mediawiki/cache" "$t/pma-tmp" \
    "$t/www/phpmyadmin/libraries/cache"
  echo "$ver" > "$t/www/.version"
fi
cp "$here/wp-config.php" "$t/www/wordpress/wp-config.php"
sed "s#@TMP@#$t/pma-tmp#" "$here/phpmyadmin.inc.php" > "$t/phpmyadmin.inc.php"

# MariaDB datadir (root over the private socket; the applications' users over TCP 18306).
if [ ! -d "$t/mysql/mysql" ]; then
  rm -rf "$t/mysql"; mkdir -p "$t/mysql"
  mariadb-install-db --datadir="$t/mysql" --user=root --auth-root-authentication-method=socket --skip-test-db >/dev/null
fi
