// The worker's network face: an HTTP(S) server whose upgrade handler authenticates before
// the WebSocket exists, a heartbeat that drops dead peers, and a frame size cap.
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { serveConnection } from './connection';
import type { Logger } from '../runtime/log';
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
  api: WorkerApi;
  log: Logger;
}

export interface WorkerServer {
  readonly port: number;
  /** Stops accepting, closes every connection (1001 going away). */
  close(): Promise<void>;
}

/** A coordinator this far behind is dropped (it reconnects and replays from the journal). */
const SLOW_PEER_LIMIT_BYTES = 256 * 1024 * 1024;
const MISSED_PONGS_ALLOWED = 3;
/** How long close() waits for coordinators to take their last frames and answer the close. */
const CLOSE_GRACE_MS = 5_000;

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
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes,
    perMessageDeflate: false,
  });
  const alive = new Map<WebSocket, number>();

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
    const remote = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? '?'}`;
    const verdict = guard.check(request);
    if (!verdict.ok) {
      log.warn(`refused connection from ${remote}: HTTP ${verdict.status}`);
      reject(
        socket,
        verdict.status ?? 401,
        verdict.message ?? 'Refused.',
        verdict.retryAfterSeconds,
      );
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      alive.set(ws, 0);
      ws.on('pong', () => alive.set(ws, 0));
      ws.on('error', (error) => log.warn(`connection from ${remote}: ${error.message}`));
      ws.once('close', () => alive.delete(ws));
      serveConnection(ws, api, log, remote);
    });
  });
  server.on('clientError', (error, socket) => {
    log.debug(`client error: ${error.message}`);
    socket.destroy();
  });

  const heartbeat = setInterval(() => {
    for (const [ws, missed] of alive) {
      if (missed >= MISSED_PONGS_ALLOWED) {
        // A coordinator still draining what we sent is slow, not dead: its pong waits behind
        // those frames. Drop it only when nothing is queued, or when it falls hopelessly behind.
        const queued = ws.bufferedAmount;
        if (queued > 0 && queued < SLOW_PEER_LIMIT_BYTES) {
          log.debug(`a coordinator is ${queued} bytes behind; waiting for its pong`);
          ws.ping();
          continue;
        }
        log.warn(
          queued > 0
            ? `a coordinator fell ${queued} bytes behind; dropping its connection (it will replay)`
            : 'a coordinator stopped answering pings; dropping its connection',
        );
        ws.terminate();
        continue;
      }
      alive.set(ws, missed + 1);
      ws.ping();
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
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      wss.close();
    },
  };
}
