// The coordinator's set of workers: the local one and those attached by URL. Each has a
// WorkerClient that reconnects and replays on its own; the pool tracks health for the UI.
import { Emitter, type Event } from 'vscode-jsonrpc/node';
import type { AgentEventEnvelope } from '../../../protocol/agentEvents';
import { bound, boundText } from '../../../protocol/bound';
import { JAKE_ID } from '../../../protocol/ids';
import {
  isEngineReady,
  type PermissionDecision,
  type PermissionRequestParams,
} from '../../../protocol/wire';
import { AgentStates } from './agentStates';
import { parseAttachUrl, type AttachUrl } from './attachUrl';
import {
  TrespassLedger,
  trespassWarning,
  type OwnershipCheck,
  type TrespassKind,
} from './trespass';
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
  /** `ready` normalised with isEngineReady (an older worker sends none). */
  readonly engines: { name: string; available: boolean; ready: boolean; reason?: string }[];
  /** The group (a fleet) the worker belongs to, when it has one. */
  readonly group?: string;
  /** Going away (its pod is terminating): connected, but takes no new agents. */
  readonly draining?: boolean;
  /** The pinned certificate's sha256 (hex), for wss:// workers attached with `fp=`. */
  readonly fingerprint?: string;
  /** Something the user should know about this worker (e.g. it spoke for others' agents). */
  readonly warning?: string;
}

function identityClash(url: string, workerId: string, twin: string): string {
  return `The worker at ${url} reports worker id ${workerId}, which the worker at ${twin} already has. Two machines must not share one identity (was a state dir copied?). Start one of them with its own --state-dir, then attach it again.`;
}

/** Who a worker is, for approval cards and notifications: local or remote, and its pin. */
export function workerLabel(worker: WorkerSummary | undefined, fallbackName: string): string {
  if (!worker) return `worker ${fallbackName} (not connected)`;
  if (worker.isLocal) return 'local worker';
  const pin = worker.fingerprint
    ? `certificate sha256:${worker.fingerprint.slice(0, 16)}…`
    : worker.url.startsWith('wss:')
      ? 'TLS, no pinned certificate'
      : 'no TLS';
  return `remote worker ${worker.name} (${pin})`;
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
  states: AgentStates;
  /** Its first connect succeeded (later hellos are reconnects). */
  attached?: boolean;
}

/** A batch of agent events from one worker (never empty). */
export interface WorkerEvents {
  readonly workerId: string;
  readonly events: readonly AgentEventEnvelope[];
}

/** The state counted for an agent whose spawn is in flight (see placed()). */
const PLACING = 'placing';

export class WorkerPool {
  private readonly entries = new Map<string, Entry>();
  private readonly groupMap = new Map<string, WorkerGroup>();
  private changeTimer: NodeJS.Immediate | undefined;
  private readonly changed = new Emitter<void>();
  private readonly events = new Emitter<WorkerEvents>();
  private readonly settled = new Emitter<{ workerId: string; params: PermissionSettledParams }>();
  private readonly routes = new Set<PermissionRoute>();
  private readonly ownership = new Set<OwnershipCheck>();
  private readonly trespasses: TrespassLedger;
  private readonly setups = new Set<(workerId: string, client: WorkerClient) => void>();
  readonly onChanged: Event<void> = this.changed.event;
  /**
   * Every agent event of every worker, exactly once and in order per agent, in the batches
   * the worker sent them (one per frame or replay page), less what it may not speak for.
   */
  readonly onAgentEvents: Event<WorkerEvents> = this.events.event;
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

  /** Coordinators say which agents they know and where; see workerHosts(). */
  addOwnershipCheck(check: OwnershipCheck): { dispose(): void } {
    this.ownership.add(check);
    return { dispose: () => this.ownership.delete(check) };
  }

  constructor(private readonly clientOptions: WorkerClientOptions) {
    this.trespasses = new TrespassLedger((m) => clientOptions.log?.(m));
  }

