// Reviewing an agent's work in VS Code: its changed files in the panel, each in VS Code's diff
// editor (or all of them in the multi-file changes editor), and the actions: Apply all or one
// file (a 3-way merge with a backup first; conflicts are listed and marked in the files),
// Undo the last apply, Check out its branch, Open its worktree in a new window, Discard.
// Files that run code are named before an apply. Progress shows for the long parts.
import * as vscode from 'vscode';
import { errorMessage } from '../../protocol/errors';
import type { ChangesView } from '../../protocol/webview';
import { AgentReview, type Review } from '../core/workspace/agentReview';
import type { Project } from './coordinators';
import { gitUri } from './gitContent';

export type ReviewAction =
  | 'load'
  | 'openAll'
  | 'openFile'
  | 'apply'
  | 'applyFile'
  | 'undo'
  | 'checkout'
  | 'openWorktree'
  | 'discard';

const STATUS = { A: 'added', M: 'modified', D: 'deleted', T: 'type changed' } as const;

export class ReviewHost {
  /** Agents whose changes the panel shows: refreshed when a turn of theirs ends. */
  private readonly shown = new Set<string>();

  constructor(private readonly post: (view: ChangesView) => void) {}

  /** An agent's turn ended: if its changes are on screen, they are fetched again. */
  refresh(project: Project, agentId: string): void {
    if (this.shown.has(agentId)) void this.act(project, agentId, 'load');
  }

  async act(project: Project, agentId: string, action: ReviewAction, path?: string): Promise<void> {
    const review = this.reviewOf(project);
    try {
      switch (action) {
        case 'load':
          return this.show(await this.load(project, agentId));
        case 'openAll':
          return await this.openAll(project, await this.load(project, agentId));
        case 'openFile':
          if (path) await this.openFile(project, await this.load(project, agentId), path);
          return;
        case 'apply':
        case 'applyFile':
          return await this.apply(
            project,
            agentId,
            action === 'applyFile' && path ? [path] : undefined,
          );
        case 'undo': {
          const undone = await review.undo(agentId);
          void vscode.window.showInformationMessage(
            `Tavern: undone. ${undone.restored.length} file(s) restored, ${undone.removed.length} removed; your files from just before are kept in ${undone.safetyRef}.`,
          );
          return this.show(await this.load(project, agentId));
        }
        case 'checkout': {
          const branch = await review.checkout(agentId);
          void vscode.window.showInformationMessage(`Tavern: checked out ${branch}.`);
          return;
        }
        case 'openWorktree':
          return await this.openWorktree(project, agentId);
        case 'discard':
          return await this.discard(project, agentId);
      }
    } catch (error) {
      const message = errorMessage(error);
      this.post({ agentId, error: message });
      void vscode.window.showErrorMessage(`Tavern: ${message}`);
    }
  }

  private reviewOf(project: Project): AgentReview {
    if (!project.coordinator.workspace)
      throw new Error(
        'This window shows the project read-only; review changes in the window that owns it.',
      );
    return new AgentReview(project.coordinator, project.coordinator.workspace);
  }

  private load(project: Project, agentId: string): Promise<Review> {
    this.post({ agentId, busy: true });
    return this.reviewOf(project).review(agentId);
  }

  private show(review: Review): void {
    this.shown.add(review.agentId);
    this.post({ agentId: review.agentId, review });
  }

  private async openFile(project: Project, review: Review, path: string): Promise<void> {
    this.show(review);
    const repo = await project.coordinator.workspace!.repo();
    await vscode.commands.executeCommand(
      'vscode.diff',
      gitUri(repo, review.base, path),
      gitUri(repo, review.head, path),
      `${path} (${review.agentName}'s changes)`,
      { preview: true },
    );
  }

