// endToEnd: the event path a user sees, in one run. Scripted agents on N real worker processes
// -> WorkerPool + Coordinator (this process: the extension host's core) -> .tavern/ on disk,
// and the agent on screen -> the real webview in Chromium, fed by the host's TranscriptFeed.
// Two phases: `saturated` (every agent streams as fast as it can: the most the path carries)
// and `paced` (agents emit a steady total rate in 10 ms bursts: the latency a user sees at
// that rate). Reported per phase: events/s from the first send until every event is on disk
// and every event of the agent on screen is painted, emit (`time`) -> paint latency, CPU per
// process. Then zero loss: every agent's .tavern/ transcript against its worker journal, and
// what the panel was sent against the journal too.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Coordinator, type AgentSummary } from '../extension/core/coordinator/coordinator';
import { WorkerPool } from '../extension/core/workers/workerPool';
import { result, round, startBenchWorker, summarize, table, type BenchWorker } from './lib';
import { PanelHarness, rowOf } from './panelHarness';
import { chromiumRole, CpuMeter, cpuByRole, descendants, sample } from './procStats';

const WORKERS = Number(process.env.BENCH_E2E_WORKERS ?? 2);
/** Agents in all; the first one is on screen. */
const AGENTS = Number(process.env.BENCH_E2E_AGENTS ?? 8);
/** Per agent, in the saturated phase. */
const EVENTS = Number(process.env.BENCH_E2E_EVENTS ?? 25_000);
/**
 * Events/s offered in all, in the paced phase, for this many seconds. The workers' timers fire
 * late on a busy machine, so what arrives is about 10% less: 60,000 offered is >= 50,000 sent.
 */
const RATE = Number(process.env.BENCH_E2E_RATE ?? 60_000);
const PACED_SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 10);
const SIZE = 100;
const TICK_MS = 10;
const PHASE_TIMEOUT_MS = Number(process.env.BENCH_E2E_TIMEOUT_MS ?? 300_000);
/**
 * A folder: each phase writes the panel's Chrome trace (renderer-<phase>.trace.json) and this
 * process's CPU and allocation profiles (host-<phase>.cpuprofile, .heapprofile) there.
 */
const PROFILE_DIR = process.env.BENCH_E2E_PROFILE;

type Script = (agentIndex: number) => string;

/** The agent on screen streams rows: text blocks of `run` deltas, each closed by a thought. */
function rows(segments: number, run: number, wait: number): string {
  const parts: string[] = [];
  for (let i = 0; i < segments; i++)
    parts.push(`[[stream ${run} ${SIZE}]] [[think step ${i}]] [[wait ${wait}]]`);
  return `${parts.join(' ')} [[done ok]]`;
}

const saturated: Script = (i) =>
  i === 0 ? rows(Math.ceil(EVENTS / 256), 255, 0) : `[[stream ${EVENTS} ${SIZE}]] [[done ok]]`;

/** Bursts every TICK_MS, sized for RATE in all (a timer fires about 1 ms late). */
const paced: Script = (i) => {
  const burst = Math.max(2, Math.round(((RATE / AGENTS) * (TICK_MS + 1)) / 1000));
  const segments = Math.ceil((PACED_SECONDS * 1000) / TICK_MS);
  if (i === 0) return rows(segments, burst - 1, TICK_MS);
  const one = `[[stream ${burst} ${SIZE}]] [[wait ${TICK_MS}]]`;
  return `${Array.from({ length: segments }, () => one).join(' ')} [[done ok]]`;
};

interface Rig {
  workers: BenchWorker[];
  pool: WorkerPool;
  coordinator: Coordinator;
  agents: AgentSummary[];
  panel: PanelHarness;
  folder: string;
  drops: number;
}

