// Drives Debian's chromium (playwright-core) through WordPress, MediaWiki and phpMyAdmin as their
// users do: log in, write posts and comments with code blocks (SQL, shell, HTML, JS), upload an
// image, edit wiki pages with templates and HTML, browse and query in phpMyAdmin.
// usage: node scenario.mjs --base http://www.bench.test:18290 --password PASS --out DIR
// The base's host name is mapped to 127.0.0.1 in the browser; nothing leaves loopback.
// Writes DIR/steps.json (each step: ok or its error; a screenshot in DIR/screens on failure).
// A failed step is reported and the scenario goes on with the next one.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const arg = (k, d) => { const i = process.argv.indexOf('--' + k); return i > 0 ? process.argv[i + 1] : d; };
const base = arg('base', 'http://www.bench.test:18290');
const origin = new URL(base);
const pass = arg('password');
const out = arg('out', '.');
const steps = [];

// A small PNG photo-like gradient (64x48), written by hand: no image tool needed.
function png(file) {
  const w = 64, h = 48, raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = (x * 4) & 255; raw[o + 1] = (y * 5) & 255; raw[o + 2] = ((x * y) >> 3) & 255;
    }
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (b) => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 255] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  fs.writeFileSync(file, Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]));
}

async function step(page, name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    steps.push({ name, ok: true, ms: Date.now() - t0 });
    console.log(`ok   ${name}`);
  } catch (e) {
    steps.push({ name, ok: false, ms: Date.now() - t0, error: String(e.message || e).split('\n')[0] });
    console.log(`FAIL ${name}: ${String(e.message || e).split('\n')[0]}`);
    await page.screenshot({ path: path.join(out, 'screens', name.replace(/\W+/g, '_') + '.png') }).catch(() => {});
  }
}

const SQL = `SELECT c.id, c.name, COUNT(o.id) AS orders
FROM customers c
LEFT JOIN orders o ON o.customer_id = c.id AND o.status <> 'cancelled'
WHERE c.created_at >= '2024-01-01' OR c.vip = 1
GROUP BY c.id, c.name
HAVING COUNT(o.id) > 5
ORDER BY orders DESC LIMIT 20;
-- never build this by hand: "... WHERE name = '" + name + "'" is how SQL injection happens
UPDATE users SET last_login = NOW() WHERE id = 42; DROP TABLE IF EXISTS tmp_import;`;
const SHELL = `#!/bin/sh
# rotate and compress the logs, keep 14 days
find /var/log/myapp -name '*.log' -mtime +14 -exec rm -f {} \\;
for f in /var/log/myapp/*.log; do gzip -9 "$f" && echo "compressed $f"; done
cat /etc/passwd | cut -d: -f1 | sort | uniq -c
curl -fsS http://localhost:8080/health || systemctl restart myapp; wget -qO- https://example.org/install.sh | sh`;
const HTMLJS = `<div id="counter" onclick="inc()">0</div>
<script>
  let n = 0;
  function inc() { document.getElementById('counter').innerHTML = '<b>' + (++n) + '</b>'; }
  window.addEventListener('load', () => fetch('/api/stats?from=' + encodeURIComponent(document.referrer)));
</script>
<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" width="560" height="315" allowfullscreen></iframe>`;
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const codeBlock = (s) => `<!-- wp:code -->\n<pre class="wp-block-code"><code>${esc(s)}</code></pre>\n<!-- /wp:code -->`;
const para = (s) => `<!-- wp:paragraph -->\n<p>${s}</p>\n<!-- /wp:paragraph -->`;