  /** Every file in one multi-file changes editor, where VS Code has it; else one by one. */
  private async openAll(project: Project, review: Review): Promise<void> {
    this.show(review);
    if (review.files.length === 0) {
      void vscode.window.showInformationMessage(`Tavern: ${review.agentName} changed no files.`);
      return;
    }
    const repo = await project.coordinator.workspace!.repo();
    const resources = review.files.map((f) => [
      vscode.Uri.joinPath(vscode.Uri.file(repo.root), f.path),
      gitUri(repo, review.base, f.path),
      gitUri(repo, review.head, f.path),
    ]);
    try {
      await vscode.commands.executeCommand(
        'vscode.changes',
        `${review.agentName}'s changes (${review.branch})`,
        resources,
      );
    } catch {
      for (const f of review.files.slice(0, 20)) await this.openFile(project, review, f.path);
    }
  }

  private async apply(project: Project, agentId: string, paths?: string[]): Promise<void> {
    const review = await this.load(project, agentId);
    this.show(review);
    const touched = review.files.filter((f) => !paths || paths.includes(f.path));
    const risky = touched.filter((f) => f.risk);
    if (risky.length > 0) {
      const choice = await vscode.window.showWarningMessage(
        `${review.agentName}'s changes include files that run code. Apply anyway?`,
        {
          modal: true,
          detail: risky.map((f) => `${f.path}: ${f.risk}`).join('\n'),
        },
        'Apply',
      );
      if (choice !== 'Apply') return;
    }
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Tavern: applying ${review.agentName}'s changes`,
      },
      () => this.reviewOf(project).apply(agentId, paths),
    );
    this.show(await this.reviewOf(project).review(agentId));
    const what = `${result.written.length} file(s) written, ${result.deleted.length} deleted`;
    const skipped = result.skipped.length
      ? ` Left alone: ${result.skipped.map((s) => `${s.path} (${s.reason})`).join('; ')}.`
      : '';
    if (result.status === 'conflicts') {
      const choice = await vscode.window.showWarningMessage(
        `Tavern: ${review.agentName}'s changes conflict with yours in ${result.conflicts.join(', ')} (marked in the files). ${what}.${skipped}`,
        'Open conflicts',
        'Undo',
      );
      if (choice === 'Undo') await this.act(project, agentId, 'undo');
      else if (choice === 'Open conflicts') {
        const repo = await project.coordinator.workspace!.repo();
        for (const path of result.conflicts)
          await vscode.window.showTextDocument(
            vscode.Uri.joinPath(vscode.Uri.file(repo.root), path),
            {
              preview: false,
            },
          );
      }
      return;
    }
    const choice = await vscode.window.showInformationMessage(
      result.status === 'nothing'
        ? `Tavern: nothing to apply: your files already have ${review.agentName}'s changes.${skipped}`
        : `Tavern: applied ${review.agentName}'s changes: ${what}.${skipped}`,
      ...(result.backupRef ? ['Undo'] : []),
    );
    if (choice === 'Undo') await this.act(project, agentId, 'undo');
  }

  private async openWorktree(project: Project, agentId: string): Promise<void> {
    const a = project.coordinator.agentWorkspace(agentId);
    if (!a.workspace.sameDisk || !a.client)
      throw new Error(
        `${a.name}'s worktree is on its worker's machine; check out its branch instead.`,
      );
    const listed = await a.client.list();
    const cwd = listed.agents.find((x) => x.agentId === a.id)?.cwd;
    if (!cwd) throw new Error(`${a.name}'s worktree is gone (it was dismissed); its branch stays.`);
    await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(cwd), {
      forceNewWindow: true,
    });
  }

  private async discard(project: Project, agentId: string): Promise<void> {
    const a = project.coordinator.agentWorkspace(agentId);
    const choice = await vscode.window.showWarningMessage(
      `Discard ${a.name}'s branch ${a.workspace.branch}? Its commits are deleted from your repository (the worker keeps its copy until the agent is dismissed).`,
      { modal: true },
      'Discard',
    );
    if (choice !== 'Discard') return;
    const branch = await this.reviewOf(project).discard(agentId);
    this.post({ agentId, error: `${branch} was discarded.` });
  }
}

/** One line per changed file, for quick picks and logs. */
export function describeFile(f: Review['files'][number]): string {
  return `${STATUS[f.status]} ${f.path} (+${f.additions} −${f.deletions})${f.risk ? ` — runs code: ${f.risk}` : ''}`;
}
