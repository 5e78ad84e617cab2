// Test fixtures for workspace suites: temp directories standing for separate machines,
// a user's repository made with plain git, and file snapshots (content + mtime) to prove
// what was or was not touched.
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

const made: string[] = [];

/** A fresh directory; each one stands for a different machine (no path is shared). */
export function machine(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tavern-ws-${label}-`));
  made.push(dir);
  return dir;
}

export function cleanupMachines(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

const USER_ENV = {
  GIT_AUTHOR_NAME: 'User',
  GIT_AUTHOR_EMAIL: 'user@example.invalid',
  GIT_COMMITTER_NAME: 'User',
  GIT_COMMITTER_EMAIL: 'user@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
};

/** Plain git as the user runs it. */
export function ugit(cwd: string, ...args: string[]): string {
  const env: NodeJS.ProcessEnv = { ...process.env, ...USER_ENV };
  delete env.GIT_DIR;
  delete env.GIT_INDEX_FILE;
  delete env.GIT_WORK_TREE;
  return execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();
}

export function write(root: string, path: string, content: string | Buffer): void {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

export function read(root: string, path: string): string {
  return readFileSync(join(root, path), 'utf8');
}

/** A user's repository with a few committed files, on its own "machine". */
export function userRepo(files: Record<string, string> = {}): string {
  const root = join(machine('user'), 'project');
  mkdirSync(root);
  ugit(root, 'init', '-q', '-b', 'main');
  const all = {
    'README.md': '# project\n',
    'src/app.ts': 'export const a = 1;\nexport const b = 2;\nexport const c = 3;\n',
    'src/util.ts': 'export function util() {\n  return 42;\n}\n',
    '.gitignore': 'node_modules/\n.env\n',
    ...files,
  };
  for (const [path, content] of Object.entries(all)) write(root, path, content);
  ugit(root, 'add', '-A');
  ugit(root, 'commit', '-q', '-m', 'initial');
  return root;
}

/** Every file under `root` (not .git) with its content and mtime. */
export function fileState(root: string): Record<string, { content: string; mtimeMs: number }> {
  const out: Record<string, { content: string; mtimeMs: number }> = {};
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else
        out[relative(root, path)] = {
          content: readFileSync(path, 'base64'),
          mtimeMs: statSync(path).mtimeMs,
        };
    }
  };
  walk(root);
  return out;
}

/** The user's index, HEAD and refs as bytes/text, to prove they were not touched. */
export function gitState(root: string): {
  index: string;
  head: string;
  status: string;
  indexMtime: number;
} {
  const indexPath = join(root, '.git', 'index');
  return {
    index: readFileSync(indexPath, 'base64'),
    indexMtime: statSync(indexPath).mtimeMs,
    head: ugit(root, 'rev-parse', 'HEAD') + ' ' + ugit(root, 'symbolic-ref', 'HEAD'),
    status: ugit(root, '--no-optional-locks', 'status', '--porcelain'),
  };
}