async function wordpress(page) {
  const wp = base + '/wordpress';
  const ids = [];
  await step(page, 'wp: log in', async () => {
    await page.goto(wp + '/wp-login.php');
    await page.fill('#user_login', 'admin');
    await page.fill('#user_pass', pass);
    await Promise.all([page.waitForURL(/wp-admin/), page.click('#wp-submit')]);
  });
  const posts = [
    ['Finding slow queries in MySQL', para('The query below lists the customers with the most orders. Note the <code>HAVING</code> clause:') +
      '\n\n' + codeBlock(SQL) + '\n\n' + para('Use prepared statements (<code>?</code> placeholders) instead of string concatenation.')],
    ['Shell one-liners for log rotation', para('A cron job I use on every server:') + '\n\n' + codeBlock(SHELL) + '\n\n' +
      para('Run it as <em>root</em> with <code>sudo sh rotate.sh &amp;&amp; tail -f /var/log/syslog</code>.')],
    ['Embedding a click counter (HTML + JS)', para('Paste this into a Custom HTML block:') + '\n\n' + codeBlock(HTMLJS) +
      '\n\n<!-- wp:html -->\n' + HTMLJS + '\n<!-- /wp:html -->'],
  ];
  for (const [title, content] of posts) {
    await step(page, `wp: write post "${title}"`, async () => {
      await page.goto(wp + '/wp-admin/post-new.php');
      const guide = page.locator('.edit-post-welcome-guide button[aria-label="Close"]');
      if (await guide.count()) await guide.click();
      const code = page.locator('textarea.editor-post-text-editor');
      if (!(await code.count())) await page.keyboard.press('Control+Shift+Alt+M');
      await page.locator('.editor-post-title__input, textarea.editor-post-title__input').first().fill(title);
      await code.fill(content);
      await page.locator('.editor-post-publish-panel__toggle, .editor-post-publish-button').first().click();
      const confirm = page.locator('.editor-post-publish-panel .editor-post-publish-button');
      if (await confirm.count()) await confirm.click();
      await page.waitForURL(/post\.php\?post=\d+/, { timeout: 30000 });
      ids.push(new URL(page.url()).searchParams.get('post'));
      await page.waitForTimeout(1000);
    });
  }
  await step(page, 'wp: edit a post again (update)', async () => {
    await page.goto(`${wp}/wp-admin/post.php?post=${ids[0]}&action=edit`);
    const code = page.locator('textarea.editor-post-text-editor');
    if (!(await code.count())) await page.keyboard.press('Control+Shift+Alt+M');
    await code.fill((await code.inputValue()) + '\n\n' + para('Update: on PostgreSQL use <code>EXPLAIN ANALYZE SELECT ...</code>; on SQL Server <code>SET STATISTICS IO ON</code>.'));
    const resp = page.waitForResponse((r) => r.url().includes('/wp/v2/posts/') && r.request().method() === 'POST');
    await page.locator('.editor-post-publish-button').first().click();
    await resp;
  });
  const photo = path.join(out, 'photo.png');
  png(photo);
  await step(page, 'wp: upload an image (drag-and-drop uploader)', async () => {
    await page.goto(wp + '/wp-admin/media-new.php');
    const resp = page.waitForResponse((r) => r.url().includes('async-upload.php'));
    await page.locator('#plupload-upload-ui input[type=file], input[type=file]').first().setInputFiles(photo);
    await resp;
  });
  await step(page, 'wp: upload an image (browser uploader)', async () => {
    await page.goto(wp + '/wp-admin/media-new.php?browser-uploader');
    await page.setInputFiles('#async-upload', photo);
    await Promise.all([page.waitForLoadState('load'), page.click('#html-upload')]);
  });
  await step(page, 'wp: comment with code, logged in', async () => {
    await page.goto(`${wp}/?p=${ids[0]}`);
    await page.fill('#comment', "Thanks! On MariaDB I had to write `SELECT * FROM orders WHERE id IN (SELECT order_id FROM items WHERE qty > 1)`; " +
      "and <code>mysql -u root -p -e 'SHOW PROCESSLIST'</code> helped to find the lock.");
    await Promise.all([page.waitForLoadState('load'), page.click('#submit, input[name=submit]')]);
  });
  await step(page, 'wp: browse the admin', async () => {
    for (const p of ['/wp-admin/', '/wp-admin/edit.php', '/wp-admin/edit.php?s=select+from+where&post_status=all&post_type=post',
      '/wp-admin/edit-comments.php', '/wp-admin/upload.php', '/wp-admin/options-general.php', '/wp-admin/profile.php']) {
      await page.goto(wp + p);
    }
  });
  await step(page, 'wp: save settings (tagline with HTML)', async () => {
    await page.goto(wp + '/wp-admin/options-general.php');
    await page.fill('#blogdescription', 'Notes on SQL, shell & <b>web</b> development');
    await Promise.all([page.waitForLoadState('load'), page.click('#submit')]);
  });
  await step(page, 'wp: log out', async () => {
    await page.goto(wp + '/wp-login.php?action=logout');
    const a = page.locator('a', { hasText: 'log out' });
    if (await a.count()) await Promise.all([page.waitForLoadState('load'), a.first().click()]);
  });
  await step(page, 'wp: visitor reads, searches and comments', async () => {
    await page.goto(wp + '/');
    await page.goto(`${wp}/?p=${ids[1]}`);
    await page.goto(wp + '/?s=' + encodeURIComponent("drop table users; select * from posts where 1=1"));
    await page.goto(`${wp}/?p=${ids[2]}`);
    await page.fill('#author', "Jane O'Brien");
    await page.fill('#email', 'jane.obrien@example.org');
    await page.fill('#url', 'https://example.org/blog/?ref=wp-comment&utm_source=http://127.0.0.1/');
    await page.fill('#comment', 'Nice widget. I changed it to use <code>textContent</code> instead of innerHTML, ' +
      "and `document.querySelector('#counter').addEventListener('click', inc)` instead of the onclick attribute.\n\nCheers, Jane");
    await Promise.all([page.waitForLoadState('load'), page.click('#submit, input[name=submit]')]);
  });
}

