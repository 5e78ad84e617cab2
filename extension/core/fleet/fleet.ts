// One fleet: the pods of a Kubernetes label selector, each attached to the WorkerPool as a
// worker while it is Ready, under the stable id `fleet:<fleet>/<pod>` (so a pod recreated
// with the same name and volume gets its agents back through journal replay). Pods come and
// go live from a list + watch; a terminating pod drains (no new agents, its last events
// still arrive) and leaves when it is deleted. The fleet's state, including why it has no
// workers, is published to the pool as a WorkerGroup for the Workers view and the log.
import { createHash, X509Certificate } from 'node:crypto';
import type { Informer, KubeConfig, V1Pod } from '@kubernetes/client-node';
import { Backoff } from '../workers/backoff';
import { formatAttachUrl } from '../workers/attachUrl';
import type { WorkerPool } from '../workers/workerPool';
import type { FleetSpec } from './fleetSpec';
import { KubeAccess, loadKubeConfig } from './kubeAccess';
import { describeKubeError, FleetError, errorMessage } from './kubeErrors';
import { PodForwarder } from './podForwarder';
import { describeFleet } from './fleetStatus';
import { viewPod, type PodView } from './podView';
import { reachable, untilDisconnected } from './waits';

export type FleetLog = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

export interface FleetOptions {
  spec: FleetSpec;
  pool: WorkerPool;
  log: FleetLog;
  /** The extension host's environment ($KUBECONFIG) and home directory. */
  env?: NodeJS.ProcessEnv;
  home?: string;
  /** Retry delays after a failure (cluster unreachable, watch broken, attach failed). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** How long a deleted pod's connection may take to deliver its last events. */
  drainWaitMs?: number;
}

export const fleetGroupId = (fleet: string): string => `fleet:${fleet}`;
export const fleetWorkerId = (fleet: string, pod: string): string => `fleet:${fleet}/${pod}`;

interface Slot {
  pod: PodView;
  attached: boolean;
  attaching: boolean;
  route: 'direct' | 'port-forward' | undefined;
  forwarder: PodForwarder | undefined;
  retry: NodeJS.Timeout | undefined;
  backoff: Backoff;
  lastError: string | undefined;
}

export class Fleet {
  private readonly spec: FleetSpec;
  private readonly pool: WorkerPool;
  private readonly slots = new Map<string, Slot>();
  /** Per pod name: the removal of its previous incarnation, which a new one waits for. */
  private readonly leaving = new Map<string, Promise<void>>();
  private readonly backoff: Backoff;
  private access: KubeAccess | undefined;
  private informer: Informer<V1Pod> | undefined;
  private token: string | undefined;
  private fingerprint: string | undefined;
  private listed = false;
  private error: FleetError | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastPublished = '';
  private disposed = false;

  constructor(private readonly options: FleetOptions) {
    this.spec = options.spec;
    this.pool = options.pool;
    this.backoff = new Backoff(options.retryMinMs ?? 1_000, options.retryMaxMs ?? 30_000);
  }

  get name(): string {
    return this.spec.name;
  }

  /** Loads the kubeconfig, reads the Secrets, lists and watches the pods. Never throws. */
  async start(): Promise<void> {
    this.publish();
    let kc: KubeConfig;
    try {
      kc = loadKubeConfig({
        ...(this.spec.kubeconfig ? { file: this.spec.kubeconfig } : {}),
        ...(this.spec.context ? { context: this.spec.context } : {}),
        ...(this.options.env ? { env: this.options.env } : {}),
        ...(this.options.home ? { home: this.options.home } : {}),
      }).kc;
    } catch (error) {
      this.fail(error);
      return;
    }
    this.access = new KubeAccess(kc, this.spec.namespace);
    await this.connect();
  }

