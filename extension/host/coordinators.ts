// One project per workspace folder: its Coordinator (agents, names, .tavern/) and its Jake.
// Folders added or removed at run time gain or lose their project. Permission requests from
// both go to the shared Approvals list (the panel's cards and badges); reports and approvals
// raise a notification only when they would otherwise go unseen, and notifications never take
// focus.
import * as vscode from 'vscode';
import { JAKE_ID } from '../../protocol/ids';
import { Approvals } from '../core/approvals';
import { Coordinator, type CoordinatorOptions } from '../core/coordinator/coordinator';
import type { NameTheme } from '../core/coordinator/names';
import { Disposables } from '../core/disposables';
import { DemoJakeEngine } from '../core/jake/demoJake';
import { Jake } from '../core/jake/jake';
import { workerLabel, type WorkerPool } from '../core/workers/workerPool';
import { ClaudeEngine } from '../../runtime/engines/claude/claudeEngine';
import type { Engine } from '../../runtime/engines/engine';
import { createLogger } from '../../runtime/log';
import { resolveClaudePath } from './claudeInstall';
import type { Config } from './config';
import { notifyApproval, notifyReport } from './notifications';
import { projectSettingsGate } from './projectTrust';
import { offerShippedRules, ruleStorage } from './rules';

export interface Project {
  readonly folder: vscode.WorkspaceFolder;
  readonly coordinator: Coordinator;
  readonly jake: Jake;
  /** What lives exactly as long as this project (its listeners). */
  readonly owned: Disposables;
}

export class Coordinators implements vscode.Disposable {
  readonly approvals = new Approvals();
  private readonly byFolder = new Map<string, Project>();
  private readonly owned = new Disposables();
  private readonly opened = this.owned.add(new vscode.EventEmitter<Project>());
  private readonly closed = this.owned.add(new vscode.EventEmitter<Project>());
  /** A folder was added to the window (its project is ready). */
  readonly onDidOpen = this.opened.event;
  /** A folder was removed from the window (its project is being disposed). */
  readonly onDidClose = this.closed.event;
  private readonly stateChanged = this.owned.add(new vscode.EventEmitter<void>());
  /** An agent's (or Jake's) state changed somewhere: the status bar recounts. */
  readonly onAgentStateChanged = this.stateChanged.event;
  /** Set by the panel: approvals and reports need no notification while it is on screen. */
  panelVisible: () => boolean = () => false;

  constructor(
    private readonly pool: WorkerPool,
    private readonly config: Config,
    private readonly log: vscode.LogOutputChannel,
    /** VS Code's global storage: always-allow rules live here, per folder. */
    private readonly state: vscode.Memento,
    /** Environment for Jake's engine (an API key the user gave), and where auth failures go. */
    private readonly jakeEnv: () => Record<string, string>,
    /** The user's API key for a remote worker they opted in. */
    private readonly keyFor: CoordinatorOptions['credentialsFor'],
    private readonly onJakeAuthFailed: (message: string) => void,
  ) {
    for (const folder of vscode.workspace.workspaceFolders ?? []) this.open(folder);
    this.owned.push(
      this.approvals,
      pool.onPermissionSettled(({ workerId, params }) =>
        this.approvals.settled(params.agentId, params.requestId, workerId),
      ),
      this.approvals.onAdded((a) => {
        if (!this.panelVisible() && this.config.notifyOnApproval) notifyApproval(this.approvals, a);
      }),
      vscode.workspace.onDidChangeWorkspaceFolders((e) => {
        for (const folder of e.removed) void this.close(folder);
        for (const folder of e.added) this.open(folder);
      }),
    );
  }

  all(): Project[] {
    return (vscode.workspace.workspaceFolders ?? []).flatMap((folder) => {
      const project = this.byFolder.get(folder.uri.fsPath);
      return project ? [project] : [];
    });
  }

  get(folderPath: string | undefined): Project | undefined {
    return folderPath ? this.byFolder.get(folderPath) : undefined;
  }

  dispose(): void {
    for (const project of [...this.byFolder.values()]) void this.close(project.folder);
    this.owned.dispose();
  }

  /** Every Jake takes the engine the settings name now (no window reload needed). */
  async refreshJakes(): Promise<void> {
    await Promise.all(
      [...this.byFolder.values()].map((p) =>
        p.jake.setEngine(this.jakeEngine(), this.config.jakeModel),
      ),
    );
  }

