// One coordinator per workspace folder: its agents (and only its agents: the pool is shared
// by every folder of a multi-root window), their placement, names, transcripts in .tavern/,
// reports bubbled up to Jake, and permission requests routed to the UI and back. A worker
// speaks only for the agents it hosts: anything it sends about another worker's agent is
// dropped and counted against it. Events come and go in the worker's batches: each agent's
// part of a batch is one append to its transcript, and whoever follows one agent (the panel)
// hears only that agent's part.
import { nanoid } from 'nanoid';
import { Emitter } from 'vscode-jsonrpc/node';
import type {
  AgentEventEnvelope,
  EngineName,
  PermissionMode,
  ReportStatus,
} from '../../../protocol/agentEvents';
import type { PermissionDecision, PermissionRequestParams } from '../../../protocol/wire';
import { slug } from '../../../runtime/workspace/paths';
import { Disposables, type Disposable } from '../disposables';
import { recordEvent, type AgentRecord } from '../store/agentRecord';
import { addIntakeBrake } from '../workers/turnBudget';
import { TavernStore } from '../store/tavernStore';
import { ProjectWorkspace, type SyncProgress } from '../workspace/projectWorkspace';
import type { WorkerPool, WorkerSummary } from '../workers/workerPool';
import { summarize, type AgentSummary } from './agentSummary';
import { byAgent, EventFollowers } from './eventFollowers';
import { NamePool, type NameTheme } from './names';
import type { Rule, RuleStorage } from './permissionRules';
import { PermissionRouter } from './permissionRouter';
import { placeAgent, type NoWorkerFits } from './placement';
import { TurnWatch } from './turnWatch';
import {
  bringBranchHome,
  prepareSpawnWorkspace,
  reviewTarget,
  type AgentWorkspace,
} from './workspaceAccess';

export type { AgentSummary, DisplayState } from './agentSummary';

export interface SummonRequest {
  assignment?: string;
  name?: string;
  worker?: string;
  engine?: EngineName;
  permissionMode?: PermissionMode;
  model?: string;
}

/** What Jake is told: a report, or a turn that ended without one. */
export interface AgentReport {
  agent: AgentSummary;
  status: ReportStatus | 'no_report';
  summary: string;
}

export interface CoordinatorOptions {
  folder: string;
  pool: WorkerPool;
  defaultEngine: EngineName;
  noWorkerFits: NoWorkerFits;
  theme?: NameTheme;
  /** Where this project's always-allow rules are kept (default: memory only). */
  rules?: RuleStorage;
  /**
   * Whether agents may load this folder's own Claude settings (asked of the user once per
   * content; see extension/core/trust/projectSettings.ts). Default: never.
   */
  projectSettings?: () => Promise<boolean>;
  /**
   * The user's API key for a remote worker they opted in (undefined for the others, and for
   * the local worker, which has it in its environment already).
   */
  credentialsFor?: (worker: WorkerSummary) => { anthropicApiKey: string } | undefined;
  /**
   * Whether agents get worktrees of their own (default: yes). Off, they work in place as on a
   * worker without workspaces: the scale benchmark measures the event path without 10,000
   * worktrees.
   */
  workspaces?: boolean;
  log: (message: string) => void;
}

export class Coordinator {
  readonly store: TavernStore;
  /** The project's agent workspaces: snapshots out, branches back (undefined read-only). */
  readonly workspace: ProjectWorkspace | undefined;
  private readonly agents = new Map<string, AgentRecord>();
  private readonly turns = new TurnWatch();
  /** Each worker's status when last seen, so a pool change re-announces only its agents. */
  private readonly workerStatus = new Map<string, string>();
  private readonly names: NamePool;
  private readonly owned = new Disposables();
  private readonly permissionRouter: PermissionRouter<AgentSummary>;
  private readonly changed = this.owned.add(new Emitter<AgentSummary>());
  private readonly eventEmitter = this.owned.add(new Emitter<readonly AgentEventEnvelope[]>());
  private readonly followers = new EventFollowers();
  private readonly reports = this.owned.add(new Emitter<AgentReport>());
  readonly onAgentChanged = this.changed.event;
  /** This project's agent events, one batch per worker batch (seq order per agent). */
  readonly onAgentEvents = this.eventEmitter.event;
  private readonly syncing = this.owned.add(new Emitter<SyncProgress>());
  /** A snapshot on its way to a remote worker (for a progress notification). */
  readonly onSyncProgress = this.syncing.event;
  /** What Jake is told: an agent reported done, blocked or needs input, or gave no report. */
  readonly onReport = this.reports.event;
  /** A permission request no always-allow rule answers: put to the user. */
  readonly onPermissionRequest: PermissionRouter<AgentSummary>['onRequest'];

