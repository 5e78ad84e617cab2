// Who follows one agent's events (the panel, for the agent on screen), and a worker batch cut
// into each agent's part: a follower hears only its agent's part, never the whole batch.
import type { AgentEventEnvelope } from '../../../protocol/agentEvents';
import { errorMessage } from '../../../protocol/errors';
import type { Disposable } from '../disposables';

type Listener = (events: readonly AgentEventEnvelope[]) => void;

export class EventFollowers {
  private readonly byAgent = new Map<string, Set<Listener>>();

  add(agentId: string, listener: Listener): Disposable {
    let set = this.byAgent.get(agentId);
    if (!set) this.byAgent.set(agentId, (set = new Set()));
    set.add(listener);
    return {
      dispose: () => {
        set.delete(listener);
        if (set.size === 0 && this.byAgent.get(agentId) === set) this.byAgent.delete(agentId);
      },
    };
  }

  /** Hands `part` (one agent's events) to its followers; one that throws does not stop the rest. */
  notify(agentId: string, part: readonly AgentEventEnvelope[], log: (m: string) => void): void {
    const set = this.byAgent.get(agentId);
    if (!set) return;
    for (const listener of set)
      try {
        listener(part);
      } catch (error) {
        log(`a follower of ${agentId}'s events failed: ${errorMessage(error)}`);
      }
  }
}

/** A batch split into each agent's part, in seq order (a part is a slice when runs are whole). */
export function byAgent(events: readonly AgentEventEnvelope[]): AgentEventEnvelope[][] {
  const parts = new Map<string, AgentEventEnvelope[]>();
  let agentId: string | undefined;
  let part: AgentEventEnvelope[] = [];
  for (const envelope of events) {
    if (envelope.agentId !== agentId) {
      agentId = envelope.agentId;
      part = parts.get(agentId) ?? [];
      if (part.length === 0) parts.set(agentId, part);
    }
    part.push(envelope);
  }
  return [...parts.values()];
}
