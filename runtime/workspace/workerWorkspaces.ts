// The worker's workspace service, one per state dir: what the protocol handlers call for
// workspace/refs, workspace/push, agent/spawn (workspace), agent/changes, agent/pull, the
// end-of-turn commit, dismissal and the start-up sweep. Everything is read back from disk,
// so a restarted worker serves the agents of the one before it.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { changesBetween, boundedPatch, type BoundedPatch, type Changes } from './changes';
import { chunkBytesFor, type OutChunk } from './chunks';
import { WorkspaceError } from './errors';
import { workspaceLayout, type WorkspaceLayout } from './layout';
import { ensureMirror, refsOf, requireMirror } from './mirror';
import { checkRelativePath } from './paths';
import { BundleOutbox, type PullOffer } from './pull';
import { sweepWorkspaces, type SweepParams, type SweepReport } from './sweep';
import { commitTurn, type TurnCommit } from './turnCommit';
import { BundleUploads, type PushChunk, type PushResult } from './upload';
import {
  createWorktree,
  findAgentBranch,
  findWorktree,
  removeWorktree,
  type AgentBranch,
  type AgentWorktree,
} from './worktree';

export interface WorkerWorkspacesOptions {
  stateDir: string;
  /** The connection's frame cap in bytes; chunks are sized to fit (default 16 MiB). */
  frameCapBytes?: number;
  /** Largest bundle a push may send (default 4 GiB). */
  maxUploadBytes?: number;
}

export interface SpawnWorkspace {
  projectId: string;
  commit: string;
  branch?: string;
}

export class WorkerWorkspaces {
  readonly layout: WorkspaceLayout;
  readonly chunkBytes: number;
  private readonly uploads: BundleUploads;
  private readonly outbox: BundleOutbox;

  constructor(options: WorkerWorkspacesOptions) {
    this.layout = workspaceLayout(options.stateDir);
    this.chunkBytes = chunkBytesFor(options.frameCapBytes ?? 16 * 1024 * 1024);
    this.uploads = new BundleUploads({
      uploadsDir: this.layout.uploadsDir,
      maxBytes: options.maxUploadBytes ?? 4 * 1024 ** 3,
      mirrorOf: (projectId) => requireMirror(this.layout.mirror(projectId), projectId),
    });
    this.outbox = new BundleOutbox(this.layout.pullsDir, this.chunkBytes);
  }

  /** `workspace/refs`: opens the project's mirror (creating it) and lists its commits. */
  async refs(params: { projectId: string }): Promise<{ commits: string[] }> {
    const mirror = await ensureMirror(this.layout.mirror(params.projectId));
    return { commits: await refsOf(mirror) };
  }

  /** `workspace/push`: one chunk; the last verifies and fetches the bundle. */
  push(params: PushChunk): Promise<PushResult> {
    return this.uploads.receive(params);
  }

  /** `agent/spawn` with a workspace: the agent's worktree (made, or found after a restart). */
  async createWorktree(params: {
    agentId: string;
    agentName: string;
    workspace: SpawnWorkspace;
  }): Promise<AgentWorktree> {
    const { projectId, commit, branch } = params.workspace;
    const mirror = requireMirror(this.layout.mirror(projectId), projectId);
    return createWorktree({
      repo: mirror,
      agentId: params.agentId,
      agentName: params.agentName,
      commit,
      path: this.layout.worktree(params.agentId),
      ...(branch ? { branch } : {}),
    });
  }

  /** The agent's worktree, or NoWorkspace. */
  async worktree(agentId: string): Promise<AgentWorktree> {
    const found = await findWorktree(this.layout.worktree(agentId), agentId);
    if (!found) {
      throw new WorkspaceError(
        'NoWorkspace',
        `Agent ${agentId} has no workspace on this worker (spawned without one, or removed).`,
        { agentId },
      );
    }
    return found;
  }

  /**
   * The agent's branch and base, from its worktree or, once that is removed, from the
   * records in the mirrors; NoWorkspace when no mirror knows the agent.
   */
  async branch(agentId: string): Promise<AgentBranch & { head: string }> {
    const live = await findWorktree(this.layout.worktree(agentId), agentId);
    if (live) return live;
    const dir = this.layout.projectsDir;
    const mirrors = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.git')) : [];
    for (const name of mirrors) {
      const found = await findAgentBranch(join(dir, name), agentId);
      if (found) return found;
    }
    throw new WorkspaceError(
      'NoWorkspace',
      `Agent ${agentId} has no workspace on this worker (spawned without one, or its branch was deleted).`,
      { agentId },
    );
  }

  /** End of a turn: one commit of everything in the worktree, or null when nothing changed. */
  async commitTurn(agentId: string, agentName: string, turn: number): Promise<TurnCommit> {
    return commitTurn((await this.worktree(agentId)).path, agentName, turn);
  }

  /** `agent/changes`: committed work from the start commit to the branch head. */
  async changes(agentId: string): Promise<Changes> {
    const b = await this.branch(agentId);
    return changesBetween(b.repo, b.base, b.head);
  }

  /** A patch of the committed work, at most `maxBytes`, optionally for some paths only. */
  async patch(agentId: string, maxBytes: number, paths?: readonly string[]): Promise<BoundedPatch> {
    paths?.forEach(checkRelativePath); // PathEscape for '..', absolute paths, .git
    const b = await this.branch(agentId);
    return boundedPatch(b.repo, b.base, b.head, maxBytes, paths);
  }

  /** `agent/pull`: bundles base..head minus `have`; read it with `pullChunk`. */
  async pull(agentId: string, have: readonly string[] = []): Promise<PullOffer> {
    return this.outbox.offer(await this.branch(agentId), have);
  }

  /**
   * Makes the agent's pull bundle ahead of time; call it after `commitTurn` for a remote
   * coordinator, outside the turn's critical path, so `agent/pull` only streams.
   */
  async prepareBundle(agentId: string): Promise<void> {
    await this.outbox.prepare(await this.branch(agentId));
  }

  pullChunk(pullId: string, index: number): Promise<OutChunk> {
    return this.outbox.chunk(pullId, index);
  }

  /** Dismissal: commits what is left, then removes the worktree (the branch stays). */
  async retire(agentId: string, agentName: string): Promise<TurnCommit> {
    const wt = await this.worktree(agentId);
    const committed = await commitTurn(wt.path, agentName, 'final');
    await removeWorktree(wt);
    return committed;
  }

  /** Start-up cleanup from the records (see sweep.ts). */
  sweep(params: SweepParams): Promise<SweepReport> {
    return sweepWorkspaces(this.layout, params);
  }

  hasProject(projectId: string): boolean {
    return existsSync(this.layout.mirror(projectId));
  }

  async dispose(): Promise<void> {
    await Promise.all([this.uploads.dispose(), this.outbox.dispose()]);
  }
}
