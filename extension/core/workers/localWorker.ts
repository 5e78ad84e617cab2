// Runs the bundled tavern-worker as a child process of the extension host: loopback, a free
// port, a fresh random token (passed in the environment, never argv, which other users can
// read), the workspace folder as workdir. Restarts it with backoff if it dies; stops it on
// dispose so no worker outlives its window.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Emitter, type Event } from 'vscode-jsonrpc/node';
import { Backoff } from './backoff';

export interface LocalWorkerOptions {
  /** The Node to run it with: the extension host's own (process.execPath). */
  nodePath: string;
  /** dist/worker.js inside the installed extension. */
  workerScript: string;
  workdir: string;
  stateDir: string;
  name?: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Each line the worker logs (stderr). */
  log: (line: string) => void;
  /** How long SIGTERM may take before SIGKILL (default 3000 ms). */
  stopGraceMs?: number;
  /**
   * The port to try first (the last one it had): the same URL means the same worker id, so
   * agents it restored from its journals are found again after a reload or a crash.
   */
  preferredPort?: number;
}

export class LocalWorker {
  private child: ChildProcess | undefined;
  private readonly token = randomBytes(32).toString('base64url');
  private readonly backoff = new Backoff(500, 30_000);
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly urlEmitter = new Emitter<string>();
  private readonly exitEmitter = new Emitter<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>();
  /** A new attach URL each time the worker (re)starts. */
  readonly onUrl: Event<string> = this.urlEmitter.event;
  readonly onExit = this.exitEmitter.event;

  private port: number | undefined;

  constructor(private readonly options: LocalWorkerOptions) {
    this.port = options.preferredPort;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** A restart after an unexpected exit is scheduled (waiting out its backoff). */
  get restartPending(): boolean {
    return this.restartTimer !== undefined;
  }

  /** Starts the worker (on its last port when free); resolves with its attach URL. */
  start(): Promise<string> {
    const port = this.port;
    return this.launch(port ?? 0).catch((error: unknown) => {
      if (!port || this.stopped) throw error;
      this.options.log(`port ${port} is not free; starting the local worker on a free port`);
      this.port = undefined;
      return this.launch(0);
    });
  }

  private launch(port: number): Promise<string> {
    this.stopped = false;
    const o = this.options;
    const args = [
      o.workerScript,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--workdir',
      o.workdir,
      '--state-dir',
      o.stateDir,
      ...(o.name ? ['--name', o.name] : []),
      ...(o.extraArgs ?? []),
    ];
    const child = spawn(o.nodePath, args, {
      env: { ...process.env, ...o.env, ELECTRON_RUN_AS_NODE: '1', TAVERN_WORKER_TOKEN: this.token },
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.child = child;
    createInterface({ input: child.stderr! }).on('line', (line) => o.log(line));
    let ready = false;
    const url = new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (!line.startsWith('TAVERN_WORKER_URL=')) return;
        ready = true;
        const value = line.slice('TAVERN_WORKER_URL='.length);
        this.port = Number(new URL(value.replace(/#.*$/, '')).port) || undefined;
        this.backoff.reset();
        this.urlEmitter.fire(value);
        resolve(value);
      });
      child.once('error', (error) =>
        reject(
          new Error(
            `Could not start the local worker (${o.nodePath} ${o.workerScript}): ${error.message}`,
          ),
        ),
      );
      child.once('exit', (code, signal) =>
        reject(
          new Error(
            `The local worker exited before it was ready (code ${code}, signal ${signal}). See the Tavern log.`,
          ),
        ),
      );
    });
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      this.exitEmitter.fire({ code, signal });
      // Only a worker that was up is restarted here. One that dies while starting is start()'s
      // failure (which retries on a free port); restarting it here as well started a second
      // worker and left the first one running with no owner.
      if (ready && !this.stopped) this.scheduleRestart();
    });
    return url;
  }

  /** Stops and starts it again now (the "Restart Local Worker" command). */
  async restart(): Promise<string> {
    await this.stop();
    return this.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const grace = setTimeout(() => child.kill('SIGKILL'), this.options.stopGraceMs ?? 3000);
    await exited;
    clearTimeout(grace);
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.urlEmitter.dispose();
    this.exitEmitter.dispose();
  }

  private scheduleRestart(): void {
    const delay = this.backoff.next();
    this.options.log(`local worker stopped unexpectedly; restarting in ${delay} ms`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.start().catch((error: unknown) => {
        this.options.log(String(error));
        // Still down: try again later (the backoff grows).
        if (!this.stopped) this.scheduleRestart();
      });
    }, delay);
  }
}
