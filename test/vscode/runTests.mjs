// `npm run test:vscode`: the extension-API suite in a downloaded VS Code (Electron) through
// @vscode/test-electron. Needs network access to update.code.visualstudio.com, or
// VSCODE_EXECUTABLE=/path/to/code to use an installed VS Code. Neither exists on the CI
// machine here, so the gate there is the code-server suite (npm run test:e2e).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const workspace = mkdtempSync(join(tmpdir(), 'tavern-vscode-test-'));
writeFileSync(join(workspace, 'README.md'), '# test workspace\n');

try {
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'test', 'vscode', 'suite', 'index.cjs'),
    launchArgs: [workspace, '--disable-extensions', '--skip-welcome', '--skip-release-notes'],
    extensionTestsEnv: { TAVERN_CLAUDE_PREWARM: '0' },
    ...(process.env.VSCODE_EXECUTABLE
      ? { vscodeExecutablePath: process.env.VSCODE_EXECUTABLE }
      : {}),
  });
} catch (error) {
  console.error(
    `test:vscode failed: ${error instanceof Error ? error.message : String(error)}\n` +
      'It needs a VS Code: network access to download one, or VSCODE_EXECUTABLE=/path/to/code. ' +
      'Without either, `npm run test:e2e` covers activation, commands and the view in code-server.',
  );
  process.exit(1);
}
