// The readable record each agent keeps in `.tavern/agents/<name>-<id>/agent.json` (Jake's in
// `.tavern/jake/`). Parsed with this schema when loaded: a file can be torn, hand-edited or
// written by another version, and a bad one is reported, never trusted.
import { z } from 'zod';
import {
  AgentStateSchema,
  EngineNameSchema,
  PermissionModeSchema,
  type AgentEventEnvelope,
} from '../../../protocol/agentEvents';
import { addTurn, NO_USAGE } from '../../../protocol/usage';

export const UsageTotalsSchema = z.object({
  inputTokens: z.number().nonnegative(),
  outputTokens: z.number().nonnegative(),
  costUsd: z.number().nonnegative(),
});

export const AgentRecordSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  /** The worker's URL without its token. */
  workerUrl: z.string(),
  workerId: z.string(),
  /** The worker's name when the agent was summoned: shown while that worker is gone. */
  workerName: z.string().optional(),
  engine: EngineNameSchema,
  permissionMode: PermissionModeSchema,
  assignment: z.string().optional(),
  description: z.string().optional(),
  model: z.string().optional(),
  state: AgentStateSchema,
  stateReason: z.string().optional(),
  sessionId: z.string().optional(),
  lastSeq: z.number().int().nonnegative(),
  /** Its own worktree's branch (agent workspaces): where its changes are. */
  workspace: z
    .object({
      branch: z.string(),
      base: z.string(),
      /** Its worker shares this disk: the branch is in the user's repository already. */
      sameDisk: z.boolean(),
      /** The backup of the user's files before the last apply of its changes (the undo). */
      lastApply: z.object({ backupRef: z.string(), at: z.string() }).optional(),
    })
    .optional(),
  /** Every turn's tokens and cost so far (protocol/usage.ts). */
  usage: UsageTotalsSchema.default(NO_USAGE),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type AgentRecord = z.infer<typeof AgentRecordSchema>;

/** Parses a record file's text; a message saying what is wrong when it is not one. */
export function parseAgentRecord(text: string): { record: AgentRecord } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { problem: `not JSON (${(error as Error).message})` };
  }
  const parsed = AgentRecordSchema.safeParse(json);
  if (parsed.success) return { record: parsed.data };
  const first = parsed.error.issues[0];
  return {
    problem: `not an agent record (${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid'})`,
  };
}

/**
 * What one accepted event changes in its agent's record (state, reason, usage, session);
 * true when it changed anything, so the record is saved and announced.
 */
export function recordEvent(record: AgentRecord, envelope: AgentEventEnvelope): boolean {
  const event = envelope.event;
  if (event.kind === 'state') {
    record.state = event.state;
    if (event.reason !== undefined) record.stateReason = event.reason;
    else delete record.stateReason;
    record.updatedAt = new Date(envelope.time).toISOString();
    return true;
  }
  if (event.kind === 'result') {
    record.usage = addTurn(record.usage, event);
    if (event.sessionId) record.sessionId = event.sessionId;
    return true;
  }
  return false;
}
