// Always-allow rules in VS Code's storage (one list per project folder, on this machine, never
// in the folder itself), the "Tavern: Always-Allow Rules" command to list and revoke them, and
// the one-time offer of a rules file a folder ships.
import * as vscode from 'vscode';
import type { RuleStorage } from '../core/coordinator/permissionRules';
import { readShippedRules } from '../core/coordinator/shippedRules';
import type { Coordinators } from './coordinators';

const rulesKey = (folder: string): string => `tavern.rules:${folder}`;
const shippedKey = (folder: string): string => `tavern.shippedRules:${folder}`;

export function ruleStorage(state: vscode.Memento, folder: string): RuleStorage {
  return {
    load: () => state.get(rulesKey(folder)),
    save: (rules) => void state.update(rulesKey(folder), rules),
  };
}

/**
 * A folder that ships `.tavern/permissions.json` gets one question, with the file's content;
 * nothing is allowed until the user adopts it, and then only on the local worker.
 */
export async function offerShippedRules(
  state: vscode.Memento,
  folder: vscode.WorkspaceFolder,
  adopt: (tools: string[]) => void,
): Promise<void> {
  const shipped = readShippedRules(folder.uri.fsPath);
  if (!shipped || state.get(shippedKey(folder.uri.fsPath)) === shipped.hash) return;
  const list = shipped.tools.map((t) => `"${t}"`).join(', ');
  const choice = await vscode.window.showWarningMessage(
    `Tavern: ${folder.name} contains .tavern/permissions.json, which asks to always allow ${list}. A repository can ship such a file, so Tavern does not apply it. Adopt these rules for the local worker?`,
    'Adopt for the local worker',
    'Ignore',
  );
  if (!choice) return; // asked again next time
  await state.update(shippedKey(folder.uri.fsPath), shipped.hash);
  if (choice === 'Adopt for the local worker') adopt(shipped.tools);
}

/** Lists every project's rules; the ones the user picks are revoked. */
export async function manageRules(projects: Coordinators): Promise<void> {
  const items = projects.all().flatMap(({ folder, coordinator }) =>
    coordinator.rulesList().map((rule) => ({
      label: rule.tool,
      description: `on ${rule.scopeLabel}`,
      detail: `${folder.name} · since ${new Date(rule.addedAt).toLocaleString()}`,
      rule,
      coordinator,
    })),
  );
  if (items.length === 0) {
    void vscode.window.showInformationMessage(
      'Tavern: no always-allow rules. "Always allow" on an approval card adds one, for that tool on that worker.',
    );
    return;
  }
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Tavern: Always-Allow Rules',
    placeHolder: 'Select the rules to revoke (the others stay)',
    canPickMany: true,
  });
  if (!picked?.length) return;
  for (const item of picked) item.coordinator.revokeRule(item.rule.tool, item.rule.scope);
  void vscode.window.showInformationMessage(
    `Tavern: revoked ${picked.length} rule${picked.length === 1 ? '' : 's'}; those tools ask again.`,
  );
}
