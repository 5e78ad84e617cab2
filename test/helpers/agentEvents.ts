// Waiting on agent events in tests: resolve when a predicate holds, never by sleeping.
import type { AgentEventEnvelope, AgentState } from '../../protocol/agentEvents';
import type { WorkerClient } from '../../extension/core/workers/workerClient';

export class EventLog {
  readonly all: AgentEventEnvelope[] = [];
  private waiters: { test: () => boolean; resolve: () => void }[] = [];

  constructor(client: WorkerClient) {
    client.onEvents((batch) => {
      for (const envelope of batch) this.all.push(envelope);
      this.waiters = this.waiters.filter((w) => {
        if (!w.test()) return true;
        w.resolve();
        return false;
      });
    });
  }

  of(agentId: string): AgentEventEnvelope[] {
    return this.all.filter((e) => e.agentId === agentId);
  }

  /** Resolves once `test` holds (checked on every event). */
  until(test: () => boolean, what = 'condition'): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 30_000);
      this.waiters.push({
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  untilState(agentId: string, state: AgentState): Promise<void> {
    return this.until(
      () => this.of(agentId).some((e) => e.event.kind === 'state' && e.event.state === state),
      `${agentId} to be ${state}`,
    );
  }

  /** The turn is over: waiting for input (not for a permission), or done / failed / interrupted. */
  untilIdle(agentId: string): Promise<void> {
    return this.until(() => {
      const last = this.of(agentId).findLast((e) => e.event.kind === 'state')?.event;
      if (last?.kind !== 'state') return false;
      if (last.state === 'waiting') return last.reason === 'input' || last.reason === 'blocked';
      return last.state === 'done' || last.state === 'failed' || last.state === 'interrupted';
    }, `${agentId} to finish its turn`);
  }

  untilCount(agentId: string, count: number): Promise<void> {
    return this.until(() => this.of(agentId).length >= count, `${count} events of ${agentId}`);
  }
}
