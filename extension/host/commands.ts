// Tavern's commands. Each reports its own errors in words that say what to do next.
import * as vscode from 'vscode';
import { EngineNameSchema } from '../../protocol/agentEvents';
import { errorMessage } from '../../protocol/errors';
import { parseAttachUrl, redactToken } from '../core/workers/attachUrl';
import { COMMANDS, PANEL_VIEW_ID } from './commandIds';
import { manageRules } from './rules';
import { installClaudeCodeCommand } from './claudeInstall';
import type { TavernHost } from './tavernHost';

export function registerCommands(host: TavernHost): vscode.Disposable[] {
  const openPanel = (): Thenable<unknown> =>
    vscode.commands.executeCommand(`${PANEL_VIEW_ID}.focus`);
  return [
    vscode.commands.registerCommand(COMMANDS.openPanel, openPanel),
    vscode.commands.registerCommand(
      COMMANDS.openAgent,
      async (folder?: string, agentId?: string) => {
        await openPanel();
        if (agentId) host.view.showAgent(folder, agentId);
      },
    ),
    vscode.commands.registerCommand(COMMANDS.showLog, () => host.log.show(true)),
    vscode.commands.registerCommand(COMMANDS.restartLocalWorker, () => host.restartLocalWorker()),
    vscode.commands.registerCommand(COMMANDS.attachWorker, (url?: string) =>
      attachWorker(host, url),
    ),
    vscode.commands.registerCommand(COMMANDS.detachWorker, (workerId?: string) =>
      detachWorker(host, workerId),
    ),
    vscode.commands.registerCommand(COMMANDS.summonAgent, () => summonAgent(host)),
    vscode.commands.registerCommand(COMMANDS.dismissAgent, () => dismissAgent(host)),
    vscode.commands.registerCommand(COMMANDS.manageRules, () => manageRules(host.coordinators)),
    vscode.commands.registerCommand(COMMANDS.installClaudeCode, (options?: { force?: boolean }) =>
      installClaudeCodeCommand(host.log, options),
    ),
  ];
}

/** Restricted Mode runs nothing: says so and returns false. */
function trusted(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showInformationMessage(
    `Tavern: Restricted Mode. Trust this folder (Manage Workspace Trust) to ${what}.`,
  );
  return false;
}

async function attachWorker(host: TavernHost, given?: string): Promise<void> {
  if (!trusted('attach workers')) return;
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
    const message = errorMessage(error);
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
  // Its live agents keep running over there, but this window stops seeing them: ask first.
  const live = host.coordinators
    .all()
    .flatMap((p) => p.coordinator.list())
    .filter(
      (a) =>
        a.workerId === workerId &&
        a.state !== 'done' &&
        a.state !== 'failed' &&
        a.state !== 'dismissed',
    );
  if (live.length > 0) {
    const name = host.pool.summaries().find((w) => w.id === workerId)?.name ?? workerId;
    const names = live.map((a) => a.name).join(', ');
    const choice = await vscode.window.showWarningMessage(
      `Detach ${name}? ${live.length === 1 ? 'Its agent' : `Its ${live.length} agents`} (${names}) keep running there, but this window stops seeing ${live.length === 1 ? 'it' : 'them'} until you attach the worker again.`,
      { modal: true },
      'Detach',
    );
    if (choice !== 'Detach') return;
  }
  host.pool.detach(workerId);
  await host.store.forget(workerId);
  host.log.info(`detached worker ${workerId}`);
}

async function summonAgent(host: TavernHost): Promise<void> {
  if (!trusted('summon agents')) return;
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
  // Only engines that can run now are offered; the others are named with why not.
  const workers = host.pool.summaries().filter((w) => w.status === 'connected');
  const ready = [
    ...new Set(workers.flatMap((w) => w.engines.filter((e) => e.ready).map((e) => e.name))),
  ];
  const notReady = [
    ...new Map(
      workers.flatMap((w) =>
        w.engines
          .filter((e) => !e.ready && !ready.includes(e.name))
          .map((e) => [e.name, `${e.name}: ${e.reason ?? 'not ready'}`] as const),
      ),
    ).values(),
  ];
  if (ready.length === 0) {
    void vscode.window.showErrorMessage(
      `Tavern: no connected worker can run an agent now. ${notReady.join(' ') || 'Attach a worker (Tavern: Attach Worker).'}`,
    );
    return;
  }
  const engine =
    ready.length > 1
      ? (
          await vscode.window.showQuickPick(
            ready.map((name) => ({
              label: name,
              ...(name === host.config.defaultEngine ? { description: 'default' } : {}),
            })),
            {
              title: 'Tavern: Summon Agent',
              placeHolder: notReady.length
                ? `Engine (not offered: ${notReady.join('; ')})`
                : `Engine (default ${host.config.defaultEngine})`,
            },
          )
        )?.label
      : ready[0];
  if (!engine) return;
  // With several workers able to run it, let the user choose (or leave it to placement).
  const able = workers.filter((w) => w.engines.some((e) => e.name === engine && e.ready));
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
      engine: EngineNameSchema.parse(engine),
      ...(workerId ? { worker: workerId } : {}),
    });
    const worker = host.pool.summaries().find((w) => w.id === agent.workerId);
    void vscode.window.showInformationMessage(
      `Tavern: summoned ${agent.name} on ${worker?.name ?? agent.workerId} (${agent.engine}).`,
    );
  } catch (error) {
    void vscode.window.showErrorMessage(
      `Tavern: could not summon an agent. ${errorMessage(error)}`,
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
      `Tavern: could not dismiss ${pick.label}. ${errorMessage(error)}`,
    );
  }
}
