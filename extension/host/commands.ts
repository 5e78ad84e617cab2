// Tavern's commands. Each reports its own errors in words that say what to do next.
import * as vscode from 'vscode';
import { parseAttachUrl, redactToken } from '../core/workers/attachUrl';
import type { TavernHost } from './tavernHost';

export function registerCommands(host: TavernHost): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('tavern.openPanel', () =>
      vscode.commands.executeCommand('tavern.panel.focus'),
    ),
    vscode.commands.registerCommand('tavern.showLog', () => host.log.show(true)),
    vscode.commands.registerCommand('tavern.restartLocalWorker', () => host.restartLocalWorker()),
    vscode.commands.registerCommand('tavern.attachWorker', (url?: string) =>
      attachWorker(host, url),
    ),
    vscode.commands.registerCommand('tavern.detachWorker', (workerId?: string) =>
      detachWorker(host, workerId),
    ),
  ];
}

async function attachWorker(host: TavernHost, given?: string): Promise<void> {
  const url =
    given ??
    (await vscode.window.showInputBox({
      title: 'Tavern: Attach Worker',
      prompt: 'Paste the TAVERN_WORKER_URL=... line that tavern-worker printed',
      placeHolder: 'wss://host:7420/#token=...&fp=sha256:...',
      password: false,
      ignoreFocusOut: true,
      validateInput: (text) => {
        if (!text.trim()) return undefined;
        try {
          parseAttachUrl(text);
          return undefined;
        } catch (error) {
          return (error as Error).message;
        }
      },
    }));
  if (!url?.trim()) return;
  const where = redactToken(url.trim().replace(/^TAVERN_WORKER_URL=/, ''));
  try {
    const worker = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Tavern: connecting to ${where}`,
        cancellable: false,
      },
      () => host.pool.attach(url),
    );
    await host.store.remember(url);
    host.log.info(`attached worker "${worker.hello.name}" at ${worker.attach.baseUrl}`);
    void vscode.window.showInformationMessage(
      `Tavern: attached worker "${worker.hello.name}" (${worker.hello.platform}-${worker.hello.arch}, ${worker.hello.maxAgents} agents max).`,
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    host.log.warn(`attach ${where} failed: ${message}`);
    void vscode.window
      .showErrorMessage(`Tavern: could not attach ${where}. ${message}`, 'Show Log')
      .then((choice) => {
        if (choice) host.log.show(true);
      });
  }
}

async function detachWorker(host: TavernHost, given?: string): Promise<void> {
  const remote = host.pool.summaries().filter((w) => !w.isLocal);
  let workerId = given;
  if (!workerId) {
    if (remote.length === 0) {
      void vscode.window.showInformationMessage(
        'Tavern: no attached workers to detach (the local worker is turned off with tavern.localWorker.enabled).',
      );
      return;
    }
    const pick = await vscode.window.showQuickPick(
      remote.map((w) => ({ label: w.name, description: w.url, detail: w.status, id: w.id })),
      { title: 'Tavern: Detach Worker', placeHolder: 'Which worker?' },
    );
    workerId = pick?.id;
  }
  if (!workerId) return;
  host.pool.detach(workerId);
  await host.store.forget(workerId);
  host.log.info(`detached worker ${workerId}`);
}
