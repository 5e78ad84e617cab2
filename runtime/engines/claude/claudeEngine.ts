// The `claude` engine: the real Claude Code loop through the Claude Agent SDK. One agent is
// one Claude session rooted in its cwd, kept in one long-lived streaming query so every
// message continues the same session; if the process dies, the next turn resumes the
// session by id. Permission prompts become `permission/request`s to the coordinator.
import {
  query,
  type CanUseTool,
  type PermissionResult,
  type Query,
} from '@anthropic-ai/claude-agent-sdk';
import type { EngineStatus } from '../../../protocol/wire';
import type { Logger } from '../../log';
import type { Engine, EngineContext, EngineSession, TurnOutcome } from '../engine';
import { checkClaudeAuth } from './claudeAuth';
import {
  CLAUDE_SOURCE_LABEL,
  findClaude,
  type ClaudeLocation,
  type ClaudeSearch,
} from './findClaude';
import { InputQueue } from './inputQueue';
import { SdkEventMapper } from './sdkEventMapper';
import { buildSdkOptions, type SdkOptionSettings } from './sdkOptions';
import { canClaim, SpareProcess, spareKey, type SpareShape } from './spareProcess';
import { TAVERN_SERVER } from './tavernTools';

export interface ClaudeEngineOptions {
  /** tavern.claudePath / --claude-path; when unset, `search` says where else to look. */
  claudePath: string | undefined;
  /** Where to look besides the defaults (e.g. Tavern's download folder); see findClaude. */
  search?: Omit<ClaudeSearch, 'configured'>;
  /** Variables added to Claude Code's environment (e.g. an API key kept in SecretStorage). */
  env?: Record<string, string>;
  log: Logger;
  /** Keep sessions on disk so agents can resume (default true; tests turn it off). */
  persistSession?: boolean;
  /** Load the user's/project's Claude settings (default true; tests turn it off). */
  loadSettings?: boolean;
  /** Keep a pre-started Claude process for the next agent in this folder (default true). */
  prewarm?: boolean;
  /** The worker's workdir: where the first spare process waits. */
  workdir?: string;
}

type Active = { ready: Promise<Query>; input: InputQueue };

/** The longest a claimed spare goes without a successor (see scheduleRefill). */
const SPARE_REFILL_MS = 3_000;

