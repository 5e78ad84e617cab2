// Start-up cleanup from the records: worktrees whose agent is gone are removed when fully
// committed (kept and reported otherwise), git's records of vanished worktrees are pruned,
// mirrors of projects nobody uses are removed when nothing of value is left in them, and
// partial uploads and unread pull bundles go.
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isWorkspaceError } from './errors';
import { git, gitText } from './git';
import type { WorkspaceLayout } from './layout';
import { findWorktree, removeWorktree } from './worktree';

export interface SweepParams {
  /** Agents the records say are alive: their worktrees are never touched. */
  liveAgents: ReadonlySet<string>;
  /** Projects the records still use: their mirrors are kept. */
  liveProjects: ReadonlySet<string>;
}

export interface SweepReport {
  removedWorktrees: string[];
  keptWorktrees: { agentId: string; reason: string }[];
  removedMirrors: string[];
  keptMirrors: { projectId: string; reason: string }[];
}

async function entries(dir: string): Promise<string[]> {
  return existsSync(dir) ? readdir(dir) : [];
}

export async function sweepWorkspaces(
  layout: WorkspaceLayout,
  params: SweepParams,
): Promise<SweepReport> {
  const report: SweepReport = {
    removedWorktrees: [],
    keptWorktrees: [],
    removedMirrors: [],
    keptMirrors: [],
  };
  await rm(layout.uploadsDir, { recursive: true, force: true });
  await rm(layout.pullsDir, { recursive: true, force: true });
  const mirrors = (await entries(layout.projectsDir)).filter((n) => n.endsWith('.git'));
  for (const name of mirrors) {
    await git(['worktree', 'prune'], { cwd: join(layout.projectsDir, name) });
  }
  for (const agentId of await entries(layout.worktreesDir)) {
    if (params.liveAgents.has(agentId)) continue;
    const path = join(layout.worktreesDir, agentId);
    const worktree = await findWorktree(path, agentId).catch(() => undefined);
    if (!worktree) {
      report.keptWorktrees.push({
        agentId,
        reason: `${path} is not a Tavern worktree any more; check it and remove it by hand`,
      });
      continue;
    }
    try {
      await removeWorktree(worktree);
      report.removedWorktrees.push(agentId);
    } catch (error) {
      if (!isWorkspaceError(error)) throw error;
      report.keptWorktrees.push({ agentId, reason: error.message });
    }
  }
  for (const name of mirrors) {
    const projectId = name.slice(0, -'.git'.length);
    if (params.liveProjects.has(projectId)) continue;
    const mirror = join(layout.projectsDir, name);
    const listed = await gitText(['worktree', 'list', '--porcelain'], { cwd: mirror });
    const worktrees = listed.split('\n').filter((l) => l.startsWith('worktree ')).length - 1;
    const branches = (
      await gitText(['for-each-ref', '--format=%(refname)', 'refs/heads/tavern/'], { cwd: mirror })
    )
      .split('\n')
      .filter(Boolean);
    if (worktrees > 0) {
      report.keptMirrors.push({ projectId, reason: `${worktrees} worktree(s) still use it` });
    } else if (branches.length > 0) {
      report.keptMirrors.push({
        projectId,
        reason: `it holds ${branches.length} agent branch(es) that may not have been pulled`,
      });
    } else {
      await rm(mirror, { recursive: true, force: true });
      report.removedMirrors.push(projectId);
    }
  }
  return report;
}
