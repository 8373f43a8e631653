<?php
// WordPress configuration of the real-application benchmark (bench/apps): a private copy of
// Debian's WordPress behind waf-proxy, reached by the browser at http://www.bench.test:18290/wordpress
// (the browser maps www.bench.test to 127.0.0.1).
// Loopback only; the keys below protect nothing but this throwaway site.
define('DB_NAME', 'wordpress');
define('DB_USER', 'wp');
define('DB_PASSWORD', 'wp-bench-pass');
define('DB_HOST', '127.0.0.1:18306');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
define('AUTH_KEY', 'bench-auth-key-not-a-secret');
define('SECURE_AUTH_KEY', 'bench-secure-auth-key-not-a-secret');
define('LOGGED_IN_KEY', 'bench-logged-in-key-not-a-secret');
define('NONCE_KEY', 'bench-nonce-key-not-a-secret');
define('AUTH_SALT', 'bench-auth-salt');
define('SECURE_AUTH_SALT', 'bench-secure-auth-salt');
define('LOGGED_IN_SALT', 'bench-logged-in-salt');
define('NONCE_SALT', 'bench-nonce-salt');
$table_prefix = 'wp_';
define('WP_HOME', 'http://www.bench.test:18290/wordpress');
define('WP_SITEURL', 'http://www.bench.test:18290/wordpress');
define('WP_CONTENT_DIR', __DIR__ . '/wp-content');
define('WP_CONTENT_URL', WP_SITEURL . '/wp-content');
// No requests of the server's own (cron, update checks): the recording is the browser's.
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('WP_HTTP_BLOCK_EXTERNAL', true);
if (!defined('ABSPATH')) {
    define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
