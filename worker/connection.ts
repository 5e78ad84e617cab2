// One coordinator connection: JSON-RPC over the socket, params validated with the wire
// schemas, the hello handshake first, runtime errors mapped to our error codes. Bad input
// gets an error answer; only this connection is ever closed for it. Agent events bypass the
// JSON-RPC layer: their encoded journal lines go to the socket as frames (worker/peerSender).
import { nanoid } from 'nanoid';
import {
  createMessageConnection,
  ResponseError,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import type WebSocket from 'ws';
import type { z } from 'zod';
import { ErrorCode, errorMessage } from '../protocol/errors';
import {
  AgentDismiss,
  AgentInterrupt,
  AgentList,
  AgentReplay,
  AgentSend,
  AgentSpawn,
  PermissionDecisionSchema,
  PermissionRequest,
  PermissionSettled,
  WorkerHello,
  WORKER_REQUESTS,
  type RequestSpec,
} from '../protocol/wire';
import {
  AgentChanges,
  AgentPull,
  WORKSPACE_REQUESTS,
  WorkspacePush,
  WorkspaceRefs,
} from '../protocol/workspaceWire';
import {
  sendInvalidFrameError,
  WebSocketMessageReader,
  WebSocketMessageWriter,
} from '../protocol/wsTransport';
import type { Logger } from '../runtime/log';
import { PeerSender } from './peerSender';
import type { SendBudget } from './sendBudget';
import { WorkerError, type CoordinatorPeer, type WorkerApi } from './workerApi';

/** Consecutive invalid frames after which the connection is closed (policy violation). */
export const MAX_INVALID_FRAMES = 100;

export interface ConnectionLimits {
  /** Bytes queued for this coordinator past which live events wait in the journal. */
  sendBufferBytes: number;
  /** The worker-wide bound on queued bytes; also this connection's hard limit. */
  budget: SendBudget;
}

/** What the server keeps of a connection: a way to resume a stalled catch-up. */
export interface ServedConnection {
  poke(): void;
}

export function zodIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
}

/**
 * vscode-jsonrpc logs some messages with the frame they were about (a stray response's error
 * object, an invalid message whole). Frames carry assignments and tool output: keep the
 * first line, up to where any JSON starts.
 */
