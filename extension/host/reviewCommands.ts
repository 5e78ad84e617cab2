// The review commands of the palette: "Tavern: Review Agent Changes", "Tavern: Apply Agent
// Changes", "Tavern: Undo Apply" (which also restores files an interrupted apply left), each
// picking among the agents that work on branches of their own. The panel's Changes section
// does the same through ReviewHost.
import * as vscode from 'vscode';
import { errorMessage } from '../../protocol/errors';
import { restoreInterruptedApply } from '../core/workspace';
import { COMMANDS } from './commandIds';
import type { Coordinators, Project } from './coordinators';
import type { ReviewAction, ReviewHost } from './reviewChanges';

async function pickAgent(
  projects: Coordinators,
  title: string,
  only?: (project: Project, agentId: string) => boolean,
): Promise<{ project: Project; agentId: string } | undefined> {
  const items = projects.all().flatMap((project) =>
    project.coordinator
      .list()
      .filter((a) => a.branch && (!only || only(project, a.id)))
      .map((a) => ({
        label: a.name,
        description: `${a.branch} · ${a.state} · ${project.folder.name}`,
        project,
        agentId: a.id,
      })),
  );
  if (items.length === 0) {
    void vscode.window.showInformationMessage(
      'Tavern: no agent works on a branch of its own here (agents get one in a git project, or a folder with a shadow repository).',
    );
    return undefined;
  }
  return items.length === 1 ? items[0] : vscode.window.showQuickPick(items, { title });
}

export function registerReviewCommands(
  projects: Coordinators,
  reviews: ReviewHost,
): vscode.Disposable[] {
  const run = (title: string, action: ReviewAction) => async () => {
    const pick = await pickAgent(projects, title);
    if (pick) await reviews.act(pick.project, pick.agentId, action);
  };
  return [
    vscode.commands.registerCommand(
      COMMANDS.reviewChanges,
      run('Tavern: Review Agent Changes', 'openAll'),
    ),
    vscode.commands.registerCommand(
      COMMANDS.applyChanges,
      run('Tavern: Apply Agent Changes', 'apply'),
    ),
    vscode.commands.registerCommand(COMMANDS.undoApply, async () => {
      // An apply a crash cut short comes first: its files are restored from its backup.
      for (const project of projects.all()) {
        const ws = project.coordinator.workspace;
        const note = await ws?.interrupted();
        if (!ws || !note) continue;
        try {
          const restored = await restoreInterruptedApply(await ws.repo());
          void vscode.window.showInformationMessage(
            `Tavern: restored ${restored?.restored.length ?? 0} file(s) of ${project.folder.name} from before the interrupted apply.`,
          );
        } catch (error) {
          void vscode.window.showErrorMessage(`Tavern: ${errorMessage(error)}`);
        }
        return;
      }
      const pick = await pickAgent(projects, 'Tavern: Undo Apply', (project, agentId) => {
        try {
          return project.coordinator.agentWorkspace(agentId).workspace.lastApply !== undefined;
        } catch {
          return false;
        }
      });
      if (pick) await reviews.act(pick.project, pick.agentId, 'undo');
    }),
  ];
}

/** At start: an apply that VS Code or the machine cut short is said, with the way back. */
export async function reportInterruptedApplies(projects: Coordinators): Promise<void> {
  for (const project of projects.all()) {
    const note = await project.coordinator.workspace?.interrupted().catch(() => undefined);
    if (!note) continue;
    const choice = await vscode.window.showWarningMessage(
      `Tavern (${project.folder.name}): ${note}`,
      'Undo Apply',
    );
    if (choice) await vscode.commands.executeCommand(COMMANDS.undoApply);
  }
}
