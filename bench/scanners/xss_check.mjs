// Does a reflected payload execute? Parses each answer of bench/scanners/xss_fetch.py with
// Chromium's own HTML parser (DOMParser, in Debian's chromium driven by playwright-core; nothing
// runs) and looks for what would run script: an attribute that is an event handler of its element
// (onmouseover on an <a>: "name in element"), a javascript: URL in a URL attribute, a <script> with
// code or a source, an iframe srcdoc. The vulnerable origin's own page has none of these, so any
// found came from the payload.
// usage: node xss_check.mjs RESPONSES.jsonl > CHECKED.jsonl  (one line per input: + "executes")
import { chromium } from 'playwright-core';
import fs from 'node:fs';

const rows = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    const found = await page.evaluate((htmls) => htmls.map((html) => {
      if (html === null) return [];
      const doc = new DOMParser().parseFromString(html, 'text/html');
      const out = [];
      for (const el of doc.querySelectorAll('*')) {
        for (const at of el.attributes) {
          const n = at.name.toLowerCase();
          if (n.startsWith('on') && n in el) out.push(`<${el.localName} ${n}>`);
          if (['href', 'src', 'action', 'formaction', 'data', 'xlink:href'].includes(n) && /^\s*javascript:/i.test(at.value)) {
            out.push(`<${el.localName} ${n}=javascript:>`);
          }
        }
        if (el.localName === 'script' && (el.textContent.trim() || el.getAttribute('src'))) out.push('<script>');
        if (el.localName === 'iframe' && el.hasAttribute('srcdoc')) out.push('<iframe srcdoc>');
      }
      return out;
    }), chunk.map((r) => (r.status === 200 ? r.html : null)));
    chunk.forEach((r, j) => {
      delete r.html;
      r.executes = found[j];
      process.stdout.write(JSON.stringify(r) + '\n');
    });
  }
} finally {
  await browser.close();
}
