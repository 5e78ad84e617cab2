// Coordinators over a pool of real worker processes (scripted engine).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentEventEnvelope } from '../../protocol/agentEvents';
import { Coordinator, type AgentSummary } from '../../extension/core/coordinator/coordinator';
import { WorkerPool } from '../../extension/core/workers/workerPool';
import { startWorker, type RunningWorker } from '../helpers/workerProcess';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function workers(n: number, args: string[] = []): Promise<RunningWorker[]> {
  const ws = await Promise.all(
    Array.from({ length: n }, (_, i) => startWorker({ args: ['--name', `w${i + 1}`, ...args] })),
  );
  cleanups.push(() => Promise.all(ws.map((w) => w.kill())).then(() => undefined));
  return ws;
}
function pool(options: { heartbeatMs?: number; deadAfterMs?: number } = {}): WorkerPool {
  const p = new WorkerPool({
    clientName: 'test',
    clientVersion: '0',
    backoffMinMs: 50,
    backoffMaxMs: 200,
    ...options,
  });
  cleanups.push(() => p.dispose());
  return p;
}
function coordinator(
  p: WorkerPool,
  folder = mkdtempSync(join(tmpdir(), 'tavern-folder-')),
): Coordinator {
  const c = new Coordinator({
    folder,
    pool: p,
    defaultEngine: 'scripted',
    noWorkerFits: 'fail',
    log: () => undefined,
  });
  cleanups.push(() => c.dispose());
  return c;
}
function until<T>(
  subscribe: (fire: (value: T) => void) => void,
  test: (value: T) => boolean,
): Promise<T> {
  return new Promise((resolve) => subscribe((value) => test(value) && resolve(value)));
}
/** Resolves once `holds()` is true: checked now and on every change (events may come batched). */
function untilHolds(c: Coordinator, holds: () => boolean): Promise<void> {
  if (holds()) return Promise.resolve();
  return new Promise((resolve) => c.onAgentChanged(() => holds() && resolve()));
}

/** Resolves when the agent's summary shows `state` (checked now and on every change). */
function untilState(c: Coordinator, id: string, state: string): Promise<void> {
  if (c.find(id)?.state === state) return Promise.resolve();
  return new Promise((resolve) => c.onAgentChanged(() => c.find(id)?.state === state && resolve()));
}

