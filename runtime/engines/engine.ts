// One interface, several engines (claude, anthropic, scripted). An engine turns user text
// into agent events; the runtime owns state, journal and fan-out.
import type {
  AgentEvent,
  EngineName,
  PermissionMode,
  ReportStatus,
} from '../../protocol/agentEvents';
import type { EngineStatus, PermissionDecision } from '../../protocol/wire';

export interface PermissionAsk {
  tool: string;
  input: unknown;
  /** `plan` = the agent asks to leave plan mode; put the plan text in `input.plan`. */
  request: 'tool' | 'plan';
}

/**
 * An in-process tool offered to the agent (Jake's summon_agent, ...). Claude gets it through
 * an in-process MCP server; the scripted engine calls it with `[[tool NAME {json}]]`.
 */
export interface EngineTool {
  readonly name: string;
  readonly description: string;
  /** zod object shape of the arguments. */
  readonly inputShape: Record<string, import('zod').ZodType>;
  /** Returns the text the agent sees as the tool result; throw for a tool error. */
  handler(args: Record<string, unknown>): Promise<string>;
}

/** What an engine session may do to its agent. */
export interface EngineContext {
  readonly agentId: string;
  readonly name: string;
  /** Absolute, already checked to lie inside the worker's workdir. */
  readonly cwd: string;
  readonly model: string | undefined;
  readonly permissionMode: PermissionMode;
  readonly systemPrompt: string | undefined;
  /** A session to resume (e.g. a Claude session id persisted by the coordinator). */
  readonly resumeSessionId: string | undefined;
  /** `coordinator` (Jake) answers the human himself: engines offer him no `report` tool. */
  readonly role: 'agent' | 'coordinator';
  /**
   * Whether the project's own settings may load (for claude: .claude/settings*.json with their
   * hooks and allow rules, and CLAUDE.md). Off unless the user trusted them: a repository is
   * not the user.
   */
  readonly projectSettings: boolean;
  /** Added to the environment of what the agent runs (its TAVERN_AGENT_PORT range). */
  readonly env: Readonly<Record<string, string>>;
  /** Extra tools beyond the engine's own (`report` is offered to every `agent`). */
  readonly tools: readonly EngineTool[];
  /** Journal an event (published once written). `state` events are the runtime's: never emit them. */
  emit(event: Exclude<AgentEvent, { kind: 'state' }>): void;
  /**
   * Resolves when the journal can take more events: at once, unless events come faster
   * than the disk takes them. Await it where the engine can pause (between chunks).
   */
  drain?(): Promise<void>;
  /**
   * Asks the coordinator; the agent shows `waiting` until answered. Waits for a coordinator
   * to (re)connect; denies with a clear message after the worker's permission timeout, or
   * when `signal` aborts (interrupt).
   */
  requestPermission(ask: PermissionAsk, signal?: AbortSignal): Promise<PermissionDecision>;
  /** The agent's structured report (its `report` tool): drives the state machine. */
  report(status: ReportStatus, summary: string): void;
  /** Remember the engine's session id (shown in agent/list, used to resume). */
  setSessionId(sessionId: string): void;
  log(message: string): void;
}

/**
 * How a turn ended. `completed`: the engine finished normally (the runtime then applies the
 * last report, if any: done -> done, blocked / needs_input -> waiting; none -> waiting for
 * input). `interrupted` after `interrupt()`. `failed` with a readable message that says what to do.
 */
export type TurnOutcome =
  | { status: 'completed' }
  | { status: 'interrupted' }
  /** `code`: machine-readable, carried on the `error` event (e.g. `auth_required`). */
  | { status: 'failed'; message: string; code?: string };

export interface EngineSession {
  /** Runs one turn on the user's text; resolves when the turn ends. Never rejects. */
  runTurn(text: string): Promise<TurnOutcome>;
  /** Interrupts the running turn, if any; `runTurn` then resolves `interrupted`. */
  interrupt(): Promise<void>;
  dispose(): Promise<void>;
}

export interface Engine {
  readonly name: EngineName;
  /** Whether this engine can really run on this machine, and if not, why. Cached by caller. */
  probe(): Promise<EngineStatus>;
  createSession(ctx: EngineContext): EngineSession;
  /** Pre-warm (e.g. the Claude SDK's startup()) so a new agent's first event comes fast. */
  warm?(): Promise<void>;
  dispose?(): Promise<void>;
}
