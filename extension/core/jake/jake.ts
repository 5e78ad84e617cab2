// Jake's seat in the extension host: an ordinary Agent of runtime/ (the same turn loop, state
// machine and permission broker the squad's agents run on workers), rooted in the project
// folder, with his tools over the project's coordinator. What is his alone lives here: his
// record and transcript in .tavern/jake/ (so he resumes after a reload), his approvals going to
// the panel, and the squad's reports told to him.
import { Emitter } from 'vscode-jsonrpc/node';
import type { AgentEventEnvelope } from '../../../protocol/agentEvents';
import { JAKE_ID } from '../../../protocol/ids';
import { addTurn } from '../../../protocol/usage';
import type {
  PermissionDecision,
  PermissionRequestParams,
  PermissionSettled,
  ParamsOf,
} from '../../../protocol/wire';
import { Agent, type AgentHooks, type AgentSpec } from '../../../runtime/agent';
import type { Engine } from '../../../runtime/engines/engine';
import type { EncodedEnvelope } from '../../../runtime/eventEncoding';
import { JournalStore } from '../../../runtime/journalStore';
import type { Logger } from '../../../runtime/log';
import { PermissionBroker, type PermissionPeer } from '../../../runtime/permissionBroker';
import type { Coordinator } from '../coordinator/coordinator';
import type { AgentRecord } from '../store/agentRecord';
import type { WorkerPool } from '../workers/workerPool';
import { SQUAD_REPORTS } from './demoJake';
import { JAKE_SYSTEM_PROMPT } from './jakePrompt';
import { jakeTools } from './jakeTools';

export interface JakeOptions {
  folder: string;
  coordinator: Coordinator;
  pool: WorkerPool;
  engine: Engine;
  model?: string;
  /** Deny Jake's own permission requests nobody answers within this time (default 10 min). */
  permissionTimeoutMs?: number;
  /** Whether he may load the folder's own Claude settings (asked once; default never). */
  projectSettings?: () => Promise<boolean>;
  log: (message: string) => void;
}

export interface JakePermissionRequest {
  request: PermissionRequestParams;
  answer(decision: PermissionDecision): void;
}

export class Jake {
  private engine: Engine;
  private readonly record: AgentRecord;
  private readonly agent: Agent;
  private readonly broker: PermissionBroker;
  private readonly journals: JournalStore;
  private readonly spec: AgentSpec;
  /** His engine session, made before his first turn (once project settings are decided). */
  private session: Promise<void> | undefined;
  private pendingReports: string[] = [];
  private reportFlush: NodeJS.Immediate | undefined;
  private readonly subscriptions: { dispose(): void }[] = [];
  private readonly events = new Emitter<readonly AgentEventEnvelope[]>();
  private readonly permissions = new Emitter<JakePermissionRequest>();
  private readonly settledEmitter = new Emitter<ParamsOf<typeof PermissionSettled>>();
  /** His events as his journal publishes them: one batch per tick, in seq order. */
  readonly onEvents = this.events.event;
  readonly onPermissionRequest = this.permissions.event;
  /** One of his requests was settled without the human (it timed out, or he was stopped). */
  readonly onPermissionSettled = this.settledEmitter.event;

  constructor(private readonly options: JakeOptions) {
    this.engine = options.engine;
    const store = options.coordinator.store;
    this.record = store.loadJake() ?? newRecord(options.engine);
    if (this.record.engine !== options.engine.name) {
      // A different engine cannot resume the old session: start fresh.
      delete this.record.sessionId;
      this.record.engine = options.engine.name;
    }
    const say = (message: string): void => options.log(`jake: ${message}`);
    const log: Logger = { debug: say, info: say, warn: say, error: say };
    this.broker = new PermissionBroker(options.permissionTimeoutMs ?? 600_000, log);
    this.broker.attach(this.humanPeer());
    // His events are published per tick, like any agent's; they are kept in .tavern/jake/.
    this.journals = new JournalStore({
      dir: undefined,
      log,
      publish: (batch) => this.onPublished(batch),
    });
    const journal = this.journals.create(JAKE_ID, this.record.lastSeq);
    const hooks: AgentHooks = {
      onChanged: (agent) => {
        this.record.state = agent.state;
        this.record.stateReason = agent.info().stateReason;
        if (agent.sessionId !== undefined) this.record.sessionId = agent.sessionId;
        this.save();
      },
    };
    const spec: AgentSpec = {
      agentId: JAKE_ID,
      name: 'Jake',
      engine: options.engine.name,
      cwd: options.folder,
      permissionMode: 'default',
      model: options.model,
      assignment: undefined,
      systemPrompt: JAKE_SYSTEM_PROMPT,
      resumeSessionId: this.record.sessionId,
      createdAt: Date.parse(this.record.createdAt) || Date.now(),
      role: 'coordinator',
    };
    this.spec = spec;
    // A reload mid-turn ends that turn: its engine process went with the old window.
    const midTurn =
      this.record.state === 'working' ||
      (this.record.state === 'waiting' && this.record.stateReason !== 'input');
    this.agent = new Agent(spec, journal, this.broker, hooks, log, {
      state: this.record.state === 'summoned' ? 'waiting' : this.record.state,
      reason: this.record.state === 'summoned' ? 'input' : this.record.stateReason,
      sessionId: this.record.sessionId,
    });
    if (midTurn) this.agent.setState('interrupted', 'VS Code was reloaded during his turn');
    this.subscriptions.push(
      options.coordinator.onReport(({ agent, status, summary }) =>
        this.bubble(
          status === 'no_report'
            ? `${agent.name} (${agent.id}) ended a turn without a report: ${summary}`
            : `${agent.name} (${agent.id}) reported ${status}: ${summary}`,
        ),
      ),
    );
  }

