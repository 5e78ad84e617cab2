// Agent workspaces on a worker: the project's mirror fed by `workspace/push`, a worktree and
// branch per agent (made from the mirror, or straight from the user's repository when the
// worker shares its disk), one commit at the end of every turn, the agent's changes and a
// bundle of them for `agent/changes` and `agent/pull`, and retirement without --force. The
// protocol handlers call this; runtime/workspace does the git work.
import { ErrorCode } from '../protocol/errors';
import type { ParamsOf, ResultOf } from '../protocol/wire';
import type {
  AgentChanges,
  AgentPull,
  SpawnWorkspace,
  WorkspacePush,
  WorkspaceRefs,
} from '../protocol/workspaceWire';
import type { AgentWorkspace } from '../runtime/agent';
import type { Logger } from '../runtime/log';
import {
  commitTurn,
  confinedPath,
  copyWorktreeIncludes,
  createWorktree,
  freePortSlot,
  portEnv,
  portRange,
  WorkerWorkspaces,
} from '../runtime/workspace';
import { isWorkspaceError, type WorkspaceErrorKind } from '../runtime/workspace/errors';
import { WorkerError } from './workerApi';

/** How a workspace failure reads on the wire: a clear code, the kind in `data`. */
const INVALID: ReadonlySet<WorkspaceErrorKind> = new Set(['BadName', 'PathEscape', 'BadChunk']);

export function workspaceFailure(error: unknown): never {
  if (isWorkspaceError(error)) {
    throw new WorkerError(
      INVALID.has(error.kind) ? ErrorCode.InvalidParams : ErrorCode.Workspace,
      error.message,
      { kind: error.kind, ...error.detail },
    );
  }
  throw error;
}

/** Runs `work`, turning a WorkspaceError into the wire's error. */
async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    workspaceFailure(error);
  }
}

export interface PreparedWorkspace {
  workspace: AgentWorkspace;
  /** The agent's cwd: the worktree, or the project folder inside it. */
  cwd: string;
  env: Record<string, string>;
}

export class AgentWorkspaces {
  private readonly service: WorkerWorkspaces;
  private readonly slots = new Map<string, number>();
  /**
   * Fetches into a mirror and worktree changes run one at a time: a fetch checks every
   * worktree's HEAD, and one made (or a fetch finishing) meanwhile made it see a HEAD whose
   * objects it did not know yet ("bad object worktrees/<agent>/HEAD", seen with 21 spawns).
   */
  private queue: Promise<unknown> = Promise.resolve();

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  constructor(
    stateDir: string,
    frameCapBytes: number,
    private readonly log: Logger,
  ) {
    this.service = new WorkerWorkspaces({ stateDir, frameCapBytes });
  }

  refs(params: ParamsOf<typeof WorkspaceRefs>): Promise<ResultOf<typeof WorkspaceRefs>> {
    return mapped(() => this.service.refs(params));
  }

  push(params: ParamsOf<typeof WorkspacePush>): Promise<ResultOf<typeof WorkspacePush>> {
    // Middle chunks only append to a file; the last one fetches into the mirror.
    return mapped(() =>
      params.last ? this.serial(() => this.service.push(params)) : this.service.push(params),
    );
  }

  /** An agent restored after a restart keeps its port block. */
  adopt(agentId: string, workspace: AgentWorkspace | undefined): void {
    if (workspace?.portSlot !== undefined) this.slots.set(agentId, workspace.portSlot);
  }

  /** The worktree (and port block) a new agent works in. */
  async prepare(agentId: string, name: string, spec: SpawnWorkspace): Promise<PreparedWorkspace> {
    return mapped(() => this.serial(() => this.make(agentId, name, spec)));
  }

