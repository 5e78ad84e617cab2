// Jake in the extension host: one engine session per project (claude for real use, scripted
// for tests and the offline demo), rooted in the folder, with his tools over the project's
// coordinator. Agents' reports are told to him (batched, queued while he is mid-turn) so he
// can tell the human. His session id and transcript persist in .tavern/jake/ so he resumes
// after a reload.
import { Emitter } from 'vscode-jsonrpc/node';
import type { AgentEvent, AgentEventEnvelope } from '../../../protocol/agentEvents';
import type { PermissionDecision } from '../../../protocol/wire';
import type {
  Engine,
  EngineContext,
  EngineSession,
  PermissionAsk,
} from '../../../runtime/engines/engine';
import type { Coordinator } from '../coordinator/coordinator';
import { JAKE_ID, type AgentRecord } from '../store/tavernStore';
import type { WorkerPool } from '../workers/workerPool';
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
  log: (message: string) => void;
}

export interface JakePermissionRequest {
  ask: PermissionAsk;
  answer(decision: PermissionDecision): void;
}

export class Jake {
  private seq: number;
  private readonly record: AgentRecord;
  private readonly session: EngineSession;
  private readonly queue: string[] = [];
  private running = false;
  /** Since this window opened (older turns are in the transcript). */
  private readonly totals = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  private pendingReports: string[] = [];
  private reportFlush: NodeJS.Immediate | undefined;
  private readonly disposables: { dispose(): void }[] = [];
  private readonly events = new Emitter<AgentEventEnvelope>();
  private readonly permissions = new Emitter<JakePermissionRequest>();
  readonly onEvent = this.events.event;
  readonly onPermissionRequest = this.permissions.event;

  constructor(private readonly options: JakeOptions) {
    const store = options.coordinator.store;
    const now = new Date().toISOString();
    this.record = store.loadJake() ?? {
      id: JAKE_ID,
      name: 'Jake',
      workerUrl: 'extension host',
      workerId: 'extension-host',
      engine: options.engine.name,
      permissionMode: 'default',
      state: 'waiting',
      lastSeq: 0,
      createdAt: now,
      updatedAt: now,
    };
    this.seq = this.record.lastSeq;
    if (this.record.engine !== options.engine.name) {
      // A different engine cannot resume the old session: start fresh and say so.
      delete this.record.sessionId;
      this.record.engine = options.engine.name;
    }
    const ctx: EngineContext = {
      agentId: JAKE_ID,
      name: 'Jake',
      cwd: options.folder,
      model: options.model,
      permissionMode: 'default',
      systemPrompt: JAKE_SYSTEM_PROMPT,
      resumeSessionId: this.record.sessionId,
      tools: jakeTools(options.coordinator, options.pool),
      emit: (event) => this.emit(event),
      requestPermission: (ask) => this.askHuman(ask),
      report: () => undefined, // Jake reports to the human directly
      setSessionId: (sessionId) => {
        this.record.sessionId = sessionId;
        this.save();
      },
      log: (message) => options.log(`jake: ${message}`),
    };
    this.session = options.engine.createSession(ctx);
    this.disposables.push(
      options.coordinator.onReport(({ agent, status, summary }) =>
        this.bubble(`${agent.name} (${agent.id}) reported ${status}: ${summary}`),
      ),
    );
  }

  get sessionId(): string | undefined {
    return this.record.sessionId;
  }
  get busy(): boolean {
    return this.running;
  }
  /** Jake's row in the squad list. */
  get status(): {
    state: AgentRecord['state'];
    inputTokens: number;
    outputTokens: number;
    costUsd: number;
    engine: string;
  } {
    return { state: this.record.state, ...this.totals, engine: this.record.engine };
  }

  /** The human (or the Tavern) says something to Jake; turns run one at a time, in order. */
  send(text: string, from: 'user' | 'tavern' = 'user'): void {
    this.emit({ kind: 'user', text, from });
    this.queue.push(text);
    if (!this.running) void this.runQueue();
  }

  async interrupt(): Promise<void> {
    this.queue.length = 0;
    await this.session.interrupt();
  }

  transcript(options: { beforeSeq?: number; limit: number }): Promise<AgentEventEnvelope[]> {
    return this.options.coordinator.store.loadTranscript(JAKE_ID, options);
  }

  async dispose(): Promise<void> {
    clearImmediate(this.reportFlush);
    for (const d of this.disposables.splice(0)) d.dispose();
    await this.session.dispose();
    this.save();
    this.events.dispose();
    this.permissions.dispose();
  }

  /** Reports that arrive together reach Jake as one message, so none is lost or interleaved. */
  private bubble(line: string): void {
    this.pendingReports.push(line);
    this.reportFlush ??= setImmediate(() => {
      this.reportFlush = undefined;
      const lines = this.pendingReports.splice(0);
      this.send(
        `[Tavern] Squad reports (tell the human what happened and what, if anything, they need to decide):\n${lines.map((l) => `- ${l}`).join('\n')}`,
        'tavern',
      );
    });
  }

  private async runQueue(): Promise<void> {
    this.running = true;
    try {
      for (let text = this.queue.shift(); text !== undefined; text = this.queue.shift()) {
        this.emit({ kind: 'state', state: 'working' });
        const outcome = await this.session.runTurn(text);
        if (outcome.status === 'failed') {
          this.emit({ kind: 'error', message: outcome.message });
          this.emit({ kind: 'state', state: 'failed', reason: outcome.message });
        } else if (outcome.status === 'interrupted') {
          this.emit({ kind: 'state', state: 'interrupted', reason: 'interrupted by the user' });
        } else {
          this.emit({ kind: 'state', state: 'waiting', reason: 'input' });
        }
      }
    } finally {
      this.running = false;
    }
  }

  private askHuman(ask: PermissionAsk): Promise<PermissionDecision> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (decision: PermissionDecision): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(decision);
      };
      const ms = this.options.permissionTimeoutMs ?? 600_000;
      const timer = setTimeout(
        () =>
          settle({
            decision: 'deny',
            message: `No decision arrived within ${Math.round(ms / 1000)} s.`,
          }),
        ms,
      );
      timer.unref();
      this.permissions.fire({ ask, answer: settle });
    });
  }

  private emit(event: AgentEvent): void {
    const envelope: AgentEventEnvelope = {
      agentId: JAKE_ID,
      seq: ++this.seq,
      time: Date.now(),
      event,
    };
    this.record.lastSeq = this.seq;
    if (event.kind === 'result') {
      this.totals.inputTokens += event.inputTokens + event.cacheReadTokens + event.cacheWriteTokens;
      this.totals.outputTokens += event.outputTokens;
      this.totals.costUsd += event.costUsd;
    }
    if (event.kind === 'state') {
      this.record.state = event.state;
      this.save();
    }
    this.options.coordinator.store.append(JAKE_ID, 'Jake', [envelope]);
    this.events.fire(envelope);
  }

  private save(): void {
    this.record.updatedAt = new Date().toISOString();
    this.options.coordinator.store.saveRecord(this.record);
  }
}
