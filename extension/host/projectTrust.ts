// Asks the user, once per folder and per content, whether agents may load the folder's own
// Claude settings: the question shows exactly which hooks and commands would run and which
// tools would be allowed. The answer is kept in VS Code's storage with the content's hash, so a
// change to those files asks again. A folder whose settings run and allow nothing needs no
// question.
import * as vscode from 'vscode';
import { inspectProjectSettings, WITHOUT_PROJECT_SETTINGS } from '../core/trust/projectSettings';

interface Answer {
  hash: string;
  allowed: boolean;
}

const key = (folder: string): string => `tavern.projectSettings:${folder}`;
const ALLOW = 'Allow them';
const WITHOUT = 'Run without them';

export function projectSettingsGate(
  state: vscode.Memento,
  folder: vscode.WorkspaceFolder,
  log: (message: string) => void,
): () => Promise<boolean> {
  let asking: { hash: string; answer: Promise<boolean> } | undefined;
  return async () => {
    const report = inspectProjectSettings(folder.uri.fsPath);
    if (report.findings.length === 0) return true;
    const known = state.get<Answer>(key(folder.uri.fsPath));
    if (known?.hash === report.hash) return known.allowed;
    // Several agents summoned at once get one question.
    if (asking?.hash !== report.hash) {
      const answer = Promise.resolve(
        vscode.window
          .showWarningMessage(
            `${folder.name} has Claude settings that would run commands or allow tools for every agent here. Load them?`,
            {
              modal: true,
              detail: `${report.findings.join('\n')}\n\n${WITHOUT_PROJECT_SETTINGS} You are asked again if these files change.`,
            },
            ALLOW,
            WITHOUT,
          )
          .then(async (choice) => {
            const allowed = choice === ALLOW;
            // Closing the dialog is a "no" for now, and not remembered.
            if (choice) await state.update(key(folder.uri.fsPath), { hash: report.hash, allowed });
            log(
              `project settings of ${folder.name}: ${allowed ? 'allowed' : 'not loaded'} (${report.findings.length} finding(s))`,
            );
            return allowed;
          }),
      );
      asking = { hash: report.hash, answer };
    }
    return asking.answer;
  };
}
