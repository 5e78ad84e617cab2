// One coordinator per workspace folder: its agents (and only its agents: the pool is shared
// by every folder of a multi-root window), their placement, names, transcripts in .tavern/,
// reports bubbled up to Jake, and permission requests routed to the UI and back.
import { Emitter } from 'vscode-jsonrpc/node';
import type {
  AgentEventEnvelope,
  AgentState,
  EngineName,
  PermissionMode,
  ReportStatus,
} from '../../../protocol/agentEvents';
import type { PermissionDecision, PermissionRequestParams } from '../../../protocol/wire';
import { TavernStore, type AgentRecord } from '../store/tavernStore';
import type { WorkerPool } from '../workers/workerPool';
import { NamePool, type NameTheme } from './names';
import { PermissionRules } from './permissionRules';
import { placeAgent, type NoWorkerFits } from './placement';

export type DisplayState = AgentState | 'lost';

export interface AgentSummary {
  readonly id: string;
  readonly name: string;
  readonly workerId: string;
  readonly engine: EngineName;
  /** `lost` while its worker is unreachable: never a ghost "working". */
  readonly state: DisplayState;
  readonly stateReason?: string;
  readonly assignment?: string;
  readonly lastSeq: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

export interface SummonRequest {
  assignment?: string;
  name?: string;
  worker?: string;
  engine?: EngineName;
  permissionMode?: PermissionMode;
  model?: string;
}

export interface CoordinatorOptions {
  folder: string;
  pool: WorkerPool;
  defaultEngine: EngineName;
  noWorkerFits: NoWorkerFits;
  theme?: NameTheme;
  log: (message: string) => void;
}

interface Entry {
  record: AgentRecord;
  state: AgentState;
  reason: string | undefined;
  tokensIn: number;
  tokensOut: number;
  cost: number;
}

export class Coordinator {
  readonly store: TavernStore;
  private readonly agents = new Map<string, Entry>();
  private readonly names: NamePool;
  private readonly rules: PermissionRules;
  private readonly disposables: { dispose(): void }[] = [];
  private readonly changed = new Emitter<AgentSummary>();
  private readonly eventEmitter = new Emitter<AgentEventEnvelope>();
  private readonly reports = new Emitter<{
    agent: AgentSummary;
    status: ReportStatus;
    summary: string;
  }>();
  private readonly permissions = new Emitter<{
    agent: AgentSummary;
    request: PermissionRequestParams;
    answer(d: PermissionDecision, always?: boolean): void;
  }>();
  readonly onAgentChanged = this.changed.event;
  readonly onAgentEvent = this.eventEmitter.event;
  /** What Jake is told: an agent reported done, blocked or needs input. */
  readonly onReport = this.reports.event;
  readonly onPermissionRequest = this.permissions.event;

  constructor(private readonly options: CoordinatorOptions) {
    this.store = new TavernStore(options.folder);
    this.names = new NamePool(options.theme ?? 'lotr');
    this.rules = new PermissionRules(this.store.dir, !this.store.readOnly);
    if (this.store.lock.acquired === false) options.log(this.store.lock.message);
    for (const record of this.store.loadRecords()) {
      if (record.state === 'dismissed') continue;
      this.names.reserve(record.name);
      this.agents.set(record.id, {
        record,
        state: record.state as AgentState,
        reason: undefined,
        tokensIn: 0,
        tokensOut: 0,
        cost: 0,
      });
    }
    this.disposables.push(
      // Replay resumes after what was persisted: no gap, no duplicates.
      options.pool.addClientSetup((workerId, client) => {
        for (const entry of this.agents.values())
          if (entry.record.workerId === workerId)
            client.trackAgent(entry.record.id, entry.record.lastSeq);
      }),
      options.pool.onAgentEvent(({ envelope }) => this.accept(envelope)),
      options.pool.onChanged(() => {
        for (const entry of this.agents.values()) this.changed.fire(this.summary(entry));
      }),
      options.pool.addPermissionRoute((_workerId, request) => this.routePermission(request)),
    );
  }

  list(): AgentSummary[] {
    return [...this.agents.values()].map((e) => this.summary(e));
  }

  find(idOrName: string): AgentSummary | undefined {
    const entry =
      this.agents.get(idOrName) ??
      [...this.agents.values()].find((e) => e.record.name.toLowerCase() === idOrName.toLowerCase());
    return entry ? this.summary(entry) : undefined;
  }

