// The worker's network face: an HTTP(S) server whose upgrade handler authenticates before
// the WebSocket exists, a heartbeat that drops peers that neither answer nor read, bounded
// send queues (per coordinator and worker-wide), and a frame size cap.
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { serveConnection, type ServedConnection } from './connection';
import type { Logger } from '../runtime/log';
import { SendBudget } from './sendBudget';
import type { TlsMaterial } from './tls';
import { UpgradeGuard } from './upgradeGuard';
import type { WorkerApi } from './workerApi';

export interface WorkerServerOptions {
  host: string;
  port: number;
  token: string;
  tls: TlsMaterial | undefined;
  allowOrigins: readonly string[];
  heartbeatMs: number;
  maxPayloadBytes: number;
  /** Per coordinator: queued bytes past which live events wait in the journal. */
  sendBufferBytes: number;
  /** All coordinators together: past it the one furthest behind is dropped. */
  sendBudgetBytes: number;
  api: WorkerApi;
  log: Logger;
}

export interface WorkerServer {
  readonly port: number;
  /** Stops accepting, closes every connection (1001 going away). */
  close(): Promise<void>;
}

/** How long close() waits for coordinators to take their last frames and answer the close. */
const CLOSE_GRACE_MS = 5_000;
/**
 * Heartbeats a coordinator may go without answering a ping AND without reading a byte
 * before it is dropped. A busy coordinator still reads (or answers): it is never dropped
 * for being busy. Its memory here is bounded meanwhile, so waiting costs little.
 */
export const SILENT_HEARTBEATS_ALLOWED = 30;
/** A wrong token from a locked-out address waits this long for its 429 (slows guessing). */
const TARPIT_MS = 1000;
/** At most this many refused upgrades are held in the tarpit per address. */
const TARPIT_PER_ADDRESS = 16;

interface PeerState {
  /** Heartbeats since it last answered a ping or read anything. */
  silent: number;
  lastQueued: number;
  served: ServedConnection;
}

