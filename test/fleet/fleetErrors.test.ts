// What a fleet says when it cannot work, in the log and on the Workers view (its group's
// message): no kubeconfig, an unknown context, RBAC refusals naming the verb and resource,
// a cluster that cannot be reached, no (Ready) pods, a bad setting. And that it recovers by
// itself once the cause is fixed on the cluster side.
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fleetGroupId } from '../../extension/core/fleet/fleet';
import { parseFleets } from '../../extension/core/fleet/fleetSpec';
import { Fleets } from '../../extension/core/fleet/fleets';
import { WorkerPool, type WorkerGroup } from '../../extension/core/workers/workerPool';
import { FakeKubeApi } from './fakeKubeApi';

const NS = 'tavern';
let api: FakeKubeApi;
let kubeconfig: string;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  api = await FakeKubeApi.start({ namespace: NS });
  api.secrets.set('tavern-worker', { token: 'a-token-of-at-least-16-chars' });
  kubeconfig = api.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tavern-kube-')), 'config'));
});
afterAll(() => api.close());
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
  api.deny.clear();
  for (const name of ['p-0', 'p-1']) api.removePod(name);
});

const spec = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'f',
  kind: 'kubernetes',
  namespace: NS,
  labelSelector: 'app=tavern-worker',
  tokenSecret: { name: 'tavern-worker', key: 'token' },
  port: 7420,
  ...extra,
});

function start(
  entry: Record<string, unknown>,
  env: NodeJS.ProcessEnv = { KUBECONFIG: kubeconfig },
  home = mkdtempSync(join(tmpdir(), 'tavern-home-')),
): { pool: WorkerPool; logs: string[] } {
  const pool = new WorkerPool({ clientName: 't', clientVersion: '0' });
  const logs: string[] = [];
  const fleets = new Fleets({
    pool,
    log: (level, message) => logs.push(`${level} ${message}`),
    env,
    home,
    tuning: { retryMinMs: 20, retryMaxMs: 100 },
  });
  cleanups.push(() => {
    fleets.dispose();
    pool.dispose();
  });
  fleets.apply([entry]);
  return { pool, logs };
}

/** Resolves with the fleet's group once its message matches. */
function untilGroup(pool: WorkerPool, pattern: RegExp): Promise<WorkerGroup> {
  const now = (): WorkerGroup | undefined =>
    pool.groups().find((g) => g.id === fleetGroupId('f') && pattern.test(g.message ?? ''));
  return new Promise((resolve, reject) => {
    const found = now();
    if (found) return resolve(found);
    const timer = setTimeout(
      () =>
        reject(new Error(`no group message matching ${pattern}: ${JSON.stringify(pool.groups())}`)),
      20_000,
    );
    const sub = pool.onChanged(() => {
      const group = now();
      if (!group) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(group);
    });
  });
}

describe('fleet errors', () => {
  it('no kubeconfig: says where it looked', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tavern-home-'));
    const { pool, logs } = start(spec(), {}, home);
    const group = await untilGroup(pool, /No kubeconfig found/);
    expect(group.state).toBe('error');
    expect(group.message).toContain(join(home, '.kube', 'config'));
    expect(group.message).toContain('$KUBECONFIG is not set');
    expect(logs.some((l) => l.startsWith('error fleet f: No kubeconfig found'))).toBe(true);
  });

  it('an unknown context: names it and the ones there are', async () => {
    const { pool } = start(spec({ context: 'prod' }));
    const group = await untilGroup(pool, /no context "prod"/);
    expect(group.message).toContain('contexts: fake');
  });

  it('RBAC: names the verb and the resource refused, and recovers once granted', async () => {
    api.deny.add('list pods');
    const { pool, logs } = start(spec());
    const listing = await untilGroup(pool, /Forbidden by RBAC/);
    expect(listing.message).toMatch(/may not list pods in namespace "tavern"/);
    expect(listing.message).toContain('User "tester" cannot list resource "pods"');
    expect(logs.some((l) => l.includes('may not list pods'))).toBe(true);
    api.deny.delete('list pods');
    await untilGroup(pool, /No pods match "app=tavern-worker"/);
  });

  it('RBAC on the watch and on the token Secret', async () => {
    api.deny.add('watch pods');
    const watching = start(spec());
    await untilGroup(watching.pool, /may not watch pods in namespace "tavern"/);
    api.deny.clear();
    api.deny.add('get secrets');
    const secrets = start({ ...spec(), name: 'f' });
    await untilGroup(secrets.pool, /may not get secrets "tavern-worker" in namespace "tavern"/);
  });

  it('RBAC on port-forward: the pod is listed with why it is not attached', async () => {
    api.deny.add('create pods/portforward');
    api.upsertPod({
      name: 'p-0',
      labels: { app: 'tavern-worker' },
      phase: 'Running',
      ready: true,
      ip: '127.0.0.1',
    });
    const { pool } = start(spec());
    const group = await untilGroup(pool, /may not create pods\/portforward "p-0"/);
    expect(group.state).toBe('ready');
    expect(group.message).toMatch(/^0 of 1 Ready pods attached/);
  });

  it('a context that cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const file = api.writeKubeconfig(
      join(mkdtempSync(join(tmpdir(), 'tavern-kube-')), 'config'),
      'offline',
      `https://127.0.0.1:${port}`,
    );
    const { pool } = start(spec(), { KUBECONFIG: file });
    const group = await untilGroup(pool, /Cannot reach context "offline"/);
    expect(group.message).toContain('ECONNREFUSED');
    expect(group.message).toMatch(/Retrying in \d+ s/);
  });

  it('no pods, then no Ready pods, then a Ready pod', async () => {
    const { pool } = start(spec());
    await untilGroup(pool, /No pods match "app=tavern-worker"/);
    api.upsertPod({
      name: 'p-0',
      labels: { app: 'tavern-worker' },
      phase: 'Pending',
      ready: false,
      ip: undefined,
      waitingReason: 'ImagePullBackOff',
    });
    const none = await untilGroup(pool, /No Ready pods/);
    expect(none.message).toContain('p-0: Pending (ImagePullBackOff)');
    expect(none.state).toBe('error');
    // Pods of another selector are not ours.
    api.upsertPod({
      name: 'p-1',
      labels: { app: 'other' },
      phase: 'Running',
      ready: true,
      ip: '127.0.0.1',
    });
    api.upsertPod({
      name: 'p-0',
      labels: { app: 'tavern-worker' },
      phase: 'Running',
      ready: true,
      ip: '127.0.0.1',
    });
    await untilGroup(pool, /^0 of 1 Ready pods attached/);
  });

  it('bad settings are reported by entry and field, and cost only themselves', () => {
    const { fleets, problems } = parseFleets([
      spec(),
      { ...spec(), name: 'g', namespace: 'Not_A_Namespace' },
      { ...spec(), name: 'h', tokenSecret: { name: 'x' } },
      { ...spec(), kind: 'nomad' },
      spec(),
    ]);
    expect(fleets.map((f) => f.name)).toEqual(['f']);
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/tavern\.fleets\[1\] is ignored: namespace/);
    expect(problems[1]).toMatch(/tavern\.fleets\[2\] is ignored: tokenSecret\.key/);
    expect(problems[2]).toMatch(/tavern\.fleets\[3\] is ignored: kind/);
    expect(problems[3]).toMatch(/another fleet is already named "f"/);
    expect(parseFleets({}).problems[0]).toMatch(/must be an array/);
  });
});