  constructor(private readonly options: CoordinatorOptions) {
    this.store = new TavernStore(options.folder, options.log);
    this.workspace =
      this.store.readOnly || options.workspaces === false
        ? undefined
        : new ProjectWorkspace(options.folder, this.store.dir, options.log);
    this.names = new NamePool(options.theme ?? 'lotr');
    this.permissionRouter = this.owned.add(
      new PermissionRouter(options.rules, options.pool, options.log),
    );
    this.onPermissionRequest = this.permissionRouter.onRequest;
    if (this.store.lock.acquired === false) options.log(this.store.lock.message);
    for (const record of this.store.loadRecords()) {
      if (record.state === 'dismissed') continue;
      this.names.reserve(record.name);
      this.agents.set(record.id, record);
    }
    for (const problem of this.store.problems) options.log(`could not load ${problem}`);
    this.owned.push(
      // Events are read no faster than .tavern/ writes them: the rest waits on the workers.
      addIntakeBrake(() => this.store.behind),
      // Replay resumes after what was persisted: no gap, no duplicates.
      options.pool.addClientSetup((workerId, client) => {
        for (const record of this.agents.values())
          if (record.workerId === workerId) client.trackAgent(record.id, record.lastSeq);
      }),
      options.pool.onAgentEvents(({ workerId, events }) => this.accept(workerId, events)),
      // A worker came or went: its agents are reachable or `lost` now. Only those change.
      options.pool.onChanged(() => {
        const moved = new Set<string>();
        for (const w of options.pool.summaries()) {
          if (this.workerStatus.get(w.id) !== w.status) moved.add(w.id);
          this.workerStatus.set(w.id, w.status);
        }
        for (const id of [...this.workerStatus.keys()])
          if (!options.pool.get(id)) {
            this.workerStatus.delete(id);
            moved.add(id);
          }
        if (moved.size === 0) return;
        for (const record of this.agents.values())
          if (moved.has(record.workerId)) this.changed.fire(this.summary(record));
      }),
      options.pool.addPermissionRoute((workerId, request) =>
        this.routePermission(workerId, request),
      ),
      options.pool.addOwnershipCheck((workerId, agentId) => {
        const record = this.agents.get(agentId);
        if (!record) return undefined;
        return record.workerId === workerId ? 'hosts' : 'elsewhere';
      }),
    );
  }

  list(): AgentSummary[] {
    return [...this.agents.values()].map((r) => this.summary(r));
  }

  find(idOrName: string): AgentSummary | undefined {
    const record = this.lookup(idOrName);
    return record ? this.summary(record) : undefined;
  }

  /**
   * One agent's events as they are accepted, each batch already queued for its transcript:
   * a page read after `lastSeq` was taken holds everything up to it, and these follow it.
   * Other agents' events never reach the listener.
   */
  follow(agentId: string, listener: (events: readonly AgentEventEnvelope[]) => void): Disposable {
    return this.followers.add(agentId, listener);
  }

  /** The last seq accepted (and queued for .tavern/) for an agent of this project. */
  lastSeq(agentId: string): number | undefined {
    return this.agents.get(agentId)?.lastSeq;
  }

  /** Whether this agent is ours and lives on that worker (the only one that speaks for it). */
  hosts(workerId: string, agentId: string): boolean {
    return this.agents.get(agentId)?.workerId === workerId;
  }

