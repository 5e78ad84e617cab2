// Where a worker keeps workspace state under its state dir: one bare mirror per project,
// one worktree per agent, partial uploads and outgoing bundles.
import { join } from 'node:path';
import { checkId } from './paths';

export interface WorkspaceLayout {
  stateDir: string;
  projectsDir: string;
  worktreesDir: string;
  uploadsDir: string;
  pullsDir: string;
  mirror(projectId: string): string;
  worktree(agentId: string): string;
}

export function workspaceLayout(stateDir: string): WorkspaceLayout {
  const projectsDir = join(stateDir, 'projects');
  const worktreesDir = join(stateDir, 'worktrees');
  return {
    stateDir,
    projectsDir,
    worktreesDir,
    uploadsDir: join(stateDir, 'uploads'),
    pullsDir: join(stateDir, 'pulls'),
    mirror: (projectId) => join(projectsDir, `${checkId('projectId', projectId)}.git`),
    worktree: (agentId) => join(worktreesDir, checkId('agentId', agentId)),
  };
}

/** The ref in a repository that records the commit an agent's worktree started from. */
export function baseRef(agentId: string): string {
  return `refs/tavern/bases/${checkId('agentId', agentId)}`;
}

/** A symbolic ref to the agent's branch, so its work is found after its worktree is gone. */
export function branchRef(agentId: string): string {
  return `refs/tavern/branches/${checkId('agentId', agentId)}`;
}
