// The coordinator's side of agent workspaces: the start snapshot synced to a worker before a
// spawn, the agent's worktree reached for review, and a dismissed remote agent's branch
// brought home while its worker still has it.
import { errorMessage } from '../../../protocol/errors';
import type { SpawnWorkspace } from '../../../protocol/workspaceWire';
import { isWorkspaceError } from '../../../runtime/workspace/errors';
import type { AgentRecord } from '../store/agentRecord';
import type { ProjectWorkspace, SyncProgress } from '../workspace/projectWorkspace';
import type { WorkerClient } from '../workers/workerClient';

/** An agent with a worktree of its own, and a live client of its worker (undefined away). */
export interface AgentWorkspace {
  id: string;
  name: string;
  workspace: NonNullable<AgentRecord['workspace']>;
  client: WorkerClient | undefined;
}

/**
 * The agent's start snapshot, synced to its worker: undefined when there is no git here and
 * the worker shares this disk (then it works in place, as before workspaces).
 */
export async function prepareSpawnWorkspace(
  workspace: ProjectWorkspace,
  record: AgentRecord,
  worker: { id: string; name: string; isLocal: boolean; client: WorkerClient },
  onProgress: (progress: SyncProgress) => void,
  log: (message: string) => void,
): Promise<SpawnWorkspace | undefined> {
  try {
    return await workspace.prepare({ id: record.id, name: record.name }, worker, onProgress);
  } catch (error) {
    if (worker.isLocal && isWorkspaceError(error, 'GitMissing')) {
      log(`no git on this machine: ${record.name} works in the folder itself`);
      return undefined;
    }
    throw error;
  }
}

export function reviewTarget(
  record: AgentRecord,
  client: WorkerClient | undefined,
): AgentWorkspace {
  if (!record.workspace)
    throw new Error(
      `${record.name} has no worktree of its own (its worker gives none, or there is no git here): its changes are in the folder it worked in.`,
    );
  return {
    id: record.id,
    name: record.name,
    workspace: record.workspace,
    client: client?.isConnected() ? client : undefined,
  };
}

/** A remote agent's branch fetched into the user's repository (a failure is logged, not thrown). */
export async function bringBranchHome(
  workspace: ProjectWorkspace,
  client: WorkerClient,
  record: AgentRecord,
  log: (message: string) => void,
): Promise<void> {
  await workspace
    .fetch(client, record.id, false)
    .then(({ branch }) => log(`${record.name}'s work is on branch ${branch}`))
    .catch((error: unknown) =>
      log(`${record.name}'s branch could not be fetched: ${errorMessage(error)}`),
    );
}
