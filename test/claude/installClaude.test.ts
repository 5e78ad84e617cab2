// The one-click Claude Code install against a local registry: a checked download lands whole
// in <root>/<version>/, and every failure (bad integrity, 404, no registry, cancel, stall, a
// package without the binary) says what to do and leaves nothing behind.
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installClaudeCode, type InstallProgress } from '../../extension/core/claude/installClaude';
import { ClaudeInstallError } from '../../extension/core/claude/npmRegistry';
import { findClaude } from '../../runtime/engines/claude/findClaude';
import { sdkPlatformPackage } from '../../runtime/engines/claude/platform';
import { startFakeRegistry, type FakeRegistry } from '../helpers/fakeRegistry';

const NAME = sdkPlatformPackage();
const VERSION = '0.0.1-test';

let registry: FakeRegistry;
let root: string;
beforeEach(async () => {
  registry = await startFakeRegistry({ name: NAME, version: VERSION });
  root = join(mkdtempSync(join(tmpdir(), 'tavern-install-')), 'claude-code');
});
afterEach(() => registry.close());

const install = (extra: Partial<Parameters<typeof installClaudeCode>[0]> = {}) =>
  installClaudeCode({ installRoot: root, registry: registry.url, version: VERSION, ...extra });

async function failure(promise: Promise<unknown>): Promise<ClaudeInstallError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ClaudeInstallError);
  return error as ClaudeInstallError;
}

/** Nothing half-done may stay: no version folder, no staging folder, no tarball. */
function expectNothingKept(): void {
  const left = (() => {
    try {
      return readdirSync(root);
    } catch {
      return [];
    }
  })();
  expect(left).toEqual([]);
}

describe('installClaudeCode', () => {
  it('downloads, checks and extracts the executable into <root>/<version>/, then reuses it', async () => {
    const progress: InstallProgress[] = [];
    const installed = await install({ onProgress: (p) => progress.push(p) });

    expect(installed).toMatchObject({
      path: join(root, VERSION, 'claude'),
      version: VERSION,
      packageName: NAME,
      reused: false,
      downloadedBytes: registry.tarballBytes,
      claudeVersion: `${VERSION} (Claude Code)`,
    });
    // Only the executable leaves the tarball, with its executable bit set.
    expect(readdirSync(root)).toEqual([VERSION]);
    expect(readdirSync(join(root, VERSION))).toEqual(['claude']);
    expect(statSync(installed.path).mode & 0o111).toBe(0o111);
    // Progress: phases in order, the download counted up to the whole file.
    const phases = [...new Set(progress.map((p) => p.phase))];
    expect(phases).toEqual(['metadata', 'download', 'extract', 'verify']);
    const downloads = progress.filter((p) => p.phase === 'download');
    expect(downloads.length).toBeGreaterThan(2);
    expect(downloads.at(-1)).toEqual({
      phase: 'download',
      receivedBytes: registry.tarballBytes,
      totalBytes: registry.tarballBytes,
    });
    // findClaude picks Tavern's download up when nothing else is there.
    const found = findClaude({
      env: { PATH: '' },
      home: mkdtempSync(join(tmpdir(), 'tavern-empty-home-')),
      editorExtensionDirs: [],
      sdkRoots: [],
      installRoot: root,
    });
    expect(found).toEqual({ path: installed.path, source: 'tavern-install', version: VERSION });

    const asked = registry.requests.length;
    const again = await install();
    expect(again).toMatchObject({ path: installed.path, reused: true, downloadedBytes: 0 });
    expect(registry.requests.length).toBe(asked);
  });

  it('refuses a download whose sha512 differs from the registry metadata', async () => {
    registry.mode = 'bad-integrity';
    const error = await failure(install());
    expect(error.code).toBe('integrity');
    expect(error.message).toMatch(/does not match the registry's integrity.*nothing was installed/);
    expectNothingKept();
  });

  it('says there is no package for this platform on a 404', async () => {
    registry.mode = 'missing';
    const error = await failure(install());
    expect(error.code).toBe('no_platform_package');
    expect(error.message).toMatch(/has no .*claude-agent-sdk-.*@0\.0\.1-test \(404\)/);
    expect(error.message).toMatch(/set tavern\.claudePath to an installed claude/);
    expectNothingKept();
  });

  it('says what to do when the registry cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failure(install({ registry: `http://127.0.0.1:${port}/` }));
    expect(error.code).toBe('offline');
    expect(error.message).toBe(
      `Could not reach the npm registry at http://127.0.0.1:${port}/: connect ECONNREFUSED 127.0.0.1:${port}; set tavern.claudePath to an installed claude, or install Claude Code (npm i -g @anthropic-ai/claude-code).`,
    );
    expectNothingKept();
  });

  it('cancels mid-download and keeps nothing', async () => {
    registry.mode = 'hold';
    const cancel = new AbortController();
    const error = await failure(
      install({
        signal: cancel.signal,
        onProgress: (p) => {
          if (p.phase === 'download' && p.receivedBytes > 0) cancel.abort();
        },
      }),
    );
    expect(error.code).toBe('cancelled');
    expect(error.message).toMatch(/cancelled; nothing was kept/);
    expectNothingKept();
  });

  it('gives up on a download that stalls', async () => {
    registry.mode = 'hold';
    const error = await failure(install({ stallMs: 300 }));
    expect(error.code).toBe('offline');
    expect(error.message).toMatch(/the download stalled/);
    expectNothingKept();
  });

  it('rejects a package without the executable', async () => {
    registry.mode = 'no-binary';
    const error = await failure(install());
    expect(error.code).toBe('bad_package');
    expect(error.message).toMatch(/has no package\/claude/);
    expectNothingKept();
  });

  it('knows before any request when the SDK has no build for a platform', async () => {
    const error = await failure(
      install({ packageName: '@anthropic-ai/claude-agent-sdk-plan9-mips' }),
    );
    expect(error.code).toBe('no_platform_package');
    expect(error.message).toMatch(/no build for .* linux-x64/);
    expect(registry.requests).toEqual([]);
  });
});
