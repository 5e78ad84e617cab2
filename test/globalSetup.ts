// The browser the panel tests use (scripts/browser.mjs). Every temp dir the tests make (worker state, workdirs, fake homes, .tavern/ folders) lands
// in one directory per run, removed when the run ends: tests call os.tmpdir(), which follows
// TMPDIR, and the forked test processes and the workers they start inherit it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBrowser } from '../scripts/browser.mjs';

export default function setup(): () => void {
  // The panel tests drive a real browser: find one (or install Debian's Chromium) once, up
  // front, and hand its path to every test process.
  process.env.TAVERN_CHROMIUM = ensureBrowser();
  const previous = process.env.TMPDIR;
  const runDir = mkdtempSync(join(tmpdir(), 'tavern-test-run-'));
  process.env.TMPDIR = runDir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(runDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  };
}