  private async make(
    agentId: string,
    name: string,
    spec: SpawnWorkspace,
  ): Promise<PreparedWorkspace> {
    const path = this.service.layout.worktree(agentId);
    const made = spec.repoPath
      ? await createWorktree({
          repo: spec.repoPath,
          agentId,
          agentName: name,
          commit: spec.commit,
          path,
          ...(spec.branch ? { branch: spec.branch } : {}),
        })
      : await this.service.createWorktree({ agentId, agentName: name, workspace: spec });
    const cwd = spec.subdir ? confinedPath(made.path, spec.subdir) : made.path;
    // Ignored files the project names in .worktreeinclude (.env...): only from a folder on
    // this disk, which only the coordinator of a worker on the same disk names.
    if (spec.includeFrom) {
      const copied = await copyWorktreeIncludes(spec.includeFrom, made.path);
      if (copied.copied.length > 0)
        this.log.info(`agent ${name}: copied ${copied.copied.join(', ')} into its worktree`);
    }
    const slot = freePortSlot(this.slots.values());
    this.slots.set(agentId, slot);
    return {
      workspace: {
        projectId: spec.projectId,
        branch: made.branch,
        base: made.base,
        path: made.path,
        sameDisk: spec.repoPath !== undefined,
        portSlot: slot,
      },
      cwd,
      env: portEnv(portRange(slot)),
    };
  }

  /** End of a turn: one commit of what the agent changed; a bundle made ahead for a pull. */
  async afterTurn(agentId: string, name: string, turn: number, ws: AgentWorkspace): Promise<void> {
    const made = await this.serial(() => commitTurn(ws.path, name, turn));
    if (made.commit && !ws.sameDisk) await this.service.prepareBundle(agentId);
  }

  /** `agent/changes`: the agent's committed work (live or dismissed: its branch stays). */
  async changes(params: ParamsOf<typeof AgentChanges>): Promise<ResultOf<typeof AgentChanges>> {
    return mapped(async () => {
      const branch = await this.service.branch(params.agentId);
      const changes = await this.service.changes(params.agentId);
      const patch =
        params.patchBytes !== undefined
          ? await this.service.patch(params.agentId, params.patchBytes, params.paths)
          : undefined;
      return {
        branch: branch.branch,
        base: changes.base,
        head: changes.head,
        files: changes.files,
        ...(patch ? { patch: { text: patch.patch, cut: patch.cut } } : {}),
      };
    });
  }

  /** `agent/pull`: the first call makes the offer and answers its first chunk. */
  async pull(params: ParamsOf<typeof AgentPull>): Promise<ResultOf<typeof AgentPull>> {
    return mapped(async () => {
      if (params.pullId !== undefined) {
        const b = await this.service.branch(params.agentId);
        const chunk = await this.service.pullChunk(params.pullId, params.index ?? 0);
        return { branch: b.branch, base: b.base, head: b.head, bytes: 0, chunks: 0, ...chunk };
      }
      const offer = await this.service.pull(params.agentId, params.have ?? []);
      if (!offer.pullId) return { ...offer, index: 0, data: '', more: false };
      return { ...offer, pullId: offer.pullId, ...(await this.service.pullChunk(offer.pullId, 0)) };
    });
  }

  /** Dismissal: commits what is left, removes the worktree (never --force); the branch stays. */
  async retire(agentId: string, name: string): Promise<void> {
    this.slots.delete(agentId);
    await mapped(() => this.serial(() => this.service.retire(agentId, name)));
  }

  /** Start-up: worktrees and mirrors no live agent needs (and that hold no uncommitted work). */
  async sweep(liveAgents: ReadonlySet<string>, liveProjects: ReadonlySet<string>): Promise<void> {
    try {
      const report = await this.service.sweep({ liveAgents, liveProjects });
      const kept = report.keptWorktrees.length + report.keptMirrors.length;
      if (report.removedWorktrees.length + report.removedMirrors.length + kept > 0)
        this.log.info(
          `workspaces: removed ${report.removedWorktrees.length} stale worktree(s) and ${report.removedMirrors.length} mirror(s); kept ${kept} with uncommitted or unpulled work`,
        );
    } catch (error) {
      this.log.warn(`workspaces: the start-up sweep failed: ${String(error)}`);
    }
  }

  dispose(): Promise<void> {
    return this.service.dispose();
  }
}