describe('Coordinator', () => {
  it('summons agents on two workers, places by load, persists events, and bubbles reports', async () => {
    const [a, b] = await workers(2);
    const p = pool();
    const c = coordinator(p);
    await p.attach(a!.attachUrl);
    await p.attach(b!.attachUrl);
    const reports: string[] = [];
    const both = until<{ agent: AgentSummary; summary: string }>(
      (fire) =>
        c.onReport((r) => {
          reports.push(`${r.agent.name}:${r.status}:${r.summary}`);
          fire(r);
        }),
      () => reports.length === 2,
    );
    const frodo = await c.summon({ assignment: '[[stream 5 10]] [[done counted the barrels]]' });
    const sam = await c.summon({ assignment: '[[done swept the floor]]' });
    await both;
    expect([frodo.name, sam.name]).toEqual(['Frodo', 'Sam']);
    expect(frodo.workerId).not.toBe(sam.workerId); // the second goes to the less loaded worker
    expect(reports.sort()).toEqual(['Frodo:done:counted the barrels', 'Sam:done:swept the floor']);
    await untilHolds(c, () => c.find('Frodo')?.state === 'done' && c.find('Sam')?.state === 'done');
    await c.store.flush();
    const stored = await c.transcript('Frodo', { limit: 100 });
    expect(stored.map((e) => e.seq)).toEqual(stored.map((_, i) => i + 1));
    expect(stored.filter((e) => e.event.kind === 'text')).toHaveLength(6);
  });

  it('a new coordinator on the same folder restores agents and continues with no gap and no duplicate', async () => {
    const [w] = await workers(1);
    const folder = mkdtempSync(join(tmpdir(), 'tavern-folder-'));
    const p1 = new WorkerPool({ clientName: 'test', clientVersion: '0' });
    const c1 = new Coordinator({
      folder,
      pool: p1,
      defaultEngine: 'scripted',
      noWorkerFits: 'fail',
      log: () => undefined,
    });
    await p1.attach(w!.attachUrl);
    const seen1: number[] = [];
    c1.onAgentEvents((batch) => seen1.push(...batch.map((e) => e.seq)));
    // The second stream spans several commits (the scripted engine yields every 256 events),
    // so the first coordinator goes away in the middle of it.
    const agent = await c1.summon({
      assignment: '[[stream 50 10]] [[wait 800]] [[stream 3000 10]] [[done streamed]]',
    });
    await until<readonly AgentEventEnvelope[]>(
      (fire) => c1.onAgentEvents(fire),
      () => seen1.length >= 60,
    );
    // The window reloads: coordinator and pool go away while the agent keeps streaming.
    await c1.dispose();
    p1.dispose();

    const p2 = pool();
    const c2 = coordinator(p2, folder);
    expect(c2.list().map((x) => x.name)).toEqual([agent.name]);
    const seen2: number[] = [];
    const done = until<readonly AgentEventEnvelope[]>(
      (fire) =>
        c2.onAgentEvents((batch) => {
          seen2.push(...batch.map((e) => e.seq));
          fire(batch);
        }),
      (batch) => batch.some((e) => e.event.kind === 'state' && e.event.state === 'done'),
    );
    await p2.attach(w!.attachUrl);
    await done;
    await c2.store.flush();
    const all = await c2.transcript(agent.name, { limit: 10_000 });
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(seen2[0]).toBeGreaterThan(seen1[0]!); // resumed after what was stored, not from 1
  });

  it('keeps two workspace folders isolated: names, agents, events', async () => {
    const [w] = await workers(1);
    const p = pool();
    const left = coordinator(p);
    const right = coordinator(p);
    await p.attach(w!.attachUrl);
    const rightEvents: string[] = [];
    right.onAgentEvents((batch) => rightEvents.push(...batch.map((e) => e.agentId)));
    const l = await left.summon({ assignment: '[[done left work]]' });
    const r = await right.summon({ assignment: '[[done right work]]' });
    expect(l.name).toBe('Frodo');
    expect(r.name).toBe('Frodo'); // names are per project
    await untilState(right, r.id, 'done');
    expect(left.list().map((x) => x.id)).toEqual([l.id]);
    expect(right.list().map((x) => x.id)).toEqual([r.id]);
    expect(new Set(rightEvents)).toEqual(new Set([r.id]));
    expect(left.find(r.id)).toBeUndefined();
  });

  it('shows agents on a silent worker as lost, and back when it answers again', async () => {
    const [w] = await workers(1);
    const p = pool({ heartbeatMs: 200, deadAfterMs: 1000 });
    const c = coordinator(p);
    await p.attach(w!.attachUrl);
    const agent = await c.summon({ assignment: '[[wait 60000]]' });
    await untilState(c, agent.id, 'working');
    w!.proc.kill('SIGSTOP');
    await untilState(c, agent.id, 'lost');
    w!.proc.kill('SIGCONT');
    await untilState(c, agent.id, 'working');
  });

  it('routes permission requests to its UI, and an always-allow rule answers the next one', async () => {
    const [w] = await workers(1);
    const p = pool();
    const c = coordinator(p);
    await p.attach(w!.attachUrl);
    const asked: string[] = [];
    c.onPermissionRequest(({ request, answer }) => {
      asked.push(request.tool);
      answer({ decision: 'allow' }, true);
    });
    const texts: string[] = [];
    c.onAgentEvents((batch) => {
      for (const { event } of batch) if (event.kind === 'text') texts.push(event.text);
    });
    const agent = await c.summon({
      assignment: '[[permission Write]] [[permission Write]] [[done ok]]',
    });
    await untilState(c, agent.id, 'done');
    expect(asked).toEqual(['Write']);
    expect(texts.filter((t) => t.startsWith('Permission for Write: allowed'))).toHaveLength(2);
  });

  it('explains placement failures', async () => {
    const [w] = await workers(1, ['--max-agents', '1']);
    const p = pool();
    const c = coordinator(p);
    await p.attach(w!.attachUrl);
    await expect(c.summon({ engine: 'anthropic' })).rejects.toThrow(
      /No connected worker can run a anthropic agent \(w1: no anthropic engine/,
    );
    await c.summon({});
    await expect(c.summon({})).rejects.toThrow(/w1: full \(1\/1\)/);
    await expect(c.summon({ worker: 'nowhere' })).rejects.toThrow(/No worker named "nowhere"/);
  });
});
