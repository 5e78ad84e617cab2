// Entry point: thin on purpose. Builds one TavernHost and reports activation errors itself,
// because VS Code shows none.
import * as vscode from 'vscode';
import { errorMessage } from '../../protocol/errors';
import { registerCommands } from './commands';
import { registerReviewCommands } from './reviewCommands';
import { TavernHost } from './tavernHost';

let host: TavernHost | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const started = performance.now();
  try {
    host = new TavernHost(context);
    context.subscriptions.push(
      host,
      ...registerCommands(host),
      ...registerReviewCommands(host.coordinators, host.view.reviews),
    );
    host.log.info(`Tavern activated in ${Math.round(performance.now() - started)} ms`);
    void host.start();
  } catch (error) {
    const message = errorMessage(error);
    void vscode.window.showErrorMessage(`Tavern failed to start: ${message}`);
    throw error;
  }
}

export function deactivate(): void {
  host?.dispose();
  host = undefined;
}