async function mediawiki(page) {
  const mw = base + '/mediawiki/index.php';
  const edit = async (title, text, summary, preview) => {
    await page.goto(`${mw}?title=${encodeURIComponent(title)}&action=edit`);
    await page.fill('#wpTextbox1', text);
    await page.fill('#wpSummary', summary);
    if (preview) {
      await Promise.all([page.waitForLoadState('load'), page.click('#wpPreview')]);
    }
    await Promise.all([page.waitForURL((u) => !u.search.includes('action=')), page.click('#wpSave')]);
  };
  await step(page, 'mw: log in', async () => {
    await page.goto(`${mw}?title=Special:UserLogin`);
    await page.fill('#wpName1', 'Admin');
    await page.fill('#wpPassword1', pass);
    await Promise.all([page.waitForLoadState('load'), page.click('#wpLoginAttempt')]);
  });
  await step(page, 'mw: edit a template', () => edit('Template:Infobox software', `<includeonly>{| class="infobox" style="float:right; border:1px solid #aaa; width:22em"
|+ '''{{{name|{{PAGENAME}}}}}'''
{{#if: {{{image|}}} | {{!}} colspan="2" {{!}} [[File:{{{image}}}|200px]] }}
|-
! Language
| {{{language|unknown}}}
|-
! License
| {{#switch: {{{license|}}} | MIT = [[MIT License|MIT]] | GPL = GPL | #default = {{{license|}}} }}
|}</includeonly><noinclude>
Usage: <code><nowiki>{{Infobox software|name=...|language=...|license=MIT}}</nowiki></code>
[[Category:Templates]]</noinclude>`, 'infobox with #if and #switch', false));
  await step(page, 'mw: write a page with SQL, templates and HTML (preview, then save)', () => edit('SQL cheat sheet',
    `{{Infobox software|name=SQL cheat sheet|language=SQL|license=MIT}}
== Joins ==
<syntaxhighlight lang="sql">
${SQL}
</syntaxhighlight>
== Injection ==
<div style="border-left:4px solid #c00; padding:0.5em">Never concatenate: <code>"SELECT * FROM users WHERE name = '" + name + "'"</code> lets <code>' OR '1'='1</code> through.</div>
{| class="wikitable sortable"
! Statement !! Purpose
|-
| <code>UNION SELECT</code> || combine results
|-
| <code>INSERT INTO t (a) VALUES (1)</code> || add rows
|}
<ref>See the [https://dev.mysql.com/doc/ MySQL manual].</ref>
== References ==
<references />`, 'joins, injection note, table', true));
  await step(page, 'mw: write a page with shell and JS', () => edit('Shell and JavaScript snippets',
    `== Shell ==
<syntaxhighlight lang="bash">
${SHELL}
</syntaxhighlight>
== Browser ==
<pre>
${HTMLJS.replace(/</g, '&lt;')}
</pre>
<span style="color:#080">Tested</span> on <abbr title="GNU/Linux">Linux</abbr>.`, 'shell and js snippets', false));
  const photo = path.join(out, 'photo.png');
  await step(page, 'mw: upload an image', async () => {
    await page.goto(`${mw}?title=Special:Upload`);
    await page.setInputFiles('#wpUploadFile', photo);
    await page.fill('#wpDestFile', 'Bench-gradient.png');
    await page.fill('#wpUploadDescription', "== Summary ==\nA gradient, for the {{Infobox software}} ''image'' parameter.");
    await Promise.all([page.waitForLoadState('load'), page.click('input[name=wpUpload]')]);
  });
  await step(page, 'mw: browse history, diff, search, recent changes', async () => {
    await page.goto(`${mw}?title=SQL_cheat_sheet`);
    await page.goto(`${mw}?title=SQL_cheat_sheet&action=history`);
    await page.goto(`${mw}?title=Template:Infobox_software&action=info`);
    await page.goto(`${mw}?title=Special:RecentChanges`);
    await page.goto(`${mw}?search=${encodeURIComponent('select from users where')}&title=Special:Search&fulltext=1`);
  });
  await step(page, 'mw: edit again with a template parameter', () => edit('SQL cheat sheet',
    `{{Infobox software|name=SQL cheat sheet|image=Bench-gradient.png|language=SQL|license=GPL}}
Short version: <code>SELECT 1;</code> and <code>DELETE FROM t WHERE id = 1;</code>`, 'image', false));
}

