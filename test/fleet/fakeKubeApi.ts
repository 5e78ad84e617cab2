// A fake Kubernetes API server on loopback (HTTPS, bearer token) implementing what the fleet
// uses, as the real one answers it: pods list and watch (resourceVersion, label selector,
// one JSON event a line), secrets get, and pods/portforward over WebSocket (the
// v4.channel.k8s.io channel protocol client-node speaks: channel 0 data, 1 errors, each
// opened by the port number, little-endian). RBAC refusals are 403 Status objects worded
// like the real ones. It forwards to whatever address a pod has: the pods are real workers.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { connect as tcpConnect, type AddressInfo } from 'node:net';
import selfsigned from 'selfsigned';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakePod {
  name: string;
  uid: string;
  labels: Record<string, string>;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  ready: boolean;
  ip: string | undefined;
  deletionTimestamp?: string;
  /** Why it is not ready (container waiting reason), e.g. ContainerCreating. */
  waitingReason?: string;
}

type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; rv: number; pod: FakePod };

export interface FakeKubeApiOptions {
  namespace: string;
  /** The user's bearer token in the kubeconfig. */
  token?: string;
  user?: string;
  /** The pod's port-forward target for a port (its IP and that port by default). */
  resolvePod?: (pod: FakePod, port: number) => { host: string; port: number };
}