  async summon(request: SummonRequest): Promise<AgentSummary> {
    if (this.store.readOnly)
      throw new Error(
        'This window shows the project read-only (another window owns it); summon agents there.',
      );
    const engine = request.engine ?? this.options.defaultEngine;
    const worker = placeAgent(
      this.options.pool.summaries(),
      engine,
      request.worker,
      this.options.noWorkerFits,
    );
    const client = this.options.pool.get(worker.id);
    if (!client?.isConnected()) throw new Error(`Worker ${worker.name} is not connected.`);
    const name = this.names.claim(request.name);
    const agentId = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${Date.now().toString(36)}`;
    const now = new Date().toISOString();
    const record: AgentRecord = {
      id: agentId,
      name,
      workerUrl: worker.url,
      workerId: worker.id,
      engine,
      permissionMode: request.permissionMode ?? 'default',
      ...(request.assignment ? { assignment: request.assignment } : {}),
      ...(request.model ? { model: request.model } : {}),
      state: 'summoned',
      lastSeq: 0,
      createdAt: now,
      updatedAt: now,
    };
    // Registered before the spawn so its first events are recognised as ours.
    const entry: Entry = {
      record,
      state: 'summoned',
      reason: undefined,
      tokensIn: 0,
      tokensOut: 0,
      cost: 0,
    };
    this.agents.set(agentId, entry);
    this.options.pool.placed(worker.id, agentId);
    try {
      await client.spawn({
        agentId,
        name,
        engine,
        ...(request.assignment ? { assignment: request.assignment } : {}),
        permissionMode: record.permissionMode as PermissionMode,
        ...(request.model ? { model: request.model } : {}),
      });
    } catch (error) {
      this.options.pool.placed(worker.id, agentId, false);
      this.agents.delete(agentId);
      this.names.release(name);
      throw error;
    }
    this.store.saveRecord(record);
    this.options.log(`summoned ${name} on ${worker.name} (${engine})`);
    return this.summary(entry);
  }

  async send(agent: string, text: string, from = 'user'): Promise<void> {
    const { entry, client } = this.resolve(agent);
    await client.send({ agentId: entry.record.id, text, from });
  }

  async interrupt(agent: string): Promise<void> {
    const { entry, client } = this.resolve(agent);
    await client.interrupt(entry.record.id);
  }

  async dismiss(agent: string): Promise<void> {
    const { entry, client } = this.resolve(agent);
    await client.dismiss(entry.record.id);
    this.names.release(entry.record.name);
  }

  /** A page of an agent's stored transcript (for the panel and after a reload). */
  transcript(
    agent: string,
    options: { beforeSeq?: number; limit: number },
  ): Promise<AgentEventEnvelope[]> {
    return this.store.loadTranscript(this.resolveEntry(agent).record.id, options);
  }

  async dispose(): Promise<void> {
    for (const d of this.disposables.splice(0)) d.dispose();
    for (const entry of this.agents.values()) this.store.saveRecord(entry.record);
    await this.store.dispose();
    this.changed.dispose();
    this.eventEmitter.dispose();
    this.reports.dispose();
    this.permissions.dispose();
  }

  private accept(envelope: AgentEventEnvelope): void {
    const entry = this.agents.get(envelope.agentId);
    if (!entry || envelope.seq <= entry.record.lastSeq) return; // another folder's agent, or already stored
    entry.record.lastSeq = envelope.seq;
    this.store.append(entry.record.id, entry.record.name, [envelope]);
    const event = envelope.event;
    let changed = false;
    if (event.kind === 'state') {
      entry.state = event.state;
      entry.reason = event.reason;
      entry.record.state = event.state;
      entry.record.updatedAt = new Date(envelope.time).toISOString();
      this.store.saveRecord(entry.record);
      if (event.state === 'dismissed') {
        this.names.release(entry.record.name);
        this.agents.delete(entry.record.id);
      }
      changed = true;
    } else if (event.kind === 'result') {
      entry.tokensIn += event.inputTokens;
      entry.tokensOut += event.outputTokens;
      entry.cost += event.costUsd;
      if (event.sessionId && event.sessionId !== entry.record.sessionId) {
        entry.record.sessionId = event.sessionId;
        this.store.saveRecord(entry.record);
      }
      changed = true;
    }
    this.eventEmitter.fire(envelope);
    if (changed) this.changed.fire(this.summary(entry));
    if (event.kind === 'report')
      this.reports.fire({
        agent: this.summary(entry),
        status: event.status,
        summary: event.summary,
      });
  }

  private routePermission(
    request: PermissionRequestParams,
  ): Promise<PermissionDecision> | undefined {
    const entry = this.agents.get(request.agentId);
    if (!entry) return undefined;
    if (request.request === 'tool' && this.rules.allows(request.tool)) {
      this.options.log(`auto-allowed ${request.tool} for ${entry.record.name} (always-allow rule)`);
      return Promise.resolve({
        decision: 'allow',
        message: 'Allowed by an always-allow rule of this project.',
      });
    }
    return new Promise((resolve) => {
      this.permissions.fire({
        agent: this.summary(entry),
        request,
        answer: (decision, always) => {
          if (always && decision.decision === 'allow') this.rules.add(request.tool);
          resolve(decision);
        },
      });
    });
  }

  private resolveEntry(agent: string): Entry {
    const entry =
      this.agents.get(agent) ??
      [...this.agents.values()].find((e) => e.record.name.toLowerCase() === agent.toLowerCase());
    if (!entry) {
      const known = [...this.agents.values()].map((e) => e.record.name).join(', ') || 'none';
      throw new Error(`No agent "${agent}" in this project. Agents: ${known}.`);
    }
    return entry;
  }

  private resolve(agent: string): {
    entry: Entry;
    client: NonNullable<ReturnType<WorkerPool['get']>>;
  } {
    const entry = this.resolveEntry(agent);
    const client = this.options.pool.get(entry.record.workerId);
    if (!client?.isConnected())
      throw new Error(
        `${entry.record.name}'s worker (${entry.record.workerUrl}) is not connected right now; its agent shows as lost until it returns.`,
      );
    return { entry, client };
  }

  private summary(entry: Entry): AgentSummary {
    const client = this.options.pool.get(entry.record.workerId);
    const reachable = client?.status === 'connected';
    const live = entry.state !== 'dismissed' && entry.state !== 'done' && entry.state !== 'failed';
    return {
      id: entry.record.id,
      name: entry.record.name,
      workerId: entry.record.workerId,
      engine: entry.record.engine as EngineName,
      state: !reachable && live ? 'lost' : entry.state,
      ...(entry.reason ? { stateReason: entry.reason } : {}),
      ...(entry.record.assignment ? { assignment: entry.record.assignment } : {}),
      lastSeq: entry.record.lastSeq,
      inputTokens: entry.tokensIn,
      outputTokens: entry.tokensOut,
      costUsd: entry.cost,
    };
  }
}