  get sessionId(): string | undefined {
    return this.agent.sessionId;
  }
  get busy(): boolean {
    return this.agent.busy;
  }
  /** Jake's row in the squad list. */
  get status(): Pick<AgentRecord, 'state' | 'stateReason' | 'engine' | 'usage'> {
    const r = this.record;
    return {
      state: r.state,
      ...(r.stateReason !== undefined ? { stateReason: r.stateReason } : {}),
      engine: r.engine,
      usage: r.usage,
    };
  }

  /** The human (or the Tavern) says something to Jake; turns run one at a time, in order. */
  send(text: string, from: 'user' | 'tavern' = 'user'): void {
    // Messages keep their order: each waits on the same session promise.
    this.session ??= this.startSession();
    void this.session.then(() => this.agent.send(text, from));
  }

  /** Decides on project settings (the user may be asked), then makes his engine session. */
  private async startSession(): Promise<void> {
    const o = this.options;
    this.spec.projectSettings = await (o.projectSettings?.() ?? Promise.resolve(false)).catch(
      () => false,
    );
    this.agent.attachSession(
      this.engine.createSession(
        this.agent.context(
          jakeTools(
            o.coordinator,
            o.pool,
            (tool, input) =>
              this.broker.request({ agentId: JAKE_ID, tool, input, request: 'tool' }).decision,
          ),
        ),
      ),
    );
  }

  /**
   * Another engine from his next message on: the offline demo switched on or off, a new API
   * key, Claude Code just installed. A turn in progress ends; a session of another engine is
   * not resumed.
   */
  async setEngine(engine: Engine, model?: string): Promise<void> {
    await this.agent.stop();
    if (engine.name !== this.engine.name) {
      delete this.record.sessionId;
      this.agent.forgetSession();
      this.record.engine = engine.name;
      this.spec.engine = engine.name;
      this.save();
    }
    this.spec.model = model;
    this.engine = engine;
    this.session = undefined;
  }

  interrupt(): Promise<void> {
    return this.agent.interrupt();
  }

  /** The last seq published (and queued for .tavern/jake/). */
  get lastSeq(): number {
    return this.record.lastSeq;
  }

  transcript(options: { beforeSeq?: number; limit: number }): Promise<AgentEventEnvelope[]> {
    return this.options.coordinator.store.loadTranscript(JAKE_ID, options);
  }

  async dispose(): Promise<void> {
    clearImmediate(this.reportFlush);
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.broker.dispose();
    await this.agent.stop();
    await this.journals.flush();
    this.save();
    this.events.dispose();
    this.permissions.dispose();
    this.settledEmitter.dispose();
  }

  /** The human at the panel, as the broker's only peer. */
  private humanPeer(): PermissionPeer {
    return {
      id: 'human',
      requestPermission: (request) =>
        new Promise((answer) => this.permissions.fire({ request, answer })),
      notifyPermissionSettled: (params) => this.settledEmitter.fire(params),
    };
  }

  /** A tick's events: kept in .tavern/jake/ as the journal encoded them, then told. */
  private onPublished(batch: readonly EncodedEnvelope[]): void {
    if (batch.length === 0) return;
    const envelopes = batch.map((e) => e.envelope);
    for (const { event } of envelopes) {
      // His failures belong in the log too, not only in the panel.
      if (event.kind === 'error') this.options.log(`Jake failed: ${event.message}`);
      if (event.kind === 'result') this.record.usage = addTurn(this.record.usage, event);
    }
    this.record.lastSeq = envelopes[envelopes.length - 1]!.seq;
    this.options.coordinator.store.appendLines(
      JAKE_ID,
      'Jake',
      batch.map((e) => e.line),
    );
    this.events.fire(envelopes);
  }

  /** Reports that arrive together reach Jake as one message, so none is lost or interleaved. */
  private bubble(line: string): void {
    this.pendingReports.push(line);
    this.reportFlush ??= setImmediate(() => {
      this.reportFlush = undefined;
      const lines = this.pendingReports.splice(0);
      this.send(
        `${SQUAD_REPORTS} (tell the human what happened and what, if anything, they need to decide):\n${lines.map((l) => `- ${l}`).join('\n')}`,
        'tavern',
      );
    });
  }

  private save(): void {
    this.record.updatedAt = new Date().toISOString();
    this.options.coordinator.store.saveRecord(this.record);
  }
}

function newRecord(engine: Engine): AgentRecord {
  const now = new Date().toISOString();
  return {
    id: JAKE_ID,
    name: 'Jake',
    workerUrl: 'extension host',
    workerId: 'extension-host',
    engine: engine.name,
    permissionMode: 'default',
    state: 'waiting',
    stateReason: 'input',
    lastSeq: 0,
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    createdAt: now,
    updatedAt: now,
  };
}
