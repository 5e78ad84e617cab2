// A one-StatefulSet cluster for the fleet tests and bench: the fake API server, plus a
// "kubelet" that runs each pod as a real tavern-worker process in its own network namespace,
// started as the image starts it (0.0.0.0, TLS from the mounted Secret, the token from a
// mounted file, the state dir on the pod's volume) and marked Ready once GET /healthz
// answers. Scaling is the StatefulSet's: pods tavern-worker-0..N-1, the highest go first;
// a pod recreated under the same name gets its volume (state dir) back. Deleting a pod is
// what the cluster does: deletionTimestamp, SIGTERM, wait for exit, DELETED.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { randomBytes, X509Certificate } from 'node:crypto';
import selfsigned from 'selfsigned';
import { FakeKubeApi } from './fakeKubeApi';
import { podNetworks, type PodNet, type PodNetworks } from './podNetwork';

export const WORKER_PORT = 7420;
export const LABELS = { app: 'tavern-worker' };
export const NAMESPACE = 'tavern';

export interface FakeClusterOptions {
  workerJs: string;
  maxAgents?: number;
  /** netns (default when root) or loopback addresses. */
  networks?: PodNetworks;
  /** Loopback pods without the namespaces: the bench's 32 pods. */
  forceLoopback?: boolean;
  logLevel?: string;
  /** More worker flags for every pod. */
  workerArgs?: string[];
}

interface RunningPod {
  name: string;
  net: PodNet;
  proc: ChildProcess;
  exited: Promise<number | null>;
  stderr: string;
}

export class FakeCluster {
  readonly root = mkdtempSync(join(tmpdir(), 'tavern-fake-cluster-'));
  readonly networks: PodNetworks;
  readonly token = randomBytes(32).toString('base64url');
  readonly kubeconfig: string;
  private readonly running = new Map<string, RunningPod>();
  /** The logs of pods that were deleted (the last incarnation of each name). */
  readonly pastLogs = new Map<string, string>();
  private readonly mounts: { token: string; cert: string; key: string };

  private constructor(
    readonly api: FakeKubeApi,
    private readonly options: FakeClusterOptions,
    tls: { cert: string; key: string },
  ) {
    this.networks =
      options.networks ?? podNetworks({ forceLoopback: options.forceLoopback ?? false });
    // The Secrets, and the files the pod spec mounts from them.
    api.secrets.set('tavern-worker', { token: this.token, ANTHROPIC_API_KEY: 'sk-ant-fake' });
    api.secrets.set('tavern-worker-tls', { 'tls.crt': tls.cert, 'tls.key': tls.key });
    const secrets = join(this.root, 'secrets');
    mkdirSync(join(secrets, 'tls'), { recursive: true });
    this.mounts = {
      token: join(secrets, 'token'),
      cert: join(secrets, 'tls', 'tls.crt'),
      key: join(secrets, 'tls', 'tls.key'),
    };
    writeFileSync(this.mounts.token, `${this.token}\n`, { mode: 0o600 });
    writeFileSync(this.mounts.cert, tls.cert);
    writeFileSync(this.mounts.key, tls.key, { mode: 0o600 });
    this.kubeconfig = api.writeKubeconfig(join(this.root, 'kubeconfig'));
  }

