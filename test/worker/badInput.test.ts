// Bad input gets a clear error and disturbs nobody: after each abuse, a bystander connection
// opened beforehand still works and the worker is alive.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../protocol/errors';
import { hello, openRaw, type RawPeer } from '../helpers/rawRpc';
import { startWorker, type RunningWorker } from '../helpers/workerProcess';

describe('bad input', () => {
  let w: RunningWorker;
  let bystander: RawPeer;

  beforeAll(async () => {
    w = await startWorker({ args: ['--max-payload-mb', '16'] });
    bystander = await openRaw(w);
    await hello(bystander);
  });
  afterAll(async () => {
    bystander.ws.close();
    await w.kill();
  });

  async function bystanderStillWorks(): Promise<void> {
    const r = await bystander.call('agent/list', {});
    expect(r.result).toHaveProperty('agents');
    expect(w.proc.exitCode).toBeNull();
  }

  it('answers malformed JSON with a parse error', async () => {
    const p = await openRaw(w);
    p.ws.send('{"jsonrpc": "2.0", "id": 1, "method": ');
    expect(await p.next()).toMatchObject({ id: null, error: { code: ErrorCode.ParseError } });
    await bystanderStillWorks();
  });

  it('answers valid JSON that is not JSON-RPC with invalid request', async () => {
    const p = await openRaw(w);
    for (const frame of ['[1,2]', '{"foo":1}', '42', '{"jsonrpc":"1.0","id":7,"method":"x"}']) {
      p.ws.send(frame);
      expect(await p.next()).toMatchObject({ error: { code: ErrorCode.InvalidRequest } });
    }
    await bystanderStillWorks();
  });

  it('answers an unknown method with method-not-found naming the method', async () => {
    const p = await openRaw(w);
    await hello(p);
    const r = await p.call('agent/teleport', {});
    expect(r.error).toMatchObject({ code: ErrorCode.MethodNotFound });
    expect(String((r.error as { message: string }).message)).toMatch(/agent\/teleport/);
  });

  it('requires the handshake first, and checks the protocol version', async () => {
    const p = await openRaw(w);
    expect((await p.call('agent/list', {})).error).toMatchObject({ code: ErrorCode.HelloRequired });
    const v2 = await p.call('worker/hello', {
      protocolVersion: 2,
      client: { name: 'future', version: '9' },
    });
    expect(v2.error).toMatchObject({ code: ErrorCode.ProtocolVersion });
    expect(String((v2.error as { message: string }).message)).toMatch(
      /speaks protocol 1; the client speaks 2/,
    );
  });

  it('names the zod issue path for invalid params', async () => {
    const p = await openRaw(w);
    await hello(p);
    const r = await p.call('agent/spawn', { name: 'X', engine: 'warp-drive' });
    expect(r.error).toMatchObject({
      code: ErrorCode.InvalidParams,
      data: { issues: [{ path: 'engine' }] },
    });
    expect(String((r.error as { message: string }).message)).toMatch(
      /Invalid params for agent\/spawn: engine:/,
    );
    const neg = await p.call('agent/replay', { agentId: 'a', afterSeq: -1 });
    expect(neg.error).toMatchObject({
      code: ErrorCode.InvalidParams,
      data: { issues: [{ path: 'afterSeq' }] },
    });
  });

  it('answers unknown agents clearly', async () => {
    const p = await openRaw(w);
    await hello(p);
    for (const [method, params] of [
      ['agent/send', { agentId: 'ghost', text: 'hi' }],
      ['agent/interrupt', { agentId: 'ghost' }],
      ['agent/dismiss', { agentId: 'ghost' }],
      ['agent/replay', { agentId: 'ghost', afterSeq: 0 }],
    ] as const) {
      const r = await p.call(method, params);
      expect(r.error).toMatchObject({ code: ErrorCode.UnknownAgent });
      expect(String((r.error as { message: string }).message)).toMatch(/Unknown agent "ghost"/);
    }
  });

  it('closes only the connection that sends a 64 MiB frame', async () => {
    const p = await openRaw(w, {}, 128 * 1024 * 1024);
    await hello(p);
    p.ws.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 99,
        method: 'agent/send',
        params: { agentId: 'x', text: 'y'.repeat(64 * 1024 * 1024) },
      }),
    );
    expect(await p.closed).toBe(1009);
    await bystanderStillWorks();
  });

  it('survives 100 garbage frames in a row: each answered, then that connection closed', async () => {
    const p = await openRaw(w);
    await hello(p);
    for (let i = 0; i < 100; i++) p.ws.send(`garbage ${i} \u0000 ${'{'.repeat(i % 7)}`);
    let errors = 0;
    const closed = await Promise.race([
      p.closed,
      (async () => {
        for (;;) {
          const m = await p.next();
          if (m.error) errors++;
        }
      })(),
    ]);
    expect(errors).toBe(100);
    expect(closed).toBe(1008);
    await bystanderStillWorks();
  });

  it('counts invalid frames in arrival order: 60 bad, 1 good, 60 bad in one burst keep it open', async () => {
    const p = await openRaw(w);
    await hello(p);
    const burst = [
      ...Array.from({ length: 60 }, (_, i) => `bad ${i}`),
      JSON.stringify({ jsonrpc: '2.0', id: 'good', method: 'agent/list', params: {} }),
      ...Array.from({ length: 60 }, (_, i) => `bad again ${i}`),
    ];
    for (const frame of burst) p.ws.send(frame);
    let errors = 0;
    let good = false;
    while (errors < 120 || !good) {
      const m = await p.next();
      if (m.id === 'good') good = true;
      else if (m.error) errors++;
    }
    expect((await p.call('agent/list', {})).result).toHaveProperty('agents');
    expect(p.ws.readyState).toBe(p.ws.OPEN);
  });

  it('turns an event that cannot be encoded into an error event with the same seq; replay keeps working', async () => {
    const p = await openRaw(w);
    await hello(p);
    const deep = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);
    const spawned = await p.call('agent/spawn', {
      name: 'Deep',
      engine: 'scripted',
      assignment: `[[tool deep ${deep}]] [[done survived]]`,
    });
    const agentId = (spawned.result as { agentId: string }).agentId;
    let events: { seq: number; event: { kind: string; code?: string; state?: string } }[] = [];
    for (;;) {
      const replay = (await p.call('agent/replay', { agentId, afterSeq: 0 })).result as {
        events: typeof events;
      };
      events = replay.events;
      if (events.some((e) => e.event.kind === 'state' && e.event.state === 'done')) break;
    }
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const replaced = events.find((e) => e.event.code === 'unencodable_event');
    expect(replaced?.event).toMatchObject({ kind: 'error' });
    expect(events[events.indexOf(replaced!) + 1]?.event.kind).toBe('tool_result');
    await bystanderStillWorks();
  });

  it('refuses a cwd outside the workdir', async () => {
    const p = await openRaw(w);
    await hello(p);
    const r = await p.call('agent/spawn', { name: 'Pippin', engine: 'scripted', cwd: '../../etc' });
    expect(r.error).toMatchObject({ code: ErrorCode.InvalidParams });
    expect(String((r.error as { message: string }).message)).toMatch(
      /outside this worker's workdir/,
    );
  });
});

describe('debug logging', () => {
  it('names the method and id of frames, never what they carried', async () => {
    const w = await startWorker({ args: ['--log-level', 'debug'] });
    try {
      const p = await openRaw(w);
      await hello(p);
      const secret = 'TOP-SECRET-ASSIGNMENT-7f3a';
      p.ws.send(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: 1, message: secret } }));
      p.ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'agent/whisper', params: { secret } }));
      p.ws.send(`{"jsonrpc":"2.0","id":77,"method":"agent/send","params":{"text":"${secret}"`);
      expect(await p.next()).toMatchObject({ error: { code: ErrorCode.ParseError } });
      await p.call('agent/list', {});
      // The log reaches us through a pipe: wait for the lines, not for a fixed time.
      await vi.waitFor(() => {
        expect(w.stderr()).toMatch(/ignored notification agent\/whisper/);
        expect(w.stderr()).toMatch(/Received response message without id/);
      });
      expect(w.stderr()).not.toContain(secret);
    } finally {
      await w.kill();
    }
  });
});
