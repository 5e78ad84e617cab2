// What every end-to-end flow shares: processes in their own groups (killed by group), the
// command palette and quick picks driven as a user would, the Tavern webview's frames, the
// fake Anthropic API as its own process, screenshots and numbered checks.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const shots = join(root, 'test-results', 'e2e');
mkdirSync(shots, { recursive: true });

const groups = [];
export const log = (m) => console.log(`[e2e ${new Date().toISOString().slice(11, 19)}] ${m}`);

/** The step being run, named when something fails. */
export const progress = { step: 'start', passed: 0 };
export function step(name) {
  progress.step = name;
}
export function check(what) {
  progress.passed++;
  log(`ok ${progress.passed}: ${what}`);
}

/**
 * Starts a process in its own group. Its stderr goes to test-results/e2e/<logName>.log: an
 * unread pipe fills up (64 KB) and then blocks the child on its next log line.
 */
export function start(cmd, args, logName, options = {}) {
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  child.stderr.pipe(createWriteStream(join(shots, `${logName}.log`)));
  groups.push({ stop: () => killGroup(child.pid) });
  return child;
}
export function own(stopper) {
  groups.push({ stop: stopper });
}
function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
export function killAll() {
  for (const group of groups.splice(0).reverse()) group.stop();
}
process.on('exit', killAll);
process.on('SIGINT', () => process.exit(130));

/** Runs a command through the command palette, as a user would. */
export async function runCommand(page, title) {
  await page.keyboard.press('F1');
  await page.keyboard.type(title);
  // Click the row that IS the command: recently used commands show up before the filter applies.
  await pickRow(page, title);
}

/**
 * Shows the Tavern view after a reload. The command only ever shows it (a click on the icon of
 * the view shown closes the side bar), but a palette opened before the workbench has read the
 * extensions' contributions does not list it yet: then the palette is closed and opened again.
 */
export async function showTavernView(page) {
  const title = page.locator('.part.sidebar .composite.title', { hasText: 'Tavern' }).first();
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    await page.keyboard.type('Tavern: Open Panel');
    try {
      await pickRow(page, 'Tavern: Open Panel', 10_000);
      await title.waitFor({ timeout: 10_000 });
      return;
    } catch (error) {
      if (attempt === 6) throw error;
      log(`"Tavern: Open Panel" not shown yet (attempt ${attempt}); opening the palette again`);
      await page.keyboard.press('Escape');
    }
  }
}

/** Clicks the first row of the open quick pick that contains `text`. */
export async function pickRow(page, text, timeout = 30_000) {
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: text })
    .first()
    .click({ timeout });
}

/** The Tavern webview inside the workbench (two nested iframes). */
export const tavernView = (page) =>
  page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');

/** The activation time the extension logged ("Tavern activated in N ms"), from code-server's log files. */
export function activationMs(dir) {
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

/** Bundles the e2e fake Anthropic API (TypeScript) and starts it; resolves with its URL. */
export async function startFakeApi(base, workspace) {
  const { build } = await import('esbuild');
  const out = join(base, 'fakeApiServer.cjs');
  await build({
    entryPoints: [join(root, 'test', 'e2e', 'fakeApiServer.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: out,
    logLevel: 'warning',
  });
  const child = start(process.execPath, [out, workspace], 'fake-api');
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the fake API exited with ${code}`)));
    createInterface({ input: child.stdout }).on(
      'line',
      (l) => l.startsWith('FAKE_API_URL=') && resolve(l.slice('FAKE_API_URL='.length)),
    );
  });
}

/** Starts a tavern-worker from dist/ and resolves with its attach URL. */
export async function startWorkerProcess(args, logName, env = {}) {
  const worker = start(process.execPath, [join(root, 'dist', 'worker.js'), ...args], logName, {
    env: { ...process.env, TAVERN_CLAUDE_PREWARM: '0', ...env },
  });
  return new Promise((resolve) =>
    createInterface({ input: worker.stdout }).on(
      'line',
      (l) => l.startsWith('TAVERN_WORKER_URL=') && resolve(l.slice(18)),
    ),
  );
}

/** Chromium flags for this closed network (recipes.md). */
export const BROWSER_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Opens the workbench and waits for it. */
export async function openWorkbench(page, url) {
  await page.goto(url);
  await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
}
