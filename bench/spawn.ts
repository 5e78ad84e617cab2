// spawn: agent/spawn of a scripted agent to its first agent/event, as the coordinator sees it.
import { nanoid } from 'nanoid';
import { connect, result, startBenchWorker, summarize, table } from './lib';

const SPAWNS = Number(process.env.BENCH_SPAWNS ?? 1000);

async function main(): Promise<void> {
  const worker = await startBenchWorker();
  const client = await connect(worker.url);
  const waiting = new Map<string, () => void>();
  client.onEvents((batch) => {
    for (const e of batch) {
      const resolve = waiting.get(e.agentId);
      if (resolve) {
        waiting.delete(e.agentId);
        resolve();
      }
    }
  });
  const samples: number[] = [];
  for (let i = 0; i < SPAWNS + 100; i++) {
    const agentId = nanoid(12);
    const first = new Promise<void>((resolve) => waiting.set(agentId, resolve));
    const t = performance.now();
    void client.spawn({ agentId, name: `Bench-${i}`, engine: 'scripted' });
    await first;
    if (i >= 100) samples.push(performance.now() - t); // the first 100 warm up the JIT
    await client.dismiss(agentId);
  }
  const s = summarize(samples);
  table(`spawn: ${SPAWNS} scripted agents, spawn request -> first event (ms)`, [
    { what: 'spawn to first event', ...s },
  ]);
  console.log(
    `p50 ${s.p50} ms (goal <= 2 ms; the seed's figure for a local network spawn: 10-50 ms)`,
  );
  client.dispose();
  await worker.kill();
  result('spawn', { spawnToFirstEventMs: s, goal: 'p50 <= 2 ms' });
}

void main();
