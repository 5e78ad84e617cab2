// Wire contract v1 between a coordinator (the extension) and a worker: one constant per
// method (`area/verb`) next to its zod schemas. Keep names; add, don't rename.
import { z } from 'zod';
import {
  AgentEventEnvelopeSchema,
  AgentStateSchema,
  EngineNameSchema,
  PermissionModeSchema,
} from './agentEvents';
import { notification, request, type ParamsOf, type ResultOf } from './wireSpec';
import { SpawnWorkspaceSchema } from './workspaceWire';

export const PROTOCOL_VERSION = 1;

export type { NotificationSpec, ParamsOf, RequestSpec, ResultOf } from './wireSpec';

const AgentId = z.string().min(1).max(128);
const Empty = z.object({}).strict();

export const EngineStatusSchema = z.object({
  name: EngineNameSchema,
  /** The engine exists here (e.g. a Claude Code executable was found). */
  available: z.boolean(),
  /**
   * It can run now (e.g. Claude Code is signed in or has an API key). Optional so hellos from
   * older workers still parse: read it with `isEngineReady`, which treats missing as `available`.
   */
  ready: z.boolean().optional(),
  /** Why it is not available or not ready, and what to install, set or run. */
  reason: z.string().optional(),
  /** E.g. the Claude Code executable found and how it signs in, or the default model. */
  detail: z.string().optional(),
});
export type EngineStatus = z.infer<typeof EngineStatusSchema>;

/** Whether placement and pickers may use the engine; an older worker sends no `ready`. */
export function isEngineReady(status: Pick<EngineStatus, 'available' | 'ready'>): boolean {
  return status.available && (status.ready ?? true);
}

export const AgentInfoSchema = z.object({
  agentId: AgentId,
  name: z.string(),
  engine: EngineNameSchema,
  state: AgentStateSchema,
  /** Why it waits / failed (mirrors the last `state` event's reason). */
  stateReason: z.string().optional(),
  lastSeq: z.number().int().nonnegative(),
  cwd: z.string(),
  permissionMode: PermissionModeSchema,
  model: z.string().optional(),
  assignment: z.string().optional(),
  sessionId: z.string().optional(),
  createdAt: z.number(),
  /** Permission requests waiting for a decision. */
  pendingPermissions: z.number().int().nonnegative(),
  /** Its own worktree's branch and start commit (agent workspaces). */
  workspace: z.object({ branch: z.string(), base: z.string() }).optional(),
});
export type AgentInfo = z.infer<typeof AgentInfoSchema>;

/** What a coordinator understands beyond protocol 1's base (absent: nothing extra). */
export const ClientCapabilitiesSchema = z.object({
  /** It accepts `agent/events` batches; without it the worker sends only `agent/event`. */
  eventBatches: z.boolean().optional(),
});
export type ClientCapabilities = z.infer<typeof ClientCapabilitiesSchema>;

/** A problem the worker found at start (a damaged record moved aside, modes tightened...). */
export const WorkerNoticeSchema = z.object({
  level: z.enum(['info', 'warning']),
  message: z.string(),
});
export type WorkerNotice = z.infer<typeof WorkerNoticeSchema>;

export const WorkerHello = request(
  'worker/hello',
  z.object({
    protocolVersion: z.number().int(),
    client: z.object({ name: z.string().max(200), version: z.string().max(100) }),
    capabilities: ClientCapabilitiesSchema.optional(),
  }),
  z.object({
    protocolVersion: z.number().int(),
    workerId: z.string(),
    name: z.string(),
    version: z.string(),
    hostname: z.string(),
    platform: z.string(),
    arch: z.string(),
    workdir: z.string(),
    engines: z.array(EngineStatusSchema),
    maxAgents: z.number().int().positive(),
    /** It gives agents their own worktrees (workspace/* and agent/changes, agent/pull). */
    workspaces: z.boolean().optional(),
    /** Live agents only: dismissed ones leave the list (their journals stay replayable). */
    agents: z.array(AgentInfoSchema),
    /** Problems found when the worker started, for the coordinator to show. */
    notices: z.array(WorkerNoticeSchema).optional(),
  }),
);
export type HelloResult = ResultOf<typeof WorkerHello>;