function reject(socket: Duplex, status: number, message: string, retryAfter?: number): void {
  const reason =
    {
      401: 'Unauthorized',
      403: 'Forbidden',
      404: 'Not Found',
      426: 'Upgrade Required',
      429: 'Too Many Requests',
    }[status] ?? 'Error';
  const headers = [
    `HTTP/1.1 ${status} ${reason}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(message)}`,
    'Connection: close',
    ...(status === 401 ? ['WWW-Authenticate: Bearer realm="tavern-worker"'] : []),
    ...(retryAfter ? [`Retry-After: ${retryAfter}`] : []),
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${message}`);
}

export async function startWorkerServer(options: WorkerServerOptions): Promise<WorkerServer> {
  const { log, api } = options;
  const guard = new UpgradeGuard({ token: options.token, allowOrigins: options.allowOrigins });
  const budget = new SendBudget(options.sendBudgetBytes, log);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes,
    perMessageDeflate: false,
  });
  const peers = new Map<WebSocket, PeerState>();
  const tarpit = new Map<Duplex, NodeJS.Timeout>();
  const tarpitted = new Map<string, number>();
  const refusals = new RefusalLog(log);

  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key })
    : createHttpServer();

  server.on('request', (request, response) => {
    if (request.url === '/healthz') {
      response.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    }
    response
      .writeHead(426, { 'Content-Type': 'text/plain' })
      .end('tavern-worker speaks WebSocket: attach it from VS Code with "Tavern: Attach Worker".');
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (error) => log.debug(`upgrade socket error: ${error.message}`));
    const address = request.socket.remoteAddress ?? '?';
    const remote = `${address}:${request.socket.remotePort ?? '?'}`;
    const verdict = guard.check(request);
    if (!verdict.ok) {
      refusals.note(address, verdict.status ?? 401);
      const answer = (): void =>
        reject(
          socket,
          verdict.status ?? 401,
          verdict.message ?? 'Refused.',
          verdict.retryAfterSeconds,
        );
      // A locked-out address waits for its answer: a guesser that waits for answers is
      // slowed to one guess a second per held connection. The right token never waits.
      const held = tarpitted.get(address) ?? 0;
      if (verdict.status !== 429 || held >= TARPIT_PER_ADDRESS) return answer();
      tarpitted.set(address, held + 1);
      const timer = setTimeout(() => {
        tarpit.delete(socket);
        const left = (tarpitted.get(address) ?? 1) - 1;
        if (left > 0) tarpitted.set(address, left);
        else tarpitted.delete(address);
        answer();
      }, TARPIT_MS);
      tarpit.set(socket, timer);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const state: PeerState = {
        silent: 0,
        lastQueued: 0,
        served: serveConnection(ws, api, log, remote, {
          sendBufferBytes: options.sendBufferBytes,
          budget,
        }),
      };
      peers.set(ws, state);
      ws.on('pong', () => (state.silent = 0));
      ws.on('error', (error) => log.warn(`connection from ${remote}: ${error.message}`));
      ws.once('close', () => peers.delete(ws));
    });
  });
  server.on('clientError', (error, socket) => {
    log.debug(`client error: ${error.message}`);
    socket.destroy();
  });

  const heartbeat = setInterval(() => {
    for (const [ws, state] of peers) {
      const queued = ws.bufferedAmount;
      // Reading is a sign of life too: its pong may wait behind the frames it is reading.
      if (queued < state.lastQueued) state.silent = 0;
      state.lastQueued = queued;
      if (state.silent >= SILENT_HEARTBEATS_ALLOWED) {
        log.warn(
          `a coordinator neither answered pings nor read anything for ${SILENT_HEARTBEATS_ALLOWED} heartbeats${queued > 0 ? ` (${queued} bytes waiting)` : ''}; dropping its connection (it replays when it reconnects)`,
        );
        peers.delete(ws);
        ws.terminate();
        continue;
      }
      state.silent++;
      ws.ping();
      state.served.poke();
    }
  }, options.heartbeatMs);
  heartbeat.unref();

  await new Promise<void>((resolve, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port, options.host, () => {
      server.off('error', rejectListen);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    async close() {
      clearInterval(heartbeat);
      // A graceful close: each coordinator gets every frame queued for it (the last events
      // of a drain), then the close frame; its answer ends the connection. Only a peer that
      // does not answer within the grace period is cut (it replays from the journal later).
      const closed = [...wss.clients].map(
        (ws) =>
          new Promise<void>((resolve) => {
            ws.once('close', () => resolve());
            ws.close(1001, 'Worker shutting down');
          }),
      );
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(closed),
        new Promise<void>((resolve) => (grace = setTimeout(resolve, CLOSE_GRACE_MS))),
      ]);
      clearTimeout(grace);
      for (const ws of wss.clients) ws.terminate();
      for (const [socket, timer] of tarpit) {
        clearTimeout(timer);
        socket.destroy();
      }
      tarpit.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      wss.close();
    },
  };
}

/**
 * Refused upgrades, logged without letting a guesser flood the log: the first from an
 * address, then at most one summary line a minute.
 */
class RefusalLog {
  private readonly byAddress = new Map<string, { loggedAt: number; since: number }>();

  constructor(private readonly log: Logger) {}

  note(address: string, status: number): void {
    const now = Date.now();
    const entry = this.byAddress.get(address);
    if (entry && now - entry.loggedAt < 60_000) {
      entry.since++;
      return;
    }
    const more =
      entry && entry.since > 0 ? ` (${entry.since} more refused in the last minute)` : '';
    this.log.warn(`refused connection from ${address}: HTTP ${status}${more}`);
    this.byAddress.set(address, { loggedAt: now, since: 0 });
    if (this.byAddress.size > 10_000) this.byAddress.clear();
  }
}
