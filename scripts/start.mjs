// `npm start`: builds the .vsix and runs Tavern in a real VS Code. With a desktop `code` CLI
// it installs there; otherwise it starts code-server on 127.0.0.1 (installed on first use and
// cached outside the repo) with Tavern, its local worker and a demo workspace, and prints the
// URL. Ctrl+C stops everything it started.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CACHE, launchCodeServer } from './codeServer.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vsix = join(root, 'tavern-0.1.0.vsix');
execFileSync('npm', ['run', 'package'], { cwd: root, stdio: 'inherit' });

const hasCode = spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
if (hasCode && !process.argv.includes('--code-server')) {
  execFileSync('code', ['--install-extension', vsix, '--force'], { stdio: 'inherit' });
  console.log('\nTavern is installed in VS Code: open the Tavern view in the activity bar.');
  process.exit(0);
}

const workspace = join(CACHE, 'demo-workspace');
if (!existsSync(workspace)) {
  mkdirSync(workspace, { recursive: true });
  writeFileSync(
    join(workspace, 'README.md'),
    '# Tavern demo workspace\n\nOpen the Tavern view in the activity bar: the local worker appears there.\n',
  );
}
const cs = await launchCodeServer({ vsix, workspace, base: join(CACHE, 'start-session') });
console.log(`\nTavern is running in code-server: ${cs.url}\n(loopback only; Ctrl+C stops it)\n`);
const stop = () => {
  cs.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
setInterval(() => undefined, 1 << 30);