async function setUp(): Promise<Rig> {
  const workers = await Promise.all(Array.from({ length: WORKERS }, () => startBenchWorker()));
  const folder = mkdtempSync(join(tmpdir(), 'tavern-e2e-'));
  const log = (m: string): void => console.error(`  ${m}`);
  // The extension's own client settings (heartbeat 1 s, dead after 3 s): a busy
  // coordinator must not be dropped, nor drop a worker for being busy itself.
  const pool = new WorkerPool({ clientName: 'bench', clientVersion: '0', log });
  const coordinator = new Coordinator({
    folder,
    pool,
    defaultEngine: 'scripted',
    noWorkerFits: 'fail',
    log,
  });
  for (const w of workers) await pool.attach(w.url);
  const rig = { workers, pool, coordinator, folder, drops: 0 } as Rig;
  for (const client of pool.clients())
    client.onStatus((s) => {
      if (s.status === 'down') rig.drops++;
    });
  rig.agents = [];
  // Summoned idle (no assignment): each starts streaming when the phase sends its script.
  for (let i = 0; i < AGENTS; i++) rig.agents.push(await coordinator.summon({}));
  rig.panel = await PanelHarness.start();
  const summaries = rig.agents.map((a) => coordinator.find(a.id)!);
  await rig.panel.show(summaries.map(rowOf));
  // What the host does on the panel's openAgent: the page, then live batches.
  await rig.panel.feed.open(coordinator, rig.agents[0]!.id);
  return rig;
}

/**
 * Profiles this process (CPU, and where it allocates: most of its garbage collection) until
 * the returned function writes <file>.cpuprofile and <file>.heapprofile.
 */
