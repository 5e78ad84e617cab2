// One agent (on a worker, or Jake in the extension host): its engine session, its journal, its state, and the queue of
// messages it has been sent. Turns run one at a time, in the order messages arrived.
import type {
  AgentEvent,
  AgentEventEnvelope,
  AgentState,
  EngineName,
  PermissionMode,
  ReportStatus,
} from '../protocol/agentEvents';
import { errorMessage } from '../protocol/errors';
import type { AgentInfo, PermissionDecision } from '../protocol/wire';
import type {
  EngineContext,
  EngineSession,
  EngineTool,
  PermissionAsk,
  TurnOutcome,
} from './engines/engine';
import type { Logger } from './log';
import { assertTransition, canTransition } from './agentStateMachine';
import type { Journal } from './journal';
import type { PermissionBroker } from './permissionBroker';

export interface AgentSpec {
  agentId: string;
  name: string;
  engine: EngineName;
  cwd: string;
  permissionMode: PermissionMode;
  model: string | undefined;
  assignment: string | undefined;
  systemPrompt: string | undefined;
  resumeSessionId: string | undefined;
  createdAt: number;
  /** `coordinator` (Jake) reports to the human directly: no `report` tool. Default `agent`. */
  role?: 'agent' | 'coordinator';
  /** The user trusted this project's own Claude settings (hooks, allow rules, CLAUDE.md). */
  projectSettings?: boolean;
  /** Added to its engine's environment, for this agent only (its TAVERN_AGENT_PORT range). */
  env?: Record<string, string>;
  /** Its own git worktree and branch (agent workspaces); its cwd lies inside `path`. */
  workspace?: AgentWorkspace;
}

/** Where an agent's work lives when it has a worktree of its own. */
export interface AgentWorkspace {
  projectId: string;
  branch: string;
  /** The start commit (the user's snapshot): the merge base of its changes. */
  base: string;
  /** The worktree's directory. */
  path: string;
  /** Made straight from the user's repository (a worker on the same disk): no bundles. */
  sameDisk: boolean;
  /** Its block of ports (TAVERN_AGENT_PORT), unique among the worker's agents. */
  portSlot?: number;
}

/**
 * What the host learns from an agent. Its events are not here: they reach the host through
 * the JournalStore's `publish`, once durable, for all agents in one batch per tick.
 */
export interface AgentHooks {
  /**
   * A turn ended (before its outcome is applied and published): e.g. commit the agent's work,
   * so its changes are there when the coordinator hears it finished. Failures are reported
   * in its transcript, never fatal.
   */
  afterTurn?(agent: Agent, turn: number): Promise<void>;
  /** State or session id changed: persist the agent record. */
  onChanged(agent: Agent): void;
}

export class Agent {
  private stateValue: AgentState;
  private reasonValue: string | undefined;
  private sessionIdValue: string | undefined;
  private session: EngineSession | undefined;
  private createSession: (() => EngineSession) | undefined;
  /** Messages waiting for their turn (who sent them is in their `user` event). */
  private readonly queue: string[] = [];
  private running = false;
  /** Credentials for its engine only (never in the spec, so never in a record or journal). */
  private secretEnv: Readonly<Record<string, string>> = {};
  /** Settles when the queue of turns now running ends (see whenIdle). */
  private turnsDone: Promise<void> = Promise.resolve();
  /** Turns taken since this Agent was made (numbers its turn commits). */
  private turns = 0;
  private turnReport: { status: ReportStatus; summary: string } | undefined;
  private abort = new AbortController();

  constructor(
    readonly spec: AgentSpec,
    readonly journal: Journal,
    private readonly broker: PermissionBroker,
    private readonly hooks: AgentHooks,
    private readonly log: Logger,
    restored?: { state: AgentState; reason: string | undefined; sessionId: string | undefined },
  ) {
    this.stateValue = restored?.state ?? 'summoned';
    this.reasonValue = restored?.reason;
    this.sessionIdValue = restored?.sessionId ?? spec.resumeSessionId;
  }

  get id(): string {
    return this.spec.agentId;
  }
  get state(): AgentState {
    return this.stateValue;
  }
  get sessionId(): string | undefined {
    return this.sessionIdValue;
  }
  get busy(): boolean {
    return this.running;
  }

