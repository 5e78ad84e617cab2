// A loopback TCP listener for one pod that forwards every connection through the API
// server's port-forward (client-node's PortForward: one WebSocket per connection, the
// v4.channel.k8s.io channel protocol), so a worker in a cluster is reachable from a laptop
// at ws(s)://127.0.0.1:PORT like any other. The WorkerClient on top neither knows nor cares.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { PortForward, type KubeConfig } from '@kubernetes/client-node';
import type WebSocket from 'ws';
import { describeKubeError, errorMessage } from './kubeErrors';

export interface PodForwarderOptions {
  kc: KubeConfig;
  namespace: string;
  pod: string;
  port: number;
  context: string;
  server: string;
  log: (message: string) => void;
}

export class PodForwarder {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly forwards = new Set<WebSocket>();
  private closed = false;
  /** The last reason a forwarded connection failed (for the worker's error line). */
  lastError: string | undefined;

  private constructor(private readonly options: PodForwarderOptions) {
    this.server = createServer((socket) => this.forward(socket));
  }

  static async open(options: PodForwarderOptions): Promise<PodForwarder> {
    const forwarder = new PodForwarder(options);
    await new Promise<void>((resolve, reject) => {
      forwarder.server.once('error', reject);
      forwarder.server.listen(0, '127.0.0.1', () => {
        forwarder.server.off('error', reject);
        resolve();
      });
    });
    return forwarder;
  }

  get localPort(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops listening and cuts every forwarded connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const ws of this.forwards) ws.terminate();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(socket: Socket): void {
    if (this.closed) return void socket.destroy();
    const { kc, namespace, pod, port, log } = this.options;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', (error) => log(`port-forward to ${pod}: local socket: ${error.message}`));
    socket.once('close', () => this.sockets.delete(socket));
    // Channel 1 carries the kubelet's error text (e.g. nothing listens on the port yet).
    let errorText = '';
    const errors = new Writable({
      write(chunk: Buffer, _encoding, done) {
        errorText += chunk.toString('utf8');
        done();
      },
    });
    // client-node writes channel 0 here; a socket that closed meanwhile drops it.
    const output = new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (!socket.destroyed) socket.write(chunk);
        done();
      },
    });
    new PortForward(kc, true)
      .portForward(namespace, pod, [port], output, errors, socket)
      .then((opened) => {
        const ws = opened as WebSocket;
        if (this.closed || socket.destroyed) return void ws.terminate();
        this.forwards.add(ws);
        ws.once('close', () => {
          this.forwards.delete(ws);
          if (errorText) {
            this.lastError = `port-forward to pod ${pod}:${port} failed: ${errorText.trim()}`;
            log(this.lastError);
            socket.destroy();
          } else socket.end(); // after everything written: the worker's last frames arrive
        });
        ws.on('error', (error) => log(`port-forward to ${pod}: ${error.message}`));
        socket.once('close', () => {
          if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
        });
      })
      .catch((error: unknown) => {
        const described = describeKubeError(error, {
          verb: 'create',
          resource: 'pods/portforward',
          name: pod,
          namespace,
          context: this.options.context,
          server: this.options.server,
        });
        this.lastError = described.message;
        log(`port-forward to ${pod}: ${described.message} (${errorMessage(error)})`);
        socket.destroy();
      });
  }
}
