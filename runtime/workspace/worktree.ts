// An agent's worktree: made from a repository (the worker's bare mirror, or the user's own
// repository for a worker on the same disk) at a start commit on a branch of its own,
// found again from disk after a restart, and removed only when nothing is uncommitted.
import { existsSync, realpathSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { WorkspaceError, isWorkspaceError } from './errors';
import { git } from './git';
import { baseRef, branchRef } from './layout';
import { agentBranchName, checkAgentBranch, checkId } from './paths';
import { isDirty } from './turnCommit';

/** An agent's branch in a repository, with or without its worktree. */
export interface AgentBranch {
  agentId: string;
  repo: string;
  branch: string;
  base: string;
}

export interface AgentWorktree extends AgentBranch {
  /** Absolute path of the worktree (the agent's cwd). */
  path: string;
}

/**
 * The agent's branch and start commit as recorded in `repo` (refs/tavern/branches/<id>,
 * refs/tavern/bases/<id>); undefined when this repository has no record of the agent.
 */
export async function findAgentBranch(
  repo: string,
  agentId: string,
): Promise<AgentBranch | undefined> {
  const target = await git(['symbolic-ref', '-q', branchRef(agentId)], {
    cwd: repo,
    okCodes: [1, 128],
  });
  const base = await git(['rev-parse', '--verify', '--quiet', baseRef(agentId)], {
    cwd: repo,
    okCodes: [1, 128],
  });
  const ref = target.stdout.trim();
  if (target.code !== 0 || base.code !== 0 || !ref.startsWith('refs/heads/')) return undefined;
  const exists = await git(['show-ref', '--verify', '--quiet', ref], { cwd: repo, okCodes: [1] });
  if (exists.code !== 0) return undefined;
  return { agentId, repo, branch: ref.slice('refs/heads/'.length), base: base.stdout.trim() };
}

export interface CreateWorktreeParams {
  /** Repository to make the worktree from (bare mirror or the user's repository). */
  repo: string;
  agentId: string;
  agentName: string;
  /** Start commit (the snapshot). */
  commit: string;
  /** Where the worktree goes; must not exist yet. */
  path: string;
  /** Wanted branch; a free variant is chosen when it is taken. */
  branch?: string;
}

async function branchExists(repo: string, branch: string): Promise<boolean> {
  const r = await git(['show-ref', '--verify', '--quiet', `refs/heads/${branch}`], {
    cwd: repo,
    okCodes: [1],
  });
  return r.code === 0;
}

async function resolveCommit(repo: string, commit: string): Promise<string> {
  const r = await git(['rev-parse', '--verify', '--quiet', `${commit}^{commit}`], {
    cwd: repo,
    okCodes: [1, 128],
  });
  if (r.code !== 0) {
    throw new WorkspaceError(
      'MissingCommit',
      `Commit ${commit} is not in ${repo}: push the project's snapshot (workspace/push) before spawning on it.`,
      { commit },
    );
  }
  return r.stdout.trim();
}

/** Makes the worktree; returns it with the branch actually used (never an existing one). */
export async function createWorktree(params: CreateWorktreeParams): Promise<AgentWorktree> {
  checkId('agentId', params.agentId);
  if (existsSync(params.path)) {
    const existing = await findWorktree(params.path, params.agentId);
    if (existing) return existing; // a respawn after a restart keeps its worktree
    throw new WorkspaceError(
      'Refused',
      `${params.path} already exists and is not this agent's worktree; move it away and spawn again.`,
    );
  }
  const base = await resolveCommit(params.repo, params.commit);
  const wanted = params.branch ? checkAgentBranch(params.branch) : undefined;
  await mkdir(dirname(params.path), { recursive: true });
  for (let attempt = 1; attempt <= 100; attempt++) {
    const branch = wanted
      ? attempt === 1
        ? wanted
        : `${wanted}-${attempt}`
      : agentBranchName(params.agentName, params.agentId, attempt);
    if (await branchExists(params.repo, branch)) continue;
    try {
      await git(['worktree', 'add', '-q', '-b', branch, params.path, base], {
        cwd: params.repo,
        doing: `making ${params.agentName}'s worktree`,
      });
    } catch (error) {
      // Another spawn took the name between our check and the add: try the next one.
      if (
        isWorkspaceError(error) &&
        /already exists/.test(error.message) &&
        !existsSync(params.path)
      )
        continue;
      throw error;
    }
    await git(['update-ref', baseRef(params.agentId), base], { cwd: params.repo });
    await git(['symbolic-ref', branchRef(params.agentId), `refs/heads/${branch}`], {
      cwd: params.repo,
    });
    return { agentId: params.agentId, path: params.path, branch, base, repo: params.repo };
  }
  throw new WorkspaceError(
    'Refused',
    `No free branch name for ${params.agentName} after 100 tries; delete old tavern/ branches.`,
  );
}

/** Reads an agent's worktree back from disk (after a restart); undefined when there is none. */
export async function findWorktree(
  path: string,
  agentId: string,
): Promise<AgentWorktree | undefined> {
  if (!existsSync(path)) return undefined;
  const top = await git(
    ['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-common-dir'],
    { cwd: path, okCodes: [128] },
  );
  if (top.code !== 0) return undefined;
  const [toplevel = '', repo = ''] = top.stdout.trim().split('\n');
  // A plain directory inside some other repository is not a worktree of ours.
  if (toplevel !== realpathSync(path)) return undefined;
  const recorded = await findAgentBranch(repo, agentId);
  if (!recorded) return undefined;
  return { ...recorded, path };
}

/**
 * Removes a worktree whose work is all committed (never `--force`); the branch and its
 * base ref stay. Throws DirtyWorktree, losing nothing, when something is uncommitted.
 */
export async function removeWorktree(worktree: AgentWorktree): Promise<void> {
  if (await isDirty(worktree.path)) {
    throw new WorkspaceError(
      'DirtyWorktree',
      `${worktree.path} has uncommitted work; nothing was removed. Commit it first ` +
        `(commitTurn, or retire the agent, which commits and then removes).`,
      { path: worktree.path },
    );
  }
  await git(['worktree', 'remove', worktree.path], {
    cwd: worktree.repo,
    doing: `removing the worktree of ${worktree.branch}`,
    hint: 'Its branch is kept; remove the directory by hand once you have checked it.',
  });
}