  info(): AgentInfo {
    const s = this.spec;
    return {
      agentId: s.agentId,
      name: s.name,
      engine: s.engine,
      state: this.stateValue,
      ...(this.reasonValue !== undefined ? { stateReason: this.reasonValue } : {}),
      lastSeq: this.journal.lastSeq,
      cwd: s.cwd,
      permissionMode: s.permissionMode,
      ...(s.model !== undefined ? { model: s.model } : {}),
      ...(s.assignment !== undefined ? { assignment: s.assignment } : {}),
      ...(this.sessionIdValue !== undefined ? { sessionId: this.sessionIdValue } : {}),
      createdAt: s.createdAt,
      pendingPermissions: this.broker.pendingFor(s.agentId),
      ...(s.workspace ? { workspace: { branch: s.workspace.branch, base: s.workspace.base } } : {}),
    };
  }

  /** Journals the first event (`summoned`); called once right after construction. */
  announce(): void {
    this.emit({ kind: 'state', state: 'summoned' });
  }

  attachSession(session: EngineSession): void {
    this.session = session;
  }

  /**
   * For agents restored after a restart: the session is made on their next message, so a
   * worker with many old agents does not start (or claim) an engine process for each.
   */
  attachSessionLater(create: () => EngineSession): void {
    this.createSession = create;
  }

  /** Builds the context an engine session gets for this agent. */
  context(tools: readonly EngineTool[]): EngineContext {
    const s = this.spec;
    return {
      agentId: s.agentId,
      name: s.name,
      cwd: s.cwd,
      model: s.model,
      permissionMode: s.permissionMode,
      systemPrompt: s.systemPrompt,
      resumeSessionId: this.sessionIdValue,
      role: s.role ?? 'agent',
      projectSettings: s.projectSettings === true,
      env: { ...s.env, ...this.secretEnv },
      tools,
      emit: (event) => this.emit(event),
      drain: () => this.journal.drain(),
      requestPermission: (ask, signal) => this.requestPermission(ask, signal),
      report: (status, summary) => {
        this.turnReport = { status, summary };
        this.emit({ kind: 'report', status, summary });
      },
      setSessionId: (sessionId) => {
        if (sessionId === this.sessionIdValue) return;
        this.sessionIdValue = sessionId;
        this.hooks.onChanged(this);
      },
      log: (message) => this.log.debug(`agent ${s.name} (${s.agentId}): ${message}`),
    };
  }

  /** Queues a message; starts a turn when idle. */
  send(text: string, from?: string): void {
    this.emit({ kind: 'user', text, ...(from !== undefined ? { from } : {}) });
    this.queue.push(text);
    if (!this.running) this.turnsDone = this.runQueue();
  }

  async interrupt(): Promise<void> {
    this.queue.length = 0;
    this.abort.abort();
    this.abort = new AbortController();
    this.broker.cancelAgent(this.id, 'The agent was interrupted.');
    if (this.running) await this.session?.interrupt();
  }

  async dismiss(): Promise<void> {
    if (this.stateValue === 'dismissed') return;
    await this.interrupt();
    await this.session
      ?.dispose()
      .catch((error: unknown) =>
        this.log.warn(`agent ${this.id}: dispose failed: ${String(error)}`),
      );
    this.session = undefined;
    this.setState('dismissed');
  }

  /**
   * Its host is going away (the worker shuts down, the window closes): end the engine
   * session and keep the state as it is, so the agent is restored as it stood.
   */
  async stop(): Promise<void> {
    this.queue.length = 0;
    this.abort.abort();
    await this.session
      ?.dispose()
      .catch((error: unknown) => this.log.warn(`agent ${this.id}: stop failed: ${String(error)}`));
    this.session = undefined;
  }

  /** Credentials the user shared with this agent's worker (before its session is made). */
  setSecretEnv(env: Readonly<Record<string, string>>): void {
    this.secretEnv = env;
  }

  /**
   * Resolves once no turn runs: after an interrupt, its end (the turn's commit and its
   * final state event) is journalled by then.
   */
  whenIdle(): Promise<void> {
    return this.turnsDone;
  }