  private jakeEngine(): Engine {
    if (this.config.jakeEngine === 'scripted') return new DemoJakeEngine();
    const env = this.jakeEnv();
    return new ClaudeEngine({
      claudePath: resolveClaudePath((line) => this.log.info(`[jake] ${line}`)),
      ...(Object.keys(env).length ? { env } : {}),
      log: createLogger('info', (line) => this.log.info(`[jake] ${line}`)),
      persistSession: process.env.TAVERN_CLAUDE_PERSIST_SESSION !== '0',
      loadSettings: process.env.TAVERN_CLAUDE_LOAD_SETTINGS !== '0',
      prewarm: false,
    });
  }

  private open(folder: vscode.WorkspaceFolder): void {
    if (folder.uri.scheme !== 'file' || this.byFolder.has(folder.uri.fsPath)) return;
    const folderPath = folder.uri.fsPath;
    const say = (m: string): void => this.log.info(`[${folder.name}] ${m}`);
    const projectSettings = projectSettingsGate(this.state, folder, say);
    const coordinator = new Coordinator({
      folder: folderPath,
      pool: this.pool,
      defaultEngine: this.config.defaultEngine,
      noWorkerFits: this.config.noWorkerFits,
      theme: this.config.nameTheme as NameTheme,
      rules: ruleStorage(this.state, folderPath),
      projectSettings,
      ...(this.keyFor ? { credentialsFor: this.keyFor } : {}),
      log: say,
    });
    void offerShippedRules(this.state, folder, (tools) => {
      for (const tool of tools) coordinator.addRule(tool, 'local', 'the local worker');
    });
    if (coordinator.store.lock.acquired === false) {
      void vscode.window.showWarningMessage(
        `Tavern (${folder.name}): ${coordinator.store.lock.message}`,
      );
    }
    const jake = new Jake({
      folder: folderPath,
      coordinator,
      pool: this.pool,
      engine: this.jakeEngine(),
      ...(this.config.jakeModel ? { model: this.config.jakeModel } : {}),
      projectSettings,
      log: say,
    });
    const owned = new Disposables((m) => this.log.warn(m));
    owned.push(
      coordinator.onReport((report) => {
        if (this.config.notifyOnReport && !this.panelVisible()) notifyReport(report, folderPath);
      }),
      coordinator.onPermissionRequest(({ agent, request, answer }) =>
        this.approvals.add(
          {
            folder: folderPath,
            agentId: agent.id,
            agentName: agent.name,
            workerId: agent.workerId,
            workerLabel: workerLabel(
              this.pool.summaries().find((w) => w.id === agent.workerId),
              agent.workerName,
            ),
            requestId: request.requestId,
            tool: request.tool,
            input: request.input,
            request: request.request,
          },
          answer,
        ),
      ),
      coordinator.onAgentChanged((agent) => {
        if (agent.state === 'dismissed') this.approvals.forgetAgent(agent.id);
        this.stateChanged.fire();
      }),
      jake.onPermissionRequest(({ request, answer }) =>
        this.approvals.add(
          {
            folder: folderPath,
            agentId: JAKE_ID,
            agentName: 'Jake',
            workerId: 'extension-host',
            workerLabel: 'the extension host, on this machine',
            requestId: request.requestId,
            tool: request.tool,
            input: request.input,
            request: request.request,
          },
          (decision) => answer(decision),
        ),
      ),
      jake.onPermissionSettled((p) => this.approvals.settled(JAKE_ID, p.requestId)),
      jake.onEvents((events) => {
        let stateChanged = false;
        for (const { event } of events) {
          if (event.kind === 'error' && event.code === 'auth_required')
            this.onJakeAuthFailed(event.message);
          if (event.kind === 'state') stateChanged = true;
        }
        if (stateChanged) this.stateChanged.fire();
      }),
    );
    const project: Project = { folder, coordinator, jake, owned };
    this.byFolder.set(folderPath, project);
    this.opened.fire(project);
  }

  private async close(folder: vscode.WorkspaceFolder): Promise<void> {
    const project = this.byFolder.get(folder.uri.fsPath);
    if (!project) return;
    this.byFolder.delete(folder.uri.fsPath);
    this.closed.fire(project);
    project.owned.dispose();
    for (const approval of this.approvals.list(folder.uri.fsPath))
      this.approvals.forgetAgent(approval.agentId);
    await project.jake.dispose();
    await project.coordinator.dispose();
  }
}
