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
    vscode.commands.registerCommand('tavern.summonAgent', () => summonAgent(host)),
    vscode.commands.registerCommand('tavern.dismissAgent', () => dismissAgent(host)),
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
  // A fleet's workers come and go with their pods: the fleet's setting owns them.
  const fleetWorker = host.pool.summaries().find((w) => w.id === given && w.group !== undefined);
  if (fleetWorker) {
    void vscode.window.showInformationMessage(
      `Tavern: ${fleetWorker.name} is a pod of a fleet; it leaves when its pod does. Remove the fleet from tavern.fleets to detach all of its workers.`,
    );
    return;
  }
  const remote = host.pool.summaries().filter((w) => !w.isLocal && w.group === undefined);
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

async function summonAgent(host: TavernHost): Promise<void> {
  const projects = host.coordinators.all();
  if (projects.length === 0) {
    void vscode.window.showInformationMessage(
      'Tavern: open a folder first; agents belong to a workspace folder.',
    );
    return;
  }
  const project =
    projects.length === 1
      ? projects[0]
      : (
          await vscode.window.showQuickPick(
            projects.map((p) => ({ label: p.folder.name, p })),
            { title: 'Tavern: Summon Agent', placeHolder: 'For which folder?' },
          )
        )?.p;
  if (!project) return;
  const assignment = await vscode.window.showInputBox({
    title: 'Tavern: Summon Agent',
    prompt: 'The assignment (the agent starts on it at once)',
    ignoreFocusOut: true,
  });
  if (!assignment?.trim()) return;
  const engines = [
    ...new Set(
      host.pool.summaries().flatMap((w) => w.engines.filter((e) => e.available).map((e) => e.name)),
    ),
  ];
  const engine =
    engines.length > 1
      ? await vscode.window.showQuickPick(engines, {
          title: 'Tavern: Summon Agent',
          placeHolder: `Engine (default ${host.config.defaultEngine})`,
        })
      : engines[0];
  if (!engine) return;
  // With several workers able to run it, let the user choose (or leave it to placement).
  const able = host.pool
    .summaries()
    .filter(
      (w) => w.status === 'connected' && w.engines.some((e) => e.name === engine && e.available),
    );
  let workerId: string | undefined;
  if (able.length > 1) {
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'Automatic', description: 'the least loaded worker that can run it', id: '' },
        ...able.map((w) => ({
          label: w.name,
          description: `${w.isLocal ? 'local' : 'remote'} · ${w.agents}/${w.maxAgents ?? '?'} agents`,
          id: w.id,
        })),
      ],
      { title: 'Tavern: Summon Agent', placeHolder: 'On which worker?' },
    );
    if (!pick) return;
    workerId = pick.id || undefined;
  }
  try {
    const agent = await project.coordinator.summon({
      assignment,
      engine: engine as 'claude' | 'anthropic' | 'scripted',
      ...(workerId ? { worker: workerId } : {}),
    });
    const worker = host.pool.summaries().find((w) => w.id === agent.workerId);
    void vscode.window.showInformationMessage(
      `Tavern: summoned ${agent.name} on ${worker?.name ?? agent.workerId} (${agent.engine}).`,
    );
  } catch (error) {
    void vscode.window.showErrorMessage(
      `Tavern: could not summon an agent. ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

async function dismissAgent(host: TavernHost): Promise<void> {
  const items = host.coordinators.all().flatMap(({ folder, coordinator }) =>
    coordinator.list().map((a) => ({
      label: a.name,
      description: `${a.state} · ${folder.name}`,
      detail: a.assignment?.slice(0, 120),
      coordinator,
      id: a.id,
    })),
  );
  if (items.length === 0) {
    void vscode.window.showInformationMessage('Tavern: no agents to dismiss.');
    return;
  }
  const pick = await vscode.window.showQuickPick(items, {
    title: 'Tavern: Dismiss Agent',
    placeHolder: 'Which agent?',
  });
  if (!pick) return;
  try {
    await pick.coordinator.dismiss(pick.id);
  } catch (error) {
    void vscode.window.showErrorMessage(
      `Tavern: could not dismiss ${pick.label}. ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
