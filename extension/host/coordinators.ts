// One project per workspace folder: its Coordinator (agents, names, .tavern/) and its Jake.
// Permission requests from both go to the shared Approvals list (the panel's cards and
// badges); reports and approvals raise a notification only when they would otherwise go
// unseen, and notifications never take focus.
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { Approvals } from '../core/approvals';
import { Coordinator } from '../core/coordinator/coordinator';
import type { NameTheme } from '../core/coordinator/names';
import { Jake } from '../core/jake/jake';
import type { WorkerPool } from '../core/workers/workerPool';
import { ClaudeEngine } from '../../runtime/engines/claude/claudeEngine';
import type { Engine } from '../../runtime/engines/engine';
import { ScriptedEngine } from '../../runtime/engines/scripted';
import { createLogger } from '../../runtime/log';
import { resolveClaudePath } from './claudeInstall';
import type { Config } from './config';

export interface Project {
  readonly folder: vscode.WorkspaceFolder;
  readonly coordinator: Coordinator;
  readonly jake: Jake;
}

export class Coordinators implements vscode.Disposable {
  readonly approvals = new Approvals();
  private readonly byFolder = new Map<string, Project>();
  private readonly disposables: { dispose(): void }[] = [];
  /** Set by the panel: approvals and reports need no notification while it is on screen. */
  panelVisible: () => boolean = () => false;

  constructor(
    private readonly pool: WorkerPool,
    private readonly config: Config,
    private readonly log: vscode.LogOutputChannel,
  ) {
    for (const folder of vscode.workspace.workspaceFolders ?? []) this.open(folder);
    this.disposables.push(
      pool.onPermissionSettled(({ params }) =>
        this.approvals.settled(params.agentId, params.requestId),
      ),
      this.approvals.onAdded((a) => this.notifyApproval(a.folder, a.agentId, a.requestId)),
      this.approvals,
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
    for (const d of this.disposables.splice(0)) d.dispose();
    for (const p of this.byFolder.values())
      void p.jake.dispose().then(() => p.coordinator.dispose());
    this.byFolder.clear();
  }

  private jakeEngine(): Engine {
    if (this.config.jakeEngine === 'scripted') return new ScriptedEngine();
    return new ClaudeEngine({
      claudePath: resolveClaudePath((line) => this.log.info(`[jake] ${line}`)),
      log: createLogger('info', (line) => this.log.info(`[jake] ${line}`)),
      persistSession: process.env.TAVERN_CLAUDE_PERSIST_SESSION !== '0',
      loadSettings: process.env.TAVERN_CLAUDE_LOAD_SETTINGS !== '0',
      prewarm: false,
    });
  }

  private open(folder: vscode.WorkspaceFolder): void {
    if (folder.uri.scheme !== 'file') return;
    const folderPath = folder.uri.fsPath;
    const coordinator = new Coordinator({
      folder: folderPath,
      pool: this.pool,
      defaultEngine: this.config.defaultEngine,
      noWorkerFits: this.config.noWorkerFits,
      theme: this.config.nameTheme as NameTheme,
      log: (m) => this.log.info(`[${folder.name}] ${m}`),
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
      log: (m) => this.log.info(`[${folder.name}] ${m}`),
    });
    coordinator.onReport(({ agent, status, summary }) => {
      if (!this.config.notifyOnReport || this.panelVisible()) return;
      const verb =
        status === 'done' ? 'finished' : status === 'blocked' ? 'is blocked' : 'needs input';
      void vscode.window
        .showInformationMessage(`Tavern: ${agent.name} ${verb}: ${summary}`, 'Open Tavern')
        .then((choice) => {
          if (choice) void vscode.commands.executeCommand('tavern.openPanel');
        });
    });
    coordinator.onPermissionRequest(({ agent, request, answer }) =>
      this.approvals.add(
        {
          folder: folderPath,
          agentId: agent.id,
          agentName: agent.name,
          requestId: request.requestId,
          tool: request.tool,
          input: request.input,
          request: request.request,
        },
        answer,
      ),
    );
    coordinator.onAgentChanged((agent) => {
      if (agent.state === 'dismissed') this.approvals.forgetAgent(agent.id);
    });
    jake.onPermissionRequest(({ ask, answer }) =>
      this.approvals.add(
        {
          folder: folderPath,
          agentId: 'jake',
          agentName: 'Jake',
          requestId: randomUUID(),
          tool: ask.tool,
          input: ask.input,
          request: ask.request,
        },
        (decision) => answer(decision),
      ),
    );
    this.byFolder.set(folderPath, { folder, coordinator, jake });
  }

  /** With the panel hidden, an approval would go unseen: say so, without taking focus. */
  private notifyApproval(folder: string, agentId: string, requestId: string): void {
    if (this.panelVisible() || !this.config.notifyOnApproval) return;
    const approval = this.approvals
      .list(folder)
      .find((a) => a.agentId === agentId && a.requestId === requestId);
    if (!approval) return;
    const what =
      approval.request === 'plan'
        ? `${approval.agentName} proposes a plan`
        : `${approval.agentName} asks to use ${approval.tool}`;
    const buttons =
      approval.request === 'plan' ? ['Open Tavern'] : ['Allow', 'Deny', 'Open Tavern'];
    void vscode.window.showInformationMessage(`Tavern: ${what}.`, ...buttons).then((choice) => {
      if (choice === 'Open Tavern' || !choice) {
        if (choice) void vscode.commands.executeCommand('tavern.openPanel');
        return;
      }
      this.approvals.answer(
        agentId,
        requestId,
        choice === 'Allow'
          ? { decision: 'allow' }
          : { decision: 'deny', message: 'The user denied it.' },
      );
    });
  }
}
