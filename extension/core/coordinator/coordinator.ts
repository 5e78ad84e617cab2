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
  AgentState,
  EngineName,
  PermissionMode,
  ReportStatus,
} from '../../../protocol/agentEvents';
import { errorMessage } from '../../../protocol/errors';
import { addTurn, type UsageTotals } from '../../../protocol/usage';
import type { PermissionDecision, PermissionRequestParams } from '../../../protocol/wire';
import type { SpawnWorkspace } from '../../../protocol/workspaceWire';
import { isWorkspaceError } from '../../../runtime/workspace/errors';
import { slug } from '../../../runtime/workspace/paths';
import { Disposables, type Disposable } from '../disposables';
import type { AgentRecord } from '../store/agentRecord';
import { TavernStore } from '../store/tavernStore';
import { ProjectWorkspace, type SyncProgress } from '../workspace/projectWorkspace';
import type { WorkerClient } from '../workers/workerClient';
import type { WorkerPool, WorkerSummary } from '../workers/workerPool';
import { NamePool, type NameTheme } from './names';
import { PermissionRules, ruleScope, type Rule, type RuleStorage } from './permissionRules';
import { placeAgent, type NoWorkerFits } from './placement';
import { TurnWatch } from './turnWatch';

export type DisplayState = AgentState | 'lost';

