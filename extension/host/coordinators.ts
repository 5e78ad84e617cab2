// One Coordinator per workspace folder, and their voice in VS Code until the panel has
// transcripts: reports and permission requests as notifications that never take focus.
import * as vscode from 'vscode';
import { Coordinator } from '../core/coordinator/coordinator';
import type { NameTheme } from '../core/coordinator/names';
import type { WorkerPool } from '../core/workers/workerPool';
import type { Config } from './config';

export class Coordinators implements vscode.Disposable {
  private readonly byFolder = new Map<string, Coordinator>();

  constructor(
    private readonly pool: WorkerPool,
    private readonly config: Config,
    private readonly log: vscode.LogOutputChannel,
  ) {
    for (const folder of vscode.workspace.workspaceFolders ?? []) this.open(folder);
  }

  all(): { folder: vscode.WorkspaceFolder; coordinator: Coordinator }[] {
    return (vscode.workspace.workspaceFolders ?? []).flatMap((folder) => {
      const coordinator = this.byFolder.get(folder.uri.fsPath);
      return coordinator ? [{ folder, coordinator }] : [];
    });
  }

  dispose(): void {
    for (const c of this.byFolder.values()) void c.dispose();
    this.byFolder.clear();
  }

  private open(folder: vscode.WorkspaceFolder): void {
    if (folder.uri.scheme !== 'file') return;
    const coordinator = new Coordinator({
      folder: folder.uri.fsPath,
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
    coordinator.onReport(({ agent, status, summary }) => {
      if (!this.config.notifyOnReport) return;
      const verb =
        status === 'done' ? 'finished' : status === 'blocked' ? 'is blocked' : 'needs input';
      void vscode.window.showInformationMessage(`Tavern: ${agent.name} ${verb}: ${summary}`);
    });
    coordinator.onPermissionRequest(({ agent, request, answer }) => {
      const input = JSON.stringify(request.input);
      const shown = input.length > 300 ? `${input.slice(0, 300)}…` : input;
      if (request.request === 'plan') {
        const plan =
          typeof (request.input as { plan?: unknown })?.plan === 'string'
            ? String((request.input as { plan: string }).plan)
            : shown;
        void vscode.window
          .showInformationMessage(
            `Tavern: ${agent.name} proposes a plan:\n${plan.slice(0, 600)}`,
            'Approve',
            'Reject',
          )
          .then((choice) => {
            answer(
              choice === 'Approve'
                ? { decision: 'allow' }
                : {
                    decision: 'deny',
                    message: choice ? 'The user rejected the plan.' : 'No answer was given.',
                  },
            );
          });
        return;
      }
      void vscode.window
        .showInformationMessage(
          `Tavern: ${agent.name} wants to use ${request.tool}: ${shown}`,
          'Allow',
          'Always allow',
          'Deny',
        )
        .then((choice) => {
          if (choice === 'Allow' || choice === 'Always allow')
            answer({ decision: 'allow' }, choice === 'Always allow');
          else
            answer({
              decision: 'deny',
              message: choice
                ? 'The user denied it.'
                : 'The notification was dismissed without an answer.',
            });
        });
    });
    this.byFolder.set(folder.uri.fsPath, coordinator);
  }
}
