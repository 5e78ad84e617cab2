// fleet: 32 worker pods behind the fake Kubernetes API server (test/fleet: real worker
// processes, each at its own loopback address, TLS and token as the image runs them). The
// pods' workers are up but not Ready; the fleet watches; all 32 turn Ready at once (32 watch
// events). How long from a pod's event until its worker is connected in the pool, p50 / p99,
// through the API server's port-forward and directly at the pod IP, against attaching the
// same 32 workers by URL (no Kubernetes). Then 1,000 agents summoned at once through a
// Coordinator: how they spread over the 32 workers, and every event arriving exactly once.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AgentEventEnvelope } from '../protocol/agentEvents';
import { Coordinator } from '../extension/core/coordinator/coordinator';
import { fleetGroupId } from '../extension/core/fleet/fleet';
import { Fleets } from '../extension/core/fleet/fleets';
import { WorkerPool } from '../extension/core/workers/workerPool';
import { FakeCluster, NAMESPACE, WORKER_PORT } from '../test/fleet/fakeCluster';
import { ROOT, result, round, summarize, table } from './lib';

const PODS = Number(process.env.BENCH_FLEET_PODS ?? 32);
const AGENTS = Number(process.env.BENCH_FLEET_AGENTS ?? 1000);
const EVENTS = Number(process.env.BENCH_FLEET_EVENTS ?? 50);
const TIMEOUT_MS = 300_000;
// A 1,000-agent burst stalls the coordinator's event loop for seconds (synchronous .tavern/
// record writes, per-change fan-out: issue 17's subject); with the default 1 s heartbeat the
// workers then drop it and spawns in flight fail. This bench measures the fleet, so its pods
// tolerate a slower coordinator (BENCH_FLEET_HEARTBEAT_MS=1000 shows the default).
const HEARTBEAT_MS = Number(process.env.BENCH_FLEET_HEARTBEAT_MS ?? 5000);

const spec = (name: string, direct: boolean): Record<string, unknown> => ({
  name,
  kind: 'kubernetes',
  namespace: NAMESPACE,
  labelSelector: 'app=tavern-worker',
  tokenSecret: { name: 'tavern-worker', key: 'token' },
  tlsSecret: { name: 'tavern-worker-tls' },
  port: WORKER_PORT,
  direct,
});

function newPool(): WorkerPool {
  return new WorkerPool({
    clientName: 'bench',
    clientVersion: '0',
    heartbeatMs: 5_000,
    deadAfterMs: 60_000,
  });
}

/** Resolves with each worker's connect time (ms since `t0` of its pod) once all are up. */
function connectTimes(
  pool: WorkerPool,
  ids: (id: string) => string | undefined,
  t0: Map<string, number>,
): Promise<number[]> {
  const times = new Map<string, number>();
  return new Promise((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`only ${times.size}/${PODS} connected`)),
      TIMEOUT_MS,
    );
    const check = (): void => {
      const now = performance.now();
      for (const w of pool.summaries()) {
        const pod = ids(w.id);
        if (pod && w.status === 'connected' && !times.has(pod)) times.set(pod, now - t0.get(pod)!);
      }
      if (times.size === PODS) {
        clearTimeout(timer);
        sub.dispose();
        done([...times.values()]);
      }
    };
    const sub = pool.onChanged(check);
  });
}