export interface AgentSummary {
  readonly id: string;
  readonly name: string;
  readonly workerId: string;
  /** The worker's name (kept from when it was summoned while that worker is gone). */
  readonly workerName: string;
  readonly engine: EngineName;
  /** `lost` while its worker is unreachable: never a ghost "working". */
  readonly state: DisplayState;
  readonly stateReason?: string;
  readonly assignment?: string;
  readonly lastSeq: number;
  readonly usage: UsageTotals;
  /** Its own worktree's branch (agent workspaces). */
  readonly branch?: string;
}

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
  private readonly rules: PermissionRules;
  private readonly owned = new Disposables();
  private readonly changed = this.owned.add(new Emitter<AgentSummary>());
  private readonly eventEmitter = this.owned.add(new Emitter<readonly AgentEventEnvelope[]>());
  /** Per agent: who follows its events (the panel, for the agent on screen). */
  private readonly followers = new Map<
    string,
    Set<(events: readonly AgentEventEnvelope[]) => void>
  >();
  private readonly reports = this.owned.add(new Emitter<AgentReport>());
  private readonly permissions = this.owned.add(
    new Emitter<{
      agent: AgentSummary;
      request: PermissionRequestParams;
      answer(d: PermissionDecision, always?: boolean): void;
    }>(),
  );
  readonly onAgentChanged = this.changed.event;
  /** This project's agent events, one batch per worker batch (seq order per agent). */
  readonly onAgentEvents = this.eventEmitter.event;
  private readonly syncing = this.owned.add(new Emitter<SyncProgress>());
  /** A snapshot on its way to a remote worker (for a progress notification). */
  readonly onSyncProgress = this.syncing.event;
  /** What Jake is told: an agent reported done, blocked or needs input, or gave no report. */
  readonly onReport = this.reports.event;
  readonly onPermissionRequest = this.permissions.event;

  constructor(private readonly options: CoordinatorOptions) {
    this.store = new TavernStore(options.folder, options.log);
    this.workspace = this.store.readOnly
      ? undefined
      : new ProjectWorkspace(options.folder, this.store.dir, options.log);
    this.names = new NamePool(options.theme ?? 'lotr');
    this.rules = new PermissionRules(options.rules ?? memoryRules());
    if (this.store.lock.acquired === false) options.log(this.store.lock.message);
    for (const record of this.store.loadRecords()) {
      if (record.state === 'dismissed') continue;
      this.names.reserve(record.name);
      this.agents.set(record.id, record);
    }
    for (const problem of this.store.problems) options.log(`could not load ${problem}`);
    this.owned.push(
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
    let set = this.followers.get(agentId);
    if (!set) this.followers.set(agentId, (set = new Set()));
    set.add(listener);
    return {
      dispose: () => {
        set.delete(listener);
        if (set.size === 0 && this.followers.get(agentId) === set) this.followers.delete(agentId);
      },
    };
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
      const workspace = await this.prepareWorkspace(record, worker, client);
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
      await this.workspace
        .fetch(client, record.id, false)
        .then(({ branch }) => this.options.log(`${record.name}'s work is on branch ${branch}`))
        .catch((error: unknown) =>
          this.options.log(`${record.name}'s branch could not be fetched: ${errorMessage(error)}`),
        );
  }

  /**
   * The agent's start snapshot, synced to its worker: undefined when the worker gives no
   * worktrees, or when there is no git here and the worker shares this disk (then it works
   * in place, as before workspaces).
   */
  private async prepareWorkspace(
    record: AgentRecord,
    worker: { id: string; name: string; isLocal: boolean },
    client: WorkerClient,
  ): Promise<SpawnWorkspace | undefined> {
    if (!this.workspace) return undefined;
    try {
      return await this.workspace.prepare(
        { id: record.id, name: record.name },
        { ...worker, client },
        (progress) => this.syncing.fire(progress),
      );
    } catch (error) {
      if (worker.isLocal && isWorkspaceError(error, 'GitMissing')) {
        this.options.log(`no git on this machine: ${record.name} works in the folder itself`);
        return undefined;
      }
      throw error;
    }
  }

  /**
   * An agent with a worktree of its own, for review: its record's workspace and a live
   * client of its worker (or undefined while that worker is away).
   */
  agentWorkspace(agent: string): {
    id: string;
    name: string;
    workspace: NonNullable<AgentRecord['workspace']>;
    client: WorkerClient | undefined;
  } {
    const record = this.resolveRecord(agent);
    if (!record.workspace)
      throw new Error(
        `${record.name} has no worktree of its own (its worker gives none, or there is no git here): its changes are in the folder it worked in.`,
      );
    const client = this.options.pool.get(record.workerId);
    return {
      id: record.id,
      name: record.name,
      workspace: record.workspace,
      client: client?.isConnected() ? client : undefined,
    };
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
        const event = envelope.event;
        if (event.kind === 'state') {
          record.state = event.state;
          if (event.reason !== undefined) record.stateReason = event.reason;
          else delete record.stateReason;
          record.updatedAt = new Date(envelope.time).toISOString();
          if (event.state === 'dismissed') {
            this.names.release(record.name);
            this.agents.delete(record.id);
          }
          changed.add(record);
        } else if (event.kind === 'result') {
          record.usage = addTurn(record.usage, event);
          if (event.sessionId) record.sessionId = event.sessionId;
          changed.add(record);
        }
        const ended = this.turns.observe(envelope);
        if (ended) reports.push({ agent: this.summary(record), ...ended });
      }
      if (changed.has(record)) this.store.saveRecord(record);
      const followers = this.followers.get(record.id);
      if (followers)
        for (const listener of followers)
          try {
            listener(run);
          } catch (error) {
            this.options.log(
              `a follower of ${record.name}'s events failed: ${errorMessage(error)}`,
            );
          }
    }
    if (accepted.length > 0) this.eventEmitter.fire(accepted);
    for (const record of changed) this.changed.fire(this.summary(record));
    for (const report of reports) this.reports.fire(report);
  }

  private routePermission(
    workerId: string,
    request: PermissionRequestParams,
  ): Promise<PermissionDecision> | undefined {
    const record = this.agents.get(request.agentId);
    if (!record || record.workerId !== workerId) return undefined;
    const client = this.options.pool.get(workerId);
    const scope = ruleScope({
      isLocal: this.options.pool.isLocal(workerId),
      workerId: client?.hello?.workerId,
    });
    const rule = request.request === 'tool' ? this.rules.allowing(request.tool, scope) : undefined;
    if (rule) {
      this.options.log(
        `auto-allowed ${request.tool} for ${record.name} on ${rule.scopeLabel} (your always-allow rule "${rule.tool}")`,
      );
      return Promise.resolve({
        decision: 'allow',
        message: `Allowed by your always-allow rule for ${rule.tool} on ${rule.scopeLabel}.`,
      });
    }
    return new Promise((resolve) => {
      const agent = this.summary(record);
      this.permissions.fire({
        agent,
        request,
        answer: (decision, always) => {
          if (always && decision.decision === 'allow')
            this.rules.add(
              request.tool,
              scope,
              scope === 'local' ? 'the local worker' : `remote worker ${agent.workerName}`,
            );
          resolve(decision);
        },
      });
    });
  }

  /** This project's always-allow rules (the user's, from VS Code's storage). */
  rulesList(): readonly Rule[] {
    return this.rules.list();
  }

  addRule(tool: string, scope: string, scopeLabel: string): void {
    this.rules.add(tool, scope, scopeLabel);
  }

  revokeRule(tool: string, scope: string): boolean {
    return this.rules.revoke(tool, scope);
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
    const client = this.options.pool.get(record.workerId);
    const reachable = client?.status === 'connected';
    const live =
      record.state !== 'dismissed' && record.state !== 'done' && record.state !== 'failed';
    return {
      id: record.id,
      name: record.name,
      workerId: record.workerId,
      workerName: client?.hello?.name ?? record.workerName ?? record.workerUrl,
      engine: record.engine,
      state: !reachable && live ? 'lost' : record.state,
      ...(record.stateReason ? { stateReason: record.stateReason } : {}),
      ...(record.assignment ? { assignment: record.assignment } : {}),
      lastSeq: record.lastSeq,
      usage: record.usage,
      ...(record.workspace ? { branch: record.workspace.branch } : {}),
    };
  }
}

/** A batch split into each agent's part, in seq order (a part is a slice when runs are whole). */
function byAgent(events: readonly AgentEventEnvelope[]): AgentEventEnvelope[][] {
  const parts = new Map<string, AgentEventEnvelope[]>();
  let agentId: string | undefined;
  let part: AgentEventEnvelope[] = [];
  for (const envelope of events) {
    if (envelope.agentId !== agentId) {
      agentId = envelope.agentId;
      part = parts.get(agentId) ?? [];
      if (part.length === 0) parts.set(agentId, part);
    }
    part.push(envelope);
  }
  return [...parts.values()];
}

function memoryRules(): RuleStorage {
  let saved: unknown = [];
  return { load: () => saved, save: (rules) => (saved = [...rules]) };
}
