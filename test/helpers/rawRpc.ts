// A raw WebSocket JSON-RPC peer for tests that must send what a well-behaved client never
// would (garbage frames, wrong params, huge frames).
import WebSocket from 'ws';
import type { RunningWorker } from './workerProcess';

export interface RawPeer {
  readonly ws: WebSocket;
  call(method: string, params?: unknown): Promise<Record<string, unknown>>;
  /** The next frame the worker sends (parsed). */
  next(): Promise<Record<string, unknown>>;
  closed: Promise<number>;
}

export async function openRaw(
  worker: RunningWorker,
  headers: Record<string, string> = {},
  maxPayload?: number,
): Promise<RawPeer> {
  const ws = new WebSocket(worker.baseUrl, {
    headers: { Authorization: `Bearer ${worker.token}`, ...headers },
    perMessageDeflate: false,
    ...(maxPayload ? { maxPayload } : {}),
    ...(worker.fingerprint ? { rejectUnauthorized: false } : {}),
  });
  const inbox: Record<string, unknown>[] = [];
  const waiters: ((m: Record<string, unknown>) => void)[] = [];
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as Record<string, unknown>;
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else inbox.push(message);
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let id = 0;
  const next = (): Promise<Record<string, unknown>> => {
    const queued = inbox.shift();
    return queued ? Promise.resolve(queued) : new Promise((resolve) => waiters.push(resolve));
  };
  return {
    ws,
    closed,
    next,
    async call(method, params) {
      const callId = ++id;
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: callId, method, params }));
      const skipped: Record<string, unknown>[] = [];
      for (;;) {
        const message = await next();
        if (message.id === callId) {
          // Frames that arrived first (events) stay queued for next(), in order.
          inbox.unshift(...skipped);
          return message;
        }
        skipped.push(message);
      }
    },
  };
}

export async function hello(peer: RawPeer): Promise<Record<string, unknown>> {
  return peer.call('worker/hello', {
    protocolVersion: 1,
    client: { name: 'raw-test', version: '0' },
  });
}

/** Status code of an upgrade attempt that is expected to be refused. */
export function upgradeStatus(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        const retryAfter = res.headers['retry-after'];
        resolve({
          status: res.statusCode ?? 0,
          body,
          ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
        });
      });
    });
    ws.on('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.on('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}
