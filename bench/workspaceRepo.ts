// The generated repository of bench/workspace.ts (source-like text, packed like a real
// repository) and the small git and timing helpers it shares with the bench.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@localhost',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@localhost',
};

/** Where generated file number `i` lives (50 packages of 20 modules). */
export function filePath(i: number): string {
  return join(`pkg${i % 50}`, `mod${Math.floor(i / 50) % 20}`, `file${i}.ts`);
}

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd, env: ENV, maxBuffer: 1 << 30 });
  return stdout.trim();
}

export async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const value = await fn();
  return [performance.now() - t, value];
}

/** Source-like text: words and numbers from a fixed PRNG (compresses like code, about 4x). */
export function text(seed: number, bytes: number): string {
  const words = [
    'const',
    'return',
    'function',
    'value',
    'export',
    'import',
    'if',
    'else',
    'for',
    'let',
    'await',
    'async',
    'string',
    'number',
    'agent',
    'tavern',
  ];
  let x = seed * 2654435761 + 1;
  let out = '';
  while (out.length < bytes) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const r = x >>> 0;
    out += r % 7 === 0 ? `${r % 100000}\n` : `${words[r % words.length]} `;
  }
  return out.slice(0, bytes);
}

export async function generate(root: string, FILES: number, MB: number): Promise<void> {
  const per = Math.floor((MB * 1024 * 1024) / FILES);
  for (let i = 0; i < FILES; i++) {
    const path = join(root, filePath(i));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text(i + 1, per));
  }
  await git(root, 'init', '-q', '-b', 'main');
  // Packed like a real repository, and no background gc competing with the measures.
  await git(root, 'config', 'gc.auto', '0');
  await git(root, 'add', '-A');
  await git(root, 'commit', '-q', '-m', 'generated');
  await git(root, 'gc', '-q');
}
