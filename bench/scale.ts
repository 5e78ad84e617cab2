// scale: one coordinator process, W worker processes, A agents in all, each streaming E
// events: total events/s, zero loss, and the coordinator's RSS and CPU.
import type { ConnectedWorker } from '../extension/core/workers/workerClient';
import { connect, result, round, startBenchWorker, table, type BenchWorker } from './lib';

const EVENTS_PER_AGENT = Number(process.env.BENCH_SCALE_EVENTS ?? 100);
const STEPS: [workers: number, agents: number][] = [
  [1, 125],
  [2, 250],
  [4, 500],
  [8, 1000],
  [16, 2000],
];

async function step(
  workerCount: number,
  agentCount: number,
): Promise<Record<string, number | string | boolean>> {
  const workers: BenchWorker[] = await Promise.all(
    Array.from({ length: workerCount }, () => startBenchWorker()),
  );
  const clients: ConnectedWorker[] = await Promise.all(workers.map((w) => connect(w.url)));
  let received = 0;
  let doneAgents = 0;
  const allDone = new Promise<void>((resolve) => {
    for (const c of clients) {
      c.onEvent((e) => {
        received++;
        if (e.event.kind === 'state' && e.event.state === 'waiting' && ++doneAgents === agentCount)
          resolve();
      });
    }
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: agentCount }, (_, i) =>
      clients[i % workerCount]!.spawn({
        name: `S${i}`,
        engine: 'scripted',
        assignment: `[[stream ${EVENTS_PER_AGENT} 50]]`,
      }),
    ),
  );
  await allDone;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const rssMb = round(process.memoryUsage().rss / 1024 / 1024, 1);
  // Loss is judged against what the workers journalled, not an estimate.
  const lists = await Promise.all(clients.map((c) => c.list()));
  const expected = lists.flatMap((l) => l.agents).reduce((sum, a) => sum + a.lastSeq, 0);
  for (const c of clients) c.dispose();
  await Promise.all(workers.map((w) => w.kill()));
  return {
    workers: workerCount,
    agents: agentCount,
    events: received,
    expected,
    lossless: received === expected,
    eventsPerSec: Math.round(received / seconds),
    seconds: round(seconds, 2),
    coordinatorRssMb: rssMb,
    coordinatorCpuSec: round((cpu.user + cpu.system) / 1e6, 2),
  };
}

async function main(): Promise<void> {
  const rows = [];
  for (const [w, a] of STEPS) rows.push(await step(w, a));
  table(`scale: agents streaming ${EVENTS_PER_AGENT} events each`, rows);
  const last = rows.at(-1)!;
  console.log(
    `1,000 agents on 8 workers: lossless ${String(last.lossless)}, coordinator RSS ${String(last.coordinatorRssMb)} MB (goal: zero loss, <= 300 MB)`,
  );
  result('scale', { curve: rows, goal: '1000 agents on 8 workers, zero loss, RSS <= 300 MB' });
}

void main();
