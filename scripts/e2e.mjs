// End-to-end in a real VS Code: code-server with the built .vsix installed into a fresh
// extensions dir, driven by Playwright in a system Chromium. Three flows, each in its own
// code-server: the first run as a new user with no credentials (the welcome card and the
// offline demo), the first run with credentials but no Claude Code (the one-click install from
// the npm registry), and the developers' main flow. `npm run test:e2e -- demo install main`
// picks flows. Every process started here runs in its own group and is killed by group.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, ensureCodeServer } from './codeServer.mjs';
import { demoFlow, installFlow } from './e2e/firstRun.mjs';
import { BROWSER_ARGS, killAll, log, progress, root } from './e2e/lib.mjs';
import { mainFlow } from './e2e/mainFlow.mjs';

const FLOWS = { demo: demoFlow, install: installFlow, main: mainFlow };

async function main() {
  const wanted = process.argv.slice(2).filter((a) => a in FLOWS);
  const flows = wanted.length ? wanted : Object.keys(FLOWS);
  const vsix = join(root, 'tavern-0.1.0.vsix');
  if (!existsSync(vsix)) execFileSync('npm', ['run', 'package'], { cwd: root, stdio: 'inherit' });
  ensureCodeServer();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
  try {
    for (const name of flows) {
      log(`--- flow: ${name}`);
      await FLOWS[name](browser, vsix);
    }
  } finally {
    await browser.close();
    killAll();
  }
  console.log(`e2e: ${progress.passed} passed, 0 failed (flows: ${flows.join(', ')})`);
}

main().catch((error) => {
  console.error(`e2e failed at step "${progress.step}": ${error.stack ?? error}`);
  killAll();
  process.exit(1);
});