  /** Its engine changed: the old engine's session id cannot be resumed by the new one. */
  forgetSession(): void {
    if (this.sessionIdValue === undefined) return;
    this.sessionIdValue = undefined;
    this.hooks.onChanged(this);
  }

  /**
   * Journals an event: its seq is taken now, and it is published (to coordinators, or the
   * host's listeners) once the journal has written it, in the next group commit.
   */
  emit(event: AgentEvent): AgentEventEnvelope {
    return this.journal.append(event);
  }

  setState(state: AgentState, reason?: string): void {
    if (state === this.stateValue && reason === this.reasonValue) return;
    assertTransition(this.stateValue, state);
    this.stateValue = state;
    this.reasonValue = reason;
    this.emit({ kind: 'state', state, ...(reason !== undefined ? { reason } : {}) });
    this.hooks.onChanged(this);
  }

  private isDismissed(): boolean {
    return this.stateValue === 'dismissed';
  }

  private async requestPermission(
    ask: PermissionAsk,
    signal?: AbortSignal,
  ): Promise<PermissionDecision> {
    const merged = signal ? AbortSignal.any([signal, this.abort.signal]) : this.abort.signal;
    const { requestId, decision } = this.broker.request(
      { agentId: this.id, tool: ask.tool, input: ask.input, request: ask.request },
      merged,
    );
    this.emit({
      kind: 'permission',
      requestId,
      tool: ask.tool,
      input: ask.input,
      request: ask.request,
      status: 'pending',
    });
    if (this.stateValue === 'working' || this.stateValue === 'waiting') {
      this.setState('waiting', ask.request === 'plan' ? 'plan' : 'permission');
    }
    const answer = await decision;
    this.emit({
      kind: 'permission',
      requestId,
      tool: ask.tool,
      input: ask.input,
      request: ask.request,
      status: answer.decision === 'allow' ? 'allowed' : 'denied',
      ...(answer.message !== undefined ? { message: answer.message } : {}),
    });
    if (this.stateValue === 'waiting' && this.running && this.broker.pendingFor(this.id) === 0) {
      this.setState('working');
    }
    return answer;
  }

  private async runQueue(): Promise<void> {
    this.running = true;
    try {
      let next = this.queue.shift();
      while (next !== undefined && this.stateValue !== 'dismissed') {
        if (!this.session && this.createSession) {
          this.session = this.createSession();
          this.createSession = undefined;
        }
        if (!this.session) {
          this.emit({
            kind: 'error',
            message: `This agent has no engine session: the ${this.spec.engine} engine is not available on this worker. Summon a new agent to continue.`,
            code: 'no_session',
          });
          if (canTransition(this.stateValue, 'failed'))
            this.setState('failed', 'no engine session');
          break;
        }
        this.turnReport = undefined;
        this.setState('working');
        const outcome = await this.session.runTurn(next).catch((error: unknown): TurnOutcome => ({
          status: 'failed',
          message: `The engine crashed: ${String(error)}`,
        }));
        // The agent may have been dismissed while the turn ran.
        if (this.isDismissed()) break;
        await this.afterTurn();
        this.applyOutcome(outcome);
        next = this.queue.shift();
      }
    } finally {
      this.running = false;
    }
  }

  private async afterTurn(): Promise<void> {
    if (!this.hooks.afterTurn) return;
    this.turns++;
    try {
      await this.hooks.afterTurn(this, this.turns);
    } catch (error) {
      this.emit({
        kind: 'notice',
        level: 'warning',
        code: 'after_turn',
        message: `After turn ${this.turns}: ${errorMessage(error)}`,
      });
    }
  }

  private applyOutcome(outcome: TurnOutcome): void {
    if (outcome.status === 'interrupted') {
      this.setState('interrupted', 'interrupted by the user');
      return;
    }
    if (outcome.status === 'failed') {
      this.emit({
        kind: 'error',
        message: outcome.message,
        ...(outcome.code ? { code: outcome.code } : {}),
      });
      this.setState('failed', outcome.message);
      return;
    }
    const report = this.turnReport;
    if (report?.status === 'done') this.setState('done', report.summary);
    else if (report?.status === 'blocked') this.setState('waiting', 'blocked');
    else this.setState('waiting', 'input');
  }
}
