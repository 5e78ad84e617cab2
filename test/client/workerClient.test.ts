import { afterEach, describe, expect, it } from 'vitest';
import { parseAttachUrl } from '../../extension/core/workers/attachUrl';
import {
  FingerprintMismatchError,
  WorkerConnectError,
} from '../../extension/core/workers/connectErrors';
import { WorkerClient } from '../../extension/core/workers/workerClient';
import { ErrorCode } from '../../protocol/errors';
import { EventLog } from '../helpers/agentEvents';
import { startWorker, type RunningWorker } from '../helpers/workerProcess';

const workers: RunningWorker[] = [];
const clients: WorkerClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.dispose();
  await Promise.all(workers.splice(0).map((w) => w.kill()));
});

async function worker(args: string[] = []): Promise<RunningWorker> {
  const w = await startWorker({ args });
  workers.push(w);
  return w;
}
function client(
  url: string,
  options: Partial<ConstructorParameters<typeof WorkerClient>[1]> = {},
): WorkerClient {
  const c = new WorkerClient(parseAttachUrl(url), {
    clientName: 'test',
    clientVersion: '0',
    ...options,
  });
  clients.push(c);
  return c;
}

describe('WorkerClient against a real worker', () => {
  it('handshakes and runs an agent through its lifecycle', async () => {
    const w = await worker();
    const c = await client(w.attachUrl).connect();
    expect(c.hello.protocolVersion).toBe(1);
    expect(c.hello.engines.find((e) => e.name === 'scripted')?.available).toBe(true);
    const log = new EventLog(c);

    const { agentId } = await c.spawn({
      name: 'Frodo',
      engine: 'scripted',
      assignment: 'hi [[stream 5 10]] [[ask which one?]]',
    });
    await log.untilState(agentId, 'waiting');
    const kinds = log.of(agentId).map((e) => e.event.kind);
    expect(kinds.slice(0, 4)).toEqual(['state', 'user', 'state', 'text']);
    expect(log.of(agentId).filter((e) => e.event.kind === 'text')).toHaveLength(7); // hi + 5 streamed + the question
    expect(log.of(agentId).map((e) => e.seq)).toEqual(log.of(agentId).map((_, i) => i + 1));

    await c.send({ agentId, text: '[[done all good]]' });
    await log.untilState(agentId, 'done');
    const report = log.of(agentId).findLast((e) => e.event.kind === 'report');
    expect(report?.event).toMatchObject({ kind: 'report', status: 'done', summary: 'all good' });

    await c.send({ agentId, text: '[[fail the disk is full]]' });
    await log.untilState(agentId, 'failed');
    expect(
      log
        .of(agentId)
        .some((e) => e.event.kind === 'error' && e.event.message === 'the disk is full'),
    ).toBe(true);

    await c.dismiss(agentId);
    await log.untilState(agentId, 'dismissed');
    await expect(c.send({ agentId, text: 'hello?' })).rejects.toMatchObject({
      code: ErrorCode.IllegalState,
    });
    await expect(c.send({ agentId: 'no-such-agent', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.UnknownAgent,
    });
  });

  it('replays what a mid-stream disconnect missed: 3,000 events exactly once, in order', async () => {
    const w = await worker();
    const c = await client(w.attachUrl, { backoffMinMs: 20, backoffMaxMs: 200 }).connect();
    const log = new EventLog(c);
    let dropped = false;
    c.onEvents((batch) => {
      // Cut the connection in the middle of the stream, as a network failure would.
      if (!dropped && batch.some((e) => e.seq >= 700)) {
        dropped = true;
        c.dropConnection();
      }
    });
    const statuses: string[] = [];
    c.onStatus((s) => statuses.push(s.status));
    const { agentId } = await c.spawn({
      name: 'Sam',
      engine: 'scripted',
      assignment: '[[stream 3000 20]] [[done streamed]]',
    });
    await log.untilState(agentId, 'done');
    const events = log.of(agentId);
    const texts = events.filter((e) => e.event.kind === 'text');
    expect(dropped).toBe(true);
    expect(statuses).toContain('down');
    expect(statuses.at(-1)).toBe('connected');
    expect(texts).toHaveLength(3001); // 3,000 streamed + the done text
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(new Set(events.map((e) => e.seq)).size).toBe(events.length);
  });

  it('refuses spawns past capacity with a clear error', async () => {
    const w = await worker(['--max-agents', '2']);
    const c = await client(w.attachUrl).connect();
    await c.spawn({ name: 'A', engine: 'scripted' });
    await c.spawn({ name: 'B', engine: 'scripted' });
    const error = await c.spawn({ name: 'C', engine: 'scripted' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.Capacity });
    expect(String((error as Error).message)).toMatch(/full: 2 of 2 agents.*--max-agents/);
  });

  it('names the problem: wrong token, unreachable port, bad URL', async () => {
    const w = await worker();
    const wrong = w.attachUrl.replace(/token=[^&]+/, 'token=not-the-right-token-at-all');
    const auth = await client(wrong)
      .connect()
      .catch((e: unknown) => e);
    expect(auth).toBeInstanceOf(WorkerConnectError);
    expect((auth as WorkerConnectError).failure).toBe('unauthorized');
    expect((auth as Error).message).toMatch(/refused the token.*Copy the URL/);

    await w.kill();
    const gone = await client(w.attachUrl)
      .connect()
      .catch((e: unknown) => e);
    expect((gone as WorkerConnectError).failure).toBe('unreachable');
    expect((gone as Error).message).toMatch(/Is tavern-worker running/);

    expect(() => parseAttachUrl('http://127.0.0.1:1/#token=abc')).toThrow(/ws:\/\//);
    expect(() => parseAttachUrl('ws://127.0.0.1:1/?token=abc')).toThrow(/query string/);
    expect(() => parseAttachUrl('ws://127.0.0.1:1/')).toThrow(/#token=/);
  });

  it('pins the TLS certificate: right fingerprint connects, wrong one fails before the token is sent', async () => {
    const w = await worker(['--tls-self-signed']);
    expect(w.attachUrl).toMatch(/^wss:\/\/.*#token=.*&fp=sha256%3A[0-9a-f]{64}$/);
    const c = await client(w.attachUrl).connect();
    expect(c.hello.protocolVersion).toBe(1);
    c.dispose();

    const wrongFp = w.attachUrl.replace(
      /fp=sha256%3A[0-9a-f]{64}/,
      `fp=sha256%3A${'0'.repeat(64)}`,
    );
    const before = w.stderr();
    const error = await client(wrongFp)
      .connect()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FingerprintMismatchError);
    // The worker never saw an upgrade request from that client: no accepted or refused connection logged.
    const after = w.stderr().slice(before.length);
    expect(after).not.toMatch(/connected from|refused connection/);
  });

  it('marks a killed worker down within the dead-after window', async () => {
    const w = await worker();
    const c = await client(w.attachUrl, { heartbeatMs: 200, deadAfterMs: 1000 }).connect();
    const down = new Promise<number>((resolve) =>
      c.onStatus((s) => s.status === 'down' && resolve(Date.now())),
    );
    const killedAt = Date.now();
    w.proc.kill('SIGSTOP'); // silent, not closed: only the heartbeat can notice
    const at = await down;
    w.proc.kill('SIGCONT');
    // How fast is bench/reconnect's business; here: it is noticed at all, by the heartbeat.
    console.log(`a silent worker is marked down after ${at - killedAt} ms (dead after 1000 ms)`);
    expect(c.status).toBe('down');
  });
});
