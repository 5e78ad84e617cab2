// Reading no faster than events are used: while an intake brake is on (the store's unwritten
// lines, in the extension), a worker's socket stays paused, so its events wait on the worker
// instead of in this process; the client's heartbeat does not call that silence a dead worker;
// released, every event arrives once and in order.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseAttachUrl } from '../../extension/core/workers/attachUrl';
import { addIntakeBrake } from '../../extension/core/workers/turnBudget';
import { WorkerClient, type WorkerStatus } from '../../extension/core/workers/workerClient';
import { EventLog } from '../helpers/agentEvents';
import { startWorker } from '../helpers/workerProcess';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const TOTAL = 20_000;

/** Lines in the worker's journal of an agent: what it has produced and saved. */
function journalled(stateDir: string, agentId: string): number {
  try {
    const file = join(stateDir, 'journal', `${encodeURIComponent(agentId)}.jsonl`);
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

describe('an intake brake', () => {
  it('holds events on the worker without the worker being called dead, then delivers them all', async () => {
    const worker = await startWorker();
    cleanups.push(() => worker.kill());
    const client = new WorkerClient(parseAttachUrl(worker.attachUrl), {
      clientName: 'test',
      clientVersion: '0',
      // Far shorter than a brake's hold: a paused socket must not count as silence.
      heartbeatMs: 100,
      deadAfterMs: 300,
    });
    cleanups.push(() => client.dispose());
    const statuses: WorkerStatus[] = [];
    client.onStatus((s) => statuses.push(s.status));
    const log = new EventLog(client);
    await client.connect();

    let braking = true;
    const brake = addIntakeBrake(() => braking);
    cleanups.push(() => brake.dispose());
    const { agentId } = await client.spawn({
      name: 'Flood',
      engine: 'scripted',
      assignment: `[[stream ${TOTAL} 40]] [[done ok]]`,
    });
    // The worker produces everything while this process reads a frame now and then.
    await vi.waitFor(() => expect(journalled(worker.stateDir, agentId)).toBeGreaterThan(TOTAL), {
      timeout: 60_000,
      interval: 50,
    });
    const readWhileBraking = log.of(agentId).length;
    expect(readWhileBraking).toBeLessThan(TOTAL);

    braking = false;
    await log.untilState(agentId, 'done');
    const seqs = log.of(agentId).map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(seqs.length).toBe(journalled(worker.stateDir, agentId));
    expect(statuses).not.toContain('down');
    expect(client.status).toBe('connected');
  });
});
