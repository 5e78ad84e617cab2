// A worker speaks only for the agents it hosts. What one sends about another worker's agent
// (events, permission requests, settlements) is dropped before anyone sees it, counted per
// worker, logged once and then at every power of ten, and shown on that worker's row.

/** Whether a coordinator knows the agent: on this worker, on another one, or not at all. */
export type Ownership = 'hosts' | 'elsewhere' | undefined;
export type OwnershipCheck = (workerId: string, agentId: string) => Ownership;

export type TrespassKind = 'event' | 'permission request' | 'permission settlement';

export class TrespassLedger {
  private readonly counts = new Map<string, number>();

  constructor(private readonly log: (message: string) => void) {}

  /** Records one dropped message; returns the worker's new count. */
  record(workerId: string, workerName: string, kind: TrespassKind, agentId: string): number {
    const count = (this.counts.get(workerId) ?? 0) + 1;
    this.counts.set(workerId, count);
    if (count === 1 || Number.isInteger(Math.log10(count)))
      this.log(
        `worker ${workerName} sent a ${kind} for agent ${agentId.slice(0, 64)}, which it does not host; dropped (${count} such message${count === 1 ? '' : 's'} from it so far)`,
      );
    return count;
  }

  count(workerId: string): number {
    return this.counts.get(workerId) ?? 0;
  }

  forget(workerId: string): void {
    this.counts.delete(workerId);
  }
}

/** The sentence the Workers view shows for a worker with trespasses. */
export function trespassWarning(count: number): string | undefined {
  return count > 0
    ? `sent ${count} message${count === 1 ? '' : 's'} for agents it does not host (dropped)`
    : undefined;
}
