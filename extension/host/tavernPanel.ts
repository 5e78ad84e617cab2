// The Tavern side panel (view `tavern.panel`): feeds the webview the workers, the squad of
// the project on screen, the transcript of the agent on screen (a page from .tavern/, then
// each batch of its live events as one message: core/transcriptFeed.ts) and the pending
// approvals, and turns the webview's messages into coordinator calls. What the webview sends
// is zod-checked here; what it is sent, there.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { errorMessage } from '../../protocol/errors';
import { JAKE_ID } from '../../protocol/ids';
import {
  parseWebviewMessage,
  type AgentRow,
  type HostMessage,
  type WebviewMessage,
} from '../../protocol/webview';
import { TranscriptFeed, type FeedMessage, type TranscriptSource } from '../core/transcriptFeed';
import { renderWebviewHtml } from '../core/webviewHtml';
import type { WorkerPool } from '../core/workers/workerPool';
import { COMMANDS, PANEL_VIEW_ID } from './commandIds';
import type { JakeSetup } from './jakeSetup';
import { ReviewHost } from './reviewChanges';
import type { Coordinators, Project } from './coordinators';

const SAFE_LINK = /^(https?:|mailto:)/i;

export class TavernPanel implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = PANEL_VIEW_ID;
  private view: vscode.WebviewView | undefined;
  private folderPath: string | undefined;
  private squadTimer: NodeJS.Timeout | undefined;
  private readonly feed = new TranscriptFeed((message) => this.post(message));
  private readonly disposables: { dispose(): void }[] = [this.feed];
  /** Reviewing agents' changes (diff editors, apply, undo...); it answers into the panel. */
  private readonly agentStates = new Map<string, string>();
  readonly reviews = new ReviewHost((view) => this.post({ type: 'changes', view }));

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly pool: WorkerPool,
    private readonly projects: Coordinators,
    private readonly setup: JakeSetup,
    private readonly localWorkerEnabled: () => boolean,
  ) {
    this.folderPath = projects.all()[0]?.folder.uri.fsPath;
    projects.panelVisible = () => this.view?.visible === true;
    this.disposables.push(
      pool.onChanged(() => {
        this.postWorkers();
        this.postSquadSoon();
      }),
      projects.approvals.onChanged(() => this.postSquadSoon()),
    );
    for (const project of projects.all()) this.follow(project);
    this.disposables.push(
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.postSquad()),
      setup.onChanged(() => this.postSquad()),
      projects.onDidOpen((project) => {
        this.follow(project);
        this.postSquadSoon();
      }),
      projects.onDidClose((project) => {
        if (this.folderPath === project.folder.uri.fsPath) this.folderPath = undefined;
        this.postSquadSoon();
      }),
    );
  }

  /**
   * Listens to one project's squad for as long as it is open (its own Disposables own the
   * handles). Transcripts are followed one agent at a time (the feed).
   */
  private follow(project: Project): void {
    project.owned.push(
      project.coordinator.onAgentChanged((agent) => {
        this.postSquadSoon();
        // A turn ended (its work is committed): shown changes are fetched again.
        const before = this.agentStates.get(agent.id);
        this.agentStates.set(agent.id, agent.state);
        if (agent.branch && before === 'working' && agent.state !== 'working')
          this.reviews.refresh(project, agent.id);
      }),
      project.jake.onEvents((events) => {
        if (events.some((e) => e.event.kind === 'state' || e.event.kind === 'result'))
          this.postSquadSoon();
      }),
    );
  }

  /** Shows one agent of one folder (a notification's "Open in Tavern"). */
  showAgent(folderPath: string | undefined, agentId: string): void {
    if (folderPath && this.projects.get(folderPath)) this.folderPath = folderPath;
    this.postSquad();
    this.post({ type: 'select', agentId });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const assets = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    view.webview.options = { enableScripts: true, localResourceRoots: [assets] };
    const asset = (name: string): string =>
      view.webview.asWebviewUri(vscode.Uri.joinPath(assets, name)).toString();
    view.webview.html = renderWebviewHtml({
      cspSource: view.webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      scriptUri: asset('main.js'),
      styleUri: asset('styles.css'),
      codiconUri: asset('codicon.css'),
    });
    view.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw), this, this.disposables);
    view.onDidDispose(
      () => {
        this.view = undefined;
        this.feed.close();
      },
      this,
      this.disposables,
    );
  }

  notice(level: 'info' | 'error', text: string): void {
    this.post({ type: 'notice', level, text });
  }

  dispose(): void {
    clearTimeout(this.squadTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private project(): Project | undefined {
    return this.projects.get(this.folderPath) ?? this.projects.all()[0];
  }

  private onMessage(raw: unknown): void {
    const message = parseWebviewMessage(raw);
    if (!message) return; // not ours or malformed: ignore, never act on it
    void this.handle(message).catch((error: unknown) => this.notice('error', errorMessage(error)));
  }

  private async handle(message: WebviewMessage): Promise<void> {
    const project = this.project();
    switch (message.type) {
      case 'ready':
        this.postWorkers();
        this.postSquad();
        return;
      case 'attachWorker':
        await vscode.commands.executeCommand(COMMANDS.attachWorker);
        return;
      case 'summonAgent':
        await vscode.commands.executeCommand(COMMANDS.summonAgent);
        return;
      case 'manageRules':
        await vscode.commands.executeCommand(COMMANDS.manageRules);
        return;
      case 'welcome':
        await this.setup.act(message.action);
        return;
      case 'review':
        if (project) await this.reviews.act(project, message.agentId, message.action, message.path);
        return;
      case 'detachWorker':
        await vscode.commands.executeCommand(COMMANDS.detachWorker, message.workerId);
        return;
      case 'restartLocalWorker':
        await vscode.commands.executeCommand(COMMANDS.restartLocalWorker);
        return;
      case 'selectFolder':
        if (this.projects.get(message.folder)) this.folderPath = message.folder;
        this.postSquad();
        return;
      case 'openAgent':
        if (project) await this.feed.open(source(project, message.agentId), message.agentId);
        return;
      case 'loadOlder':
        if (project)
          await this.feed.older(
            source(project, message.agentId),
            message.agentId,
            message.beforeSeq,
          );
        return;
      case 'send':
        if (!project) throw new Error('Open a folder first: agents belong to a workspace folder.');
        if (!vscode.workspace.isTrusted)
          throw new Error(
            'Restricted Mode: trust this folder (Manage Workspace Trust) to talk to Jake and run agents.',
          );
        if (message.agentId === JAKE_ID) project.jake.send(message.text);
        else await project.coordinator.send(message.agentId, message.text);
        return;
      case 'interrupt':
        if (!project) return;
        if (message.agentId === JAKE_ID) await project.jake.interrupt();
        else await project.coordinator.interrupt(message.agentId);
        return;
      case 'dismiss':
        if (project && message.agentId !== JAKE_ID)
          await project.coordinator.dismiss(message.agentId);
        return;
      case 'answer': {
        const answered = this.projects.approvals.answer(
          message.agentId,
          message.requestId,
          {
            decision: message.decision,
            ...(message.message ? { message: message.message } : {}),
          },
          message.always === true,
        );
        if (!answered)
          this.notice(
            'info',
            'That request was already settled (answered elsewhere, timed out or interrupted).',
          );
        return;
      }
      case 'openLink':
        if (SAFE_LINK.test(message.href))
          await vscode.env.openExternal(vscode.Uri.parse(message.href));
        else
          this.notice(
            'info',
            `Tavern opens only http(s) and mailto links, not ${message.href.slice(0, 80)}`,
          );
        return;
    }
  }

  private postWorkers(): void {
    this.post({
      type: 'workers',
      workers: this.pool.summaries(),
      localWorkerEnabled: this.localWorkerEnabled(),
      groups: this.pool.groups(),
    });
  }

  private postSquadSoon(): void {
    this.squadTimer ??= setTimeout(() => {
      this.squadTimer = undefined;
      this.postSquad();
    }, 50);
  }

  private postSquad(): void {
    if (!this.view) return;
    const project = this.project();
    const folders = this.projects
      .all()
      .map((p) => ({ id: p.folder.uri.fsPath, name: p.folder.name }));
    if (!project) {
      this.post({
        type: 'squad',
        folders,
        agents: [],
        approvals: [],
        note: 'Open a folder to meet Jake: agents and transcripts belong to a workspace folder.',
      });
      return;
    }
    const folder = project.folder.uri.fsPath;
    const approvals = this.projects.approvals.list(folder);
    const pendingFor = (id: string): number => approvals.filter((a) => a.agentId === id).length;
    const jake = project.jake.status;
    const rows: AgentRow[] = [
      {
        id: JAKE_ID,
        name: 'Jake',
        isJake: true,
        state: jake.state,
        ...(jake.stateReason ? { stateReason: jake.stateReason } : {}),
        workerName: 'extension host',
        engine: jake.engine === 'scripted' ? 'scripted (offline demo)' : jake.engine,
        description: 'Coordinator: tell him what you need; he summons the squad.',
        pendingApprovals: pendingFor(JAKE_ID),
        ...jake.usage,
      },
      ...project.coordinator.list().map((a): AgentRow => ({
        id: a.id,
        name: a.name,
        isJake: false,
        state: a.state,
        ...(a.stateReason ? { stateReason: a.stateReason } : {}),
        workerName: a.workerName,
        engine: a.engine,
        ...(a.assignment && describe(a.assignment) ? { description: describe(a.assignment) } : {}),
        pendingApprovals: pendingFor(a.id),
        ...(a.branch ? { branch: a.branch } : {}),
        ...a.usage,
      })),
    ];
    this.post({
      type: 'squad',
      folders,
      folder,
      agents: rows,
      ...(this.setup.welcome ? { welcome: this.setup.welcome } : {}),
      ...(jake.engine === 'scripted' ? { demo: true } : {}),
      approvals: approvals.map(({ agentId, requestId, tool, input, request, workerLabel }) => ({
        agentId,
        requestId,
        tool,
        input,
        request,
        workerLabel,
      })),
      ...(!vscode.workspace.isTrusted
        ? {
            note: 'Restricted Mode: the transcripts are shown read-only. Trust this folder (Manage Workspace Trust) to talk to Jake and run agents.',
          }
        : project.coordinator.store.readOnly
          ? {
              note: 'Read-only: another window owns this project. Summon and message agents there.',
            }
          : {}),
    });
  }

  private post(message: HostMessage | FeedMessage): void {
    void this.view?.webview.postMessage(message);
  }
}

/** Where an agent's transcript comes from: the project's coordinator, or Jake. */
function source(project: Project, agentId: string): TranscriptSource {
  if (agentId !== JAKE_ID) return project.coordinator;
  const jake = project.jake;
  return {
    lastSeq: () => jake.lastSeq,
    follow: (_agentId, listener) => jake.onEvents(listener),
    transcript: (_agentId, options) => jake.transcript(options),
  };
}

/** An assignment's first line for the squad row, without scripted-engine [[directives]]. */
function describe(assignment: string): string {
  const plain = assignment
    .replace(/\[\[[\s\S]*?\]\]/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .trim();
  return (plain.split('\n')[0] ?? '').slice(0, 160);
}
