// Renders the marketplace icon (media/icons/tavern.png, 256x256) from the activity-bar SVG
// in Debian's Chromium: amber mug on a dark tile. Run after changing tavern.svg; the PNG is
// committed (vsce needs a PNG for `icon`).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const svg = readFileSync(join(root, 'media/icons/tavern.svg'), 'utf8')
  .replace('stroke="currentColor"', 'stroke="#f5b942"')
  .replace('width="24" height="24"', 'width="184" height="184"');
const browser = await chromium.launch({
  executablePath: process.env.TAVERN_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
const page = await browser.newPage({ viewport: { width: 256, height: 256 } });
await page.setContent(
  `<body style="margin:0;background:transparent"><div style="width:256px;height:256px;border-radius:48px;background:#2b1d0e;display:flex;align-items:center;justify-content:center">${svg}</div></body>`,
);
await page.screenshot({ path: join(root, 'media/icons/tavern.png'), omitBackground: true });
await browser.close();
console.log('wrote media/icons/tavern.png');
