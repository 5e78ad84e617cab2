// A remote worker killed with SIGKILL: its agents show `lost` within 3 s (never a ghost
// "working"); when a worker comes back on the same URL with the same token and state dir,
// the pool reconnects by itself, the agent shows what the worker restored, and the
// project's transcript has every event exactly once.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../../extension/core/coordinator/coordinator';
import { WorkerPool } from '../../extension/core/workers/workerPool';
import { startWorker, type RunningWorker } from '../helpers/workerProcess';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function worker(options: Parameters<typeof startWorker>[0]): Promise<RunningWorker> {
  const w = await startWorker(options);
  cleanups.push(() => w.kill());
  return w;
}

function untilState(c: Coordinator, id: string, state: string, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${id} never showed ${state} (last: ${c.find(id)?.state})`)),
      timeoutMs,
    );
    const check = (): void => {
      if (c.find(id)?.state !== state) return;
      clearTimeout(timer);
      resolve();
    };
    c.onAgentChanged(check);
    check();
  });
}

describe('a worker killed with SIGKILL', () => {
  it('shows its agents lost, and restores them when it returns on the same URL', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'tavern-loss-state-'));
    const token = 'loss-test-token-0123456789abcdef';
    const first = await worker({
      stateDir,
      args: ['--name', 'remote'],
      env: { TAVERN_WORKER_TOKEN: token },
    });
    const pool = new WorkerPool({
      clientName: 'test',
      clientVersion: '0',
      heartbeatMs: 200,
      deadAfterMs: 1000,
      backoffMinMs: 100,
      backoffMaxMs: 300,
    });
    cleanups.push(() => pool.dispose());
    const coordinator = new Coordinator({
      folder: mkdtempSync(join(tmpdir(), 'tavern-loss-folder-')),
      pool,
      defaultEngine: 'scripted',
      noWorkerFits: 'fail',
      log: () => undefined,
    });
    cleanups.push(() => coordinator.dispose());
    await pool.attach(first.attachUrl);
    const agent = await coordinator.summon({ assignment: '[[stream 50 5]] [[wait 60000]]' });
    // seq 1 summoned, 2 the assignment, 3 working, 4..53 the 50 streamed texts.
    const landed = (): boolean => (coordinator.find(agent.id)?.lastSeq ?? 0) >= 53;
    await new Promise<void>((resolve) => {
      if (landed()) return resolve();
      coordinator.onAgentEvents(() => landed() && resolve());
    });

    const killedAt = performance.now();
    await first.kill();
    await untilState(coordinator, agent.id, 'lost');
    console.log(`SIGKILL -> agent shown lost in ${Math.round(performance.now() - killedAt)} ms`);
    await expect(coordinator.send(agent.id, 'hello?')).rejects.toThrow(/not connected right now/);

    // The same worker comes back: same port, same token, same state dir.
    await worker({
      stateDir,
      args: ['--name', 'remote', '--port', String(first.port)],
      env: { TAVERN_WORKER_TOKEN: token },
    });
    const backAt = performance.now();
    await untilState(coordinator, agent.id, 'interrupted');
    console.log(
      `worker restarted -> agent restored in ${Math.round(performance.now() - backAt)} ms`,
    );
    expect(coordinator.find(agent.id)?.stateReason).toMatch(/worker restarted/);
    const transcript = await coordinator.transcript(agent.id, { limit: 10_000 });
    const seqs = transcript.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(transcript.filter((e) => e.event.kind === 'text').length).toBeGreaterThanOrEqual(50);
    // It takes work again.
    await coordinator.send(agent.id, '[[done back in business]]');
    await untilState(coordinator, agent.id, 'done');
  });
});
