// Writes chosen paths of a tree into the user's working tree and nothing else: a temporary
// index holds the tree, `checkout-index` writes the listed files, and files the tree does
// not have are deleted. Unlisted files keep their content and mtime; the user's index is
// never used.
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git } from '../../../runtime/workspace/git';
import { confinedPath } from '../../../runtime/workspace/paths';
import type { UserRepo } from './userRepo';

export async function writePaths(
  repo: UserRepo,
  tree: string,
  write: readonly string[],
  remove: readonly string[],
): Promise<void> {
  // Every path is checked before anything is written.
  for (const path of [...write, ...remove]) confinedPath(repo.root, path);
  if (write.length > 0) {
    const dir = await mkdtemp(join(tmpdir(), 'tavern-index-'));
    const env = { ...repo.env, GIT_INDEX_FILE: join(dir, 'index') };
    try {
      await git(['read-tree', tree], { cwd: repo.root, env });
      await git(['checkout-index', '-f', '-z', '--stdin'], {
        cwd: repo.root,
        env,
        input: write.join('\0') + '\0',
        doing: 'writing files into your working tree',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  for (const path of remove) {
    await unlink(confinedPath(repo.root, path)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}

/** `git diff --name-status` between two trees: paths present in `to` and paths gone from it. */
export async function treeDiff(
  repo: UserRepo,
  from: string,
  to: string,
  paths: readonly string[] = [],
): Promise<{ write: string[]; remove: string[]; added: string[] }> {
  const args = ['diff-tree', '-r', '-z', '--no-renames', '--name-status', from, to];
  if (paths.length > 0) args.push('--', ...paths.map((p) => `:(literal)${p}`));
  const tokens = (await git(args, { cwd: repo.root, env: repo.env })).stdout.split('\0');
  const out = { write: [] as string[], remove: [] as string[], added: [] as string[] };
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    const status = tokens[i]!;
    const path = tokens[i + 1]!;
    if (status === 'D') out.remove.push(path);
    else out.write.push(path);
    if (status === 'A') out.added.push(path);
  }
  return out;
}
