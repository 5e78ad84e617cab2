// Encodes a journal envelope into its one JSON line, once: the same text is appended to the
// journal file and, wrapped by string concatenation, written to every coordinator's socket.
// An event that cannot be encoded (a tool input nested thousands deep, a BigInt, a cycle)
// becomes an error event with the same seq, so its journal and every replay stay readable.
import type { AgentEvent, AgentEventEnvelope } from '../protocol/agentEvents';
import { errorMessage } from '../protocol/errors';

/**
 * Deepest nesting accepted in an event's free-form `input`. JSON.stringify recurses, and so
 * do the coordinator, the store and the webview after us; 20,000 levels overflow the stack.
 * Real tool inputs nest a handful of levels.
 */
export const MAX_INPUT_DEPTH = 512;

/** One envelope and its encoding: what the journal writes and the wire carries. */
export interface EncodedEnvelope {
  readonly envelope: AgentEventEnvelope;
  readonly line: string;
}

export function encodeEnvelope(envelope: AgentEventEnvelope): EncodedEnvelope {
  let reason: string;
  const deep = freeFormInput(envelope.event);
  if (deep !== undefined && depthExceeds(deep, MAX_INPUT_DEPTH)) {
    reason = `its input nests deeper than ${MAX_INPUT_DEPTH} levels`;
  } else {
    try {
      return { envelope, line: JSON.stringify(envelope) };
    } catch (error) {
      reason = errorMessage(error);
    }
  }
  const replaced: AgentEventEnvelope = {
    agentId: envelope.agentId,
    seq: envelope.seq,
    time: envelope.time,
    event: {
      kind: 'error',
      code: 'unencodable_event',
      message: `A ${envelope.event.kind} event could not be stored (${reason}) and was replaced by this error; the agent went on.`,
    },
  };
  return { envelope: replaced, line: JSON.stringify(replaced) };
}

function freeFormInput(event: AgentEvent): unknown {
  return event.kind === 'tool_use' || event.kind === 'permission' ? event.input : undefined;
}

/**
 * Iterative (a recursive check would overflow on exactly the inputs it looks for); each
 * object is visited once, so shared or cyclic references cost nothing (JSON.stringify then
 * refuses a cycle, which the caller turns into an error event).
 */
function depthExceeds(root: unknown, max: number): boolean {
  const seen = new WeakSet<object>();
  const stack: [unknown, number][] = [[root, 1]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [value, depth] = item;
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    if (depth > max) return true;
    seen.add(value);
    for (const child of Array.isArray(value) ? value : Object.values(value))
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}
