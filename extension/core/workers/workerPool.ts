// The coordinator's set of workers: the local one and those attached by URL. Each has a
// WorkerClient that reconnects and replays on its own; the pool tracks health for the UI.
import { Emitter, type Event } from 'vscode-jsonrpc/node';
import type { AgentEventEnvelope } from '../../../protocol/agentEvents';
import type { PermissionDecision, PermissionRequestParams } from '../../../protocol/wire';
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
  /**
   * The pool id: the base URL (no token) for workers attached by URL, stable across
   * reconnects, safe to show and store; or the id given at attach (a fleet's pods:
   * `fleet:<fleet>/<pod>`, stable while the pod's local forwarding address changes).
   */
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
  /** The group (a fleet) the worker belongs to, when it has one. */
  readonly group?: string;
  /** Going away (its pod is terminating): connected, but takes no new agents. */
  readonly draining?: boolean;
}

/** A source of workers shown as one group (a fleet): its own state, even with no workers. */
export interface WorkerGroup {
  readonly id: string;
  readonly name: string;
  /** What kind of source, for the UI (e.g. "kubernetes"). */
  readonly kind: string;
  readonly state: 'starting' | 'ready' | 'error';
  /** One line for the UI: where it looks, what it found, or what went wrong and what to do. */
  readonly message?: string;
}

export interface AttachOptions {
  isLocal?: boolean;
  /** The pool id to use instead of the URL's base (stable when the URL is not). */
  id?: string;
  /** The WorkerGroup id this worker belongs to. */
  group?: string;
}

interface Entry {
  client: WorkerClient;
  isLocal: boolean;
  group: string | undefined;
  draining: boolean;
  /** Live agent states on that worker (from hello, then from state events). */
  states: Map<string, string>;
}

/** The state counted for an agent whose spawn is in flight (see placed()). */
const PLACING = 'placing';

export class WorkerPool {
  private readonly entries = new Map<string, Entry>();
  private readonly groupMap = new Map<string, WorkerGroup>();
  private changeTimer: NodeJS.Immediate | undefined;
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

  /**
   * Connects to a worker; rejects with a message that says what to do (bad URL, token, host).
   * `options` may be a boolean: the older `isLocal` argument.
   */
  async attach(urlText: string, options: boolean | AttachOptions = {}): Promise<ConnectedWorker> {
    const {
      isLocal = false,
      id: givenId,
      group,
    } = typeof options === 'boolean' ? { isLocal: options } : options;
    const attach: AttachUrl = parseAttachUrl(urlText);
    const id = givenId ?? attach.baseUrl;
    if (this.entries.has(id)) {
      throw new Error(`${id} is already attached. Detach it first to attach it again.`);
    }
    const client = new WorkerClient(attach, this.clientOptions);
    const entry: Entry = { client, isLocal, group, draining: false, states: new Map() };
    this.entries.set(id, entry);
    client.onStatus(() => this.changed.fire());
    client.onHello((hello) => {
      // Agents placed here whose spawn is still in flight stay counted.
      const placing = [...entry.states].filter(([, s]) => s === PLACING);
      entry.states = new Map(hello.agents.map((a) => [a.agentId, a.state]));
      for (const [agentId] of placing)
        if (!entry.states.has(agentId)) entry.states.set(agentId, PLACING);
      this.changed.fire();
    });
    client.onEvent((envelope) => {
      if (envelope.event.kind === 'state') {
        entry.states.set(envelope.agentId, envelope.event.state);
        this.changedSoon(); // agent counts and load changed
      }
      this.events.fire({ workerId: id, envelope });
    });
    client.onPermissionSettled((params) => this.settled.fire({ workerId: id, params }));
    client.setPermissionHandler(async (request) => {
      for (const route of this.routes) {
        const answer = route(id, request);
        if (answer) return answer;
      }
      return {
        decision: 'deny',
        message: `No open project owns agent ${request.agentId}; open its folder in VS Code to answer.`,
      };
    });
    for (const setup of this.setups) setup(id, client);
    try {
      const connected = await client.connect();
      this.changed.fire();
      return connected;
    } catch (error) {
      if (this.entries.get(id) === entry) this.entries.delete(id);
      client.dispose();
      this.changed.fire();
      throw error;
    }
  }

  /**
   * An agent was placed on a worker and its spawn is on the way: count it now, so placements
   * made before its first event (many summons at once) spread instead of piling up.
   * `placed(..., false)` takes it back when the spawn failed.
   */
  placed(workerId: string, agentId: string, ok = true): void {
    const entry = this.entries.get(workerId);
    if (!entry) return;
    if (ok) {
      if (!entry.states.has(agentId)) entry.states.set(agentId, PLACING);
    } else if (entry.states.get(agentId) === PLACING) entry.states.delete(agentId);
  }

  /**
   * Every agent's state event changes a count: with a thousand agents that is thousands of
   * events a second, and each listener (coordinators, the panel) does work per change. Tell
   * them once per turn of the event loop instead; connection changes still fire at once.
   */
  private changedSoon(): void {
    this.changeTimer ??= setImmediate(() => {
      this.changeTimer = undefined;
      this.changed.fire();
    });
  }

  /** Marks a worker as going away (no new agents) or back (false). */
  setDraining(id: string, draining: boolean): void {
    const entry = this.entries.get(id);
    if (!entry || entry.draining === draining) return;
    entry.draining = draining;
    this.changed.fire();
  }

  /** Adds or updates a group of workers (a fleet) and its state. */
  setGroup(group: WorkerGroup): void {
    this.groupMap.set(group.id, group);
    this.changed.fire();
  }

  removeGroup(id: string): void {
    if (this.groupMap.delete(id)) this.changed.fire();
  }

  groups(): WorkerGroup[] {
    return [...this.groupMap.values()];
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
    return [...this.entries.entries()].map(([id, { client, isLocal, states, group, draining }]) => {
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
            ...(e.reason ? { reason: e.reason } : {}),
          })) ?? [],
        ...(group !== undefined ? { group } : {}),
        ...(draining ? { draining } : {}),
      };
    });
  }

  dispose(): void {
    for (const id of [...this.entries.keys()]) this.remove(id);
    this.groupMap.clear();
    if (this.changeTimer) clearImmediate(this.changeTimer);
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
