// Messages between the extension host and the Tavern webview, zod-checked on both sides.
// One schema per message in a discriminated union; names say who sends them.
import { z } from 'zod';
import { AgentEventEnvelopeSchema, AgentStateSchema, type AgentEventEnvelope } from './agentEvents';

export const WorkerRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  isLocal: z.boolean(),
  status: z.enum(['connecting', 'connected', 'reconnecting', 'down', 'closed']),
  error: z.string().optional(),
  rttMs: z.number().optional(),
  agents: z.number().int().nonnegative(),
  maxAgents: z.number().int().positive().optional(),
  platform: z.string().optional(),
  engines: z.array(
    z.object({
      name: z.string(),
      available: z.boolean(),
      ready: z.boolean().optional(),
      reason: z.string().optional(),
    }),
  ),
  /** Something to know about it, e.g. "sent 51 messages for agents it does not host". */
  warning: z.string().optional(),
  /** The id of the WorkerGroup (a fleet) this worker is shown under. */
  group: z.string().optional(),
  /** Going away (its pod is terminating): takes no new agents. */
  draining: z.boolean().optional(),
});
export type WorkerRow = z.infer<typeof WorkerRowSchema>;

/** A source of workers shown as one group (a Kubernetes fleet), with its own state. */
export const WorkerGroupRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  state: z.enum(['starting', 'ready', 'error']),
  message: z.string().optional(),
});
export type WorkerGroupRow = z.infer<typeof WorkerGroupRowSchema>;

/** Jake or one of the squad, as the squad list shows it. */
export const AgentRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  isJake: z.boolean(),
  /** `lost` while its worker is unreachable. */
  state: z.union([AgentStateSchema, z.literal('lost')]),
  stateReason: z.string().optional(),
  workerName: z.string(),
  engine: z.string(),
  description: z.string().optional(),
  pendingApprovals: z.number().int().nonnegative(),
  /** Works on a branch of its own: its changes can be reviewed and applied. */
  branch: z.string().optional(),
  inputTokens: z.number().nonnegative(),
  outputTokens: z.number().nonnegative(),
  costUsd: z.number().nonnegative(),
});
export type AgentRow = z.infer<typeof AgentRowSchema>;

/** A permission request waiting for the human: a tool use, or a plan to approve. */
export const ApprovalSchema = z.object({
  agentId: z.string(),
  requestId: z.string(),
  tool: z.string(),
  input: z.unknown(),
  request: z.enum(['tool', 'plan']),
  /** Who asks from where: "local worker", "remote worker build-01 (sha256:ab12…)", ... */
  workerLabel: z.string(),
});
export type Approval = z.infer<typeof ApprovalSchema>;

export const FolderSchema = z.object({ id: z.string(), name: z.string() });

/** Why Jake cannot run yet, for the welcome card (absent when he can, or runs the demo). */
export const WelcomeSchema = z.object({
  reason: z.string(),
  /** Still finding out (the card waits instead of offering anything). */
  checking: z.boolean(),
  /** Claude Code is missing: offer the one-click install. */
  offerInstall: z.boolean(),
});
export type Welcome = z.infer<typeof WelcomeSchema>;

const transcriptFields = {
  type: z.literal('transcript'),
  agentId: z.string(),
  reset: z.boolean(),
  /** Older events exist before the first one sent. */
  more: z.boolean(),
};

/** An agent's changes for review (agent workspaces), or why they cannot be shown. */
export const ChangesViewSchema = z.object({
  agentId: z.string(),
  /** Being fetched. */
  busy: z.boolean().optional(),
  error: z.string().optional(),
  review: z
    .object({
      agentName: z.string(),
      branch: z.string(),
      base: z.string(),
      head: z.string(),
      files: z.array(
        z.object({
          path: z.string(),
          status: z.enum(['A', 'M', 'D', 'T']),
          additions: z.number().int().nonnegative(),
          deletions: z.number().int().nonnegative(),
          binary: z.boolean(),
          risk: z.string().optional(),
        }),
      ),
      sameDisk: z.boolean(),
      lastApply: z.string().optional(),
    })
    .optional(),
});
export type ChangesView = z.infer<typeof ChangesViewSchema>;

