// Moving the project to a worker and the agent's work back, on the coordinator's side:
// bundle the agent's snapshot minus what the worker's mirror has and send it in chunks;
// receive the agent's bundle in chunks and fetch it in as branch tavern/<name>-<id>.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createBundle, fetchBundle, readBundleHeader } from '../../../runtime/workspace/bundle';
import { ChunkFile, readChunks, type OutChunk } from '../../../runtime/workspace/chunks';
import { WorkspaceError } from '../../../runtime/workspace/errors';
import { checkAgentBranch } from '../../../runtime/workspace/paths';
import type { PushChunk, PushResult } from '../../../runtime/workspace/upload';
import { snapshotRef } from './snapshot';
import type { UserRepo } from './userRepo';

export interface Progress {
  bytes: number;
  total: number;
}

export interface SendParams {
  projectId: string;
  /** Agents whose snapshot refs to send (refs/tavern/snapshots/<agentId>). */
  agentIds: string[];
  /** What the worker has (`workspace/refs`): sent as `--not`. */
  have: readonly string[];
  chunkBytes: number;
  /** Sends one `workspace/push` chunk. */
  push(chunk: PushChunk): Promise<PushResult>;
  onProgress?(progress: Progress): void;
}

export interface SendResult {
  /** Bundle size; 0 when the worker had everything. */
  bytes: number;
  chunks: number;
  commits: string[];
}

/** Bundles the snapshots the worker lacks and pushes them in chunks. */
export async function sendSnapshots(repo: UserRepo, params: SendParams): Promise<SendResult> {
  const dir = await mkdtemp(join(tmpdir(), 'tavern-push-'));
  try {
    const file = join(dir, 'push.bundle');
    const refs = params.agentIds.map(snapshotRef);
    const made = await createBundle(repo.root, file, refs, params.have, repo.env);
    if (!made) return { bytes: 0, chunks: 0, commits: [] };
    const uploadId = randomBytes(9).toString('base64url');
    let sent = 0;
    let chunks = 0;
    let commits: string[] = [];
    for await (const chunk of readChunks(file, params.chunkBytes)) {
      const result = await params.push({
        projectId: params.projectId,
        uploadId,
        index: chunk.index,
        data: chunk.data,
        last: !chunk.more,
      });
      chunks++;
      sent = Math.min(made.bytes, sent + params.chunkBytes);
      params.onProgress?.({ bytes: sent, total: made.bytes });
      if (result.commits) commits = result.commits;
    }
    return { bytes: made.bytes, chunks, commits };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface ReceiveParams {
  /** The agent's branch as the worker named it (tavern/<name>-<id>). */
  branch: string;
  /** Bundle size and chunk count from the worker's offer. */
  bytes: number;
  chunks: number;
  /** Reads chunk `index` of the offer (agent/pull). */
  chunk(index: number): Promise<OutChunk>;
  onProgress?(progress: Progress): void;
}

/** Receives an agent's bundle and fetches it into the user's repository as its branch. */
export async function receiveAgentBranch(
  repo: UserRepo,
  params: ReceiveParams,
): Promise<{ branch: string; head: string }> {
  const branch = checkAgentBranch(params.branch);
  const dir = await mkdtemp(join(tmpdir(), 'tavern-pull-'));
  try {
    const file = new ChunkFile(join(dir, 'pull.bundle'), params.bytes);
    for (let index = 0; index < params.chunks; index++) {
      const chunk = await params.chunk(index);
      await file.append(chunk.index, chunk.data);
      params.onProgress?.({ bytes: file.received, total: params.bytes });
      if (!chunk.more && index !== params.chunks - 1) {
        throw new WorkspaceError(
          'BadChunk',
          `The worker ended the bundle at chunk ${index} of ${params.chunks}.`,
        );
      }
    }
    await file.finish();
    return await fetchAgentBundle(repo, file.path, branch);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Fetches `branch` from a bundle file into the user's repository. Never forced: an agent's
 * branch only grows, so a branch that moved some other way is left alone with an error.
 */
export async function fetchAgentBundle(
  repo: UserRepo,
  file: string,
  branch: string,
): Promise<{ branch: string; head: string }> {
  checkAgentBranch(branch);
  const ref = `refs/heads/${branch}`;
  // The fetch below verifies prerequisites and every object; the header names the ref.
  const { heads } = await readBundleHeader(file);
  const head = heads.find((h) => h.ref === ref);
  if (!head) {
    throw new WorkspaceError(
      'BadBundle',
      `The bundle does not carry ${ref} (it has ${heads.map((h) => h.ref).join(', ') || 'nothing'}).`,
    );
  }
  try {
    await fetchBundle(repo.root, file, [`${ref}:${ref}`], repo.env);
  } catch (error) {
    const said = error instanceof Error ? error.message : String(error);
    if (/checked out/.test(said)) {
      throw new WorkspaceError(
        'Refused',
        `${branch} is checked out; switch to another branch, then get the agent's changes again.`,
      );
    }
    if (/non-fast-forward|rejected/.test(said)) {
      throw new WorkspaceError(
        'Refused',
        `${branch} has commits that are not the agent's, so it was left as it is. Rename your branch (git branch -m) and get the changes again.`,
      );
    }
    if (/prerequisite|lacks/.test(said)) {
      throw new WorkspaceError(
        'BadBundle',
        `Your repository lacks the commit the agent started from (was its snapshot discarded?): ${said}`,
      );
    }
    throw error;
  }
  return { branch, head: head.commit };
}
