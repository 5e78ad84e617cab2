// The fleet against a fake Kubernetes API server whose pods are real tavern-worker processes,
// each in its own network namespace: pods attach through the API server's port-forward (and
// directly at the pod IP), come and go live while agents stream, and nothing is lost; a pod
// recreated with the same name and volume brings its agents back through journal replay.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEventEnvelope } from '../../protocol/agentEvents';
import { Coordinator } from '../../extension/core/coordinator/coordinator';
import { fleetGroupId, fleetWorkerId } from '../../extension/core/fleet/fleet';
import { Fleets } from '../../extension/core/fleet/fleets';
import { WorkerPool, type WorkerGroup } from '../../extension/core/workers/workerPool';
import { WORKER_JS } from '../helpers/workerProcess';
import { FakeCluster, NAMESPACE, WORKER_PORT } from './fakeCluster';

const FLEET = 'test';
const spec = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: FLEET,
  kind: 'kubernetes',
  namespace: NAMESPACE,
  labelSelector: 'app=tavern-worker',
  tokenSecret: { name: 'tavern-worker', key: 'token' },
  tlsSecret: { name: 'tavern-worker-tls' },
  port: WORKER_PORT,
  ...extra,
});

let cluster: FakeCluster;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  if (!existsSync(WORKER_JS))
    throw new Error('Run `npm run build` first: the pods run dist/worker.js.');
  cluster = await FakeCluster.start({ workerJs: WORKER_JS, maxAgents: 16 });
  console.log(
    `fleet test pods: ${cluster.networks.kind}${cluster.networks.note ? ` (${cluster.networks.note})` : ''}`,
  );
});

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await cluster?.close();
});

function setup(): { pool: WorkerPool; fleets: Fleets; logs: string[] } {
  const pool = new WorkerPool({
    clientName: 'fleet-test',
    clientVersion: '0',
    backoffMinMs: 50,
    backoffMaxMs: 500,
  });
  const logs: string[] = [];
  const fleets = new Fleets({
    pool,
    log: (level, message) => logs.push(`${level} ${message}`),
    env: { KUBECONFIG: cluster.kubeconfig },
    tuning: { retryMinMs: 50, retryMaxMs: 500, drainWaitMs: 20_000 },
  });
  cleanups.push(() => {
    fleets.dispose();
    pool.dispose();
  });
  return { pool, fleets, logs };
}

