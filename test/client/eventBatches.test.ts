// Event batches: a real worker sends `agent/events` only to coordinators that announced
// them (others get one `agent/event` per envelope, as before), and WorkerClient checks every
// envelope once where it enters: an invalid one is dropped with a log line naming the worker.
// The misbehaving worker is a small ws server here: a real worker cannot send bad events.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { parseAttachUrl } from '../../extension/core/workers/attachUrl';
import { WorkerClient } from '../../extension/core/workers/workerClient';
import type { AgentEventEnvelope } from '../../protocol/agentEvents';
import { EventLog } from '../helpers/agentEvents';
import { hello, openRaw } from '../helpers/rawRpc';
import { startWorker, type RunningWorker } from '../helpers/workerProcess';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function worker(): Promise<RunningWorker> {
  const w = await startWorker();
  cleanups.push(() => w.kill());
  return w;
}

/** Frames of one spawn's burst as a raw peer sees them, with or without the capability. */
async function framesOf(w: RunningWorker, batches: boolean): Promise<Record<string, unknown>[]> {
  const p = await openRaw(w);
  cleanups.push(() => p.ws.close());
  await (batches
    ? p.call('worker/hello', {
        protocolVersion: 1,
        client: { name: 'raw', version: '0' },
        capabilities: { eventBatches: true },
      })
    : hello(p));
  await p.call('agent/spawn', {
    name: batches ? 'Batched' : 'Plain',
    engine: 'scripted',
    assignment: '[[stream 200 10]] [[ask done?]]',
  });
  const frames: Record<string, unknown>[] = [];
  let envelopes = 0;
  while (envelopes < 200) {
    const m = await p.next();
    frames.push(m);
    if (m.method === 'agent/event') envelopes++;
    if (m.method === 'agent/events') envelopes += (m.params as { events: unknown[] }).events.length;
  }
  return frames;
}

describe('agent/events batches', () => {
  it('go only to coordinators that announced them; others get agent/event as before', async () => {
    const w = await worker();
    const plain = await framesOf(w, false);
    expect(new Set(plain.map((m) => m.method))).toEqual(new Set(['agent/event']));
    const batched = await framesOf(w, true);
    expect(batched.some((m) => m.method === 'agent/events')).toBe(true);
    expect(batched.length).toBeLessThan(plain.length);
    // Each batch keeps seq order, and one envelope alone still travels as agent/event.
    for (const m of batched.filter((f) => f.method === 'agent/events')) {
      const seqs = (m.params as { events: AgentEventEnvelope[] }).events.map((e) => e.seq);
      expect(seqs.length).toBeGreaterThan(1);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
  });

  it('WorkerClient drops an invalid envelope with a log line naming the worker, replays the gap', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => server.close());
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const good = (seq: number): AgentEventEnvelope => ({
      agentId: 'a1',
      seq,
      time: seq,
      event: { kind: 'text', text: `event ${seq}` },
    });
    server.on('connection', (ws: WebSocket) => {
      ws.on('message', (data) => {
        const request = JSON.parse(String(data)) as {
          id: number;
          method: string;
          params: { afterSeq?: number };
        };
        const reply = (result: unknown): void =>
          ws.send(JSON.stringify({ jsonrpc: '2.0', id: request.id, result }));
        if (request.method === 'worker/hello') {
          reply({
            protocolVersion: 1,
            workerId: 'fake',
            name: 'sloppy',
            version: '0',
            hostname: 'h',
            platform: 'linux',
            arch: 'x64',
            workdir: '/',
            engines: [],
            maxAgents: 1,
            agents: [],
          });
          const notify = (method: string, params: unknown): void =>
            ws.send(JSON.stringify({ jsonrpc: '2.0', method, params }));
          notify('agent/event', good(1));
          notify('agent/events', {
            events: [
              good(2),
              { agentId: 'a1', seq: 3, time: 3, event: { kind: 'bogus' } },
              good(4),
            ],
          });
        }
        if (request.method === 'agent/replay') {
          const after = request.params.afterSeq ?? 0;
          reply({
            events: [good(3), good(4)].filter((e) => e.seq > after),
            lastSeq: 4,
            more: false,
          });
        }
      });
    });
    const logged: string[] = [];
    const client = new WorkerClient(
      parseAttachUrl(`ws://127.0.0.1:${port}/#token=any-token-0123456789`),
      {
        clientName: 'test',
        clientVersion: '0',
        log: (line) => logged.push(line),
      },
    );
    cleanups.push(() => client.dispose());
    const log = new EventLog(client);
    await client.connect();
    await log.untilCount('a1', 4);
    expect(log.of('a1').map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(log.of('a1')[2]?.event).toEqual({ kind: 'text', text: 'event 3' });
    expect(logged.join('\n')).toMatch(
      /"sloppy" \(127\.0\.0\.1:\d+\) sent an invalid agent event \(seq 3\); dropped: event/,
    );
  });
});
