// An agent's worktree: made from a repository (the worker's bare mirror, or the user's own
// repository for a worker on the same disk) at a start commit on a branch of its own,
// found again from disk after a restart, and removed only when nothing is uncommitted.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { WorkspaceError } from './errors';
import { git, gitText } from './git';
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
 * The agent's branch, start commit and branch head as recorded in `repo`
 * (refs/tavern/branches/<id> -> refs/heads/tavern/..., refs/tavern/bases/<id>), in one git
 * call; undefined when this repository has no record of the agent.
 */
export async function findAgentBranch(
  repo: string,
  agentId: string,
): Promise<(AgentBranch & { head: string }) | undefined> {
  const out = await gitText(
    [
      'for-each-ref',
      '--format=%(refname)%00%(objectname)%00%(symref)',
      baseRef(agentId),
      branchRef(agentId),
    ],
    { cwd: repo, doing: `looking up agent ${agentId}` },
  );
  let base = '';
  let head = '';
  let target = '';
  for (const line of out.split('\n')) {
    const [name, sha = '', symref = ''] = line.split('\0');
    if (name === baseRef(agentId)) base = sha;
    if (name === branchRef(agentId)) [head, target] = [sha, symref];
  }
  // A symref whose branch was deleted does not resolve, and for-each-ref leaves it out.
  if (!base || !head || !target.startsWith('refs/heads/')) return undefined;
  return { agentId, repo, branch: target.slice('refs/heads/'.length), base, head };
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

const FULL_SHA = /^[0-9a-f]{40}$/;

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
  const base = FULL_SHA.test(params.commit)
    ? params.commit
    : await resolveCommit(params.repo, params.commit);
  const wanted = params.branch ? checkAgentBranch(params.branch) : undefined;
  // The base ref first: it also proves the commit is here (update-ref refuses a missing one).
  const recorded = await git(['update-ref', baseRef(params.agentId), base], {
    cwd: params.repo,
    okCodes: [128],
  });
  if (recorded.code !== 0) await resolveCommit(params.repo, base); // throws MissingCommit
  await mkdir(dirname(params.path), { recursive: true });
  for (let attempt = 1; attempt <= 100; attempt++) {
    const branch = wanted
      ? attempt === 1
        ? wanted
        : `${wanted}-${attempt}`
      : agentBranchName(params.agentName, params.agentId, attempt);
    // No separate existence check: `worktree add -b` refuses a taken name before it
    // writes anything, so a name taken by anyone, even a moment ago, moves us on.
    const added = await git(['worktree', 'add', '-q', '-b', branch, params.path, base], {
      cwd: params.repo,
      okCodes: [128, 255],
      doing: `making ${params.agentName}'s worktree`,
    });
    if (added.code !== 0) {
      if (/already exists/.test(added.stderr) && !existsSync(params.path)) continue;
      if (/invalid reference|not a commit/.test(added.stderr))
        await resolveCommit(params.repo, base);
      throw new WorkspaceError(
        'GitFailed',
        `Making ${params.agentName}'s worktree failed: ${added.stderr.trim()}`,
      );
    }
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
): Promise<(AgentWorktree & { head: string }) | undefined> {
  // A worktree's .git is a file "gitdir: <repo>/worktrees/<name>"; read it rather than
  // asking git, which keeps pull and changes to one git call before the real work.
  let pointer: string;
  try {
    pointer = await readFile(join(path, '.git'), 'utf8');
  } catch {
    return undefined;
  }
  const gitdir = /^gitdir: (.+)$/m.exec(pointer)?.[1]?.trim();
  if (!gitdir || basename(dirname(gitdir)) !== 'worktrees') return undefined;
  const repo = dirname(dirname(gitdir));
  if (!existsSync(repo)) return undefined;
  // The worktree's own HEAD names its branch, even if Tavern stopped before recording it.
  const headFile = await readFile(join(gitdir, 'HEAD'), 'utf8').catch(() => '');
  const ref = /^ref: (refs\/heads\/\S+)$/m.exec(headFile)?.[1];
  if (!ref) return undefined;
  const out = await gitText(
    ['for-each-ref', '--format=%(refname)%00%(objectname)', baseRef(agentId), ref],
    { cwd: repo, doing: `looking up agent ${agentId}` },
  );
  const shas = new Map(out.split('\n').map((line) => line.split('\0') as [string, string]));
  const base = shas.get(baseRef(agentId));
  const head = shas.get(ref);
  if (!base || !head) return undefined;
  return { agentId, repo, branch: ref.slice('refs/heads/'.length), base, head, path };
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