  async summon(request: SummonRequest): Promise<AgentSummary> {
    if (this.store.readOnly)
      throw new Error(
        'This window shows the project read-only (another window owns it); summon agents there.',
      );
    const engine = request.engine ?? this.options.defaultEngine;
    // Asked before placing: placement and placed() must run in one go, so a burst of summons
    // spreads (an await between them let every summon pick the same worker).
    const projectSettings = (await this.options.projectSettings?.()) === true;
    const worker = placeAgent(
      this.options.pool.summaries(),
      engine,
      request.worker,
      this.options.noWorkerFits,
      (w) => this.options.credentialsFor?.(w) !== undefined,
    );
    const client = this.options.pool.get(worker.id);
    if (!client?.isConnected()) throw new Error(`Worker ${worker.name} is not connected.`);
    const name = this.names.claim(request.name);
    // Unguessable: a worker must not be able to name another worker's agents.
    const agentId = `${slug(name)}-${nanoid(16)}`;
    const now = new Date().toISOString();
    const record: AgentRecord = {
      id: agentId,
      name,
      workerUrl: worker.url,
      workerId: worker.id,
      workerName: worker.name,
      engine,
      permissionMode: request.permissionMode ?? 'default',
      ...(request.assignment ? { assignment: request.assignment } : {}),
      ...(request.model ? { model: request.model } : {}),
      state: 'summoned',
      lastSeq: 0,
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      createdAt: now,
      updatedAt: now,
    };
    // Registered before the spawn so its first events are recognised as ours.
    this.agents.set(agentId, record);
    this.options.pool.placed(worker.id, agentId);
    try {
      const workspace = this.workspace
        ? await prepareSpawnWorkspace(
            this.workspace,
            record,
            { ...worker, client },
            (progress) => this.syncing.fire(progress),
            this.options.log,
          )
        : undefined;
      const credentials = this.options.credentialsFor?.(worker);
      const spawned = await client.spawn({
        agentId,
        name,
        engine,
        ...(request.assignment ? { assignment: request.assignment } : {}),
        // In its own worktree when the worker gives one; else (an older worker, or no git
        // here) the local worker's agents work in this project's folder itself.
        ...(workspace ? { workspace } : worker.isLocal ? { cwd: this.options.folder } : {}),
        ...(projectSettings ? { projectSettings } : {}),
        ...(credentials ? { credentials } : {}),
        permissionMode: record.permissionMode,
        ...(request.model ? { model: request.model } : {}),
      });
      if (spawned.workspace)
        record.workspace = { ...spawned.workspace, sameDisk: workspace?.repoPath !== undefined };
    } catch (error) {
      this.options.pool.placed(worker.id, agentId, false);
      this.agents.delete(agentId);
      this.names.release(name);
      throw error;
    }
    this.store.saveRecord(record);
    this.options.log(`summoned ${name} on ${worker.name} (${engine})`);
    return this.summary(record);
  }

  async send(agent: string, text: string, from = 'user'): Promise<void> {
    const { record, client } = this.resolve(agent);
    await client.send({ agentId: record.id, text, from });
  }

  async interrupt(agent: string): Promise<void> {
    const { record, client } = this.resolve(agent);
    await client.interrupt(record.id);
  }

  async dismiss(agent: string): Promise<void> {
    const { record, client } = this.resolve(agent);
    await client.dismiss(record.id);
    this.names.release(record.name);
    // Its branch stays: from a remote worker it comes home now, while the worker still has it.
    if (record.workspace && !record.workspace.sameDisk && this.workspace)
      await bringBranchHome(this.workspace, client, record, this.options.log);
  }

  /** An agent with a worktree of its own, for review (its client undefined while away). */
  agentWorkspace(agent: string): AgentWorkspace {
    const record = this.resolveRecord(agent);
    return reviewTarget(record, this.options.pool.get(record.workerId));
  }

  /** Remembers the backup of the last apply of an agent's changes (its undo). */
  noteApply(agentId: string, backupRef: string | undefined): void {
    const record = this.agents.get(agentId);
    if (!record?.workspace) return;
    if (backupRef) record.workspace.lastApply = { backupRef, at: new Date().toISOString() };
    else delete record.workspace.lastApply;
    this.store.saveRecord(record);
  }