export function withoutContents(message: string): string {
  const firstLine = message.split('\n', 1)[0] ?? '';
  const json = firstLine.search(/[{[]/);
  return (json < 0 ? firstLine : firstLine.slice(0, json)).slice(0, 200).trim();
}

export function serveConnection(
  socket: WebSocket,
  api: WorkerApi,
  log: Logger,
  remote: string,
  limits: ConnectionLimits,
): ServedConnection {
  const id = nanoid(8);
  const reader = new WebSocketMessageReader(socket, {
    // Counted in arrival order by the reader: a valid frame between bad ones resets it.
    onInvalidFrame: (frame, inARow) => {
      log.debug(`connection ${id}: invalid frame (code ${frame.code}, id ${String(frame.id)})`);
      sendInvalidFrameError(socket, frame);
      if (inARow === MAX_INVALID_FRAMES) {
        log.warn(
          `connection ${id} (${remote}): ${MAX_INVALID_FRAMES} invalid frames in a row; closing it`,
        );
        socket.close(1008, 'Too many invalid frames');
      }
    },
  });
  const writer = new WebSocketMessageWriter(socket, {
    hardLimitBytes: limits.budget.totalBytes,
    onOverLimit: (queued) => {
      log.warn(
        `connection ${id} (${remote}): ${queued} bytes queued and not read; dropping it (it replays when it reconnects)`,
      );
      socket.terminate();
    },
  });
  const connection: MessageConnection = createMessageConnection(reader, writer, {
    error: (message) => log.debug(`connection ${id}: ${withoutContents(message)}`),
    warn: (message) => log.debug(`connection ${id}: ${withoutContents(message)}`),
    info: () => undefined,
    log: () => undefined,
  });
  let peer: CoordinatorPeer | undefined;
  let sender: PeerSender | undefined;
  limits.budget.add(socket);

  const handle = <P extends z.ZodType, R extends z.ZodType>(
    spec: RequestSpec<P, R>,
    run: (params: z.infer<P>) => Promise<z.infer<R>>,
  ): void => {
    connection.onRequest(spec.method, async (raw: unknown) => {
      if (!peer && spec.method !== WorkerHello.method) {
        return new ResponseError(
          ErrorCode.HelloRequired,
          `Send worker/hello first: ${spec.method} needs a completed handshake.`,
        );
      }
      const parsed = spec.params.safeParse(raw ?? {});
      if (!parsed.success) {
        const issues = zodIssues(parsed.error);
        const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
        return new ResponseError(
          ErrorCode.InvalidParams,
          `Invalid params for ${spec.method}: ${summary}`,
          { issues },
        );
      }
      try {
        return await run(parsed.data);
      } catch (error) {
        if (error instanceof WorkerError)
          return new ResponseError(error.code, error.message, error.data);
        log.error(
          `connection ${id}: ${spec.method} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        return new ResponseError(
          ErrorCode.InternalError,
          `The worker failed to handle ${spec.method}: ${errorMessage(error)}`,
        );
      }
    });
  };

  handle(WorkerHello, async (params) => {
    const result = await api.hello(params);
    if (!peer) {
      sender = new PeerSender(writer, api.linesAfter, {
        batches: params.capabilities?.eventBatches === true,
        highWaterBytes: limits.sendBufferBytes,
        log,
        name: id,
      });
      peer = createPeer(id, connection, sender, limits.budget);
      api.attach(peer);
      log.info(
        `coordinator ${params.client.name} ${params.client.version} connected from ${remote} (connection ${id}${params.capabilities?.eventBatches ? ', event batches' : ''})`,
      );
    }
    return result;
  });
  handle(AgentSpawn, (p) => api.spawn(p));
  handle(AgentSend, (p) => api.send(p));
  handle(AgentInterrupt, (p) => api.interrupt(p));
  handle(AgentDismiss, (p) => api.dismiss(p));
  handle(AgentList, (p) => api.list(p));
  handle(AgentReplay, (p) => api.replay(p));
  handle(WorkspaceRefs, (p) => api.workspaceRefs(p));
  handle(WorkspacePush, (p) => api.workspacePush(p));
  handle(AgentChanges, (p) => api.changes(p));
  handle(AgentPull, (p) => api.pull(p));
  const known = [...WORKER_REQUESTS, ...WORKSPACE_REQUESTS].map((r) => r.method).join(', ');
  connection.onRequest(
    (method: string) =>
      new ResponseError(
        ErrorCode.MethodNotFound,
        `Unknown method "${method.slice(0, 100)}". This worker speaks protocol 1: ${known}.`,
      ),
  );
  connection.onNotification((method: string) =>
    log.debug(`connection ${id}: ignored notification ${method.slice(0, 100)}`),
  );

  socket.once('close', (code) => {
    limits.budget.delete(socket);
    sender?.dispose();
    if (peer) api.detach(peer);
    connection.dispose();
    log.info(`connection ${id} (${remote}) closed (${code})`);
  });
  connection.listen();
  return { poke: () => sender?.poke() };
}

function createPeer(
  id: string,
  connection: MessageConnection,
  sender: PeerSender,
  budget: SendBudget,
): CoordinatorPeer {
  return {
    id,
    sendEvents(batch, bytes) {
      sender.offer(batch, bytes);
      budget.enforce();
    },
    async requestPermission(params) {
      const answer: unknown = await connection.sendRequest(PermissionRequest.method, params);
      return PermissionDecisionSchema.parse(answer);
    },
    notifyPermissionSettled(params) {
      connection.sendNotification(PermissionSettled.method, params).catch(() => undefined);
    },
  };
}
