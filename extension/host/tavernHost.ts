// Everything the extension owns while active: the log, the worker pool, the local worker,
// the panel and the status bar. One object, disposed as one.
import { mkdirSync } from 'node:fs';
import { parse } from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../../protocol/errors';
import { LocalWorker } from '../core/workers/localWorker';
import { WorkerPool } from '../core/workers/workerPool';
import { initClaudeCode, resolveClaudePath } from './claudeInstall';
import { Disposables } from '../core/disposables';
import { COMMANDS } from './commandIds';
import { Config } from './config';
import { GitContentProvider, GIT_SCHEME } from './gitContent';
import { JakeSetup } from './jakeSetup';
import { reportInterruptedApplies } from './reviewCommands';
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
  /** Whether Jake can run, and the welcome card's ways to get him there. */
  readonly setup: JakeSetup;
  /** Created before any worker attaches, so each can seed what it already stored. */
  readonly coordinators: Coordinators;
  readonly fleets: FleetHost;
  private local: LocalWorker | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private readonly owned = new Disposables((m) => this.log.warn(m));
  private readonly status = this.owned.add(
    vscode.window.createStatusBarItem('tavern.status', vscode.StatusBarAlignment.Left, 50),
  );

  constructor(private readonly context: vscode.ExtensionContext) {
    initClaudeCode(context);
    const version = String((context.extension.packageJSON as { version?: string }).version ?? '0');
    this.pool = new WorkerPool({
      clientName: 'tavern-vscode',
      clientVersion: version,
      log: (m) => this.log.debug(m),
    });
    this.store = new WorkerStore(this.config, context.secrets);
    this.setup = new JakeSetup(context.secrets, this.config, this.log, async (what) => {
      await this.coordinators.refreshJakes();
      if (what.restartLocalWorker) await this.restartLocalWorker();
    });
    this.coordinators = new Coordinators(
      this.pool,
      this.config,
      this.log,
      context.globalState,
      () => this.setup.env,
      (worker) => this.setup.keyFor(worker),
      (message) => this.setup.authFailed(message),
    );
    this.view = new TavernPanel(
      context.extensionUri,
      this.pool,
      this.coordinators,
      this.setup,
      () => this.config.localWorkerEnabled,
    );
    this.fleets = new FleetHost(this.pool, this.config, this.log, (level, text) =>
      this.view.notice(level, text),
    );
    this.status.name = 'Tavern';
    this.status.command = COMMANDS.openPanel;
    // Disposed newest first: the panel, then the projects, then the pool, the log last.
    this.owned.push(
      this.log,
      this.setup,
      this.pool,
      this.coordinators,
      this.view,
      this.fleets,
      { dispose: () => void this.local?.dispose() },
      vscode.window.registerWebviewViewProvider(TavernPanel.viewId, this.view),
      vscode.workspace.registerTextDocumentContentProvider(GIT_SCHEME, new GitContentProvider()),
      this.pool.onChanged(() => this.updateStatus()),
      this.coordinators.approvals.onChanged(() => this.updateStatus()),
      this.coordinators.onAgentStateChanged(() => this.updateStatus()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (Config.restartLocalWorkerOn.some((key) => e.affectsConfiguration(key)))
          void this.restartLocalWorker();
        // The offline demo (or back to a model) and Jake's model: at once, no reload.
        if (e.affectsConfiguration('tavern.jake') || e.affectsConfiguration('tavern.claudePath'))
          void this.coordinators.refreshJakes().then(() => this.setup.check());
      }),
    );
    this.drawStatus();
    this.status.show();
  }

  /** Starts the local worker (when enabled), re-attaches remembered workers, starts fleets. */
  async start(): Promise<void> {
    // Restricted Mode: the panel shows transcripts read-only; nothing runs until trust.
    if (!vscode.workspace.isTrusted) {
      this.log.info('Restricted Mode: no workers start until this folder is trusted');
      this.owned.add(vscode.workspace.onDidGrantWorkspaceTrust(() => void this.start()));
      return;
    }
    await Promise.all([
      this.startLocalWorker(),
      this.reattach(),
      this.setup.start(),
      this.fleets.start(),
      reportInterruptedApplies(this.coordinators),
    ]);
  }

  async restartLocalWorker(): Promise<void> {
    await this.local?.dispose();
    this.local = undefined;
    for (const w of this.pool.summaries()) if (w.isLocal) this.pool.detach(w.id);
    await this.startLocalWorker();
  }

  dispose(): void {
    clearTimeout(this.statusTimer);
    this.owned.dispose();
  }

  private async startLocalWorker(): Promise<void> {
    if (!this.config.localWorkerEnabled) return;
    const stateDir = vscode.Uri.joinPath(this.context.globalStorageUri, 'local-worker').fsPath;
    mkdirSync(stateDir, { recursive: true });
    const claudePath = resolveClaudePath((line) => this.log.info(`[local worker] ${line}`));
    const local = new LocalWorker({
      nodePath: process.execPath,
      workerScript: vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'worker.js').fsPath,
      // It runs as you on your machine, for every folder of this window (each agent's cwd is
      // its own project's folder), so it is not confined below one of them.
      workdir: parse(stateDir).root,
      stateDir,
      name: 'local',
      extraArgs: [
        '--max-agents',
        String(this.config.localWorkerMaxAgents),
        ...(claudePath ? ['--claude-path', claudePath] : []),
      ],
      // A spare Claude process waits in one folder; agents work in their own folders (and soon
      // their own worktrees), so on this worker it would only hold memory.
      env: { TAVERN_CLAUDE_PREWARM: '0', ...this.setup.env },
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
      const message = errorMessage(error);
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
      const message = errorMessage(error);
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
            this.log.warn(`re-attaching a remembered worker failed: ${errorMessage(error)}`),
          ),
      ),
    );
  }

  /** Recounted at most every 100 ms: agents change state often, a status bar needs not. */
  private updateStatus(): void {
    this.statusTimer ??= setTimeout(() => {
      this.statusTimer = undefined;
      this.drawStatus();
    }, 100);
  }

  /** Counted from agent states (Jake included), never from events. */
  private drawStatus(): void {
    const workers = this.pool.summaries();
    const up = workers.filter((w) => w.status === 'connected').length;
    let working = 0;
    for (const p of this.coordinators.all()) {
      if (p.jake.status.state === 'working') working++;
      for (const a of p.coordinator.list()) if (a.state === 'working') working++;
    }
    const approvals = this.coordinators.approvals.size;
    const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
    this.status.text = `$(server-process) ${up}/${workers.length} · $(pulse) ${working}${approvals ? ` · $(bell-dot) ${approvals}` : ''}`;
    const summary = `Tavern: ${up} of ${plural(workers.length, 'worker', 'workers')} connected, ${plural(working, 'agent', 'agents')} working, ${plural(approvals, 'approval', 'approvals')} pending`;
    this.status.tooltip = [summary, ...workers.map((w) => `${w.name}: ${w.status}`)].join('\n');
    this.status.accessibilityInformation = { label: summary, role: 'button' };
    this.status.backgroundColor = approvals
      ? new vscode.ThemeColor('statusBarItem.warningBackground')
      : undefined;
  }
}
