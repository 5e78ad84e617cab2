// Shared by the fault-injection suite: a worker that can be killed and restarted on the same
// URL and state dir, a WorkerClient that follows it, the worker's resident memory, and an
// exactly-once ledger of what a client was delivered.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAttachUrl } from '../../extension/core/workers/attachUrl';
import { WorkerClient } from '../../extension/core/workers/workerClient';
import type { AgentEventEnvelope } from '../../protocol/agentEvents';
import WebSocket from 'ws';
import { startWorker, type RunningWorker } from '../helpers/workerProcess';

/** Resident set size of a process in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

/** Samples a process's RSS until stopped; the peak is the figure. */
export function watchRss(pid: number, everyMs = 50): { peak(): number; stop(): number } {
  let peak = 0;
  const sample = (): void => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // The process is gone.
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    peak: () => peak,
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/** One worker identity (state dir, token, port) that survives kill -9 and restarts. */
export class RestartableWorker {
  current: RunningWorker | undefined;
  readonly stateDir: string;
  readonly token = `fault-token-${Math.random().toString(36).slice(2)}-0123456789`;
  private port = 0;

  constructor(
    private readonly args: string[] = [],
    stateDir?: string,
  ) {
    this.stateDir = stateDir ?? mkdtempSync(join(tmpdir(), 'tavern-fault-state-'));
  }

  async start(extraArgs: string[] = []): Promise<RunningWorker> {
    const w = await startWorker({
      stateDir: this.stateDir,
      args: [...this.args, ...extraArgs, ...(this.port ? ['--port', String(this.port)] : [])],
      env: { TAVERN_WORKER_TOKEN: this.token },
    });
    this.port = w.port;
    this.current = w;
    return w;
  }

  async kill(): Promise<void> {
    await this.current?.kill();
  }

  async stop(): Promise<number | null | undefined> {
    return this.current?.stop();
  }
}

export function followingClient(attachUrl: string): WorkerClient {
  return new WorkerClient(parseAttachUrl(attachUrl), {
    clientName: 'fault-test',
    clientVersion: '0',
    heartbeatMs: 200,
    deadAfterMs: 5_000,
    backoffMinMs: 20,
    backoffMaxMs: 150,
    log: () => undefined,
  });
}

/** Resolves on the client's next successful handshake. */
export function nextHello(client: WorkerClient): Promise<void> {
  return new Promise((resolve) => {
    const sub = client.onHello(() => {
      sub.dispose();
      resolve();
    });
  });
}

/**
 * Everything a client was delivered, per agent, checked as it arrives: each seq exactly
 * once and in order. A jump is allowed only onto a `journal_lost` notice (said loss).
 */
export class Ledger {
  readonly byAgent = new Map<string, AgentEventEnvelope[]>();
  readonly problems: string[] = [];
  total = 0;
  private waiters: { test: () => boolean; resolve: () => void }[] = [];

  constructor(client?: WorkerClient) {
    client?.onEvents((batch) => {
      for (const envelope of batch) this.add(envelope);
    });
  }

  add(envelope: AgentEventEnvelope): void {
    const list = this.byAgent.get(envelope.agentId) ?? [];
    this.byAgent.set(envelope.agentId, list);
    const last = list.at(-1)?.seq ?? 0;
    const said = envelope.event.kind === 'notice' && envelope.event.code === 'journal_lost';
    if (envelope.seq <= last)
      this.problems.push(`${envelope.agentId}: seq ${envelope.seq} again after ${last}`);
    else if (envelope.seq !== last + 1 && !said)
      this.problems.push(`${envelope.agentId}: seq ${envelope.seq} after ${last} (gap)`);
    list.push(envelope);
    this.total++;
    this.waiters = this.waiters.filter((w) => {
      if (!w.test()) return true;
      w.resolve();
      return false;
    });
  }

  lastSeq(agentId: string): number {
    return this.byAgent.get(agentId)?.at(-1)?.seq ?? 0;
  }

  until(test: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiters.push({
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

/** Every event of an agent as its journal holds it (replayed from 0 in pages). */
export async function journalOf(
  client: WorkerClient,
  agentId: string,
): Promise<AgentEventEnvelope[]> {
  const out: AgentEventEnvelope[] = [];
  for (;;) {
    const page = await client.replay({ agentId, afterSeq: out.at(-1)?.seq ?? 0 });
    out.push(...page.events);
    if (!page.more || page.events.length === 0) return out;
  }
}

/** A raw socket's agent events (`agent/event` and `agent/events` frames) into a ledger. */
export function ledgerOfRaw(ws: WebSocket): Ledger {
  const ledger = new Ledger();
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as { method?: string; params?: unknown };
    if (message.method === 'agent/event') ledger.add(message.params as AgentEventEnvelope);
    if (message.method === 'agent/events')
      for (const e of (message.params as { events: AgentEventEnvelope[] }).events) ledger.add(e);
  });
  return ledger;
}

/** Opens an authenticated raw socket and completes the handshake. */
export async function rawPeer(
  worker: RunningWorker,
  options: { batches?: boolean } = {},
): Promise<{ ws: WebSocket; ledger: Ledger; hello: Record<string, unknown> }> {
  const ws = new WebSocket(worker.baseUrl, {
    headers: { Authorization: `Bearer ${worker.token}` },
    perMessageDeflate: false,
    maxPayload: 256 * 1024 * 1024,
  });
  const ledger = ledgerOfRaw(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const hello = await new Promise<Record<string, unknown>>((resolve) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const message = JSON.parse(String(data)) as { id?: number; result?: Record<string, unknown> };
      if (message.id !== 1) return;
      ws.off('message', onMessage);
      resolve(message.result ?? {});
    };
    ws.on('message', onMessage);
    ws.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'worker/hello',
        params: {
          protocolVersion: 1,
          client: { name: 'raw-fault', version: '0' },
          ...(options.batches ? { capabilities: { eventBatches: true } } : {}),
        },
      }),
    );
  });
  return { ws, ledger, hello };
}

/** Stops reading from the socket (the kernel buffers fill, then the worker's queue). */
export function stopReading(ws: WebSocket): void {
  (ws as unknown as { _socket: { pause(): void } })._socket.pause();
}
export function resumeReading(ws: WebSocket): void {
  (ws as unknown as { _socket: { resume(): void } })._socket.resume();
}
