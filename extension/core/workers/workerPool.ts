// The coordinator's set of workers: the local one and those attached by URL. Each has a
// WorkerClient that reconnects and replays on its own; the pool tracks health for the UI.
import { Emitter, type Event } from 'vscode-jsonrpc/node';
import { parseAttachUrl, type AttachUrl } from './attachUrl';
import {
  WorkerClient,
  type ConnectedWorker,
  type WorkerClientOptions,
  type WorkerStatus,
} from './workerClient';

export interface WorkerSummary {
  /** The base URL (no token): stable across reconnects, safe to show and store. */
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly isLocal: boolean;
  readonly status: WorkerStatus;
  readonly error?: string;
  readonly rttMs?: number;
  readonly agents: number;
  readonly maxAgents?: number;
  readonly platform?: string;
  readonly engines: { name: string; available: boolean; reason?: string }[];
}

interface Entry {
  client: WorkerClient;
  isLocal: boolean;
}

export class WorkerPool {
  private readonly entries = new Map<string, Entry>();
  private readonly changed = new Emitter<void>();
  readonly onChanged: Event<void> = this.changed.event;

  constructor(private readonly clientOptions: WorkerClientOptions) {}

  /** Connects to a worker; rejects with a message that says what to do (bad URL, token, host). */
  async attach(urlText: string, isLocal = false): Promise<ConnectedWorker> {
    const attach: AttachUrl = parseAttachUrl(urlText);
    if (this.entries.has(attach.baseUrl)) {
      throw new Error(`${attach.baseUrl} is already attached. Detach it first to attach it again.`);
    }
    const client = new WorkerClient(attach, this.clientOptions);
    const entry: Entry = { client, isLocal };
    this.entries.set(attach.baseUrl, entry);
    client.onStatus(() => this.changed.fire());
    client.onHello(() => this.changed.fire());
    try {
      const connected = await client.connect();
      this.changed.fire();
      return connected;
    } catch (error) {
      this.entries.delete(attach.baseUrl);
      client.dispose();
      this.changed.fire();
      throw error;
    }
  }

  /** The local worker restarted on a new port: drop the old client, attach the new URL. */
  async replaceLocal(urlText: string): Promise<ConnectedWorker> {
    for (const [id, entry] of this.entries) {
      if (entry.isLocal) this.remove(id);
    }
    return this.attach(urlText, true);
  }

  detach(id: string): boolean {
    const removed = this.remove(id);
    if (removed) this.changed.fire();
    return removed;
  }

  get(id: string): WorkerClient | undefined {
    return this.entries.get(id)?.client;
  }

  clients(): WorkerClient[] {
    return [...this.entries.values()].map((e) => e.client);
  }

  summaries(): WorkerSummary[] {
    return [...this.entries.entries()].map(([id, { client, isLocal }]) => {
      const hello = client.hello;
      return {
        id,
        name: hello?.name ?? client.attach.host,
        url: id,
        isLocal,
        status: client.status,
        ...(client.lastError ? { error: client.lastError } : {}),
        ...(client.rttMs !== undefined ? { rttMs: Math.round(client.rttMs * 10) / 10 } : {}),
        agents: hello?.agents.filter((a) => a.state !== 'dismissed').length ?? 0,
        ...(hello
          ? { maxAgents: hello.maxAgents, platform: `${hello.platform}-${hello.arch}` }
          : {}),
        engines:
          hello?.engines.map((e) => ({
            name: e.name,
            available: e.available,
            ...(e.reason ? { reason: e.reason } : {}),
          })) ?? [],
      };
    });
  }

  dispose(): void {
    for (const id of [...this.entries.keys()]) this.remove(id);
    this.changed.dispose();
  }

  private remove(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    entry.client.dispose();
    return true;
  }
}
