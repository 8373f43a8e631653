<?php
// Installs the benchmark's WordPress from the command line (bench/apps/run.sh):
// php wp-install.php WORDPRESS_DIR ADMIN_PASSWORD
define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = 'www.bench.test:18290';
$_SERVER['REQUEST_URI'] = '/wordpress/';
$_SERVER['SERVER_NAME'] = 'www.bench.test';
$_SERVER['SERVER_PORT'] = '18290';
require $argv[1] . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
$r = wp_install('WAF bench blog', 'admin', 'admin@example.test', true, '', $argv[2]);
// Pretty permalinks and the REST API under /wp-json/, as most sites have them.
update_option('permalink_structure', '/%year%/%monthnum%/%postname%/');
update_option('comment_moderation', 0);
update_option('comment_previously_approved', 0);
// The block editor opens in its code editor, without the welcome guide (the user's stored
// editor preferences; WordPress 6.1 keeps them in this user meta).
update_user_meta($r['user_id'], $GLOBALS['wpdb']->get_blog_prefix() . 'persisted_preferences',
    ['core/edit-post' => ['welcomeGuide' => false, 'editorMode' => 'text', 'isPublishSidebarEnabled' => false],
     '_modified' => gmdate('c')]);
echo "wordpress installed: user " . $r['user_id'] . "\n";