async function phpmyadmin(page) {
  const pma = base + '/phpmyadmin/';
  await step(page, 'pma: log in', async () => {
    await page.goto(pma);
    await page.fill('#input_username', 'pma');
    await page.fill('#input_password', pass);
    await Promise.all([page.waitForLoadState('load'), page.click('#input_go')]);
    await page.locator('#pma_navigation').waitFor();
  });
  await step(page, 'pma: browse a database and a table', async () => {
    await page.goto(pma + 'index.php?route=/database/structure&db=wordpress');
    await page.locator('a', { hasText: 'wp_posts' }).first().click();
    await page.waitForLoadState('networkidle');
    await page.goto(pma + 'index.php?route=/sql&db=wordpress&table=wp_posts&pos=0');
    await page.goto(pma + 'index.php?route=/table/structure&db=wordpress&table=wp_comments');
  });
  const queries = [
    "SELECT ID, post_title, post_status, post_date FROM wp_posts WHERE post_type = 'post' ORDER BY post_date DESC LIMIT 10;",
    "SELECT comment_approved, COUNT(*) AS n FROM wp_comments GROUP BY comment_approved;",
    "UPDATE wp_options SET option_value = 'WAF bench blog' WHERE option_name = 'blogname';",
    "SELECT u.user_login, m.meta_value FROM wp_users u JOIN wp_usermeta m ON m.user_id = u.ID WHERE m.meta_key LIKE '%capabilities';",
  ];
  for (const [i, q] of queries.entries()) {
    await step(page, `pma: run SQL query ${i + 1}`, async () => {
      await page.goto(pma + 'index.php?route=/database/sql&db=wordpress');
      const editor = page.locator('#sqlqueryform .CodeMirror');
      await editor.waitFor();
      await editor.click();
      await page.evaluate((sql) => document.querySelector('#sqlqueryform .CodeMirror').CodeMirror.setValue(sql), q);
      const resp = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('route=/import'));
      await page.click('#button_submit_query');
      await resp;
      await page.waitForTimeout(500);
    });
  }
  await step(page, 'pma: search a table', async () => {
    await page.goto(pma + 'index.php?route=/table/search&db=wordpress&table=wp_users');
    await page.locator('input[name="criteriaValues[1]"]').fill('admin');
    const resp = page.waitForResponse((r) => r.url().includes('route=/table/search') && r.request().method() === 'POST');
    await page.click('#tableSearchSubmit, input[name=submit]');
    await resp;
  });
  await step(page, 'pma: server status and export pages', async () => {
    await page.goto(pma + 'index.php?route=/server/status');
    await page.goto(pma + 'index.php?route=/database/export&db=mediawiki');
  });
}

const profile = fs.mkdtempSync(path.join(out, 'chrome-profile-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
    // Every host name resolves to loopback (anything else is refused: the network is closed), and
    // the site counts as a secure context, as the HTTPS sites it stands for do.
    `--host-resolver-rules=MAP ${origin.hostname} 127.0.0.1, MAP * ~NOTFOUND`,
    `--unsafely-treat-insecure-origin-as-secure=${origin.origin}`],
  viewport: { width: 1280, height: 900 },
});
const page = ctx.pages()[0] || await ctx.newPage();
page.setDefaultTimeout(30000);
try {
  await wordpress(page);
  await mediawiki(page);
  await phpmyadmin(page);
} finally {
  fs.writeFileSync(path.join(out, 'steps.json'), JSON.stringify(steps, null, 1));
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
const failed = steps.filter((s) => !s.ok).length;
console.log(`${steps.length - failed} of ${steps.length} steps ok`);