async function fromWatchEvents(
  cluster: FakeCluster,
  direct: boolean,
): Promise<{ samples: number[]; pool: WorkerPool; fleets: Fleets }> {
  const name = direct ? 'direct' : 'forward';
  const pool = newPool();
  const fleets = new Fleets({
    pool,
    log: () => undefined,
    env: { KUBECONFIG: cluster.kubeconfig },
  });
  fleets.apply([spec(name, direct)]);
  // The fleet has listed and watches (no Ready pod yet).
  await new Promise<void>((done) => {
    const ready = (): boolean =>
      /No Ready pods/.test(pool.groups().find((g) => g.id === fleetGroupId(name))?.message ?? '');
    if (ready()) return done();
    const sub = pool.onChanged(() => ready() && (sub.dispose(), done()));
  });
  const t0 = new Map<string, number>();
  const prefix = `fleet:${name}/`;
  const times = connectTimes(
    pool,
    (id) => (id.startsWith(prefix) ? id.slice(prefix.length) : undefined),
    t0,
  );
  for (const pod of cluster.pods()) {
    t0.set(pod, performance.now());
    cluster.markReady(pod);
  }
  return { samples: await times, pool, fleets };
}

async function byUrl(cluster: FakeCluster): Promise<number[]> {
  const pool = newPool();
  const t0 = new Map<string, number>();
  const byId = new Map<string, string>();
  const times = connectTimes(pool, (id) => byId.get(id), t0);
  const attached = cluster.pods().map((pod) => {
    const url = cluster.directUrl(pod);
    byId.set(url.replace(/#.*$/, ''), pod);
    t0.set(pod, performance.now());
    return pool.attach(url);
  });
  const samples = await times;
  await Promise.all(attached);
  pool.dispose();
  return samples;
}

async function main(): Promise<void> {
  const cluster = await FakeCluster.start({
    workerJs: resolve(ROOT, 'dist/worker.js'),
    forceLoopback: true,
    maxAgents: Math.max(64, Math.ceil((AGENTS / PODS) * 2)),
    workerArgs: ['--heartbeat-ms', String(HEARTBEAT_MS)],
  });
  try {
    const started = performance.now();
    await Promise.all(
      Array.from({ length: PODS }, (_, i) =>
        cluster.createPod(cluster.podName(i), { ready: false }),
      ),
    );
    console.error(`  ${PODS} pods up (not Ready) in ${Math.round(performance.now() - started)} ms`);

    // Warm-up: each worker's first connection pays for its first engine probe and JIT.
    await byUrl(cluster);
    const baseline = summarize(await byUrl(cluster));
    const direct = await fromWatchEvents(cluster, true);
    direct.fleets.dispose();
    direct.pool.dispose();
    // Not Ready again, so the port-forward run starts from watch events too.
    for (const pod of cluster.pods())
      cluster.api.upsertPod({ ...cluster.api.pod(pod)!, ready: false });
    const forward = await fromWatchEvents(cluster, false);
    const directStats = summarize(direct.samples);
    const forwardStats = summarize(forward.samples);
    table(`watch event -> worker connected, ${PODS} pods at once (ms)`, [
      { path: 'attach by URL (no Kubernetes)', ...baseline },
      { path: 'fleet, direct (pod IP)', ...directStats },
      { path: 'fleet, port-forward', ...forwardStats },
    ]);

    // 1,000 agents through a Coordinator on the port-forwarded fleet.
    const { pool, fleets } = forward;
    const coordinator = new Coordinator({
      folder: mkdtempSync(join(tmpdir(), 'tavern-bench-fleet-')),
      pool,
      defaultEngine: 'scripted',
      noWorkerFits: 'fail',
      log: () => undefined,
    });
    const received = new Map<string, number[]>();
    let reports = 0;
    let allReported: () => void = () => undefined;
    const reported = new Promise<void>((done) => (allReported = done));
    coordinator.onAgentEvents((batch: readonly AgentEventEnvelope[]) => {
      for (const e of batch) {
        const seqs = received.get(e.agentId) ?? [];
        seqs.push(e.seq);
        received.set(e.agentId, seqs);
      }
    });
    let expected = AGENTS;
    coordinator.onReport(() => ++reports === expected && allReported());
    const cpu0 = process.cpuUsage();
    const s0 = performance.now();
    // A refused summon is a figure (summonFailed), not a crash of the whole bench.
    const settled = await Promise.allSettled(
      Array.from({ length: AGENTS }, () =>
        coordinator.summon({ assignment: `[[stream ${EVENTS} 50]][[done ok]]` }),
      ),
    );
    const summonMs = performance.now() - s0;
    const agents = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const summonFailed = AGENTS - agents.length;
    expected = agents.length;
    if (reports >= expected) allReported();
    if (summonFailed > 0) {
      const first = settled.find((r) => r.status === 'rejected');
      console.error(`  ${summonFailed} summons failed, e.g.: ${String(first?.reason)}`);
      for (const pod of cluster.pods()) {
        const warnings = cluster.stderr(pod).trim();
        if (warnings) console.error(`  ${pod}: ${warnings.split('\n').slice(-3).join(' | ')}`);
      }
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      reported,
      new Promise<void>((_, fail) => {
        timer = setTimeout(() => fail(new Error(`${reports}/${expected} reported`)), TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    const seconds = (performance.now() - s0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const perWorker = new Map<string, number>();
    for (const a of agents) perWorker.set(a.workerId, (perWorker.get(a.workerId) ?? 0) + 1);
    const counts = [...perWorker.values()];
    // Zero loss: every agent's events 1..lastSeq, as its worker counts them, each once.
    const lastSeq = new Map<string, number>();
    for (const id of new Set(agents.map((a) => a.workerId)))
      for (const info of (await pool.get(id)!.list()).agents)
        lastSeq.set(info.agentId, info.lastSeq);
    // A report comes before its turn's last events (result, state): wait for those, so an
    // event still on its way is not counted as lost (one that never comes still is).
    const caughtUp = (): boolean =>
      agents.every((a) => (received.get(a.id)?.length ?? 0) >= (lastSeq.get(a.id) ?? 0));
    for (let waited = 0; !caughtUp() && waited < 10_000; waited += 50)
      await new Promise((resolve) => setTimeout(resolve, 50));
    let events = 0;
    let lost = 0;
    for (const a of agents) {
      const got = received.get(a.id) ?? [];
      events += got.length;
      // 1..N in order, each once, and at least what the worker had when asked (later events
      // of the turn may have arrived since).
      const exact = got.length >= (lastSeq.get(a.id) ?? 0) && got.every((seq, k) => seq === k + 1);
      if (!exact) {
        lost++;
        const missing = Array.from({ length: lastSeq.get(a.id) ?? 0 }, (_, i) => i + 1).filter(
          (seq) => !got.includes(seq),
        );
        console.error(
          `  LOSS ${a.name}: got ${got.length} of ${lastSeq.get(a.id)}, missing ${missing.slice(0, 10).join(',')}; dupes ${got.length - new Set(got).size}; order ${got.slice(0, 5).join(',')}...${got.slice(-3).join(',')}`,
        );
      }
    }
    const spread = {
      summonFailed,
      workers: perWorker.size,
      minPerWorker: Math.min(...counts),
      maxPerWorker: Math.max(...counts),
      summonAllMs: round(summonMs, 0),
      doneS: round(seconds, 2),
      eventsPerS: round(events / seconds, 0),
      agentsWithLoss: lost,
      cpuS: round((cpu.user + cpu.system) / 1e6, 2),
      rssMb: round(process.memoryUsage().rss / 1024 / 1024, 0),
    };
    table(`${AGENTS} agents summoned at once over the ${PODS}-pod fleet (port-forward)`, [spread]);
    await coordinator.dispose();
    fleets.dispose();
    pool.dispose();
    result('fleet', {
      pods: PODS,
      workerHeartbeatMs: HEARTBEAT_MS,
      attachByUrl: baseline,
      fleetDirect: directStats,
      fleetPortForward: forwardStats,
      portForwardVsUrlP50: round(forwardStats.p50 / baseline.p50, 2),
      agents: AGENTS,
      eventsPerAgent: EVENTS + 1,
      ...spread,
    });
  } finally {
    await cluster.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
