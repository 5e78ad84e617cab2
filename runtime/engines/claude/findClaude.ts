// Finds the Claude Code executable the Agent SDK drives. The ~380 MB native binary is never
// bundled; it is looked for where users have it, in this order: the configured path
// (tavern.claudePath / --claude-path / TAVERN_CLAUDE_PATH), `claude` on PATH, the native
// installer's places (~/.local/bin, ~/.claude/local), the official Claude Code editor
// extension's bundled binary, the Agent SDK's platform package (a worker installed with npm,
// or a dev checkout), and last a copy Tavern downloaded into its global storage.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { defaultEditorExtensionDirs, findEditorClaude } from './editorExtensions';
import { claudeBinaryName, compareVersions, isExecutable, sdkPlatformPackage } from './platform';

export type ClaudeSource =
  'setting' | 'PATH' | 'user-install' | 'editor-extension' | 'sdk-package' | 'tavern-install';

/** Words for each source, for logs and the engine's `detail`. */
export const CLAUDE_SOURCE_LABEL: Record<ClaudeSource, string> = {
  setting: 'the configured path',
  PATH: 'PATH',
  'user-install': "Claude Code's own installer",
  'editor-extension': "the Claude Code editor extension's bundled binary",
  'sdk-package': "the Agent SDK's platform package",
  'tavern-install': "Tavern's download",
};

export interface ClaudeLocation {
  path: string;
  source: ClaudeSource;
  /** Known for editor-extension (its version) and tavern-install (the package version). */
  version?: string;
}

export interface ClaudeSearch {
  /** tavern.claudePath / --claude-path: when set it must work; nothing else is tried. */
  configured?: string | undefined;
  /** PATH, HOME, XDG_DATA_HOME, VSCODE_EXTENSIONS; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default os.homedir(). */
  home?: string;
  /** Editors' extensions dirs; default defaultEditorExtensionDirs(home, env). */
  editorExtensionDirs?: readonly string[];
  /** Extra extensions dirs searched besides the defaults (e.g. the running editor's own). */
  extraEditorExtensionDirs?: readonly string[];
  /** Where to resolve the SDK's platform package from; default next to the bundle and cwd. */
  sdkRoots?: readonly string[];
  /** `<globalStorage>/claude-code`: Tavern's downloads, one folder per package version. */
  installRoot?: string | undefined;
  /** The download to prefer in installRoot (the bundled SDK's version); else the newest. */
  preferVersion?: string | undefined;
}

export const INSTALL_HINT =
  'Install Claude Code (npm i -g @anthropic-ai/claude-code, or the Claude Code extension), or set tavern.claudePath / start the worker with --claude-path pointing at the claude executable. In VS Code, "Tavern: Install Claude Code" downloads it for this machine.';

/** Where to look for node_modules: next to the bundle, the entry script, and the cwd. */
function defaultSdkRoots(): string[] {
  const roots = [process.cwd()];
  if (process.argv[1]) roots.push(dirname(process.argv[1]));
  if (typeof __dirname === 'string') roots.push(__dirname);
  return roots;
}

function onPath(env: NodeJS.ProcessEnv): string | undefined {
  const binary = claudeBinaryName();
  for (const dir of (env.PATH ?? env.Path ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The native installer's binary and the older "local installation" wrapper. */
function userInstall(home: string): string | undefined {
  return [
    join(home, '.local', 'bin', claudeBinaryName()),
    join(home, '.claude', 'local', claudeBinaryName()),
  ].find(isExecutable);
}

function sdkPackage(roots: readonly string[]): string | undefined {
  for (const root of roots) {
    try {
      const manifest = createRequire(join(root, 'noop.js')).resolve(
        `${sdkPlatformPackage()}/package.json`,
      );
      const candidate = join(dirname(manifest), claudeBinaryName());
      if (isExecutable(candidate)) return candidate;
    } catch {
      // Not installed under this root; try the next.
    }
  }
  return undefined;
}

/** `<installRoot>/<version>/claude`: the preferred version when present, else the newest. */
export function findTavernInstall(
  installRoot: string,
  preferVersion?: string,
): { path: string; version: string } | undefined {
  let versions: string[];
  try {
    versions = readdirSync(installRoot).filter((name) => /^\d+\.\d+\.\d+/.test(name));
  } catch {
    return undefined;
  }
  versions.sort((a, b) =>
    a === preferVersion ? -1 : b === preferVersion ? 1 : compareVersions(b, a),
  );
  for (const version of versions) {
    const path = join(installRoot, version, claudeBinaryName());
    if (isExecutable(path)) return { path, version };
  }
  return undefined;
}

export function findClaude(search: ClaudeSearch = {}): ClaudeLocation | { error: string } {
  const { configured } = search;
  if (configured) {
    if (isExecutable(configured)) return { path: configured, source: 'setting' };
    return {
      error: `The configured Claude Code executable ${configured} ${existsSync(configured) ? 'is not executable' : 'does not exist'}. ${INSTALL_HINT}`,
    };
  }
  const env = search.env ?? process.env;
  const home = search.home ?? homedir();
  const fromPath = onPath(env);
  if (fromPath) return { path: fromPath, source: 'PATH' };
  const own = userInstall(home);
  if (own) return { path: own, source: 'user-install' };
  const editor = findEditorClaude([
    ...(search.extraEditorExtensionDirs ?? []),
    ...(search.editorExtensionDirs ?? defaultEditorExtensionDirs(home, env)),
  ]);
  if (editor) return { ...editor, source: 'editor-extension' };
  const sdk = sdkPackage(search.sdkRoots ?? defaultSdkRoots());
  if (sdk) return { path: sdk, source: 'sdk-package' };
  const downloaded = search.installRoot
    ? findTavernInstall(search.installRoot, search.preferVersion)
    : undefined;
  if (downloaded) return { ...downloaded, source: 'tavern-install' };
  return { error: `No Claude Code executable found on this machine. ${INSTALL_HINT}` };
}
