// What an agent changed: a per-file diffstat between its start commit and its branch
// (binary files included, marked), and a patch bounded in bytes for Jake to review.
import { gitBounded, git } from './git';

export type FileStatus = 'A' | 'M' | 'D' | 'T';

export interface FileChange {
  path: string;
  /** git's letter: Added, Modified, Deleted, Type changed (e.g. file -> symlink). */
  status: FileStatus;
  additions: number;
  deletions: number;
  /** Binary files have no line counts (additions and deletions are 0). */
  binary: boolean;
}

export interface Changes {
  base: string;
  head: string;
  files: FileChange[];
}

/** The files changed from `base` to `head` in `repo`, renames shown as delete + add. */
export async function changesBetween(repo: string, base: string, head: string): Promise<Changes> {
  const out = (
    await git(['diff', '--no-renames', '--no-ext-diff', '--raw', '--numstat', '-z', base, head], {
      cwd: repo,
      doing: 'listing changed files',
    })
  ).stdout;
  const tokens = out.split('\0');
  const status = new Map<string, FileStatus>();
  const files: FileChange[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.startsWith(':')) {
      // ":100644 100644 <sha> <sha> M" then the path
      const letter = token.slice(-1) as FileStatus;
      const path = tokens[++i] ?? '';
      status.set(path, letter);
    } else if (token.includes('\t')) {
      const [added = '', deleted = '', path = ''] = token.split('\t');
      const binary = added === '-' && deleted === '-';
      files.push({
        path,
        status: status.get(path) ?? 'M',
        additions: binary ? 0 : Number(added),
        deletions: binary ? 0 : Number(deleted),
        binary,
      });
    }
  }
  return { base, head, files };
}

export interface BoundedPatch {
  patch: string;
  /** True when the patch was cut at `maxBytes` (a note at the end says so). */
  cut: boolean;
}

/** `git diff base head [-- paths]`, at most `maxBytes`, cut at a line end with a note. */
export async function boundedPatch(
  repo: string,
  base: string,
  head: string,
  maxBytes: number,
  paths: readonly string[] = [],
): Promise<BoundedPatch> {
  const args = ['diff', '--no-renames', '--no-color', '--no-ext-diff', base, head];
  if (paths.length > 0) args.push('--', ...paths.map((p) => `:(literal)${p}`));
  const { stdout, cut } = await gitBounded(args, {
    cwd: repo,
    maxBytes,
    doing: 'writing the patch',
  });
  if (!cut) return { patch: stdout.toString('utf8'), cut: false };
  const end = stdout.lastIndexOf(0x0a);
  const kept = stdout.subarray(0, end > 0 ? end + 1 : stdout.length).toString('utf8');
  return {
    patch: `${kept}\n[patch cut at ${maxBytes} bytes: ask for fewer files (paths) to see the rest]\n`,
    cut: true,
  };
}
