// Everything the extension owns while active: the log, the worker pool, the local worker,
// the panel and the status bar. One object, disposed as one.
import { mkdirSync } from 'node:fs';
import * as vscode from 'vscode';
import { LocalWorker } from '../core/workers/localWorker';
import { WorkerPool } from '../core/workers/workerPool';
import { Config } from './config';
import { Coordinators } from './coordinators';
import { FleetHost } from './fleets';
import { WorkerStore } from './workerStore';
import { TavernPanel } from './tavernPanel';

/** The local worker's last port, per workspace: reused so its agents keep their worker id. */
const LOCAL_PORT_KEY = 'tavern.localWorker.port';

export class TavernHost implements vscode.Disposable {
  readonly log = vscode.window.createOutputChannel('Tavern', { log: true });
  readonly config = new Config();
  readonly pool: WorkerPool;
  readonly store: WorkerStore;
  readonly view: TavernPanel;
  /** Created before any worker attaches, so each can seed what it already stored. */
  readonly coordinators: Coordinators;
  readonly fleets: FleetHost;
  private local: LocalWorker | undefined;
  private readonly status = vscode.window.createStatusBarItem(
    'tavern.status',
    vscode.StatusBarAlignment.Left,
    50,
  );
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly context: vscode.ExtensionContext) {
    const version = String((context.extension.packageJSON as { version?: string }).version ?? '0');
    this.pool = new WorkerPool({
      clientName: 'tavern-vscode',
      clientVersion: version,
      log: (m) => this.log.debug(m),
    });
    this.store = new WorkerStore(this.config, context.secrets);
    this.coordinators = new Coordinators(this.pool, this.config, this.log);
    this.view = new TavernPanel(
      context.extensionUri,
      this.pool,
      this.coordinators,
      () => this.config.localWorkerEnabled,
    );
    this.fleets = new FleetHost(this.pool, this.config, this.log, (level, text) =>
      this.view.notice(level, text),
    );
    this.status.name = 'Tavern';
    this.status.command = 'tavern.openPanel';
    this.disposables.push(
      this.log,
      this.status,
      this.view,
      vscode.window.registerWebviewViewProvider(TavernPanel.viewId, this.view),
      this.pool.onChanged(() => this.updateStatus()),
      this.coordinators.approvals.onChanged(() => this.updateStatus()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (Config.restartLocalWorkerOn.some((key) => e.affectsConfiguration(key)))
          void this.restartLocalWorker();
      }),
    );
    this.updateStatus();
    this.status.show();
  }

  /** Starts the local worker (when enabled), re-attaches remembered workers, starts fleets. */
  async start(): Promise<void> {
    await Promise.all([this.startLocalWorker(), this.reattach(), this.fleets.start()]);
  }

  async restartLocalWorker(): Promise<void> {
    await this.local?.dispose();
    this.local = undefined;
    for (const w of this.pool.summaries()) if (w.isLocal) this.pool.detach(w.id);
    await this.startLocalWorker();
  }

  dispose(): void {
    void this.local?.dispose();
    this.view.dispose();
    this.fleets.dispose();
    this.coordinators.dispose();
    this.pool.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private async startLocalWorker(): Promise<void> {
    if (!this.config.localWorkerEnabled) return;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const stateDir = vscode.Uri.joinPath(this.context.globalStorageUri, 'local-worker').fsPath;
    mkdirSync(stateDir, { recursive: true });
    const claudePath = this.config.claudePath;
    const local = new LocalWorker({
      nodePath: process.execPath,
      workerScript: vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'worker.js').fsPath,
      workdir: folder ?? stateDir,
      stateDir,
      name: 'local',
      extraArgs: [
        '--max-agents',
        String(this.config.localWorkerMaxAgents),
        ...(claudePath ? ['--claude-path', claudePath] : []),
      ],
      log: (line) => this.log.info(`[local worker] ${line}`),
      preferredPort: this.context.workspaceState.get<number>(LOCAL_PORT_KEY),
    });
    this.local = local;
    local.onUrl((url) => {
      const port = Number(new URL(url.replace(/#.*$/, '')).port);
      if (port) void this.context.workspaceState.update(LOCAL_PORT_KEY, port);
      // A restart after a crash comes back on a new port: follow it.
      if (this.pool.summaries().some((w) => w.isLocal))
        void this.pool
          .replaceLocal(url)
          .catch((e: unknown) => this.log.error(`local worker: ${String(e)}`));
    });
    try {
      const url = await local.start();
      await this.pool.attach(url, true);
      this.log.info('local worker started');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log.error(`local worker: ${message}`);
      this.view.notice('error', `The local worker did not start: ${message}`);
    }
  }

  private async reattach(): Promise<void> {
    if (this.config.workers.length === 0) return;
    this.log.info(`re-attaching ${this.config.workers.length} remembered worker(s)`);
    let loaded: Awaited<ReturnType<WorkerStore['load']>>;
    try {
      loaded = await this.store.load();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log.error(`re-attaching remembered workers: ${message}`);
      this.view.notice('error', message);
      return;
    }
    const { urls, missingToken } = loaded;
    for (const baseUrl of missingToken)
      this.log.warn(
        `worker ${baseUrl} is in tavern.workers but its token is gone; attach it again with its full URL`,
      );
    await Promise.all(
      urls.map((url) =>
        this.pool
          .attach(url)
          .then((worker) => this.log.info(`re-attached worker "${worker.hello.name}"`))
          .catch((error: unknown) =>
            this.log.warn(
              `re-attaching a remembered worker failed: ${error instanceof Error ? error.message : String(error)}`,
            ),
          ),
      ),
    );
  }

  private updateStatus(): void {
    const workers = this.pool.summaries();
    const up = workers.filter((w) => w.status === 'connected').length;
    const working = this.coordinators
      .all()
      .reduce((n, p) => n + p.coordinator.list().filter((a) => a.state === 'working').length, 0);
    const approvals = this.coordinators.approvals.size;
    this.status.text = `$(server-process) ${up}/${workers.length} · $(pulse) ${working}${approvals ? ` · $(bell-dot) ${approvals}` : ''}`;
    this.status.tooltip = [
      `Tavern: ${up} of ${workers.length} workers connected, ${working} agents working, ${approvals} approvals pending`,
      ...workers.map((w) => `${w.name}: ${w.status}`),
    ].join('\n');
    this.status.backgroundColor = approvals
      ? new vscode.ThemeColor('statusBarItem.warningBackground')
      : undefined;
  }
}