  /**
   * Whether `workerId` may speak for `agentId`: not when a coordinator knows that agent on
   * another worker, and never for Jake (he lives in the extension host). An agent no open
   * project knows may be another window's: its events pass to nobody, which is harmless.
   */
  private workerHosts(workerId: string, agentId: string): boolean {
    if (agentId === JAKE_ID) return false;
    for (const check of this.ownership) if (check(workerId, agentId) === 'elsewhere') return false;
    return true;
  }

  /** Drops a message about an agent the worker does not host; true when it was dropped. */
  private trespassing(
    workerId: string,
    client: WorkerClient,
    kind: TrespassKind,
    agentId: string,
  ): boolean {
    if (this.workerHosts(workerId, agentId)) return false;
    this.trespasses.record(workerId, client.hello?.name ?? client.attach.host, kind, agentId);
    this.changedSoon();
    return true;
  }

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
    const entry: Entry = { client, isLocal, group, draining: false, states: new AgentStates() };
    this.entries.set(id, entry);
    client.onStatus(() => this.changed.fire());
    client.onHello((hello) => {
      const twin = this.twinOf(id, hello.workerId);
      if (twin) {
        // On the first connect attach() refuses it with the same words.
        if (entry.attached) client.halt(identityClash(id, hello.workerId, twin));
        return;
      }
      // Agents placed here whose spawn is still in flight stay counted; agents it may not
      // speak for do not count towards its load.
      const placing = [...entry.states.entries()].filter(([, s]) => s === PLACING);
      entry.states = new AgentStates(
        hello.agents
          .filter((a) => this.workerHosts(id, a.agentId))
          .map((a) => [a.agentId, a.state]),
      );
      for (const [agentId] of placing)
        if (!entry.states.has(agentId)) entry.states.set(agentId, PLACING);
      this.changed.fire();
    });
    client.onEvents((batch) => {
      // Checked per envelope; a run of one agent's events (the usual shape of a batch) asks
      // the coordinators once.
      const allowed: AgentEventEnvelope[] = [];
      let hosted: string | undefined;
      for (const envelope of batch) {
        if (envelope.agentId !== hosted) {
          if (this.trespassing(id, client, 'event', envelope.agentId)) continue;
          hosted = envelope.agentId;
        }
        if (envelope.event.kind === 'state') {
          entry.states.set(envelope.agentId, envelope.event.state);
          this.changedSoon(); // agent counts and load changed
        }
        allowed.push(envelope);
      }
      if (allowed.length > 0) this.events.fire({ workerId: id, events: allowed });
    });
    client.onPermissionSettled((params) => {
      if (this.trespassing(id, client, 'permission settlement', params.agentId)) return;
      this.settled.fire({ workerId: id, params });
    });
    client.setPermissionHandler(async (request) => {
      if (this.trespassing(id, client, 'permission request', request.agentId))
        return {
          decision: 'deny',
          message: `This worker does not host agent ${request.agentId}; the request was refused.`,
        };
      // What the card shows is bounded; the worker keeps the real input for the tool.
      const shown = {
        ...request,
        tool: boundText(request.tool, 200),
        input: bound(request.input).value,
      };
      for (const route of this.routes) {
        const answer = route(id, shown);
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
      const twin = this.twinOf(id, connected.hello.workerId);
      if (twin) throw new Error(identityClash(id, connected.hello.workerId, twin));
      entry.attached = true;
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

  /** Another attached worker that reports the same workerId (a copied state dir, or a lie). */
  private twinOf(id: string, workerId: string): string | undefined {
    for (const [otherId, other] of this.entries)
      if (otherId !== id && other.client.hello?.workerId === workerId) return otherId;
    return undefined;
  }

  detach(id: string): boolean {
    const removed = this.remove(id);
    if (removed) this.changed.fire();
    return removed;
  }

  isLocal(id: string): boolean {
    return this.entries.get(id)?.isLocal ?? false;
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
        agents: states.live,
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
        ...(group !== undefined ? { group } : {}),
        ...(draining ? { draining } : {}),
        ...(client.attach.fingerprint ? { fingerprint: client.attach.fingerprint } : {}),
        ...(this.trespasses.count(id) > 0
          ? { warning: trespassWarning(this.trespasses.count(id)) }
          : {}),
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
    this.trespasses.forget(id);
    entry.client.dispose();
    return true;
  }
}
