// Messages between the extension host and the Tavern webview, zod-checked on both sides.
// One schema per message in a discriminated union; names say who sends them.
import { z } from 'zod';

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
    z.object({ name: z.string(), available: z.boolean(), reason: z.string().optional() }),
  ),
});
export type WorkerRow = z.infer<typeof WorkerRowSchema>;

/** Host -> webview. */
export const HostMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('workers'),
    workers: z.array(WorkerRowSchema),
    localWorkerEnabled: z.boolean(),
  }),
  z.object({ type: z.literal('notice'), level: z.enum(['info', 'error']), text: z.string() }),
]);
export type HostMessage = z.infer<typeof HostMessageSchema>;

/** Webview -> host. */
export const WebviewMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('attachWorker') }),
  z.object({ type: z.literal('detachWorker'), workerId: z.string() }),
  z.object({ type: z.literal('restartLocalWorker') }),
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
