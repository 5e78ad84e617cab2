// The events an agent produces, as they cross the wire inside `agent/event` notifications
// and as they are stored in journals and transcripts. One zod schema per kind; the TS type
// comes from the same source.
import { z } from 'zod';

/** Lifecycle states. Legal transitions live in runtime/agentStateMachine.ts. */
export const AgentStateSchema = z.enum([
  'summoned',
  'working',
  'waiting',
  'done',
  'failed',
  'interrupted',
  'dismissed',
]);
export type AgentState = z.infer<typeof AgentStateSchema>;

export const EngineNameSchema = z.enum(['claude', 'anthropic', 'scripted']);
export type EngineName = z.infer<typeof EngineNameSchema>;

export const PermissionModeSchema = z.enum(['default', 'acceptEdits', 'plan', 'bypassPermissions']);
export type PermissionMode = z.infer<typeof PermissionModeSchema>;

const TokenCounts = {
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cacheReadTokens: z.number().int().nonnegative(),
  cacheWriteTokens: z.number().int().nonnegative(),
};

export const StateEventSchema = z.object({
  kind: z.literal('state'),
  state: AgentStateSchema,
  /** Present with `waiting`; free text with `failed`/`interrupted`. */
  reason: z.string().optional(),
});

/** What the user (or Jake) said to the agent: recorded so every transcript is complete. */
export const UserEventSchema = z.object({
  kind: z.literal('user'),
  text: z.string(),
  from: z.string().optional(),
});

/** A streamed delta of assistant text; consecutive deltas concatenate. */
export const TextEventSchema = z.object({ kind: z.literal('text'), text: z.string() });
export const ThinkingEventSchema = z.object({ kind: z.literal('thinking'), text: z.string() });

export const ToolUseEventSchema = z.object({
  kind: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: z.unknown(),
});

export const ToolResultEventSchema = z.object({
  kind: z.literal('tool_result'),
  id: z.string(),
  content: z.string(),
  isError: z.boolean(),
});

export const UsageEventSchema = z.object({ kind: z.literal('usage'), ...TokenCounts });

/** Status lines: compacting, rate limits, API retries, engine warm-up, and so on. */
export const NoticeEventSchema = z.object({
  kind: z.literal('notice'),
  level: z.enum(['info', 'warning']),
  code: z.string().optional(),
  message: z.string(),
});

export const ErrorEventSchema = z.object({
  kind: z.literal('error'),
  message: z.string(),
  code: z.string().optional(),
});

/** The completion record of one turn. */
export const ResultEventSchema = z.object({
  kind: z.literal('result'),
  ok: z.boolean(),
  stopReason: z.string().optional(),
  sessionId: z.string().optional(),
  ...TokenCounts,
  costUsd: z.number().nonnegative(),
  turns: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
});

/** A structured report from the agent's `report` tool: what drives done/blocked/needs input. */
export const ReportStatusSchema = z.enum(['done', 'blocked', 'needs_input']);
export type ReportStatus = z.infer<typeof ReportStatusSchema>;
export const ReportEventSchema = z.object({
  kind: z.literal('report'),
  status: ReportStatusSchema,
  summary: z.string(),
});

/**
 * A permission request and its outcome, journalled so a transcript shows approvals. The
 * live request itself travels as the `permission/request` call.
 */
export const PermissionEventSchema = z.object({
  kind: z.literal('permission'),
  requestId: z.string(),
  tool: z.string(),
  input: z.unknown(),
  /** `plan` = leaving plan mode; `input.plan` carries the plan text. */
  request: z.enum(['tool', 'plan']),
  status: z.enum(['pending', 'allowed', 'denied']),
  message: z.string().optional(),
});

export const AgentEventSchema = z.discriminatedUnion('kind', [
  StateEventSchema,
  UserEventSchema,
  TextEventSchema,
  ThinkingEventSchema,
  ToolUseEventSchema,
  ToolResultEventSchema,
  UsageEventSchema,
  NoticeEventSchema,
  ErrorEventSchema,
  ResultEventSchema,
  ReportEventSchema,
  PermissionEventSchema,
]);
export type AgentEvent = z.infer<typeof AgentEventSchema>;
export type AgentEventKind = AgentEvent['kind'];
export type AgentEventOf<K extends AgentEventKind> = Extract<AgentEvent, { kind: K }>;

/** One journalled event: `seq` is per agent, gap-free from 1. */
export const AgentEventEnvelopeSchema = z.object({
  agentId: z.string(),
  seq: z.number().int().positive(),
  time: z.number(),
  event: AgentEventSchema,
});
export type AgentEventEnvelope = z.infer<typeof AgentEventEnvelopeSchema>;
