// One project's agent workspaces, seen from its coordinator: the snapshot each new agent
// starts from, the sync of it to the agent's worker (only what that worker's mirror lacks),
// the agent's changes and branch back into the user's repository, and review actions on them
// (apply with a backup, undo, check out, discard). A worker on this disk (the local worker)
// makes the worktree straight from the user's repository: nothing moves.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import {
  AgentChanges,
  AgentPull,
  WorkspacePush,
  WorkspaceRefs,
  type SpawnWorkspace,
} from '../../../protocol/workspaceWire';
import type { ResultOf } from '../../../protocol/wire';
import { chunkBytesFor } from '../../../runtime/workspace';
import type { WorkerClient } from '../workers/workerClient';
import {
  applyAgentChanges,
  checkoutAgentBranch,
  discardAgentBranch,
  findInterruptedApply,
  openUserRepo,
  receiveAgentBranch,
  riskyChanges,
  sendSnapshots,
  snapshotForAgent,
  undoApply,
  type ApplyResult,
  type Progress,
  type UndoResult,
  type UserRepo,
} from './index';

export type Changes = ResultOf<typeof AgentChanges>;

/** Chunks a worker accepts (its default frame cap is 16 MiB; base64 and the envelope fit). */
const CHUNK_BYTES = chunkBytesFor(8 * 1024 * 1024);

export interface SyncProgress extends Progress {
  agentName: string;
  workerName: string;
}

export class ProjectWorkspace {
  private repoValue: Promise<UserRepo> | undefined;
  /** Commits each worker's mirror has, learned from its refs and pushes. */
  private readonly have = new Map<string, Set<string>>();
  readonly projectId: string;

  constructor(
    readonly folder: string,
    tavernDir: string,
    private readonly log: (message: string) => void,
  ) {
    this.projectId = projectIdOf(tavernDir);
  }

  repo(): Promise<UserRepo> {
    this.repoValue ??= openUserRepo(this.folder);
    return this.repoValue;
  }

  /**
   * The `workspace` of an agent's spawn: its start snapshot, synced to the worker when the
   * worker is elsewhere. Undefined for a worker that gives agents no worktrees (older ones).
   */
  async prepare(
    agent: { id: string; name: string },
    worker: { id: string; name: string; isLocal: boolean; client: WorkerClient },
    onProgress?: (progress: SyncProgress) => void,
  ): Promise<SpawnWorkspace | undefined> {
    if (worker.client.hello?.workspaces !== true) return undefined;
    const repo = await this.repo();
    const commit = await snapshotForAgent(repo, agent.id, agent.name);
    const inside = relative(repo.root, this.folder);
    const subdir = inside && !inside.startsWith('..') ? { subdir: inside } : {};
    if (worker.isLocal)
      return {
        projectId: this.projectId,
        commit,
        repoPath: repo.gitDir,
        ...subdir,
        ...(repo.shadow ? {} : { includeFrom: repo.root }),
      };
    const client = worker.client;
    let have = this.have.get(worker.id);
    if (!have) {
      const refs = await client.request(WorkspaceRefs, { projectId: this.projectId });
      have = new Set(refs.commits);
      this.have.set(worker.id, have);
    }
    const started = Date.now();
    const sent = await sendSnapshots(repo, {
      projectId: this.projectId,
      agentIds: [agent.id],
      have: [...have],
      chunkBytes: CHUNK_BYTES,
      push: (chunk) => client.request(WorkspacePush, chunk),
      onProgress: (p) => onProgress?.({ ...p, agentName: agent.name, workerName: worker.name }),
    });
    for (const c of sent.commits) have.add(c);
    have.add(commit);
    this.log(
      `synced ${agent.name}'s snapshot to ${worker.name}: ${sent.bytes} bytes in ${sent.chunks} chunk(s), ${Date.now() - started} ms`,
    );
    return { projectId: this.projectId, commit, ...subdir };
  }

  /** The agent's committed changes (and a patch of at most `patchBytes`). */
  changes(client: WorkerClient, agentId: string, patchBytes?: number): Promise<Changes> {
    return client.request(AgentChanges, {
      agentId,
      ...(patchBytes !== undefined ? { patchBytes } : {}),
    });
  }

  /**
   * The agent's branch in the user's repository, up to date: a worker on this disk made it
   * there already; from a remote worker it is pulled (only what the repository lacks).
   */
  async fetch(
    client: WorkerClient,
    agentId: string,
    sameDisk: boolean,
    onProgress?: (progress: Progress) => void,
  ): Promise<{ branch: string; head: string; base: string }> {
    const repo = await this.repo();
    if (sameDisk) {
      const c = await this.changes(client, agentId);
      return { branch: c.branch, head: c.head, base: c.base };
    }
    const first = await client.request(AgentPull, { agentId });
    if (!first.pullId) return { branch: first.branch, head: first.head, base: first.base };
    const pullId = first.pullId;
    const got = await receiveAgentBranch(repo, {
      branch: first.branch,
      bytes: first.bytes,
      chunks: first.chunks,
      chunk: async (index) =>
        index === 0
          ? { index: first.index, data: first.data, more: first.more }
          : client.request(AgentPull, { agentId, pullId, index }),
      ...(onProgress ? { onProgress } : {}),
    });
    return { ...got, base: first.base };
  }

  async apply(branch: string, start: string, paths?: string[]): Promise<ApplyResult> {
    return applyAgentChanges(await this.repo(), { branch, start, ...(paths ? { paths } : {}) });
  }

  async undo(backupRef: string): Promise<UndoResult> {
    return undoApply(await this.repo(), backupRef);
  }

  async checkout(branch: string): Promise<void> {
    await checkoutAgentBranch(await this.repo(), branch);
  }

  async discard(branch: string, agentId: string): Promise<void> {
    await discardAgentBranch(await this.repo(), { branch, agentId });
  }

  /** Changed files that run code (tasks, launch configs, CI, scripts, hooks): flagged in review. */
  async risky(base: string, head: string, paths: readonly string[]) {
    const repo = await this.repo();
    return riskyChanges(repo.root, base, head, paths, repo.env);
  }

  /** An apply a crash cut short: its backup ref and how to restore, for a message at start. */
  async interrupted(): Promise<string | undefined> {
    const marker = await findInterruptedApply(await this.repo());
    return marker
      ? `An apply of ${marker.branch || "an agent's branch"} was interrupted (VS Code or the machine stopped). Your files from before it are in ${marker.backupRef}: run "Tavern: Undo Apply" to restore them.`
      : undefined;
  }
}

const ProjectFileSchema = z.object({ projectId: z.string().regex(/^[\w-]{8,64}$/) });

/** The folder's stable project id, kept in .tavern/project.json (made once). */
export function projectIdOf(tavernDir: string): string {
  const file = join(tavernDir, 'project.json');
  try {
    const parsed = ProjectFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.success) return parsed.data.projectId;
  } catch {
    // Not there yet (or unreadable): a new id below.
  }
  const projectId = randomBytes(12).toString('base64url');
  try {
    writeFileSync(file, JSON.stringify({ projectId }, null, 2) + '\n');
  } catch {
    // A read-only window: the id holds for this session only.
  }
  return projectId;
}