/** Resolves when `test` holds for the pool (checked now and on every change). */
function untilPool(pool: WorkerPool, test: () => boolean, what: string): Promise<void> {
  if (test()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(pool.groups())}`));
    }, 60_000);
    const sub = pool.onChanged(() => {
      if (!test()) return;
      clearTimeout(timer);
      sub.dispose();
      resolve();
    });
  });
}

const connectedFleetWorkers = (pool: WorkerPool): string[] =>
  pool
    .summaries()
    .filter((w) => w.group === fleetGroupId(FLEET) && w.status === 'connected' && !w.draining)
    .map((w) => w.id)
    .sort();

const group = (pool: WorkerPool): WorkerGroup | undefined =>
  pool.groups().find((g) => g.id === fleetGroupId(FLEET));

const podsUpTo = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => fleetWorkerId(FLEET, cluster.podName(i))).sort();

function journal(pod: string, agentId: string): number[] {
  const file = join(cluster.stateDir(pod), 'journal', `${encodeURIComponent(agentId)}.jsonl`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as AgentEventEnvelope).seq);
}

describe('fleet on a (fake) Kubernetes cluster', () => {
  it('scales 1 → 8 → 3 while agents stream, with zero loss; recreated pods bring their agents back', async () => {
    const { pool, fleets } = setup();
    const folder = mkdtempSync(join(tmpdir(), 'tavern-fleet-folder-'));
    const coordinator = new Coordinator({
      folder,
      pool,
      defaultEngine: 'scripted',
      noWorkerFits: 'fail',
      log: () => undefined,
    });
    cleanups.push(() => coordinator.dispose());
    const received = new Map<string, number[]>();
    coordinator.onAgentEvents((batch) => {
      for (const e of batch) {
        const seqs = received.get(e.agentId) ?? [];
        seqs.push(e.seq);
        received.set(e.agentId, seqs);
      }
    });

    await cluster.scale(1);
    expect(fleets.apply([spec()])).toEqual([]);
    await untilPool(pool, () => connectedFleetWorkers(pool).length === 1, '1 fleet worker');
    expect(group(pool)?.state).toBe('ready');

    // Long streams (text in small bursts with pauses) so scaling happens mid-stream; the
    // first agents' outlast the start of seven more pods on a slow machine.
    const assignment = '[[stream 10 40]][[wait 15]]'.repeat(400) + '[[done streamed]]';
    const longer = '[[stream 10 40]][[wait 15]]'.repeat(400) + '[[done streamed]]';
    const first = await Promise.all(
      Array.from({ length: 3 }, () => coordinator.summon({ assignment: longer })),
    );
    expect(new Set(first.map((a) => a.workerId))).toEqual(new Set(podsUpTo(1)));

    await cluster.scale(8);
    await untilPool(pool, () => connectedFleetWorkers(pool).length === 8, '8 fleet workers');
    expect(connectedFleetWorkers(pool)).toEqual(podsUpTo(8));
    // A burst of summons spreads over the fleet: each new pod gets agents.
    const second = await Promise.all(
      Array.from({ length: 21 }, () => coordinator.summon({ assignment })),
    );
    const agents = [...first, ...second];
    const perWorker = new Map<string, number>();
    for (const a of agents) perWorker.set(a.workerId, (perWorker.get(a.workerId) ?? 0) + 1);
    expect([...perWorker.keys()].sort()).toEqual(podsUpTo(8));
    expect(Math.max(...perWorker.values())).toBe(3);

    // Scale down while every agent streams: pods 3..7 drain and leave.
    const streaming = agents.every((a) => (received.get(a.id)?.length ?? 0) > 0);
    expect(streaming).toBe(true);
    await cluster.scale(3);
    await untilPool(
      pool,
      () => pool.summaries().filter((w) => w.group === fleetGroupId(FLEET)).length === 3,
      'the fleet back to 3 workers',
    );
    expect(connectedFleetWorkers(pool)).toEqual(podsUpTo(3));

    // Agents on the remaining pods finish; every event arrives once, in order.
    const staying = agents.filter((a) => podsUpTo(3).includes(a.workerId));
    const leaving = agents.filter((a) => !podsUpTo(3).includes(a.workerId));
    expect(staying).toHaveLength(9);
    await Promise.all(
      staying.map(
        (a) =>
          new Promise<void>((resolve) => {
            const check = (): boolean => coordinator.find(a.id)?.state === 'done';
            if (check()) return resolve();
            const sub = coordinator.onAgentChanged(() => check() && (sub.dispose(), resolve()));
          }),
      ),
    );
    // (Their worker's own count, not its journal file: that is flushed a moment later.)
    for (const a of staying) {
      const info = (await pool.get(a.workerId)!.list()).agents.find((x) => x.agentId === a.id);
      const seqs = received.get(a.id) ?? [];
      expect(seqs).toEqual(Array.from({ length: info!.lastSeq }, (_, i) => i + 1));
      expect(seqs.length).toBeGreaterThan(1500);
    }
    // Agents on the pods that left: everything their worker journalled before it exited
    // (the drain interrupts them) reached the coordinator, nothing twice.
    for (const a of leaving) {
      const pod = a.workerId.slice(a.workerId.indexOf('/') + 1);
      expect(received.get(a.id)).toEqual(journal(pod, a.id));
      expect(coordinator.find(a.id)?.state).toBe('lost');
    }

    // Scale back to 5: tavern-worker-3 and -4 come back with their volumes; their agents
    // return (no longer lost) and replay fills in anything they journalled meanwhile.
    await cluster.scale(5);
    await untilPool(pool, () => connectedFleetWorkers(pool).length === 5, '5 fleet workers');
    const returning = leaving.filter((a) => podsUpTo(5).includes(a.workerId));
    expect(returning.length).toBeGreaterThan(0);
    for (const a of returning) {
      expect(coordinator.find(a.id)?.state).not.toBe('lost');
      const pod = a.workerId.slice(a.workerId.indexOf('/') + 1);
      const info = (await pool.get(a.workerId)!.list()).agents.find((x) => x.agentId === a.id);
      expect(info!.lastSeq).toBeGreaterThanOrEqual(journal(pod, a.id).length);
      expect(received.get(a.id)).toEqual(Array.from({ length: info!.lastSeq }, (_, i) => i + 1));
    }
    // An agent on a returned pod takes new work.
    const back = returning[0]!;
    await coordinator.send(back.id, '[[stream 5 10]][[done again]]');
    await new Promise<void>((resolve) => {
      const sub = coordinator.onAgentChanged((s) => {
        if (s.id === back.id && s.state === 'done') {
          sub.dispose();
          resolve();
        }
      });
    });
    const seqs = received.get(back.id) ?? [];
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  }, 240_000);

  it('attaches directly at the pod IPs with direct: "auto" when they answer', async () => {
    await cluster.scale(2);
    const { pool, fleets } = setup();
    fleets.apply([spec({ direct: 'auto' })]);
    await untilPool(
      pool,
      () => /^2 of 2 Ready pods attached/.test(group(pool)?.message ?? ''),
      '2 fleet workers',
    );
    const urls = pool
      .summaries()
      .filter((w) => w.group === fleetGroupId(FLEET))
      .map((w) => pool.get(w.id)!.attach);
    for (const u of urls) {
      expect(u.host).not.toBe('127.0.0.1');
      expect(u.port).toBe(WORKER_PORT);
      expect(u.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(group(pool)?.message).toMatch(
      /^2 of 2 Ready pods attached .*via pod IPs or port-forward/,
    );
    const client = pool.get(fleetWorkerId(FLEET, cluster.podName(1)))!;
    const { agentId } = await client.spawn({
      name: 'D',
      engine: 'scripted',
      assignment: '[[done hi]]',
    });
    expect(agentId).toBeTruthy();
  });

  it('the shipped bundle (dist/fleet.js, as the extension loads it) attaches through port-forward', async () => {
    await cluster.scale(1);
    const bundle = join(__dirname, '../../dist/fleet.js');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Fleets: Bundled } = require(
      bundle,
    ) as typeof import('../../extension/core/fleet/fleets');
    const pool = new WorkerPool({ clientName: 'fleet-test', clientVersion: '0' });
    const fleets = new Bundled({
      pool,
      log: () => undefined,
      env: { KUBECONFIG: cluster.kubeconfig },
    });
    cleanups.push(() => {
      fleets.dispose();
      pool.dispose();
    });
    fleets.apply([spec()]);
    await untilPool(
      pool,
      () => /^1 of 1 Ready pods attached .*via port-forward/.test(group(pool)?.message ?? ''),
      'the bundled fleet to attach',
    );
    const client = pool.get(fleetWorkerId(FLEET, cluster.podName(0)))!;
    expect(client.attach.host).toBe('127.0.0.1');
    expect((await client.list()).agents).toBeDefined();
  });
});
