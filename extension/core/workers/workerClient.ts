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
import { handshake } from './handshake';
import { startHeartbeat } from './heartbeat';
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
  private stopHeartbeat: (() => void) | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
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
    connection.listen();

    let hello: HelloResult;
    try {
      const client = { name: this.options.clientName, version: this.options.clientVersion };
      hello = await handshake(connection, client, this.helloValue, this.where());
    } catch (error) {
      this.teardown(1000);
      throw error;
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
    // Catch up on everything missed while away.
    await this.sequencer.catchUp(hello.agents);
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
    this.stopHeartbeat?.();
    const deadAfterMs = this.options.deadAfterMs ?? 3000;
    this.stopHeartbeat = startHeartbeat(socket, {
      everyMs: this.options.heartbeatMs ?? 1000,
      deadAfterMs,
      onRtt: (ms) => (this.rttValue = ms),
      onSilent: () => {
        this.log(`no answer from ${this.where()} for ${deadAfterMs} ms; marking it down`);
        this.lastErrorValue = `No heartbeat from the worker for ${Math.round(deadAfterMs / 1000)} s.`;
      },
    });
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
    this.stopHeartbeat?.();
    this.stopHeartbeat = undefined;
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
