// A snapshot of what the user sees (HEAD plus uncommitted changes and untracked files that
// are not ignored) as a commit, made through a temporary index: the user's index, HEAD and
// files are only read. Copy, never move.
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TAVERN_IDENTITY, git, gitText } from '../../../runtime/workspace/git';
import { checkId } from '../../../runtime/workspace/paths';
import { at, headCommit, type UserRepo } from './userRepo';

export function snapshotRef(agentId: string): string {
  return `refs/tavern/snapshots/${checkId('agentId', agentId)}`;
}

/** The tree of the working tree as the user sees it. */
export async function workingTree(repo: UserRepo): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tavern-index-'));
  const index = join(dir, 'index');
  const env = { ...repo.env, GIT_INDEX_FILE: index };
  const opts = { cwd: repo.root, env, doing: 'reading your working tree for a snapshot' };
  try {
    // Starting from a copy of the user's index lets git reuse its stat data instead of
    // hashing every file again; the user's own index is only read.
    const userIndex = await gitText(
      ['rev-parse', '--path-format=absolute', '--git-path', 'index'],
      at(repo),
    );
    if (existsSync(userIndex)) await copyFile(userIndex, index);
    else if (await headCommit(repo)) await git(['read-tree', 'HEAD'], opts);
    await git(['add', '-A'], opts);
    return await gitText(['write-tree'], opts);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A commit of `tree` on top of HEAD (no parent on an unborn HEAD). */
export async function commitTree(
  repo: UserRepo,
  tree: string,
  message: string,
  parents?: string[],
): Promise<string> {
  const head = parents ?? [await headCommit(repo)].filter((p): p is string => !!p);
  return gitText(['commit-tree', tree, ...head.flatMap((p) => ['-p', p]), '-F', '-'], {
    cwd: repo.root,
    env: { ...repo.env, ...TAVERN_IDENTITY },
    input: message,
  });
}

/**
 * Snapshot for an agent's start: a commit kept under refs/tavern/snapshots/<agentId> (so
 * gc keeps it and bundles can name it). Returns the commit.
 */
export async function snapshotForAgent(
  repo: UserRepo,
  agentId: string,
  agentName: string,
): Promise<string> {
  const tree = await workingTree(repo);
  const commit = await commitTree(repo, tree, `tavern: snapshot for ${agentName}`);
  await git(['update-ref', snapshotRef(agentId), commit], at(repo, 'keeping the snapshot'));
  return commit;
}
