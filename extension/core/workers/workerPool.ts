// The coordinator's set of workers: the local one and those attached by URL. Each has a
// WorkerClient that reconnects and replays on its own; the pool tracks health for the UI.
import { Emitter, type Event } from 'vscode-jsonrpc/node';
import type { AgentEventEnvelope } from '../../../protocol/agentEvents';
import {
  isEngineReady,
  type PermissionDecision,
  type PermissionRequestParams,
} from '../../../protocol/wire';
import { parseAttachUrl, type AttachUrl } from './attachUrl';
import {
  WorkerClient,
  type ConnectedWorker,
  type PermissionSettledParams,
  type WorkerClientOptions,
  type WorkerStatus,
} from './workerClient';

/** Answers a permission request for its own agents; undefined = not mine. */
export type PermissionRoute = (
  workerId: string,
  request: PermissionRequestParams,
) => Promise<PermissionDecision> | undefined;

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
  /** `ready` normalised with isEngineReady (an older worker sends none). */
  readonly engines: { name: string; available: boolean; ready: boolean; reason?: string }[];
}

interface Entry {
  client: WorkerClient;
  isLocal: boolean;
  /** Live agent states on that worker (from hello, then from state events). */
  states: Map<string, string>;
}

export class WorkerPool {
  private readonly entries = new Map<string, Entry>();
  private readonly changed = new Emitter<void>();
  private readonly events = new Emitter<{ workerId: string; envelope: AgentEventEnvelope }>();
  private readonly settled = new Emitter<{ workerId: string; params: PermissionSettledParams }>();
  private readonly routes = new Set<PermissionRoute>();
  private readonly setups = new Set<(workerId: string, client: WorkerClient) => void>();
  readonly onChanged: Event<void> = this.changed.event;
  /** Every agent event of every worker, exactly once and in order per agent. */
  readonly onAgentEvent = this.events.event;
  readonly onPermissionSettled = this.settled.event;

  /** Runs for every client before it connects (coordinators seed the seqs they stored). */
  addClientSetup(setup: (workerId: string, client: WorkerClient) => void): { dispose(): void } {
    this.setups.add(setup);
    for (const [id, entry] of this.entries) setup(id, entry.client);
    return { dispose: () => this.setups.delete(setup) };
  }

  /** Coordinators register here; the first route that claims an agent answers for it. */
  addPermissionRoute(route: PermissionRoute): { dispose(): void } {
    this.routes.add(route);
    return { dispose: () => this.routes.delete(route) };
  }

  constructor(private readonly clientOptions: WorkerClientOptions) {}

  /** Connects to a worker; rejects with a message that says what to do (bad URL, token, host). */
  async attach(urlText: string, isLocal = false): Promise<ConnectedWorker> {
    const attach: AttachUrl = parseAttachUrl(urlText);
    if (this.entries.has(attach.baseUrl)) {
      throw new Error(`${attach.baseUrl} is already attached. Detach it first to attach it again.`);
    }
    const client = new WorkerClient(attach, this.clientOptions);
    const entry: Entry = { client, isLocal, states: new Map() };
    this.entries.set(attach.baseUrl, entry);
    client.onStatus(() => this.changed.fire());
    client.onHello((hello) => {
      entry.states = new Map(hello.agents.map((a) => [a.agentId, a.state]));
      this.changed.fire();
    });
    client.onEvent((envelope) => {
      if (envelope.event.kind === 'state') {
        entry.states.set(envelope.agentId, envelope.event.state);
        this.changed.fire(); // agent counts and load changed (state events are rare)
      }
      this.events.fire({ workerId: attach.baseUrl, envelope });
    });
    client.onPermissionSettled((params) => this.settled.fire({ workerId: attach.baseUrl, params }));
    client.setPermissionHandler(async (request) => {
      for (const route of this.routes) {
        const answer = route(attach.baseUrl, request);
        if (answer) return answer;
      }
      return {
        decision: 'deny',
        message: `No open project owns agent ${request.agentId}; open its folder in VS Code to answer.`,
      };
    });
    for (const setup of this.setups) setup(attach.baseUrl, client);
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
    return [...this.entries.entries()].map(([id, { client, isLocal, states }]) => {
      const hello = client.hello;
      return {
        id,
        name: hello?.name ?? client.attach.host,
        url: id,
        isLocal,
        status: client.status,
        ...(client.lastError ? { error: client.lastError } : {}),
        ...(client.rttMs !== undefined ? { rttMs: Math.round(client.rttMs * 10) / 10 } : {}),
        agents: [...states.values()].filter((state) => state !== 'dismissed').length,
        ...(hello
          ? { maxAgents: hello.maxAgents, platform: `${hello.platform}-${hello.arch}` }
          : {}),
        engines:
          hello?.engines.map((e) => ({
            name: e.name,
            available: e.available,
            ready: isEngineReady(e),
            ...(e.reason ? { reason: e.reason } : {}),
          })) ?? [],
      };
    });
  }

  dispose(): void {
    for (const id of [...this.entries.keys()]) this.remove(id);
    this.changed.dispose();
    this.events.dispose();
    this.settled.dispose();
  }

  private remove(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    entry.client.dispose();
    return true;
  }
}
