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

/** The shadow's own index, used in place: only Tavern's snapshots use it. */
const SHADOW_INDEX = 'tavern-snapshot-index';
/** One snapshot at a time per shadow (its index has one writer). */
const shadowTurns = new Map<string, Promise<unknown>>();

/** The tree of the working tree as the user sees it. */
export async function workingTree(repo: UserRepo): Promise<string> {
  if (repo.shadow) {
    // Kept between snapshots, so git hashes only files whose stat data changed.
    const index = join(repo.gitDir, SHADOW_INDEX);
    const previous = shadowTurns.get(repo.gitDir) ?? Promise.resolve();
    const turn = previous.catch(() => undefined).then(() => addAll(repo, index));
    shadowTurns.set(repo.gitDir, turn);
    return turn;
  }
  const dir = await mkdtemp(join(tmpdir(), 'tavern-index-'));
  const index = join(dir, 'index');
  try {
    // Starting from a copy of the user's index lets git reuse its stat data instead of
    // hashing every file again; the user's own index is only read. (--absolute-git-dir
    // is the per-worktree directory in a linked worktree, where its index lives.)
    const userIndex = join(repo.gitDir, 'index');
    if (existsSync(userIndex)) await copyFile(userIndex, index);
    else if (await headCommit(repo)) {
      await git(['read-tree', 'HEAD'], {
        cwd: repo.root,
        env: { ...repo.env, GIT_INDEX_FILE: index },
      });
    }
    return await addAll(repo, index);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function addAll(repo: UserRepo, index: string): Promise<string> {
  const opts = {
    cwd: repo.root,
    env: { ...repo.env, GIT_INDEX_FILE: index },
    doing: 'reading your working tree for a snapshot',
  };
  await git(['add', '-A'], opts);
  return gitText(['write-tree'], opts);
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
