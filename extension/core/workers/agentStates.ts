// The agents a worker hosts, each with its last known state, and how many are not dismissed
// (the worker's load), kept as states change: placement reads the load of every worker for
// every summon, and counting it each time made a burst of 10,000 summons quadratic (seconds
// of one turn of the extension host's event loop).
export class AgentStates {
  private readonly states = new Map<string, string>();
  private liveCount = 0;

  constructor(entries: Iterable<readonly [string, string]> = []) {
    for (const [agentId, state] of entries) this.set(agentId, state);
  }

  /** Agents here that are not dismissed. */
  get live(): number {
    return this.liveCount;
  }

  get(agentId: string): string | undefined {
    return this.states.get(agentId);
  }

  has(agentId: string): boolean {
    return this.states.has(agentId);
  }

  set(agentId: string, state: string): void {
    this.forget(agentId);
    this.states.set(agentId, state);
    if (state !== 'dismissed') this.liveCount++;
  }

  delete(agentId: string): void {
    this.forget(agentId);
    this.states.delete(agentId);
  }

  entries(): IterableIterator<[string, string]> {
    return this.states.entries();
  }

  private forget(agentId: string): void {
    const was = this.states.get(agentId);
    if (was !== undefined && was !== 'dismissed') this.liveCount--;
  }
}
