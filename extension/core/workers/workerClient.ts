// A coordinator's connection to one worker: authenticated WebSocket, JSON-RPC, the hello
// handshake, typed calls, events delivered exactly once in order and in the batches they
// arrived in, a heartbeat that notices a silent worker within `deadAfterMs` (never one that
// only waited for this busy process), and reconnect with backoff + automatic replay.
import {
  createMessageConnection,
  Emitter,
  ResponseError,
  type Event,
  type Message,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import type WebSocket from 'ws';
import type { z } from 'zod';
import type { AgentEventEnvelope } from '../../../protocol/agentEvents';
import { ErrorCode, errorMessage } from '../../../protocol/errors';
import {
  AgentDismiss,
  AgentEventNotification,
  AgentEventsNotification,
  AgentInterrupt,
  AgentList,
  AgentReplay,
  AgentSend,
  AgentSpawn,
  PermissionRequest,
  PermissionSettled,
  PROTOCOL_VERSION,
  WorkerHello,
  type HelloResult,
  type ParamsOf,
  type PermissionDecision,
  type PermissionRequestParams,
  type RequestSpec,
  type ResultOf,
} from '../../../protocol/wire';
import { WebSocketMessageWriter } from '../../../protocol/wsTransport';
import type { AttachUrl } from './attachUrl';
import { Backoff } from './backoff';
import { DRAINED_METHOD, DrainingMessageReader } from './drainingReader';
import { eventsIn } from './eventIntake';
import { WorkerConnectError } from './connectErrors';
import { EventSequencer } from './eventSequencer';
import { openWorkerSocket } from './openSocket';

export type WorkerStatus = 'connecting' | 'connected' | 'reconnecting' | 'down' | 'closed';

export interface WorkerStatusChange {
  readonly status: WorkerStatus;
  /** Why the worker is down / reconnecting (a sentence for the UI). */
  readonly error?: string;
}

export interface WorkerClientOptions {
  clientName: string;
  clientVersion: string;
  /** Ping interval (default 1000 ms). */
  heartbeatMs?: number;
  /** No pong for this long marks the worker down (default 3000 ms). */
  deadAfterMs?: number;
  connectTimeoutMs?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  maxPayload?: number;
  log?: (message: string) => void;
}

export type PermissionHandler = (request: PermissionRequestParams) => Promise<PermissionDecision>;
export type PermissionSettledParams = ParamsOf<typeof PermissionSettled>;

/** A client whose handshake has completed: `hello` is always there. */
export type ConnectedWorker = WorkerClient & { readonly hello: HelloResult };

export class WorkerClient {
  private socket: WebSocket | undefined;
  private connection: MessageConnection | undefined;
  private statusValue: WorkerStatus = 'connecting';
  private lastErrorValue: string | undefined;
  private helloValue: HelloResult | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private lastPongAt = 0;
  private pingSentAt = 0;
  private rttValue: number | undefined;
  private disposed = false;
  private halted = false;
  private everConnected = false;
  /** Settles when a closed connection has delivered everything it received. */
  private draining: Promise<void> = Promise.resolve();
  private drained: () => void = () => undefined;
  private permissionHandler: PermissionHandler | undefined;
  private readonly backoff: Backoff;
  private readonly sequencer: EventSequencer;
  private readonly statusEmitter = new Emitter<WorkerStatusChange>();
  private readonly eventEmitter = new Emitter<readonly AgentEventEnvelope[]>();
  private readonly settledEmitter = new Emitter<PermissionSettledParams>();
  private readonly helloEmitter = new Emitter<HelloResult>();

  readonly onStatus: Event<WorkerStatusChange> = this.statusEmitter.event;
  /**
   * Every agent event exactly once, in seq order per agent, in batches: what one frame (an
   * `agent/events` batch, or one `agent/event`) or one replay page brought. Never empty.
   */
  readonly onEvents: Event<readonly AgentEventEnvelope[]> = this.eventEmitter.event;
  readonly onPermissionSettled: Event<PermissionSettledParams> = this.settledEmitter.event;
  /** Fired after every successful (re)handshake. */
  readonly onHello: Event<HelloResult> = this.helloEmitter.event;

  constructor(
    readonly attach: AttachUrl,
    private readonly options: WorkerClientOptions,
  ) {
    this.backoff = new Backoff(options.backoffMinMs ?? 200, options.backoffMaxMs ?? 10_000);
    this.sequencer = new EventSequencer(
      (agentId, afterSeq) => this.replay({ agentId, afterSeq }),
      (envelopes) => this.eventEmitter.fire(envelopes),
      (agentId, error) => this.log(`replay of agent ${agentId} failed: ${String(error)}`),
    );
  }

  get status(): WorkerStatus {
    return this.statusValue;
  }
  get lastError(): string | undefined {
    return this.lastErrorValue;
  }
  /** The last handshake result (kept while reconnecting). */
  get hello(): HelloResult | undefined {
    return this.helloValue;
  }
  get rttMs(): number | undefined {
    return this.rttValue;
  }
  isConnected(): this is ConnectedWorker {
    return this.statusValue === 'connected' && this.helloValue !== undefined;
  }

  /** One decision-maker for the worker's permission requests (the coordinator). */
  setPermissionHandler(handler: PermissionHandler | undefined): void {
    this.permissionHandler = handler;
  }

  /** Seeds the last seq already seen for an agent so replay resumes there. */
  trackAgent(agentId: string, lastSeq: number): void {
    this.sequencer.track(agentId, lastSeq);
  }
  lastSeq(agentId: string): number {
    return this.sequencer.lastSeq(agentId);
  }

  /**
   * First connection. Rejects with a WorkerConnectError (or a protocol ResponseError)
   * saying what to do; after it succeeds the client reconnects by itself when the link drops.
   */
  async connect(): Promise<ConnectedWorker> {
    await this.open();
    this.everConnected = true;
    if (!this.isConnected())
      throw new WorkerConnectError(
        'closed',
        `${this.where()} closed the connection right after the handshake.`,
      );
    return this;
  }

  async request<P extends z.ZodType, R extends z.ZodType>(
    spec: RequestSpec<P, R>,
    params: z.infer<P>,
  ): Promise<z.infer<R>> {
    const connection = this.connection;
    if (!connection || this.statusValue !== 'connected') {
      throw new ResponseError(
        ErrorCode.NotConnected,
        `Worker ${this.displayName()} is not connected (${this.statusValue}${this.lastErrorValue ? `: ${this.lastErrorValue}` : ''}).`,
      );
    }
    const result: unknown = await connection.sendRequest(spec.method, params);
    return spec.result.parse(result) as z.infer<R>;
  }

  spawn(params: ParamsOf<typeof AgentSpawn>): Promise<ResultOf<typeof AgentSpawn>> {
    return this.request(AgentSpawn, params);
  }
  send(params: ParamsOf<typeof AgentSend>): Promise<ResultOf<typeof AgentSend>> {
    return this.request(AgentSend, params);
  }
  interrupt(agentId: string): Promise<ResultOf<typeof AgentInterrupt>> {
    return this.request(AgentInterrupt, { agentId });
  }
  dismiss(agentId: string): Promise<ResultOf<typeof AgentDismiss>> {
    return this.request(AgentDismiss, { agentId });
  }
  list(): Promise<ResultOf<typeof AgentList>> {
    return this.request(AgentList, {});
  }
  replay(params: ParamsOf<typeof AgentReplay>): Promise<ResultOf<typeof AgentReplay>> {
    return this.request(AgentReplay, params);
  }

  /** Round trip of a cheap request (agent/list), in ms. */
  async measureRtt(): Promise<number> {
    const started = performance.now();
    await this.list();
    this.rttValue = performance.now() - started;
    return this.rttValue;
  }

  /**
   * Stops for good with a reason (e.g. a different worker answers at this URL): no more
   * reconnects; the status shows `down` with the reason until it is detached.
   */
  halt(reason: string): void {
    this.halted = true;
    clearTimeout(this.reconnectTimer);
    this.lastErrorValue = reason;
    this.log(`${this.where()}: ${reason}`);
    this.teardown(1000);
    this.setStatus('down', reason);
  }

  /**
   * Resolves once everything received before the last connection closed has been delivered
   * (onEvent): a worker that went away for good can then be disposed without losing its
   * last events.
   */
  whenDrained(): Promise<void> {
    return this.draining;
  }

  /** Drops the current socket as if the network failed (tests and "reconnect now"). */
  dropConnection(): void {
    this.socket?.terminate();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.reconnectTimer);
    this.teardown(1000);
    this.drained();
    this.setStatus('closed');
    this.statusEmitter.dispose();
    this.eventEmitter.dispose();
    this.settledEmitter.dispose();
    this.helloEmitter.dispose();
  }

  private async open(): Promise<void> {
    this.setStatus(this.everConnected ? 'reconnecting' : 'connecting', this.lastErrorValue);
    const socket = await openWorkerSocket(this.attach, {
      timeoutMs: this.options.connectTimeoutMs ?? 10_000,
      ...(this.options.maxPayload ? { maxPayload: this.options.maxPayload } : {}),
    });
    if (this.disposed) {
      socket.close(1000);
      return;
    }
    this.socket = socket;
    const reader = new DrainingMessageReader(socket);
    const connection = createMessageConnection(reader, new WebSocketMessageWriter(socket));
    this.connection = connection;
    for (const { method } of [AgentEventNotification, AgentEventsNotification])
      connection.onNotification(method, (params: unknown) => {
        this.intake(method, params);
      });
    connection.onNotification(PermissionSettled.method, (params: PermissionSettledParams) =>
      this.settledEmitter.fire(params),
    );
    connection.onRequest(PermissionRequest.method, async (params: PermissionRequestParams) => {
      const handler = this.permissionHandler;
      if (!handler)
        return new ResponseError(
          ErrorCode.InternalError,
          'No one on this coordinator handles permission requests yet.',
        );
      return handler(params);
    });
    socket.once('close', (code, reason) =>
      this.onClosed(socket, `${code}${reason.length ? `: ${reason.toString()}` : ''}`),
    );
    // Everything received before the close has been handled (DrainingMessageReader).
    connection.onNotification(DRAINED_METHOD, () => {
      connection.dispose();
      this.onDrained();
    });
    socket.on('pong', () => {
      this.lastPongAt = Date.now();
      this.rttValue = this.lastPongAt - this.pingSentAt;
    });
    // Any frame is a sign of life: a worker busy streaming may answer pings late.
    socket.on('message', () => (this.lastPongAt = Date.now()));
    connection.listen();

    let hello: HelloResult;
    try {
      hello = WorkerHello.result.parse(
        await connection.sendRequest(WorkerHello.method, {
          protocolVersion: PROTOCOL_VERSION,
          client: { name: this.options.clientName, version: this.options.clientVersion },
          capabilities: { eventBatches: true },
        }),
      );
    } catch (error) {
      this.teardown(1000);
      if (error instanceof ResponseError && error.code === ErrorCode.ProtocolVersion) {
        throw new WorkerConnectError('protocol', error.message);
      }
      throw error instanceof WorkerConnectError
        ? error
        : new WorkerConnectError(
            'closed',
            `Handshake with ${this.where()} failed: ${errorMessage(error)}`,
          );
    }
    if (this.helloValue && hello.workerId !== this.helloValue.workerId) {
      // Its agents are not this worker's: never merge two machines into one.
      this.teardown(1000);
      throw new WorkerConnectError(
        'identity',
        `A different worker (id ${hello.workerId}, "${hello.name}") now answers at ${this.where()}, where worker ${this.helloValue.workerId} ("${this.helloValue.name}") was. Detach it and attach it again if that is intended.`,
      );
    }
    this.helloValue = hello;
    // From now on events are handled as their frame is read (see drainingReader.ts). One that
    // overtakes an older one still queued is a gap the sequencer fills: nothing is lost.
    reader.direct = (message) => this.handleDirectly(message);
    this.lastErrorValue = undefined;
    this.backoff.reset();
    this.startHeartbeat(socket);
    this.setStatus('connected');
    this.helloEmitter.fire(hello);
    // Catch up on everything missed: agents the worker has that we are behind on, and
    // agents we track that it no longer lists (dismissed meanwhile: their journals replay).
    const listed = new Set(hello.agents.map((a) => a.agentId));
    const behind = hello.agents
      .filter((a) => a.lastSeq > this.sequencer.lastSeq(a.agentId))
      .map((a) => a.agentId);
    const gone = this.sequencer
      .trackedAgents()
      .filter((id) => !listed.has(id) && !this.sequencer.ended(id));
    await Promise.all([...behind, ...gone].map((id) => this.sequencer.sync(id)));
  }

  /** Events checked where they enter (eventIntake.ts); false: the message carries none. */
  private intake(method: unknown, params: unknown): boolean {
    const events = eventsIn(method, params, (problem) =>
      this.log(`${this.displayName()} ${problem}`),
    );
    if (!events) return false;
    if (events.length > 0) this.sequencer.accept(events);
    return true;
  }

  /** Handled as the frame is read: a failure is logged, never thrown into the socket. */
  private handleDirectly(message: Message): boolean {
    const { method, params } = message as { method?: unknown; params?: unknown };
    try {
      return this.intake(method, params);
    } catch (error) {
      this.log(
        `handling ${String(method)} from ${this.displayName()} failed: ${errorMessage(error)}`,
      );
      return true;
    }
  }

  private startHeartbeat(socket: WebSocket): void {
    clearInterval(this.heartbeat);
    const every = this.options.heartbeatMs ?? 1000;
    const deadAfter = this.options.deadAfterMs ?? 3000;
    this.lastPongAt = Date.now();
    let lastBeat = this.lastPongAt;
    this.heartbeat = setInterval(() => {
      const now = Date.now();
      // A beat that comes late means this process was busy, not that the worker was silent:
      // its pong may be waiting unread in the socket (timers run before I/O is read). The
      // time this loop was away does not count against the worker.
      const stalled = now - lastBeat - every;
      if (stalled > every) this.lastPongAt += stalled;
      lastBeat = now;
      // Unread because this process holds it back (turnBudget.ts): the silence is ours.
      if (socket.isPaused) this.lastPongAt = now;
      if (now - this.lastPongAt > deadAfter) {
        this.log(`no answer from ${this.where()} for ${deadAfter} ms; marking it down`);
        this.lastErrorValue = `No heartbeat from the worker for ${Math.round(deadAfter / 1000)} s.`;
        socket.terminate();
        return;
      }
      this.pingSentAt = Date.now();
      try {
        socket.ping();
      } catch {
        // The close handler deals with a dead socket.
      }
    }, every);
    this.heartbeat.unref?.();
  }

  /**
   * The socket closed: the worker is down now, but its connection still holds what arrived
   * last and delivers it (whenDrained); reconnecting starts after that.
   */
  private onClosed(socket: WebSocket, closedWith: string): void {
    if (socket !== this.socket) return;
    this.teardown(undefined);
    let drained: () => void = () => undefined;
    this.draining = new Promise((resolve) => (drained = resolve));
    this.drained = drained;
    if (this.disposed || this.halted || !this.everConnected) return;
    this.lastErrorValue ??= `Connection lost (${closedWith}).`;
    this.setStatus('down', this.lastErrorValue);
  }

  private onDrained(): void {
    this.drained();
    if (this.disposed || this.halted || !this.everConnected || this.socket) return;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.disposed || this.halted) return;
    clearTimeout(this.reconnectTimer);
    const delay = this.backoff.next();
    this.reconnectTimer = setTimeout(() => {
      this.open().catch((error: unknown) => {
        const message = errorMessage(error);
        this.lastErrorValue = message;
        if (error instanceof WorkerConnectError && error.fatal) {
          this.log(`not reconnecting to ${this.where()}: ${message}`);
          this.setStatus('down', message);
          return;
        }
        this.setStatus('down', message);
        this.scheduleReconnect();
      });
    }, delay);
    this.reconnectTimer.unref?.();
  }

  private teardown(closeCode: number | undefined): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    // A socket that closed by itself (no closeCode) leaves its connection to drain: the
    // DRAINED_METHOD marker disposes it after the last message received.
    if (closeCode !== undefined) this.connection?.dispose();
    this.connection = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket && closeCode !== undefined && socket.readyState === socket.OPEN)
      socket.close(closeCode);
    else if (socket && closeCode !== undefined) socket.terminate();
  }

  private setStatus(status: WorkerStatus, error?: string): void {
    if (this.statusValue === status && error === undefined) return;
    this.statusValue = status;
    if (!this.disposed || status === 'closed')
      this.statusEmitter.fire({ status, ...(error !== undefined ? { error } : {}) });
  }

  private where(): string {
    return `${this.attach.host}:${this.attach.port}`;
  }
  private displayName(): string {
    return this.helloValue ? `"${this.helloValue.name}" (${this.where()})` : this.where();
  }
  private log(message: string): void {
    this.options.log?.(message);
  }
}
