// `.worktreeinclude` (gitignore syntax) at the top of the user's folder names ignored files
// such as `.env` that an agent's worktree needs; they are copied (never linked) from the
// folder into a local worktree. Remote workers get them only when the user opted in: the
// caller decides whether to call this at all.
import { existsSync } from 'node:fs';
import { copyFile, lstat, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { git } from './git';
import { confinedPath } from './paths';
import { isWorkspaceError } from './errors';

export const WORKTREE_INCLUDE = '.worktreeinclude';

export interface IncludeResult {
  copied: string[];
  skipped: { path: string; reason: string }[];
}

function nulList(text: string): string[] {
  return text.split('\0').filter(Boolean);
}

/**
 * The files under `root` that match `.worktreeinclude` and that git ignores (files git
 * does not ignore are in the snapshot already). `env` selects a shadow repository.
 */
export async function listWorktreeIncludes(
  root: string,
  env?: Record<string, string>,
): Promise<string[]> {
  const includeFile = join(root, WORKTREE_INCLUDE);
  if (!existsSync(includeFile)) return [];
  const common = { cwd: root, ...(env ? { env } : {}) };
  const matching = nulList(
    (
      await git(['ls-files', '-z', '--others', '--ignored', `--exclude-from=${includeFile}`], {
        ...common,
        doing: `listing the files ${WORKTREE_INCLUDE} names`,
      })
    ).stdout,
  );
  if (matching.length === 0) return [];
  const ignored = await git(['check-ignore', '-z', '--stdin'], {
    ...common,
    input: matching.join('\0') + '\0',
    okCodes: [1],
  });
  // check-ignore reads NUL-separated paths only with -z on both sides.
  return nulList(ignored.stdout).sort();
}

/** Copies the included files from `root` into `worktree`; never overwrites, never follows links out. */
export async function copyWorktreeIncludes(
  root: string,
  worktree: string,
  env?: Record<string, string>,
): Promise<IncludeResult> {
  const result: IncludeResult = { copied: [], skipped: [] };
  for (const path of await listWorktreeIncludes(root, env)) {
    try {
      const source = confinedPath(root, path);
      const stat = await lstat(source);
      if (!stat.isFile()) {
        result.skipped.push({ path, reason: 'not a regular file (symlinks are not copied)' });
        continue;
      }
      const target = confinedPath(worktree, path);
      if (existsSync(target)) {
        result.skipped.push({ path, reason: 'already in the worktree' });
        continue;
      }
      await mkdir(dirname(target), { recursive: true });
      await copyFile(source, target);
      result.copied.push(path);
    } catch (error) {
      if (!isWorkspaceError(error)) throw error;
      result.skipped.push({ path, reason: error.message });
    }
  }
  return result;
}
