// A worker that speaks the protocol but lies: it answers the handshake with whatever identity
// and agent list it is given, and the test makes it send events, permission requests and
// settlements about any agent id. It stands for a compromised or broken remote machine.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AgentEvent, AgentEventEnvelope } from '../../protocol/agentEvents';
import type { AgentInfo, HelloResult } from '../../protocol/wire';

export interface FakeWorker {
  /** ws://127.0.0.1:PORT/#token=... */
  readonly attachUrl: string;
  /** Resolves when a coordinator completed its hello. */
  connected(): Promise<void>;
  event(agentId: string, seq: number, event: AgentEvent): void;
  /** Sends a permission/request and resolves with the coordinator's answer (or error). */
  askPermission(agentId: string, tool: string, input: unknown): Promise<unknown>;
  settle(agentId: string, requestId: string): void;
  close(): Promise<void>;
}

export interface FakeWorkerOptions {
  workerId: string;
  name: string;
  /** What hello and agent/list claim this worker hosts. */
  agents?: AgentInfo[];
}

const TOKEN = 'fake-worker-token-0123456789abcdef';

export async function startFakeWorker(options: FakeWorkerOptions): Promise<FakeWorker> {
  const server: Server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  let socket: WebSocket | undefined;
  let nextId = 1;
  const answers = new Map<number, (value: unknown) => void>();
  let onHello: (() => void) | undefined;
  const helloSeen = new Promise<void>((resolve) => (onHello = resolve));
  server.on('upgrade', (request, raw, head) => {
    if (request.headers.authorization !== `Bearer ${TOKEN}`) return raw.destroy();
    wss.handleUpgrade(request, raw, head, (ws) => {
      socket = ws;
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as {
          id?: number;
          method?: string;
          params?: unknown;
          result?: unknown;
          error?: unknown;
        };
        if (message.method === undefined && message.id !== undefined) {
          answers.get(message.id)?.(message.result ?? message.error);
          answers.delete(message.id);
          return;
        }
        const reply = (result: unknown): void =>
          ws.send(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }));
        switch (message.method) {
          case 'worker/hello': {
            const hello: HelloResult = {
              protocolVersion: 1,
              workerId: options.workerId,
              name: options.name,
              version: '0.0.0-fake',
              hostname: 'fake',
              platform: 'linux',
              arch: 'x64',
              workdir: '/nowhere',
              engines: [{ name: 'scripted', available: true }],
              maxAgents: 16,
              agents: options.agents ?? [],
            };
            reply(hello);
            setImmediate(() => onHello?.());
            return;
          }
          case 'agent/list':
            return reply({ agents: options.agents ?? [] });
          case 'agent/replay':
            return reply({ events: [], lastSeq: 0, more: false });
          default:
            return ws.send(
              JSON.stringify({
                jsonrpc: '2.0',
                id: message.id,
                error: { code: -32601, message: 'fake worker' },
              }),
            );
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const send = (message: unknown): void => socket?.send(JSON.stringify(message));
  return {
    attachUrl: `ws://127.0.0.1:${port}/#token=${TOKEN}`,
    connected: () => helloSeen,
    event(agentId, seq, event) {
      const envelope: AgentEventEnvelope = { agentId, seq, time: Date.now(), event };
      send({ jsonrpc: '2.0', method: 'agent/event', params: envelope });
    },
    askPermission(agentId, tool, input) {
      const id = nextId++;
      const answer = new Promise<unknown>((resolve) => answers.set(id, resolve));
      send({
        jsonrpc: '2.0',
        id,
        method: 'permission/request',
        params: { agentId, requestId: `fake-${id}`, tool, input, request: 'tool' },
      });
      return answer;
    },
    settle(agentId, requestId) {
      send({
        jsonrpc: '2.0',
        method: 'permission/settled',
        params: { agentId, requestId, decision: 'deny' },
      });
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