  /** A page of an agent's stored transcript (for the panel and after a reload). */
  transcript(
    agent: string,
    options: { beforeSeq?: number; limit: number },
  ): Promise<AgentEventEnvelope[]> {
    return this.store.loadTranscript(this.resolveRecord(agent).id, options);
  }

  async dispose(): Promise<void> {
    for (const record of this.agents.values()) this.store.saveRecord(record);
    this.owned.dispose();
    await this.store.dispose();
  }

  /**
   * A batch from `workerId`: each agent's part is recorded (one transcript append) only when
   * that worker hosts the agent; then the batch goes on whole, and each part to its followers.
   */
  private accept(workerId: string, events: readonly AgentEventEnvelope[]): void {
    const accepted: AgentEventEnvelope[] = [];
    const changed = new Set<AgentRecord>();
    const reports: AgentReport[] = [];
    for (const run of byAgent(events)) {
      const record = this.agents.get(run[0]!.agentId);
      if (!record) continue; // another folder's agent (or nobody's: the pool counts those)
      if (record.workerId !== workerId) continue; // not this worker's to speak for
      record.lastSeq = run[run.length - 1]!.seq;
      this.store.append(record.id, record.name, run);
      for (const envelope of run) {
        accepted.push(envelope);
        if (recordEvent(record, envelope)) changed.add(record);
        if (record.state === 'dismissed' && this.agents.get(record.id) === record) {
          this.names.release(record.name);
          this.agents.delete(record.id);
        }
        const ended = this.turns.observe(envelope);
        if (ended) reports.push({ agent: this.summary(record), ...ended });
      }
      if (changed.has(record)) this.store.saveRecord(record);
      this.followers.notify(record.id, run, this.options.log);
    }
    if (accepted.length > 0) this.eventEmitter.fire(accepted);
    for (const record of changed) this.changed.fire(this.summary(record));
    for (const report of reports) this.reports.fire(report);
  }

  /** Only the worker that hosts the agent may ask for it; anything else is not ours. */
  private routePermission(
    workerId: string,
    request: PermissionRequestParams,
  ): Promise<PermissionDecision> | undefined {
    const record = this.agents.get(request.agentId);
    if (!record || record.workerId !== workerId) return undefined;
    return this.permissionRouter.route(workerId, this.summary(record), request);
  }

  /** This project's always-allow rules (the user's, from VS Code's storage). */
  rulesList(): readonly Rule[] {
    return this.permissionRouter.list();
  }

  addRule(tool: string, scope: string, scopeLabel: string): void {
    this.permissionRouter.add(tool, scope, scopeLabel);
  }

  revokeRule(tool: string, scope: string): boolean {
    return this.permissionRouter.revoke(tool, scope);
  }

  private lookup(idOrName: string): AgentRecord | undefined {
    const lower = idOrName.toLowerCase();
    return (
      this.agents.get(idOrName) ??
      [...this.agents.values()].find((r) => r.name.toLowerCase() === lower)
    );
  }

  private resolveRecord(agent: string): AgentRecord {
    const record = this.lookup(agent);
    if (!record) {
      const known = [...this.agents.values()].map((r) => r.name).join(', ') || 'none';
      throw new Error(`No agent "${agent}" in this project. Agents: ${known}.`);
    }
    return record;
  }

  private resolve(agent: string): {
    record: AgentRecord;
    client: NonNullable<ReturnType<WorkerPool['get']>>;
  } {
    const record = this.resolveRecord(agent);
    const client = this.options.pool.get(record.workerId);
    if (!client?.isConnected())
      throw new Error(
        `${record.name}'s worker (${record.workerName ?? record.workerUrl}) is not connected right now; its agent shows as lost until it returns.`,
      );
    return { record, client };
  }

  private summary(record: AgentRecord): AgentSummary {
    return summarize(record, this.options.pool.get(record.workerId));
  }
}
