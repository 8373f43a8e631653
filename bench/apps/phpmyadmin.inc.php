<?php
// phpMyAdmin configuration of the real-application benchmark (bench/apps): the private MariaDB
// on 127.0.0.1:18306, cookie login. @TMP@ is replaced by bench/apps/setup.sh.
$cfg['blowfish_secret'] = 'bench-apps-blowfish-secret-0123456789abcdef';
$i = 1;
$cfg['Servers'][$i]['auth_type'] = 'cookie';
$cfg['Servers'][$i]['host'] = '127.0.0.1';
$cfg['Servers'][$i]['port'] = '18306';
$cfg['Servers'][$i]['compress'] = false;
$cfg['Servers'][$i]['AllowNoPassword'] = false;
$cfg['TempDir'] = '@TMP@';
$cfg['VersionCheck'] = false;
$cfg['SendErrorReports'] = 'never';
