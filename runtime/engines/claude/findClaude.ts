// Finds the Claude Code executable the Agent SDK drives. The ~380 MB native binary is never
// bundled: it comes from --claude-path / TAVERN_CLAUDE_PATH, `claude` on PATH, or the SDK's
// per-platform package when the worker was installed with npm.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';

export interface ClaudeLocation {
  path: string;
  source: 'setting' | 'PATH' | 'sdk-package';
}

export const INSTALL_HINT =
  'Install Claude Code (npm i -g @anthropic-ai/claude-code), or set tavern.claudePath / start the worker with --claude-path pointing at the claude executable.';

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function platformPackage(): string {
  const libc = process.platform === 'linux' && isMusl() ? '-musl' : '';
  return `@anthropic-ai/claude-agent-sdk-${process.platform}-${process.arch}${libc}`;
}

function isMusl(): boolean {
  const report = process.report?.getReport() as
    { header?: { glibcVersionRuntime?: string } } | undefined;
  return !report?.header?.glibcVersionRuntime;
}

/** Where to look for node_modules: next to the bundle, the entry script, and the cwd. */
function searchRoots(): string[] {
  const roots = [process.cwd()];
  if (process.argv[1]) roots.push(dirname(process.argv[1]));
  if (typeof __dirname === 'string') roots.push(__dirname);
  return roots;
}

export function findClaude(configured: string | undefined): ClaudeLocation | { error: string } {
  if (configured) {
    if (isExecutable(configured)) return { path: configured, source: 'setting' };
    return {
      error: `The configured Claude Code executable ${configured} ${existsSync(configured) ? 'is not executable' : 'does not exist'}. ${INSTALL_HINT}`,
    };
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, process.platform === 'win32' ? 'claude.exe' : 'claude');
    if (isExecutable(candidate)) return { path: candidate, source: 'PATH' };
  }
  const binary = process.platform === 'win32' ? 'claude.exe' : 'claude';
  for (const root of searchRoots()) {
    try {
      const manifest = createRequire(join(root, 'noop.js')).resolve(
        `${platformPackage()}/package.json`,
      );
      const candidate = join(dirname(manifest), binary);
      if (isExecutable(candidate)) return { path: candidate, source: 'sdk-package' };
    } catch {
      // Not installed under this root; try the next.
    }
  }
  return { error: `No Claude Code executable found on this worker. ${INSTALL_HINT}` };
}
