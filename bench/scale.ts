// scale: W worker processes, A agents in all summoned at once through the real coordinator
// (WorkerPool + Coordinator, writing .tavern/), each streaming E events: total events/s,
// zero loss (every .tavern/ transcript against its worker journal), the coordinator's peak
// RSS, CPU per process, and whether any connection was dropped (the extension's own
// heartbeat settings on both sides: a busy coordinator must never be dropped).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Coordinator } from '../extension/core/coordinator/coordinator';
import { WorkerPool } from '../extension/core/workers/workerPool';
import { result, round, startBenchWorker, table, type BenchWorker } from './lib';
import { sample } from './procStats';

const EVENTS_PER_AGENT = Number(process.env.BENCH_SCALE_EVENTS ?? 100);
// BENCH_SCALE_STEPS="32x10000,8x1000" runs chosen steps only.
const STEPS: [workers: number, agents: number][] = process.env.BENCH_SCALE_STEPS
  ? process.env.BENCH_SCALE_STEPS.split(',').map(
      (s) => s.split('x').map(Number) as [number, number],
    )
  : [
      [1, 125],
      [8, 1000],
      [16, 2000],
      [32, 10_000],
    ];
const STEP_TIMEOUT_MS = Number(process.env.BENCH_SCALE_TIMEOUT_MS ?? 300_000);

/** Lines of an agent's worker journal (its events, each once: seq 1..N). */
function journalLength(workers: BenchWorker[], agentId: string): number {
  for (const w of workers) {
    try {
      const text = readFileSync(
        join(w.stateDir, 'journal', `${encodeURIComponent(agentId)}.jsonl`),
        'utf8',
      );
      return text.split('\n').filter(Boolean).length;
    } catch {
      // on another worker
    }
  }
  return 0;
}

async function step(
  workerCount: number,
  agentCount: number,
): Promise<Record<string, number | string | boolean>> {
  const workers = await Promise.all(Array.from({ length: workerCount }, () => startBenchWorker()));
  const problems: string[] = [];
  const log = (m: string): void => {
    if (problems.length < 20) console.error(`  ${m}`);
    problems.push(m);
  };
  const pool = new WorkerPool({ clientName: 'bench', clientVersion: '0', log });
  const coordinator = new Coordinator({
    folder: mkdtempSync(join(tmpdir(), 'tavern-scale-')),
    pool,
    defaultEngine: 'scripted',
    noWorkerFits: 'fail',
    // The event path, not 10,000 worktrees (bench/workspace.ts measures those).
    workspaces: false,
    log,
  });
  await Promise.all(workers.map((w) => pool.attach(w.url)));
  let drops = 0;
  let hellos = 0;
  for (const client of pool.clients()) {
    client.onStatus((s) => s.status === 'down' && drops++);
    client.onHello(() => hellos++); // attached already: any hello now is a reconnect
  }
  let received = 0;
  const finished = new Set<string>();
  const allDone = new Promise<void>((resolve) => {
    coordinator.onAgentEvents((batch) => {
      received += batch.length;
      for (const e of batch)
        if (e.event.kind === 'state' && e.event.state === 'done') finished.add(e.agentId);
      if (finished.size === agentCount) resolve();
    });
  });
  let peakRss = 0;
  let peakHeap = 0;
  const rssTimer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 250);
  const workerCpu0 = workers.map((w) => sample(w.proc.pid!)?.cpuSec ?? 0);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // A refused summon is a figure (spawnFailed), not a crash of the whole bench.
  const spawns = await Promise.allSettled(
    Array.from({ length: agentCount }, () =>
      coordinator.summon({ assignment: `[[stream ${EVENTS_PER_AGENT} 50]] [[done ok]]` }),
    ),
  );
  const spawnSec = (performance.now() - t0) / 1000;
  const spawnFailed = spawns.filter((s) => s.status === 'rejected').length;
  if (spawnFailed > 0) {
    const first = spawns.find((s) => s.status === 'rejected');
    console.error(
      `  ${workerCount} workers: ${spawnFailed} spawns failed: ${String(first?.reason)}`,
    );
  }
  const spawned = agentCount - spawnFailed;
  const progress = setInterval(
    () =>
      console.error(
        `  ${workerCount} workers: ${finished.size}/${spawned} agents done, ${received} events`,
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
    console.error(`  ${workerCount} workers: timed out with ${finished.size}/${spawned} done`);
  const delivered = performance.now();
  await coordinator.store.flush();
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(rssTimer);
  const cpu = process.cpuUsage(cpu0);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const workerCpu = workers.map((w, i) => (sample(w.proc.pid!)?.cpuSec ?? 0) - workerCpu0[i]!);
  // Loss is judged against what the workers journalled and what .tavern/ holds.
  let expected = 0;
  let stored = 0;
  let gaps = 0;
  for (const agent of coordinator.list()) {
    expected += journalLength(workers, agent.id);
    const seqs = (await coordinator.transcript(agent.id, { limit: 1_000_000 })).map((e) => e.seq);
    stored += seqs.length;
    if (!seqs.every((s, i) => s === i + 1)) gaps++;
  }
  await coordinator.dispose();
  pool.dispose();
  await Promise.all(workers.map((w) => w.kill()));
  const lossless =
    received === expected && stored === expected && gaps === 0 && spawnFailed === 0 && !timedOut;
  return {
    workers: workerCount,
    agents: agentCount,
    events: received,
    journalled: expected,
    inTavern: stored,
    lossless,
    spawnFailed,
    drops,
    reconnects: hellos,
    eventsPerSec: Math.round(received / ((delivered - t0) / 1000)),
    spawnSec: round(spawnSec, 2),
    seconds: round(seconds, 2),
    coordinatorPeakRssMb: round(peakRss / 1024 / 1024, 1),
    coordinatorPeakHeapMb: round(peakHeap / 1024 / 1024, 1),
    coordinatorCpuSec: round((cpu.user + cpu.system) / 1e6, 2),
    workersCpuSec: round(
      workerCpu.reduce((a, b) => a + b, 0),
      2,
    ),
    busiestWorkerCpuSec: round(Math.max(...workerCpu), 2),
  };
}

async function main(): Promise<void> {
  const rows = [];
  for (const [w, a] of STEPS) rows.push(await step(w, a));
  table(
    `scale: agents summoned at once through the coordinator, ${EVENTS_PER_AGENT} events each (+ their state events), written to .tavern/`,
    rows,
  );
  const goalRow = rows.find((r) => r.agents === 10_000);
  if (goalRow)
    console.log(
      `10,000 agents on ${String(goalRow.workers)} workers: lossless ${String(goalRow.lossless)}, connections dropped ${String(goalRow.drops)}, coordinator peak RSS ${String(goalRow.coordinatorPeakRssMb)} MB (goal: zero loss, <= 400 MB)`,
    );
  result('scale', {
    curve: rows,
    goal: '10,000 agents on 32 workers, zero loss, coordinator RSS <= 400 MB, no drops',
  });
}

void main();