  static async start(options: FakeClusterOptions): Promise<FakeCluster> {
    const api = await FakeKubeApi.start({ namespace: NAMESPACE });
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'tavern-worker' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
    });
    return new FakeCluster(api, options, { cert: pems.cert, key: pems.private });
  }

  get fingerprint(): string {
    const pem = this.api.secrets.get('tavern-worker-tls')!['tls.crt']!;
    return new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();
  }

  podName(index: number): string {
    return `tavern-worker-${index}`;
  }

  /** The pod's volume: its state dir survives the pod. */
  stateDir(pod: string): string {
    return join(this.root, 'volumes', pod, 'state');
  }

  pods(): string[] {
    return [...this.running.keys()];
  }

  /** Scales the StatefulSet; resolves when every pod is Ready or gone. */
  async scale(replicas: number): Promise<void> {
    const wanted = new Set(Array.from({ length: replicas }, (_, i) => this.podName(i)));
    const going = [...this.running.keys()].filter((n) => !wanted.has(n));
    const coming = [...wanted].filter((n) => !this.running.has(n));
    await Promise.all([
      ...going.map((n) => this.deletePod(n)),
      ...coming.map((n) => this.createPod(n)),
    ]);
  }

  /**
   * What the StatefulSet controller does for a missing ordinal: a new pod, the same volume.
   * `ready: false` stops before the Ready condition (markReady sets it: the bench times
   * from that watch event).
   */
  async createPod(name: string, { ready = true } = {}): Promise<void> {
    const index = Number(name.slice(name.lastIndexOf('-') + 1));
    const base = { name, labels: LABELS };
    this.api.upsertPod({
      ...base,
      phase: 'Pending',
      ready: false,
      ip: undefined,
      waitingReason: 'ContainerCreating',
    });
    const net = this.networks.create(index);
    const stateDir = this.stateDir(name);
    const workdir = join(this.root, 'volumes', name, 'work');
    mkdirSync(stateDir, { recursive: true });
    mkdirSync(workdir, { recursive: true });
    const proc = net.spawn(
      process.execPath,
      [
        this.options.workerJs,
        '--host',
        net.listenHost,
        '--port',
        String(WORKER_PORT),
        '--token-file',
        this.mounts.token,
        '--tls-cert',
        this.mounts.cert,
        '--tls-key',
        this.mounts.key,
        '--state-dir',
        stateDir,
        '--workdir',
        workdir,
        '--name',
        name,
        '--max-agents',
        String(this.options.maxAgents ?? 16),
        '--log-level',
        this.options.logLevel ?? 'warn',
        ...(this.options.workerArgs ?? []),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TAVERN_CLAUDE_PREWARM: '0' },
      },
    );
    const pod: RunningPod = {
      name,
      net,
      proc,
      stderr: '',
      exited: new Promise((done) => proc.once('exit', (code) => done(code))),
    };
    proc.stderr?.setEncoding('utf8').on('data', (c: string) => (pod.stderr += c));
    this.running.set(name, pod);
    this.api.upsertPod({ ...base, phase: 'Running', ready: false, ip: net.ip });
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        if (line.startsWith('TAVERN_WORKER_URL=')) resolve();
      });
      void pod.exited.then((code) =>
        reject(new Error(`pod ${name} exited (${code}):\n${pod.stderr}`)),
      );
    });
    await healthz(net.ip, WORKER_PORT);
    if (ready) this.markReady(name);
  }

  /** The readiness probe passed: the Ready condition, one MODIFIED watch event. */
  markReady(name: string): void {
    const pod = this.running.get(name);
    if (!pod) throw new Error(`no pod ${name}`);
    this.api.upsertPod({ name, labels: LABELS, phase: 'Running', ready: true, ip: pod.net.ip });
  }

  /** The attach URL of a pod's worker at its own address (baselines). */
  directUrl(name: string): string {
    const pod = this.running.get(name);
    if (!pod) throw new Error(`no pod ${name}`);
    return `wss://${pod.net.ip}:${WORKER_PORT}/#token=${this.token}&fp=sha256:${this.fingerprint}`;
  }

  /** Graceful deletion: Terminating, SIGTERM (the worker drains), exit, DELETED. */
  async deletePod(name: string): Promise<number | null> {
    const pod = this.running.get(name);
    const current = this.api.pod(name);
    if (!pod || !current) return null;
    this.api.upsertPod({ ...current, deletionTimestamp: new Date().toISOString() });
    pod.proc.kill('SIGTERM');
    const code = await pod.exited;
    this.running.delete(name);
    this.pastLogs.set(name, pod.stderr);
    pod.net.dispose();
    this.api.removePod(name);
    return code;
  }

  stderr(name: string): string {
    return this.running.get(name)?.stderr ?? '';
  }

  async close(): Promise<void> {
    for (const pod of this.running.values()) {
      pod.proc.kill('SIGKILL');
      await pod.exited;
      pod.net.dispose();
    }
    this.running.clear();
    this.networks.disposeAll();
    await this.api.close();
  }
}

/** The kubelet's readiness probe: GET https://IP:PORT/healthz answers 200 "ok". */
function healthz(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    get({ host, port, path: '/healthz', rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () =>
        res.statusCode === 200 && body === 'ok'
          ? resolve()
          : reject(new Error(`healthz of ${host}: HTTP ${res.statusCode} ${body}`)),
      );
    }).on('error', reject);
  });
}