class ClaudeSession implements EngineSession {
  private active: Active | undefined;
  private pending: ((outcome: TurnOutcome) => void) | undefined;
  private interrupting = false;
  private sessionId: string | undefined;
  private readonly mapper = new SdkEventMapper();
  /** The model's latest input per tool: Claude Code hands ExitPlanMode's check an empty input. */
  private readonly lastToolInput = new Map<string, Record<string, unknown>>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly settings: SdkOptionSettings,
    /** A pre-started process this session may claim for its first turn. */
    private spare: SpareProcess | undefined,
    /** Called once, when the first turn ends: the engine may start the next spare then. */
    private onFirstTurnEnd?: () => void,
  ) {
    this.sessionId = ctx.resumeSessionId;
  }

  runTurn(text: string): Promise<TurnOutcome> {
    const outcome = new Promise<TurnOutcome>((resolve) => (this.pending = resolve));
    this.interrupting = false;
    const active = this.active ?? this.start(this.sessionId);
    active.input.push(text);
    return outcome;
  }

  async interrupt(): Promise<void> {
    if (!this.pending || !this.active) return;
    this.interrupting = true;
    const q = await this.active.ready;
    try {
      await q.interrupt();
    } catch (error) {
      this.ctx.log(`interrupt failed (${String(error)}); closing the Claude process`);
      q.close();
    }
  }

  async dispose(): Promise<void> {
    const active = this.active;
    this.active = undefined;
    active?.input.end();
    active?.ready.then(
      (q) => q.close(),
      () => undefined,
    );
    this.spare?.close();
    this.spare = undefined;
    this.settle({ status: 'interrupted' });
  }

  private start(resume: string | undefined): Active {
    const input = new InputQueue();
    const spare = this.spare;
    this.spare = undefined;
    const fresh = (): Query =>
      query({
        prompt: input,
        options: buildSdkOptions(this.ctx, this.canUseTool, this.settings, resume),
      });
    const ready =
      spare && !resume
        ? spare.claim(this.ctx, this.canUseTool).then(
            (warm) => warm.query(input),
            () => fresh(), // the spare failed to start: start normally
          )
        : Promise.resolve().then(fresh);
    const active: Active = { ready, input };
    this.active = active;
    this.mapper.startQuery(resume !== undefined);
    void this.consume(active, resume);
    return active;
  }

  private readonly canUseTool: CanUseTool = async (
    toolName,
    input,
    { signal },
  ): Promise<PermissionResult> => {
    if (toolName.startsWith(`mcp__${TAVERN_SERVER}__`))
      return { behavior: 'allow', updatedInput: input };
    const isPlan = toolName === 'ExitPlanMode';
    const shown = isPlan ? { ...this.lastToolInput.get(toolName), ...input } : input;
    const decision = await this.ctx.requestPermission(
      { tool: toolName, input: shown, request: isPlan ? 'plan' : 'tool' },
      signal,
    );
    if (decision.decision === 'allow')
      return { behavior: 'allow', updatedInput: decision.updatedInput ?? input };
    const fallback = isPlan
      ? 'The user rejected the plan. Revise it.'
      : `The user denied ${toolName}.`;
    return {
      behavior: 'deny',
      message: decision.message ? `${fallback} ${decision.message}` : fallback,
    };
  };

  private async consume(active: Active, resume: string | undefined): Promise<void> {
    let sawInit = false;
    try {
      for await (const message of await active.ready) {
        // Reading the next message waits while the journal is far behind (bounded memory).
        await this.ctx.drain?.();
        if (message.type === 'result' && this.onFirstTurnEnd) {
          this.onFirstTurnEnd();
          this.onFirstTurnEnd = undefined;
        }
        const out = this.mapper.map(message);
        if (out.sessionId) {
          sawInit = true;
          if (out.sessionId !== this.sessionId) {
            this.sessionId = out.sessionId;
            this.ctx.setSessionId(out.sessionId);
          }
        }
        for (const event of out.events) {
          if (
            event.kind === 'tool_use' &&
            typeof event.input === 'object' &&
            event.input !== null
          ) {
            this.lastToolInput.set(event.name, event.input as Record<string, unknown>);
          }
          this.ctx.emit(event);
        }
        if (out.result) {
          if (this.interrupting) this.settle({ status: 'interrupted' });
          else if (out.result.ok) this.settle({ status: 'completed' });
          else
            this.settle({
              status: 'failed',
              message: out.result.error ?? 'The Claude turn failed.',
              ...(out.result.code ? { code: out.result.code } : {}),
            });
        }
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (this.active === active) this.active = undefined;
      if (resume && !sawInit && this.pending) {
        // The stored session could not be resumed: start fresh and say so.
        this.ctx.emit({
          kind: 'notice',
          level: 'warning',
          code: 'session_break',
          message: `Session break: could not resume session ${resume} (${message}); starting a fresh session.`,
        });
        this.sessionId = undefined;
        return this.retryFresh(active);
      }
      if (this.interrupting) this.settle({ status: 'interrupted' });
      else this.settle({ status: 'failed', message: `Claude Code stopped: ${message}` });
      return;
    }
    if (this.active === active) this.active = undefined;
    if (this.interrupting) this.settle({ status: 'interrupted' });
    else this.settle({ status: 'failed', message: 'Claude Code exited before the turn finished.' });
  }

  /** Re-sends the unanswered message in a fresh session. */
  private retryFresh(failed: { input: InputQueue }): void {
    failed.input.end();
    const fresh = this.start(undefined);
    fresh.input.push(
      '(The previous session could not be resumed; the conversation starts fresh.) Please continue with your assignment.',
    );
  }

  private settle(outcome: TurnOutcome): void {
    const resolve = this.pending;
    this.pending = undefined;
    this.interrupting = false;
    resolve?.(outcome);
  }
}

export class ClaudeEngine implements Engine {
  readonly name = 'claude' as const;
  private spare: SpareProcess | undefined;
  /** Starts the next spare; pending from a claim until that agent's first turn ends (or a timer). */
  private refill: (() => void) | undefined;
  private refillTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(private readonly options: ClaudeEngineOptions) {}