export class FakeKubeApi {
  readonly namespace: string;
  readonly token: string;
  readonly user: string;
  /** RBAC: "verb resource" pairs that get 403, e.g. "get secrets", "create pods/portforward". */
  readonly deny = new Set<string>();
  readonly secrets = new Map<string, Record<string, string>>();
  /** Every request, "VERB resource" (tests check what the fleet asked for). */
  readonly requests: string[] = [];
  private readonly pods = new Map<string, FakePod>();
  private readonly log: WatchEvent[] = [];
  private readonly watchers = new Set<{ selector: Selector; res: ServerResponse }>();
  private readonly forwards = new Set<WebSocket>();
  private rv = 1;
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered) =>
      offered.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : ([...offered][0] ?? false),
  });

  private constructor(
    private readonly server: Server,
    readonly caPem: string,
    private readonly options: FakeKubeApiOptions,
  ) {
    this.namespace = options.namespace;
    this.token = options.token ?? `fake-kube-${randomUUID()}`;
    this.user = options.user ?? 'tester';
    server.on('request', (req, res) => this.onRequest(req, res));
    server.on('upgrade', (req, socket, head) => {
      const pod = this.route(req, 'create', 'pods/portforward');
      if (typeof pod === 'number') {
        socket.end(
          `HTTP/1.1 ${pod} ${pod === 403 ? 'Forbidden' : 'Error'}\r\nContent-Length: 0\r\n\r\n`,
        );
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.portForward(ws, req, pod));
    });
  }

  static async start(options: FakeKubeApiOptions): Promise<FakeKubeApi> {
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'fake-kube-apiserver' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    const server = createServer({ cert: pems.cert, key: pems.private });
    const api = new FakeKubeApi(server, pems.cert, options);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return api;
  }

  get url(): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A kubeconfig for this server, as a cloud's get-credentials would write it. */
  writeKubeconfig(file: string, context = 'fake', server = this.url): string {
    const ca = Buffer.from(this.caPem).toString('base64');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        `current-context: ${context}`,
        'clusters:',
        `- name: ${context}-cluster`,
        '  cluster:',
        `    server: ${server}`,
        `    certificate-authority-data: ${ca}`,
        'contexts:',
        `- name: ${context}`,
        '  context:',
        `    cluster: ${context}-cluster`,
        `    user: ${this.user}`,
        `    namespace: ${this.namespace}`,
        'users:',
        `- name: ${this.user}`,
        '  user:',
        `    token: ${this.token}`,
        '',
      ].join('\n'),
    );
    return file;
  }

  pod(name: string): FakePod | undefined {
    return this.pods.get(name);
  }

  /** Creates or changes a pod; watchers see ADDED or MODIFIED. */
  upsertPod(pod: Omit<FakePod, 'uid'> & { uid?: string }): FakePod {
    const existing = this.pods.get(pod.name);
    const next: FakePod = { ...pod, uid: pod.uid ?? existing?.uid ?? randomUUID() };
    this.pods.set(pod.name, next);
    this.emit(existing ? 'MODIFIED' : 'ADDED', next);
    return next;
  }

  /** The pod is gone for good: watchers see DELETED. */
  removePod(name: string): void {
    const pod = this.pods.get(name);
    if (!pod) return;
    this.pods.delete(name);
    this.emit('DELETED', pod);
  }

  async close(): Promise<void> {
    for (const w of this.watchers) w.res.destroy();
    for (const ws of this.forwards) ws.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private emit(type: WatchEvent['type'], pod: FakePod): void {
    const event: WatchEvent = { type, rv: ++this.rv, pod };
    this.log.push(event);
    for (const w of this.watchers) if (w.selector(pod)) this.write(w.res, event);
  }

  private write(res: ServerResponse, event: WatchEvent): void {
    res.write(`${JSON.stringify({ type: event.type, object: this.toPod(event.pod, event.rv) })}\n`);
  }

  private toPod(pod: FakePod, rv: number): unknown {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: pod.name,
        namespace: this.namespace,
        uid: pod.uid,
        resourceVersion: String(rv),
        labels: pod.labels,
        ...(pod.deletionTimestamp ? { deletionTimestamp: pod.deletionTimestamp } : {}),
      },
      status: {
        phase: pod.phase,
        ...(pod.ip ? { podIP: pod.ip } : {}),
        conditions: [{ type: 'Ready', status: pod.ready ? 'True' : 'False' }],
        containerStatuses: [
          {
            name: 'worker',
            ready: pod.ready,
            restartCount: 0,
            image: 'tavern-worker',
            imageID: '',
            state: pod.waitingReason
              ? { waiting: { reason: pod.waitingReason } }
              : { running: { startedAt: new Date().toISOString() } },
          },
        ],
      },
    };
  }

  /** Checks auth, RBAC and the namespace; returns the pod name (or '') or an HTTP status. */
  private route(req: IncomingMessage, verb: string, resource: string): string | number {
    this.requests.push(`${verb} ${resource}`);
    if (req.headers.authorization !== `Bearer ${this.token}`) return 401;
    if (this.deny.has(`${verb} ${resource}`)) return 403;
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/(pods|secrets)(?:\/([^/?]+))?/.exec(req.url ?? '');
    if (!m || m[1] !== this.namespace) return 404;
    return decodeURIComponent(m[3] ?? '');
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://x');
    const isSecret = /\/secrets\//.test(url.pathname);
    const watch = url.searchParams.get('watch') === 'true';
    const verb = isSecret ? 'get' : watch ? 'watch' : 'list';
    const resource = isSecret ? 'secrets' : 'pods';
    const name = this.route(req, verb, resource);
    if (typeof name === 'number') return this.status(res, name, verb, resource);
    if (isSecret) {
      const data = this.secrets.get(name);
      if (!data) return this.status(res, 404, verb, resource, name);
      return this.json(res, 200, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: this.namespace },
        type: 'Opaque',
        data: Object.fromEntries(
          Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
        ),
      });
    }
    const selector = parseSelector(url.searchParams.get('labelSelector') ?? '');
    if (!watch) {
      return this.json(res, 200, {
        apiVersion: 'v1',
        kind: 'PodList',
        metadata: { resourceVersion: String(this.rv) },
        items: [...this.pods.values()].filter(selector).map((p) => this.toPod(p, this.rv)),
      });
    }
    const from = Number(url.searchParams.get('resourceVersion') ?? '0');
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    for (const event of this.log)
      if (event.rv > from && selector(event.pod)) this.write(res, event);
    const watcher = { selector, res };
    this.watchers.add(watcher);
    req.on('close', () => this.watchers.delete(watcher));
  }

  private portForward(ws: WebSocket, req: IncomingMessage, podName: string): void {
    this.forwards.add(ws);
    ws.once('close', () => this.forwards.delete(ws));
    const wanted = Number(new URL(req.url ?? '/', 'https://x').searchParams.get('ports'));
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(wanted);
    const frame = (channel: number, data: Buffer): Buffer =>
      Buffer.concat([Buffer.of(channel), data]);
    ws.send(frame(0, portBytes));
    ws.send(frame(1, portBytes));
    const pod = this.pods.get(podName);
    const fail = (text: string): void => {
      ws.send(frame(1, Buffer.from(text)));
      ws.close();
    };
    if (!pod?.ip || pod.phase !== 'Running')
      return fail(`error forwarding port ${wanted} to pod ${podName}: pod is not running`);
    const target = this.options.resolvePod?.(pod, wanted) ?? { host: pod.ip, port: wanted };
    const upstream = tcpConnect(target);
    const pending: Buffer[] = [];
    let connected = false;
    upstream.on('connect', () => {
      connected = true;
      for (const chunk of pending.splice(0)) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => ws.send(frame(0, chunk)));
    upstream.on('error', (error) => {
      if (!connected)
        fail(
          `error forwarding port ${wanted} to pod ${podName}, uid ${pod.uid}: failed to connect to localhost:${wanted} inside namespace: ${error.message}`,
        );
      else ws.close();
    });
    upstream.on('end', () => ws.close());
    upstream.on('close', () => {
      if (ws.readyState === ws.OPEN) ws.close();
    });
    ws.on('message', (data: Buffer) => {
      if (data[0] !== 0) return;
      const chunk = data.subarray(1);
      if (connected) upstream.write(chunk);
      else pending.push(chunk);
    });
    ws.on('close', () => upstream.end());
    ws.on('error', () => upstream.destroy());
  }

  private status(
    res: ServerResponse,
    code: number,
    verb: string,
    resource: string,
    name?: string,
  ): void {
    const message =
      code === 403
        ? `${resource} is forbidden: User "${this.user}" cannot ${verb} resource "${resource}" in API group "" in the namespace "${this.namespace}"`
        : code === 401
          ? 'Unauthorized'
          : `${resource} "${name ?? ''}" not found`;
    this.json(res, code, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason: code === 403 ? 'Forbidden' : code === 401 ? 'Unauthorized' : 'NotFound',
      details: { kind: resource, ...(name ? { name } : {}) },
      code,
    });
  }

  private json(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  }
}

type Selector = (pod: FakePod) => boolean;

/** Equality-based label selectors (`a=b,c=d`), which is what the fleet settings use. */
function parseSelector(text: string): Selector {
  const pairs = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => p.split('=') as [string, string]);
  return (pod) => pairs.every(([k, v]) => pod.labels[k] === v);
}
