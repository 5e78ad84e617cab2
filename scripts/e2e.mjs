// End-to-end in a real VS Code: code-server with the built .vsix installed into a fresh
// extensions dir, driven by Playwright in Debian's Chromium. Every process started here
// runs in its own process group and is killed by group at the end.
import { spawn, execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, launchCodeServer } from './codeServer.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The attach input box, recognised by its placeholder so text never goes to another box.
const ATTACH_INPUT = '.quick-input-box input[placeholder*="#token="]';
let step = 'start';
const shots = join(root, 'test-results', 'e2e');
mkdirSync(shots, { recursive: true });
const groups = [];
const log = (m) => console.log(`[e2e ${new Date().toISOString().slice(11, 19)}] ${m}`);

function start(cmd, args, options = {}) {
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  groups.push({
    stop: () => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  });
  return child;
}
function killAll() {
  for (const group of groups.splice(0)) group.stop();
}
process.on('exit', killAll);
process.on('SIGINT', () => process.exit(130));

/** Runs a command through the command palette, as a user would. */
async function runCommand(page, title) {
  await page.keyboard.press('F1');
  await page.keyboard.type(title);
  // Click the row that IS the command: recently used commands show up before the filter applies.
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: title })
    .first()
    .click({ timeout: 30_000 });
}

/** The activation time the extension logged ("Tavern activated in N ms"), from code-server's log files. */
function activationMs(dir) {
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop();
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) stack.push(full);
      else if (entry.name.endsWith('.log')) {
        const m = /Tavern activated in (\d+) ms/.exec(readFileSync(full, 'utf8'));
        if (m) return Number(m[1]);
      }
    }
  }
  return undefined;
}

async function main() {
  const vsix = join(root, 'tavern-0.1.0.vsix');
  if (!existsSync(vsix)) execFileSync('npm', ['run', 'package'], { cwd: root, stdio: 'inherit' });
  const base = mkdtempSync(join(tmpdir(), 'tavern-e2e-'));
  const workspace = join(base, 'workspace');
  const remoteDir = join(base, 'remote');
  mkdirSync(workspace, { recursive: true });
  mkdirSync(remoteDir, { recursive: true });
  writeFileSync(join(workspace, 'README.md'), '# Demo workspace\n');
  log('installing the .vsix into a fresh code-server');
  const cs = await launchCodeServer({
    vsix,
    workspace,
    base,
    env: { TAVERN_CLAUDE_PREWARM: '0' },
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
  });
  groups.push({ stop: cs.stop });
  log(`code-server up on ${cs.port}`);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(cs.url);
    await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    log('workbench loaded');
    await page.click('.activitybar [aria-label^="Tavern"]', { timeout: 60_000 });
    const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await view
      .locator('li.worker.status-connected .name', { hasText: 'local' })
      .waitFor({ timeout: 90_000 });
    log('the local worker is connected in the Tavern view');
    await page.screenshot({ path: join(shots, '1-local-worker.png') });

    log(
      `activation: ${activationMs(cs.dirs.user) ?? '(not found in the logs)'} ms (from the extension's own log line)`,
    );

    // A second tavern-worker, attached by URL through the command palette input box.
    const worker = start(
      process.execPath,
      [
        join(root, 'dist', 'worker.js'),
        '--port',
        '0',
        '--name',
        'remote-e2e',
        '--workdir',
        remoteDir,
        '--state-dir',
        join(remoteDir, '.state'),
      ],
      { env: { ...process.env, TAVERN_CLAUDE_PREWARM: '0' } },
    );
    const url = await new Promise((resolve) =>
      createInterface({ input: worker.stdout }).on(
        'line',
        (l) => l.startsWith('TAVERN_WORKER_URL=') && resolve(l.slice(18)),
      ),
    );
    step = 'a wrong token';
    // A wrong token gives a clear error and attaches nothing.
    await runCommand(page, 'Tavern: Attach Worker');
    await page
      .locator(ATTACH_INPUT)
      .pressSequentially(url.replace(/token=[^&]+/, 'token=wrong-token-0123456789'));
    await page.keyboard.press('Enter');
    await page
      .locator('.notification-toast', { hasText: 'refused the token' })
      .waitFor({ timeout: 30_000 });
    log('a wrong token shows a clear error');
    await page.screenshot({ path: join(shots, '2-wrong-token.png') });
    await page.keyboard.press('Escape');

    await runCommand(page, 'Tavern: Attach Worker');
    await page.locator(ATTACH_INPUT).pressSequentially(url, { timeout: 30_000 });
    await page.keyboard.press('Enter');
    await view
      .locator('li.worker.status-connected .name', { hasText: 'remote-e2e' })
      .waitFor({ timeout: 60_000 });
    log('the second worker attached by URL is connected');
    await page.screenshot({ path: join(shots, '3-attached-worker.png') });

    // Summon an agent from the command palette; it asks to use Write, answered from the
    // notification; its report comes back as a notification that does not take focus.
    step = 'summon an agent from the palette';
    await runCommand(page, 'Tavern: Summon Agent');
    await page
      .locator('.quick-input-message', { hasText: 'The assignment' })
      .waitFor({ timeout: 30_000 });
    await page
      .locator('.quick-input-box input')
      .pressSequentially('[[permission Write]] [[done the e2e agent finished]]');
    await page.keyboard.press('Enter');
    // The engine picker: click the scripted engine's row.
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: 'scripted' })
      .first()
      .click({ timeout: 30_000 });
    const approval = page.locator('.notification-toast', { hasText: 'wants to use Write' });
    await approval.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(shots, '4-approval.png') });
    await approval.locator('.monaco-button', { hasText: /^Allow$/ }).click();
    await page
      .locator('.notification-toast', { hasText: 'finished: the e2e agent finished' })
      .waitFor({ timeout: 30_000 });
    log(
      'an agent summoned from the palette asked for Write, was allowed from the notification, and reported done',
    );
    await page.screenshot({ path: join(shots, '5-agent-done.png') });

    step = 'reload';
    // Reload the window: the attached worker comes back from settings + secret storage.
    await page.reload();
    await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    await page
      .click('.activitybar [aria-label^="Tavern"]', { timeout: 60_000 })
      .catch(() => undefined);
    const view2 = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await view2
      .locator('li.worker.status-connected .name', { hasText: 'remote-e2e' })
      .waitFor({ timeout: 90_000 });
    log('after a reload the attached worker is re-attached');
    await page.screenshot({ path: join(shots, '6-after-reload.png') });
    console.log('e2e: 5 passed, 0 failed');
  } finally {
    await browser.close();
    killAll();
  }
}

main().catch((error) => {
  console.error(`e2e failed at step "${step}": ${error.stack ?? error}`);
  killAll();
  process.exit(1);
});
