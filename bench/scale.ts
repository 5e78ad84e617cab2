// scale: one coordinator process, W worker processes, A agents in all, each streaming E
// events: total events/s, zero loss, and the coordinator's RSS and CPU.
import type { ConnectedWorker } from '../extension/core/workers/workerClient';
import { connect, result, round, startBenchWorker, table, type BenchWorker } from './lib';

const EVENTS_PER_AGENT = Number(process.env.BENCH_SCALE_EVENTS ?? 100);
// BENCH_SCALE_STEPS="16x2000,8x1000" runs chosen steps only.
const STEPS: [workers: number, agents: number][] = process.env.BENCH_SCALE_STEPS
  ? process.env.BENCH_SCALE_STEPS.split(',').map(
      (s) => s.split('x').map(Number) as [number, number],
    )
  : [
      [1, 125],
      [2, 250],
      [4, 500],
      [8, 1000],
      [16, 2000],
    ];
const STEP_TIMEOUT_MS = Number(process.env.BENCH_SCALE_TIMEOUT_MS ?? 180_000);

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
  // A refused spawn is a figure (spawnFailed), not a crash of the whole bench.
  const spawns = await Promise.allSettled(
    Array.from({ length: agentCount }, (_, i) =>
      clients[i % workerCount]!.spawn({
        name: `S${i}`,
        engine: 'scripted',
        assignment: `[[stream ${EVENTS_PER_AGENT} 50]]`,
      }),
    ),
  );
  const spawnFailed = spawns.filter((s) => s.status === 'rejected').length;
  if (spawnFailed > 0) {
    const first = spawns.find((s) => s.status === 'rejected');
    console.error(
      `  ${workerCount} workers: ${spawnFailed} spawns failed: ${String(first?.reason)}`,
    );
  }
  const progress = setInterval(
    () =>
      console.error(
        `  ${workerCount} workers: ${doneAgents}/${agentCount} agents done, ${received} events`,
      ),
    10_000,
  );
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    allDone.then(() => false),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(true), STEP_TIMEOUT_MS))),
  ]);
  clearInterval(progress);
  clearTimeout(timer);
  if (timedOut)
    console.error(
      `  ${workerCount} workers: timed out with ${doneAgents}/${agentCount} agents done`,
    );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const rssMb = round(process.memoryUsage().rss / 1024 / 1024, 1);
  // Loss is judged against what the workers journalled, not an estimate.
  const lists = await Promise.allSettled(clients.map((c) => c.list()));
  const listed = lists.flatMap((l) => (l.status === 'fulfilled' ? l.value.agents : []));
  const expected = listed.reduce((sum, a) => sum + a.lastSeq, 0);
  for (const c of clients) c.dispose();
  await Promise.all(workers.map((w) => w.kill()));
  return {
    workers: workerCount,
    agents: agentCount,
    events: received,
    expected,
    lossless: received === expected && spawnFailed === 0 && !timedOut,
    spawnFailed,
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
  const goalRow = rows.find((r) => r.workers === 8);
  if (goalRow)
    console.log(
      `1,000 agents on 8 workers: lossless ${String(goalRow.lossless)}, coordinator RSS ${String(goalRow.coordinatorRssMb)} MB (goal: zero loss, <= 300 MB)`,
    );
  result('scale', { curve: rows, goal: '1000 agents on 8 workers, zero loss, RSS <= 300 MB' });
}

void main();