  /** Attached pods, by worker id (tests and the bench). */
  workerIds(): string[] {
    return [...this.slots.values()]
      .filter((s) => s.attached)
      .map((s) => fleetWorkerId(this.name, s.pod.name));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.retryTimer);
    void this.informer?.stop();
    for (const slot of this.slots.values()) {
      clearTimeout(slot.retry);
      this.pool.detach(fleetWorkerId(this.name, slot.pod.name));
      void slot.forwarder?.close();
    }
    this.slots.clear();
    this.pool.removeGroup(fleetGroupId(this.name));
  }

  private async connect(): Promise<void> {
    const access = this.access;
    if (this.disposed || !access) return;
    try {
      await this.readSecrets(access);
    } catch (error) {
      this.fail(error, () => void this.connect());
      return;
    }
    const informer = access.podInformer(this.spec.labelSelector);
    this.informer = informer;
    informer.on('add', (pod) => this.onPod(pod));
    informer.on('update', (pod) => this.onPod(pod));
    informer.on('delete', (pod) => this.onPodDeleted(pod));
    informer.on('error', (error: unknown) => {
      if (this.disposed) return;
      // An untagged error is the watch's (the list tags its own).
      this.fail(describeKubeError(error, access.call('watch', 'pods')), () => {
        if (!this.disposed) void this.restartInformer(informer);
      });
    });
    await this.restartInformer(informer);
  }

  private async restartInformer(informer: Informer<V1Pod>): Promise<void> {
    const before = this.error;
    await informer.start();
    if (this.disposed || this.error !== before) return; // it failed again: fail() retries
    this.listed = true;
    this.error = undefined;
    this.backoff.reset();
    this.publish();
  }

  private async readSecrets(access: KubeAccess): Promise<void> {
    const { tokenSecret, tlsSecret } = this.spec;
    const token = (await access.secretValue(tokenSecret.name, tokenSecret.key)).trim();
    if (token.length < 16)
      throw new FleetError(
        'config',
        `The token in Secret "${tokenSecret.name}" key "${tokenSecret.key}" is ${token.length} characters; workers need at least 16.`,
      );
    this.token = token;
    if (tlsSecret) {
      const pem = await access.secretValue(tlsSecret.name, tlsSecret.key ?? 'tls.crt');
      try {
        this.fingerprint = createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
      } catch (error) {
        throw new FleetError(
          'config',
          `Secret "${tlsSecret.name}" key "${tlsSecret.key ?? 'tls.crt'}" is not a PEM certificate: ${errorMessage(error)}`,
        );
      }
    }
  }

  private onPod(raw: V1Pod): void {
    if (this.disposed) return;
    const pod = viewPod(raw);
    if (!pod.name) return;
    let slot = this.slots.get(pod.name);
    if (slot && slot.pod.uid !== pod.uid) {
      // Recreated under the same name while we were not looking: the old one is gone.
      this.release(slot);
      slot = undefined;
    }
    if (!slot) {
      slot = {
        pod,
        attached: false,
        attaching: false,
        route: undefined,
        forwarder: undefined,
        retry: undefined,
        backoff: new Backoff(this.options.retryMinMs ?? 500, this.options.retryMaxMs ?? 30_000),
        lastError: undefined,
      };
      this.slots.set(pod.name, slot);
    }
    slot.pod = pod;
    if (pod.finished) this.release(slot);
    else this.reconcile(slot);
    this.publish();
  }

  private onPodDeleted(raw: V1Pod): void {
    const slot = this.slots.get(raw.metadata?.name ?? '');
    if (slot && slot.pod.uid === (raw.metadata?.uid ?? slot.pod.uid)) this.release(slot);
    this.publish();
  }

  private reconcile(slot: Slot): void {
    const id = fleetWorkerId(this.name, slot.pod.name);
    if (slot.pod.terminating) {
      clearTimeout(slot.retry);
      slot.retry = undefined;
      if (slot.attached) this.pool.setDraining(id, true);
      return;
    }
    // A pod that is attached but no longer Ready stays: its client reconnects by itself.
    if (slot.pod.ready && !slot.attached && !slot.attaching && !slot.retry) void this.attach(slot);
  }

  private async attach(slot: Slot): Promise<void> {
    const name = slot.pod.name;
    const id = fleetWorkerId(this.name, name);
    slot.attaching = true;
    try {
      await this.leaving.get(name);
      const url = await this.urlFor(slot);
      if (this.slots.get(name) !== slot || this.disposed) return;
      await this.pool.attach(url, { id, group: fleetGroupId(this.name) });
      if (this.slots.get(name) !== slot || this.disposed) {
        this.pool.detach(id);
        return;
      }
      slot.attached = true;
      slot.lastError = undefined;
      slot.backoff.reset();
      this.log('info', `attached pod ${name} (${slot.route})`);
      if (slot.pod.terminating) this.pool.setDraining(id, true);
    } catch (error) {
      slot.lastError = slot.forwarder?.lastError ?? errorMessage(error);
      if (this.slots.get(name) !== slot || this.disposed) return;
      const delay = slot.backoff.next();
      this.log('warn', `pod ${name}: ${slot.lastError} (retrying in ${delay} ms)`);
      // The token may have been rotated: read it again before the next try.
      if (/HTTP 401/.test(errorMessage(error)) && this.access)
        await this.readSecrets(this.access).catch(() => undefined);
      slot.retry = setTimeout(() => {
        slot.retry = undefined;
        if (this.slots.get(name) === slot) this.reconcile(slot);
      }, delay);
    } finally {
      slot.attaching = false;
      this.publish();
    }
  }

  private async urlFor(slot: Slot): Promise<string> {
    const token = this.token;
    if (!token) throw new Error('the worker token is not loaded yet');
    const { port, direct } = this.spec;
    const ip = slot.pod.ip;
    if (slot.route === undefined) {
      if (direct === true || (direct === 'auto' && ip && (await reachable(ip, port)))) {
        if (!ip) throw new Error(`pod ${slot.pod.name} has no IP address yet`);
        slot.route = 'direct';
      } else slot.route = 'port-forward';
    }
    const scheme = this.fingerprint ? 'wss' : 'ws';
    if (slot.route === 'direct') {
      if (!ip) throw new Error(`pod ${slot.pod.name} has no IP address yet`);
      const host = ip.includes(':') ? `[${ip}]` : ip;
      return formatAttachUrl(`${scheme}://${host}:${port}/`, token, this.fingerprint);
    }
    const access = this.access!;
    slot.forwarder ??= await PodForwarder.open({
      kc: access.kc,
      namespace: this.spec.namespace,
      pod: slot.pod.name,
      port,
      context: access.context,
      server: access.server,
      log: (m) => this.log('debug', m),
    });
    return formatAttachUrl(
      `${scheme}://127.0.0.1:${slot.forwarder.localPort}/`,
      token,
      this.fingerprint,
    );
  }

  /**
   * The pod is gone (deleted, replaced, finished). Its worker drained on SIGTERM and closed
   * its connections after the last events: wait for that close (bounded) so nothing in
   * flight is cut, then take the worker out of the pool.
   */
  private release(slot: Slot): void {
    const name = slot.pod.name;
    if (this.slots.get(name) === slot) this.slots.delete(name);
    clearTimeout(slot.retry);
    slot.retry = undefined;
    const id = fleetWorkerId(this.name, name);
    const wasAttached = slot.attached;
    slot.attached = false;
    const done = (async () => {
      await this.leaving.get(name);
      if (wasAttached) {
        this.pool.setDraining(id, true);
        await untilDisconnected(this.pool, id, this.options.drainWaitMs ?? 10_000);
        this.pool.detach(id);
        this.log('info', `pod ${name} left; its worker is detached`);
      }
      await slot.forwarder?.close();
    })();
    const chained = done.finally(() => {
      if (this.leaving.get(name) === chained) this.leaving.delete(name);
    });
    this.leaving.set(name, chained);
  }

  /** Records a failure; retries `again` after a backoff unless only the user can fix it. */
  private fail(error: unknown, again?: () => void): void {
    if (this.disposed) return;
    const described =
      error instanceof FleetError
        ? error
        : this.access
          ? describeKubeError(error, this.access.call('list', 'pods'))
          : new FleetError('other', errorMessage(error));
    this.error = described;
    clearTimeout(this.retryTimer);
    if (again && !described.needsUser) {
      const delay = this.backoff.next();
      this.retryTimer = setTimeout(again, delay);
      this.publish(` Retrying in ${Math.ceil(delay / 1000)} s.`);
    } else this.publish();
  }

  /** Publishes the fleet's state as a WorkerGroup, and logs it when it changes. */
  private publish(suffix = ''): void {
    if (this.disposed) return;
    const { state, message } = describeFleet({
      spec: this.spec,
      context: this.access?.context,
      error: this.error,
      listed: this.listed,
      pods: [...this.slots.values()],
    });
    const text = `${message}${state === 'error' ? suffix : ''}`;
    this.pool.setGroup({
      id: fleetGroupId(this.name),
      name: this.name,
      kind: 'kubernetes',
      state,
      message: text,
    });
    if (text !== this.lastPublished) {
      this.lastPublished = text;
      this.log(state === 'error' ? 'error' : 'info', `fleet ${this.name}: ${text}`);
    }
  }

  private log(level: Parameters<FleetLog>[0], message: string): void {
    this.options.log(level, message);
  }
}