async function profileHost(): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  const post = promisify(session.post.bind(session)) as (
    method: string,
    params?: object,
  ) => Promise<{ profile?: unknown }>;
  await post('Profiler.enable');
  await post('Profiler.start');
  await post('HeapProfiler.startSampling', {
    samplingInterval: 64 * 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return async (file) => {
    writeFileSync(`${file}.cpuprofile`, JSON.stringify((await post('Profiler.stop')).profile));
    const heap = await post('HeapProfiler.stopSampling');
    writeFileSync(`${file}.heapprofile`, JSON.stringify(heap.profile));
    session.disconnect();
  };
}

/** Every process of the run and its role, for CPU per process. */
function processes(rig: Rig): Map<number, string> {
  const roles = new Map<number, string>([[process.pid, 'coordinator + host (bench process)']]);
  rig.workers.forEach((w, i) => roles.set(w.proc.pid!, `worker ${i + 1}`));
  for (const pid of descendants(process.pid)) {
    const role = chromiumRole(pid);
    if (role) roles.set(pid, `chromium ${role}`);
  }
  return roles;
}

async function phase(rig: Rig, name: string, script: Script): Promise<Record<string, unknown>> {
  const { coordinator, agents, panel } = rig;
  const roles = processes(rig);
  const meter = new CpuMeter(() => [...roles.keys()]);
  const stopTrace = PROFILE_DIR ? await panel.trace() : undefined;
  const stopProfile = PROFILE_DIR ? await profileHost() : undefined;
  let events = 0;
  let accepted = 0;
  const finished = new Set<string>();
  const allDone = new Promise<void>((resolve) => {
    const sub = coordinator.onAgentEvents((batch) => {
      events += batch.length;
      for (const e of batch)
        if (e.event.kind === 'state' && e.event.state === 'done') finished.add(e.agentId);
      if (finished.size === agents.length) {
        accepted = Date.now();
        sub.dispose();
        resolve();
      }
    });
  });
  const t0 = Date.now();
  for (const [i, agent] of agents.entries()) await coordinator.send(agent.id, script(i));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    allDone,
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${name}: agents not done in time`)),
        PHASE_TIMEOUT_MS,
      );
    }),
  ]);
  clearTimeout(timer);
  await coordinator.store.flush();
  const flushed = Date.now();
  await panel.allPainted(PHASE_TIMEOUT_MS);
  const stats = await panel.stats(true);
  const file = name.replace(/\W+/g, '_');
  await stopProfile?.(join(PROFILE_DIR!, `host-${file}`));
  await stopTrace?.(join(PROFILE_DIR!, `renderer-${file}.trace.json`));
  const end = Math.max(flushed, stats.lastPaint);
  const seconds = (end - t0) / 1000;
  const cpu = meter.used();
  const paint = summarize(stats.paint);
  const receive = summarize(stats.receive);
  return {
    phase: name,
    events,
    eventsPerSec: Math.round(events / seconds),
    seconds: round(seconds, 2),
    intoCoordinatorSec: round((accepted - t0) / 1000, 2),
    paintedOnScreen: stats.painted,
    paintP50Ms: round(paint.p50, 1),
    paintP99Ms: round(paint.p99, 1),
    receiveP50Ms: round(receive.p50, 1),
    receiveP99Ms: round(receive.p99, 1),
    cpu: Object.fromEntries(
      [...cpuByRole(cpu, roles)].map(([role, used]) => [
        role,
        { cpuSec: round(used, 2), ofOneCore: `${Math.round((used / seconds) * 100)}%` },
      ]),
    ),
    coordinatorRssMb: round(process.memoryUsage().rss / 1024 / 1024, 1),
  };
}

/** The seqs of an agent's worker journal. */
function journalSeqs(rig: Rig, agentId: string): number[] {
  for (const w of rig.workers) {
    let text: string;
    try {
      text = readFileSync(
        join(w.stateDir, 'journal', `${encodeURIComponent(agentId)}.jsonl`),
        'utf8',
      );
    } catch {
      continue;
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { seq: number }).seq);
  }
  return [];
}

const sameSeqs = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);
const isRun = (seqs: readonly number[]): boolean => seqs.every((s, i) => s === i + 1);

async function losses(rig: Rig): Promise<{ lossless: boolean; problems: string[] }> {
  const problems: string[] = [];
  for (const agent of rig.agents) {
    const journal = journalSeqs(rig, agent.id);
    const stored = (await rig.coordinator.transcript(agent.id, { limit: 10_000_000 })).map(
      (e) => e.seq,
    );
    if (journal.length === 0 || !isRun(journal))
      problems.push(`${agent.name}: its journal is not 1..N`);
    if (!sameSeqs(journal, stored))
      problems.push(
        `${agent.name}: .tavern/ has ${stored.length} events, the journal ${journal.length}`,
      );
  }
  const shown = rig.agents[0]!;
  const seen = (await rig.panel.stats()).seen;
  if (!sameSeqs(seen, journalSeqs(rig, shown.id)))
    problems.push(
      `${shown.name} (on screen): the panel was sent ${seen.length} events, not each once`,
    );
  return { lossless: problems.length === 0, problems };
}

async function main(): Promise<void> {
  // Timers here are unref'd (heartbeats): a wait that never ends must not exit quietly.
  const keepAlive = setInterval(() => undefined, 60_000);
  const rig = await setUp();
  const rowsOut: Record<string, unknown>[] = [];
  try {
    rowsOut.push(await phase(rig, 'saturated', saturated));
    rowsOut.push(await phase(rig, `paced ~${RATE}/s`, paced));
    const loss = await losses(rig);
    for (const problem of loss.problems) console.error(`  LOSS: ${problem}`);
    table(
      `endToEnd: ${AGENTS} scripted agents on ${WORKERS} workers -> coordinator -> .tavern/ and the panel (Chromium ${rig.panel.browserVersion}), ${SIZE}-char deltas`,
      rowsOut.map((r) => {
        const { cpu, ...rest } = r;
        void cpu;
        return rest as Record<string, string | number>;
      }),
    );
    for (const r of rowsOut)
      table(
        `CPU per process, ${String(r.phase)} (${String(r.seconds)} s)`,
        Object.entries(r.cpu as Record<string, { cpuSec: number; ofOneCore: string }>).map(
          ([process, c]) => ({ process, ...c }),
        ),
      );
    const workerRss = rig.workers.map((w) => round(sample(w.proc.pid!)?.rssMb ?? 0, 1));
    console.log(
      `zero loss (every .tavern/ transcript and the panel against the worker journals): ${loss.lossless}; coordinator dropped a worker ${rig.drops} time(s); worker RSS ${workerRss.join(', ')} MB`,
    );
    result('endToEnd', {
      workers: WORKERS,
      agents: AGENTS,
      phases: rowsOut,
      lossless: loss.lossless,
      drops: rig.drops,
      goal: '>= 50,000 events/s end to end, p99 emit->paint <= 250 ms, zero loss',
    });
  } finally {
    await rig.panel.close();
    await rig.coordinator.dispose();
    rig.pool.dispose();
    await Promise.all(rig.workers.map((w) => w.kill()));
    clearInterval(keepAlive);
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