/** Host -> webview. */
export const HostMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('workers'),
    workers: z.array(WorkerRowSchema),
    localWorkerEnabled: z.boolean(),
    groups: z.array(WorkerGroupRowSchema).optional(),
  }),
  z.object({
    type: z.literal('squad'),
    folders: z.array(FolderSchema),
    folder: z.string().optional(),
    agents: z.array(AgentRowSchema),
    approvals: z.array(ApprovalSchema),
    /** Why the squad cannot be shown (no folder open, read-only window...). */
    note: z.string().optional(),
    welcome: WelcomeSchema.optional(),
    /** Jake runs the offline demo (a script, no model): the panel says so. */
    demo: z.boolean().optional(),
  }),
  /** Live events of the agent being shown, batched by the host. */
  z.object({
    type: z.literal('events'),
    agentId: z.string(),
    events: z.array(AgentEventEnvelopeSchema),
  }),
  z.object({ type: z.literal('notice'), level: z.enum(['info', 'error']), text: z.string() }),
  z.object({ type: z.literal('changes'), view: ChangesViewSchema }),
  /** Show this agent (e.g. "Open in Tavern" on a notification). */
  z.object({ type: z.literal('select'), agentId: z.string() }),
]);
export type HostMessage = z.infer<typeof HostMessageSchema>;

/** Webview -> host. */
export const WebviewMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('attachWorker') }),
  z.object({ type: z.literal('detachWorker'), workerId: z.string() }),
  z.object({ type: z.literal('restartLocalWorker') }),
  z.object({ type: z.literal('summonAgent') }),
  z.object({ type: z.literal('manageRules') }),
  z.object({
    type: z.literal('review'),
    agentId: z.string(),
    action: z.enum([
      'load',
      'openAll',
      'openFile',
      'apply',
      'applyFile',
      'undo',
      'checkout',
      'openWorktree',
      'discard',
    ]),
    path: z.string().max(4096).optional(),
  }),
  z.object({
    type: z.literal('welcome'),
    action: z.enum(['apiKey', 'signIn', 'install', 'demo', 'model']),
  }),
  z.object({ type: z.literal('selectFolder'), folder: z.string() }),
  z.object({ type: z.literal('openAgent'), agentId: z.string() }),
  z.object({ type: z.literal('loadOlder'), agentId: z.string(), beforeSeq: z.number().int() }),
  z.object({
    type: z.literal('send'),
    agentId: z.string(),
    text: z.string().min(1).max(200_000),
  }),
  z.object({ type: z.literal('interrupt'), agentId: z.string() }),
  z.object({ type: z.literal('dismiss'), agentId: z.string() }),
  z.object({
    type: z.literal('answer'),
    agentId: z.string(),
    requestId: z.string(),
    decision: z.enum(['allow', 'deny']),
    always: z.boolean().optional(),
    message: z.string().max(20_000).optional(),
  }),
  z.object({ type: z.literal('openLink'), href: z.string().max(4_000) }),
]);
export type WebviewMessage = z.infer<typeof WebviewMessageSchema>;

export function parseHostMessage(value: unknown): HostMessage | undefined {
  const parsed = HostMessageSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

export function parseWebviewMessage(value: unknown): WebviewMessage | undefined {
  const parsed = WebviewMessageSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Host -> webview: a page of one agent's transcript (`reset` replaces what is shown, otherwise
 * it goes before it). Its events are checked in the webview newest first, in chunks
 * (parseEnvelopes), so a long page paints as soon as its newest events are drawn.
 */
const TranscriptPageSchema = z.object({ ...transcriptFields, events: z.array(z.unknown()) });
export type TranscriptPage = z.infer<typeof TranscriptPageSchema>;
/** What the host posts for a page (its events are envelopes it read from .tavern/). */
export type TranscriptMessage = Omit<TranscriptPage, 'events'> & { events: AgentEventEnvelope[] };

export function parseTranscriptPage(value: unknown): TranscriptPage | undefined {
  const parsed = TranscriptPageSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

const EnvelopesSchema = z.array(AgentEventEnvelopeSchema);

/** Checks events; one malformed event costs only itself (counted in `rejected`). */
export function parseEnvelopes(values: readonly unknown[]): {
  events: AgentEventEnvelope[];
  rejected: number;
} {
  const all = EnvelopesSchema.safeParse(values);
  if (all.success) return { events: all.data, rejected: 0 };
  const events: AgentEventEnvelope[] = [];
  for (const value of values) {
    const one = AgentEventEnvelopeSchema.safeParse(value);
    if (one.success) events.push(one.data);
  }
  return { events, rejected: values.length - events.length };
}
