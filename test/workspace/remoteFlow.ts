// The coordinator <-> worker steps of the workspace contract, called directly (the wire
// adds framing only): send an agent's snapshot to a worker, spawn its worktree there, and
// bring its branch back into the user's repository.
import {
  sendSnapshots,
  receiveAgentBranch,
  type SendResult,
} from '../../extension/core/workspace/sync';
import { snapshotForAgent } from '../../extension/core/workspace/snapshot';
import type { UserRepo } from '../../extension/core/workspace/userRepo';
import type { WorkerWorkspaces } from '../../runtime/workspace/workerWorkspaces';
import type { AgentWorktree } from '../../runtime/workspace/worktree';

export async function sendAgent(
  repo: UserRepo,
  worker: WorkerWorkspaces,
  projectId: string,
  agentId: string,
): Promise<SendResult> {
  const { commits: have } = await worker.refs({ projectId });
  return sendSnapshots(repo, {
    projectId,
    agentIds: [agentId],
    have,
    chunkBytes: worker.chunkBytes,
    push: (chunk) => worker.push(chunk),
  });
}

export async function startAgent(
  repo: UserRepo,
  worker: WorkerWorkspaces,
  projectId: string,
  agentId: string,
  agentName: string,
): Promise<{ worktree: AgentWorktree; start: string; sent: SendResult }> {
  const start = await snapshotForAgent(repo, agentId, agentName);
  const sent = await sendAgent(repo, worker, projectId, agentId);
  const worktree = await worker.createWorktree({
    agentId,
    agentName,
    workspace: { projectId, commit: start },
  });
  return { worktree, start, sent };
}

export async function pullAgent(
  repo: UserRepo,
  worker: WorkerWorkspaces,
  agentId: string,
  have: string[] = [],
): Promise<{ branch: string; head: string; bytes: number }> {
  const offer = await worker.pull(agentId, have);
  if (!offer.pullId) return { branch: offer.branch, head: offer.head, bytes: 0 };
  const pullId = offer.pullId;
  const got = await receiveAgentBranch(repo, {
    branch: offer.branch,
    bytes: offer.bytes,
    chunks: offer.chunks,
    chunk: (index) => worker.pullChunk(pullId, index),
  });
  return { ...got, bytes: offer.bytes };
}
