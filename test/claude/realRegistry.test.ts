// The real thing, behind a switch (TAVERN_TEST_REAL_REGISTRY=1): the bundled Agent SDK's
// platform package for this machine from registry.npmjs.org (a download of many MB),
// checked, extracted and run. Prints size and time; asserts no timing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_SDK_VERSION } from '../../extension/core/claude/bundledSdk';
import { installClaudeCode } from '../../extension/core/claude/installClaude';

describe.skipIf(process.env.TAVERN_TEST_REAL_REGISTRY !== '1')(
  'install from the real npm registry',
  () => {
    it(
      'installs the Claude Code that matches the bundled Agent SDK',
      { timeout: 15 * 60_000 },
      async () => {
        const home = mkdtempSync(join(tmpdir(), 'tavern-real-install-'));
        const root = join(home, 'claude-code');
        try {
          const started = performance.now();
          let total: number | undefined;
          const installed = await installClaudeCode({
            installRoot: root,
            ...(process.env.TAVERN_TEST_REGISTRY
              ? { registry: process.env.TAVERN_TEST_REGISTRY }
              : {}),
            onProgress: (p) => (total = p.totalBytes ?? total),
          });
          const seconds = (performance.now() - started) / 1000;
          console.log(
            `real install: ${installed.packageName}@${installed.version}, ${(installed.downloadedBytes / 1e6).toFixed(1)} MB downloaded (Content-Length ${total ?? '?'}) in ${seconds.toFixed(1)} s; it says "${installed.claudeVersion}"`,
          );
          expect(installed.version).toBe(BUNDLED_SDK_VERSION);
          expect(installed.path).toBe(join(root, BUNDLED_SDK_VERSION, 'claude'));
          expect(installed.claudeVersion).toMatch(/\(Claude Code\)/);
          expect(installed.downloadedBytes).toBe(total);
        } finally {
          rmSync(home, { recursive: true, force: true });
        }
      },
    );
  },
);
