// Where agent events enter the extension host's process: an `agent/event` or `agent/events`
// notification, checked once here with its schema. An invalid envelope goes no further (the
// gap it leaves is replayed); the valid ones go on together as one batch.
import { AgentEventEnvelopeSchema, type AgentEventEnvelope } from '../../../protocol/agentEvents';
import { AgentEventNotification, AgentEventsNotification } from '../../../protocol/wire';

/**
 * The valid envelopes a notification carries, or undefined when `method` carries no events.
 * `problem` hears what was dropped, said of the worker ("sent ...").
 */
export function eventsIn(
  method: unknown,
  params: unknown,
  problem: (what: string) => void,
): AgentEventEnvelope[] | undefined {
  let raw: readonly unknown[];
  if (method === AgentEventNotification.method) raw = [params];
  else if (method === AgentEventsNotification.method) {
    const events = (params as { events?: unknown } | undefined)?.events;
    if (!Array.isArray(events)) {
      problem('sent an agent/events notification without events; dropped');
      return [];
    }
    raw = events;
  } else return undefined;
  const valid: AgentEventEnvelope[] = [];
  for (const value of raw) {
    const parsed = AgentEventEnvelopeSchema.safeParse(value);
    if (parsed.success) {
      valid.push(parsed.data);
      continue;
    }
    const issue = parsed.error.issues[0];
    const seq = (value as { seq?: unknown } | undefined)?.seq;
    problem(
      `sent an invalid agent event${typeof seq === 'number' ? ` (seq ${seq})` : ''}; dropped: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`,
    );
  }
  return valid;
}