  /** Found and signed in? Runs `claude auth status` when no credentials are in the env. */
  async probe(): Promise<EngineStatus> {
    const found = this.find();
    if ('error' in found)
      return { name: 'claude', available: false, ready: false, reason: found.error };
    const where = `Claude Code at ${found.path} (${CLAUDE_SOURCE_LABEL[found.source]})`;
    const auth = await checkClaudeAuth({
      executable: found.path,
      env: { ...process.env, ...this.options.env },
    });
    return auth.ready
      ? { name: 'claude', available: true, ready: true, detail: `${where}, ${auth.message}` }
      : { name: 'claude', available: true, ready: false, reason: auth.message, detail: where };
  }

  /** The executable this engine runs, and where it was found. */
  find(): ClaudeLocation | { error: string } {
    return findClaude({ ...this.options.search, configured: this.options.claudePath });
  }

  /** Starts a spare Claude process in the workdir for the first agent. */
  async warm(): Promise<void> {
    const found = this.find();
    if ('error' in found || this.options.prewarm === false || !this.options.workdir) return;
    this.spare ??= this.newSpare(found.path, {
      cwd: this.options.workdir,
      permissionMode: 'default',
      model: undefined,
    });
  }

  createSession(ctx: EngineContext): EngineSession {
    const found = this.find();
    if ('error' in found) return new UnavailableSession(found.error);
    const spare = this.takeSpare(ctx, found.path);
    // This agent's refill; a no-op once a later claim has replaced it.
    return new ClaudeSession(ctx, this.settings(found.path), spare, this.refill);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.refillTimer);
    this.refill = undefined;
    this.spare?.close();
    this.spare = undefined;
  }

  /** Hands the spare to an agent it fits; the next spare of the same shape follows later. */
  private takeSpare(ctx: EngineContext, executable: string): SpareProcess | undefined {
    if (this.options.prewarm === false || !canClaim(ctx)) return undefined;
    const shape = { cwd: ctx.cwd, permissionMode: ctx.permissionMode, model: ctx.model };
    const spare = this.spare?.key === spareKey(shape) ? this.spare : undefined;
    if (this.spare && !spare) this.spare.close();
    this.spare = undefined;
    this.scheduleRefill(executable, shape);
    this.options.log.debug(
      `claude: agent ${ctx.agentId} ${spare ? 'claims the warm spare process' : 'starts a fresh Claude process (no matching spare)'}`,
    );
    return spare;
  }

  /**
   * Starting Claude Code takes a core for a few hundred ms: started at once, the next spare
   * slowed the first answer of the agent that had just claimed one (bench/claude on 2 cores,
   * warm start vs the bare SDK's: 1.6x with the next spare started at once, 1.1x with it
   * started here). It starts when that agent's first turn ends, or after SPARE_REFILL_MS (a
   * long turn, or an agent spawned without an assignment).
   */
  private scheduleRefill(executable: string, shape: SpareShape): void {
    clearTimeout(this.refillTimer);
    const refill = (): void => {
      clearTimeout(this.refillTimer);
      if (this.refill !== refill) return;
      this.refill = undefined;
      if (this.disposed || this.spare) return;
      this.options.log.debug('claude: starting the next spare process');
      this.spare = this.newSpare(executable, shape);
    };
    this.refill = refill;
    this.refillTimer = setTimeout(refill, SPARE_REFILL_MS);
    this.refillTimer.unref();
  }

  private newSpare(executable: string, shape: SpareShape): SpareProcess {
    return new SpareProcess(shape, this.settings(executable), (message) =>
      this.options.log.debug(message),
    );
  }

  private settings(executable: string): SdkOptionSettings {
    return {
      executable,
      ...(this.options.env ? { env: this.options.env } : {}),
      ...(this.options.persistSession !== undefined
        ? { persistSession: this.options.persistSession }
        : {}),
      ...(this.options.loadSettings !== undefined
        ? { loadSettings: this.options.loadSettings }
        : {}),
    };
  }
}

/** A session that explains why it cannot run, on every turn. */
class UnavailableSession implements EngineSession {
  constructor(private readonly reason: string) {}
  async runTurn(): Promise<TurnOutcome> {
    // The runtime turns this into the `error` event (once) and the failed state.
    return { status: 'failed', message: this.reason, code: 'engine_missing' };
  }
  async interrupt(): Promise<void> {}
  async dispose(): Promise<void> {}
}
