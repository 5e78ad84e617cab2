// Where Claude Code is looked for, in order, with fake executables in temp dirs: the
// configured path, PATH, the native installer's places, the Claude Code editor extension,
// the SDK's platform package, Tavern's download. Each found location names its source.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { vscodeTarget } from '../../runtime/engines/claude/editorExtensions';
import { findClaude, type ClaudeSearch } from '../../runtime/engines/claude/findClaude';
import { sdkPlatformPackage } from '../../runtime/engines/claude/platform';

function executable(path: string, mode = 0o755): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '#!/bin/sh\necho fake claude\n');
  chmodSync(path, mode);
  return path;
}

const extensionBinary = (extensions: string, folder: string): string =>
  join(extensions, folder, 'resources', 'native-binary', 'claude');

let base: string;
let search: ClaudeSearch;
let paths: Record<'path' | 'userInstall' | 'legacyLocal' | 'editor' | 'sdk' | 'tavern', string>;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'tavern-find-'));
  const home = join(base, 'home');
  const extensions = join(home, '.vscode', 'extensions');
  const sdkRoot = join(base, 'bundle');
  paths = {
    path: executable(join(base, 'bin', 'claude')),
    userInstall: executable(join(home, '.local', 'bin', 'claude')),
    legacyLocal: executable(join(home, '.claude', 'local', 'claude')),
    editor: executable(
      extensionBinary(extensions, `anthropic.claude-code-2.1.200-${vscodeTarget()}`),
    ),
    sdk: executable(join(sdkRoot, 'node_modules', sdkPlatformPackage(), 'claude')),
    tavern: executable(join(base, 'storage', 'claude-code', '0.3.1', 'claude')),
  };
  writeFileSync(
    join(sdkRoot, 'node_modules', sdkPlatformPackage(), 'package.json'),
    JSON.stringify({ name: sdkPlatformPackage(), version: '0.3.1' }),
  );
  search = {
    env: { PATH: `/nonexistent:${join(base, 'bin')}` },
    home,
    sdkRoots: [sdkRoot],
    installRoot: join(base, 'storage', 'claude-code'),
  };
});

describe('findClaude', () => {
  it('tries each source in order and says which one it used', () => {
    const order: [keyof typeof paths, string][] = [
      ['path', 'PATH'],
      ['userInstall', 'user-install'],
      ['legacyLocal', 'user-install'],
      ['editor', 'editor-extension'],
      ['sdk', 'sdk-package'],
      ['tavern', 'tavern-install'],
    ];
    for (const [key, source] of order) {
      expect(findClaude(search)).toMatchObject({ path: paths[key], source });
      rmSync(paths[key]);
    }
    expect(findClaude(search)).toEqual({
      error: expect.stringMatching(
        /^No Claude Code executable found on this machine\. Install Claude Code .*"Tavern: Install Claude Code"/,
      ),
    });
  });

  it('uses the configured path alone, and says exactly what is wrong with it', () => {
    const configured = executable(join(base, 'custom', 'my-claude'));
    expect(findClaude({ ...search, configured })).toEqual({ path: configured, source: 'setting' });
    chmodSync(configured, 0o644);
    expect(findClaude({ ...search, configured })).toEqual({
      error: expect.stringContaining(`${configured} is not executable`),
    });
    expect(findClaude({ ...search, configured: join(base, 'gone') })).toEqual({
      error: expect.stringContaining(`${join(base, 'gone')} does not exist`),
    });
  });

  it('picks the newest runnable Claude Code extension build for this machine', () => {
    rmSync(paths.path);
    rmSync(join(search.home!, '.local'), { recursive: true });
    rmSync(join(search.home!, '.claude'), { recursive: true });
    const vscode = join(search.home!, '.vscode', 'extensions');
    const cursor = join(search.home!, '.cursor', 'extensions');
    // Newer, but for another machine / not executable / obsolete: all skipped.
    executable(extensionBinary(vscode, 'anthropic.claude-code-9.0.0-plan9-mips'));
    executable(extensionBinary(vscode, `anthropic.claude-code-8.0.0-${vscodeTarget()}`), 0o644);
    executable(extensionBinary(cursor, `anthropic.claude-code-7.0.0-${vscodeTarget()}`));
    writeFileSync(
      join(cursor, '.obsolete'),
      JSON.stringify({ [`anthropic.claude-code-7.0.0-${vscodeTarget()}`]: true }),
    );
    // A universal build (no target suffix) in Cursor, newer than VS Code's 2.1.200.
    const universal = executable(extensionBinary(cursor, 'anthropic.claude-code-2.1.300'));
    expect(findClaude(search)).toEqual({
      path: universal,
      source: 'editor-extension',
      version: '2.1.300',
    });
    // The running editor's own extensions dir is searched too (code-server's --extensions-dir).
    const own = join(base, 'code-server-extensions');
    const ownBinary = executable(extensionBinary(own, 'anthropic.claude-code-2.1.301'));
    expect(findClaude({ ...search, extraEditorExtensionDirs: [own] })).toMatchObject({
      path: ownBinary,
      source: 'editor-extension',
    });
    // Only the dirs given: none holds it.
    expect(findClaude({ ...search, editorExtensionDirs: [] })).toMatchObject({
      source: 'sdk-package',
    });
  });

  it("prefers Tavern's download of the bundled SDK version, else the newest", () => {
    const only: ClaudeSearch = {
      env: { PATH: '' },
      home: join(base, 'empty-home'),
      editorExtensionDirs: [],
      sdkRoots: [],
      installRoot: search.installRoot,
    };
    const root = search.installRoot!;
    const newer = executable(join(root, '0.10.0', 'claude'));
    mkdirSync(join(root, '.tmp-abc'), { recursive: true });
    expect(findClaude(only)).toEqual({ path: newer, source: 'tavern-install', version: '0.10.0' });
    expect(findClaude({ ...only, preferVersion: '0.3.1' })).toEqual({
      path: paths.tavern,
      source: 'tavern-install',
      version: '0.3.1',
    });
  });
});
