// Claude Code as the official VS Code extension (`anthropic.claude-code`) ships it: a native
// binary at `<extensions dir>/anthropic.claude-code-<version>[-<target>]/resources/
// native-binary/claude[.exe]`, never put on PATH. Users who installed only the extension
// have Claude Code there, in whichever editor's extensions dir they use.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { claudeBinaryName, compareVersions, isExecutable, isMusl } from './platform';

const EXTENSION_DIR = /^anthropic\.claude-code-(\d+\.\d+\.\d+)(?:-([a-z0-9]+-[a-z0-9]+))?$/i;

/** Where editors keep user extensions, for `home`: VS Code, its server, Insiders, Cursor, ... */
export function defaultEditorExtensionDirs(home: string, env: NodeJS.ProcessEnv): string[] {
  const dataHome = env.XDG_DATA_HOME || join(home, '.local', 'share');
  return [
    ...(env.VSCODE_EXTENSIONS ? [env.VSCODE_EXTENSIONS] : []),
    join(home, '.vscode', 'extensions'),
    join(home, '.vscode-server', 'extensions'),
    join(home, '.vscode-insiders', 'extensions'),
    join(home, '.vscode-server-insiders', 'extensions'),
    join(home, '.vscode-oss', 'extensions'),
    join(home, '.cursor', 'extensions'),
    join(home, '.cursor-server', 'extensions'),
    join(home, '.windsurf', 'extensions'),
    join(dataHome, 'code-server', 'extensions'),
  ];
}

/** The VS Code target of this machine (`linux-x64`, `alpine-arm64`, `darwin-arm64`, ...). */
export function vscodeTarget(): string {
  const arch = process.arch === 'arm' ? 'armhf' : process.arch;
  if (process.platform === 'linux' && isMusl()) return `alpine-${arch}`;
  return `${process.platform}-${arch}`;
}

/** Versions VS Code has replaced but not yet deleted: listed in `<dir>/.obsolete`. */
function obsolete(dir: string): Set<string> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(dir, '.obsolete'), 'utf8'));
    return new Set(
      parsed && typeof parsed === 'object'
        ? Object.keys(parsed).map((name) => name.toLowerCase())
        : [],
    );
  } catch {
    return new Set();
  }
}

export interface EditorClaude {
  path: string;
  /** The extension's version (the Claude Code version it bundles). */
  version: string;
}

/** The newest runnable Claude Code binary bundled by the Claude Code extension in `dirs`. */
export function findEditorClaude(dirs: readonly string[]): EditorClaude | undefined {
  const target = vscodeTarget();
  const found: EditorClaude[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue; // this editor is not installed
    }
    const stale = obsolete(dir);
    for (const name of names) {
      const match = EXTENSION_DIR.exec(name);
      if (!match?.[1] || stale.has(name.toLowerCase())) continue;
      // A platform-specific build for another machine (e.g. a synced extensions dir).
      if (match[2] && match[2].toLowerCase() !== target) continue;
      const path = join(dir, name, 'resources', 'native-binary', claudeBinaryName());
      if (isExecutable(path)) found.push({ path, version: match[1] });
    }
  }
  return found.sort((a, b) => compareVersions(b.version, a.version))[0];
}