export const AgentSpawn = request(
  'agent/spawn',
  z.object({
    agentId: AgentId.optional(),
    name: z.string().min(1).max(100),
    /** When present the agent starts working on it at once. */
    assignment: z.string().max(1_000_000).optional(),
    engine: EngineNameSchema,
    model: z.string().max(200).optional(),
    /** Relative to the worker's workdir, or absolute inside it. */
    cwd: z.string().max(4096).optional(),
    permissionMode: PermissionModeSchema.optional(),
    /** Resume this engine session (e.g. a Claude session id) instead of starting fresh. */
    resumeSessionId: z.string().max(200).optional(),
    /** Extra system prompt text for the agent (e.g. Jake's character). */
    systemPrompt: z.string().max(200_000).optional(),
    /**
     * Load the project's own Claude settings (.claude/settings*.json: hooks, allow rules) and
     * CLAUDE.md for this agent. Only when the user trusted them; absent means off.
     */
    projectSettings: z.boolean().optional(),
    /** Work in a worktree of its own at this commit (agent workspaces). */
    workspace: SpawnWorkspaceSchema.optional(),
    /**
     * The user's API key, for a worker they opted in: given to this agent's engine only, kept
     * in memory, never journalled, logged or written to a record.
     */
    credentials: z.object({ anthropicApiKey: z.string().min(1).max(500) }).optional(),
  }),
  z.object({
    agentId: AgentId,
    /** With a workspace: the branch it works on (never an existing one) and its start. */
    workspace: z.object({ branch: z.string(), base: z.string() }).optional(),
  }),
);

export const AgentSend = request(
  'agent/send',
  z.object({
    agentId: AgentId,
    text: z.string().min(1).max(1_000_000),
    from: z.string().max(100).optional(),
  }),
  Empty,
);
export const AgentInterrupt = request('agent/interrupt', z.object({ agentId: AgentId }), Empty);
export const AgentDismiss = request('agent/dismiss', z.object({ agentId: AgentId }), Empty);
export const AgentList = request(
  'agent/list',
  z.object({}).optional(),
  z.object({ agents: z.array(AgentInfoSchema) }),
);
export const AgentReplay = request(
  'agent/replay',
  z.object({
    agentId: AgentId,
    afterSeq: z.number().int().nonnegative(),
    /** At most this many events (default and cap: 5,000); `more` says when to ask again. */
    limit: z.number().int().positive().max(50_000).optional(),
  }),
  z.object({
    events: z.array(AgentEventEnvelopeSchema),
    lastSeq: z.number().int().nonnegative(),
    more: z.boolean(),
  }),
);

/**
 * Worker -> coordinator: every journalled event, once it is on disk (never before, so no
 * coordinator holds a seq the journal lacks).
 */
export const AgentEventNotification = notification('agent/event', AgentEventEnvelopeSchema);

/**
 * Worker -> coordinator, only to coordinators that announced `capabilities.eventBatches`:
 * the events of one commit (one agent or many) in one frame, in seq order per agent. Sent
 * when more than one envelope is ready; a single one still travels as `agent/event`.
 */
export const AgentEventsNotification = notification(
  'agent/events',
  z.object({ events: z.array(AgentEventEnvelopeSchema) }),
);

export const PermissionDecisionSchema = z.object({
  decision: z.enum(['allow', 'deny']),
  /** With deny: told to the agent. With a plan rejection: the user's feedback. */
  message: z.string().max(100_000).optional(),
  /** Optional edited input for the tool (allow only). */
  updatedInput: z.record(z.string(), z.unknown()).optional(),
});
export type PermissionDecision = z.infer<typeof PermissionDecisionSchema>;

/**
 * Worker -> coordinator. Sent to every connected coordinator; the first answer wins.
 * Pending requests are sent again to a coordinator that (re)connects.
 */
export const PermissionRequest = request(
  'permission/request',
  z.object({
    agentId: AgentId,
    requestId: z.string(),
    tool: z.string(),
    input: z.unknown(),
    /** `plan`: the agent asks to leave plan mode; `input.plan` holds the plan. */
    request: z.enum(['tool', 'plan']),
  }),
  PermissionDecisionSchema,
);
export type PermissionRequestParams = ParamsOf<typeof PermissionRequest>;

/**
 * Worker -> coordinator: a permission request was settled elsewhere (another coordinator
 * answered, it timed out, or the agent was interrupted), so UIs can drop the prompt.
 */
export const PermissionSettled = notification(
  'permission/settled',
  z.object({
    agentId: AgentId,
    requestId: z.string(),
    decision: z.enum(['allow', 'deny']),
    message: z.string().optional(),
  }),
);

export const WORKER_REQUESTS = [
  WorkerHello,
  AgentSpawn,
  AgentSend,
  AgentInterrupt,
  AgentDismiss,
  AgentList,
  AgentReplay,
] as const;
