// Runs the benchmarks: bundles bench/*.ts with esbuild into dist/bench/ and runs each in its
// own Node process. `npm run bench -- rtt stream` runs a subset.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ALL = [
  'rtt',
  'spawn',
  'stream',
  'reconnect',
  'endToEnd',
  'scale',
  'fleet',
  'claude',
  'panel',
  'workspace',
];
const helpers = ['rawServer'];
const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = (asked.length ? asked : ALL).filter((n) =>
  existsSync(join(root, 'bench', `${n}.ts`)),
);

await esbuild.build({
  entryPoints: [...names, ...helpers].map((n) => join(root, 'bench', `${n}.ts`)),
  outdir: join(root, 'dist/bench'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  external: ['playwright-core'],
  // The Claude Agent SDK reads import.meta.url, which a CJS bundle lacks.
  banner: { js: "const __importMetaUrl = require('url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__importMetaUrl' },
});

// The benchmarks' temp dirs (worker state, workdirs, fake homes) go in one directory,
// removed at the end: they call os.tmpdir(), which follows TMPDIR.
const runDir = mkdtempSync(join(tmpdir(), 'tavern-bench-run-'));
let failed = 0;
for (const name of names) {
  console.log(`\n=== bench ${name} ===`);
  const run = spawnSync(process.execPath, [join(root, 'dist/bench', `${name}.js`)], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, TMPDIR: runDir },
  });
  if (run.status !== 0) {
    failed++;
    console.error(`bench ${name} exited with ${run.status}`);
  }
}
// A process a benchmark started may still be writing there as it exits: a leftover is said,
// not a failed run.
try {
  rmSync(runDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
} catch (error) {
  console.error(`could not remove ${runDir} (${error.code ?? error}); remove it by hand`);
}
process.exit(failed ? 1 : 0);
