// One coordinator connection: JSON-RPC over the socket, params validated with the wire
// schemas, the hello handshake first, runtime errors mapped to our error codes. Bad input
// gets an error answer; only this connection is ever closed for it.
import { nanoid } from 'nanoid';
import {
  createMessageConnection,
  ResponseError,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import type WebSocket from 'ws';
import type { z } from 'zod';
import { ErrorCode } from '../protocol/errors';
import {
  AgentDismiss,
  AgentEventNotification,
  AgentInterrupt,
  AgentList,
  AgentReplay,
  AgentSend,
  AgentSpawn,
  PermissionDecisionSchema,
  PermissionRequest,
  PermissionSettled,
  WorkerHello,
  type RequestSpec,
} from '../protocol/wire';
import {
  sendInvalidFrameError,
  WebSocketMessageReader,
  WebSocketMessageWriter,
} from '../protocol/wsTransport';
import type { Logger } from '../runtime/log';
import { WorkerError, type CoordinatorPeer, type WorkerApi } from './workerApi';

/** Consecutive invalid frames after which the connection is closed (policy violation). */
export const MAX_INVALID_FRAMES = 100;

export function zodIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
}

export function serveConnection(
  socket: WebSocket,
  api: WorkerApi,
  log: Logger,
  remote: string,
): void {
  const id = nanoid(8);
  let invalidInARow = 0;
  const reader = new WebSocketMessageReader(socket, {
    onInvalidFrame: (frame) => {
      sendInvalidFrameError(socket, frame);
      if (++invalidInARow >= MAX_INVALID_FRAMES) {
        log.warn(
          `connection ${id} (${remote}): ${MAX_INVALID_FRAMES} invalid frames in a row; closing it`,
        );
        socket.close(1008, 'Too many invalid frames');
      }
    },
  });
  const writer = new WebSocketMessageWriter(socket);
  const connection: MessageConnection = createMessageConnection(reader, writer, {
    error: (message) => log.debug(`connection ${id}: ${message}`),
    warn: (message) => log.debug(`connection ${id}: ${message}`),
    info: () => undefined,
    log: () => undefined,
  });
  let peer: CoordinatorPeer | undefined;

  const handle = <P extends z.ZodType, R extends z.ZodType>(
    spec: RequestSpec<P, R>,
    run: (params: z.infer<P>) => Promise<z.infer<R>>,
  ): void => {
    connection.onRequest(spec.method, async (raw: unknown) => {
      invalidInARow = 0;
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
          `The worker failed to handle ${spec.method}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    });
  };

  handle(WorkerHello, async (params) => {
    const result = await api.hello(params);
    if (!peer) {
      peer = createPeer(id, connection, log);
      api.attach(peer);
      log.info(
        `coordinator ${params.client.name} ${params.client.version} connected from ${remote} (connection ${id})`,
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
  connection.onRequest((method: string) => {
    invalidInARow = 0;
    return new ResponseError(
      ErrorCode.MethodNotFound,
      `Unknown method "${method}". This worker speaks protocol 1: worker/hello, agent/spawn, agent/send, agent/interrupt, agent/dismiss, agent/list, agent/replay.`,
    );
  });
  connection.onNotification(() => {
    invalidInARow = 0;
  });

  socket.once('close', (code) => {
    if (peer) api.detach(peer);
    connection.dispose();
    log.info(`connection ${id} (${remote}) closed (${code})`);
  });
  connection.listen();
}

function createPeer(id: string, connection: MessageConnection, log: Logger): CoordinatorPeer {
  return {
    id,
    sendEvent(envelope) {
      connection
        .sendNotification(AgentEventNotification.method, envelope)
        .catch((error: unknown) => log.debug(`connection ${id}: event not sent: ${String(error)}`));
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
