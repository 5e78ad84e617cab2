// Whether Jake can run, and the ways to get him there. Jake needs Claude Code (found or
// installed) and credentials (a Claude sign-in or an API key); until he has them the panel
// shows a welcome card instead of a failure: "Use an API key", "Sign in with Claude",
// "Install Claude Code", "Try the offline demo". The API key is asked once and kept in
// VS Code's secret storage; it is given to Jake and to the local worker, never to a remote one.
import * as vscode from 'vscode';
import { errorMessage } from '../../protocol/errors';
import type { Welcome } from '../../protocol/webview';
import { claudeLoginCommand, installClaudeCodeCommand, probeJakeEngine } from './claudeInstall';
import { COMMANDS } from './commandIds';
import type { Config } from './config';

const API_KEY_SECRET = 'tavern.anthropicApiKey';

export type WelcomeAction = 'apiKey' | 'signIn' | 'install' | 'demo' | 'model';

export class JakeSetup implements vscode.Disposable {
  private key: string | undefined;
  private status: Welcome | undefined = {
    reason: 'Checking whether Claude Code is ready…',
    checking: true,
    offerInstall: false,
  };
  private readonly changed = new vscode.EventEmitter<void>();
  /** The welcome card changed (shown, hidden, or its reason). */
  readonly onChanged = this.changed.event;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly config: Config,
    private readonly log: vscode.LogOutputChannel,
    /** Jake's engines and the local worker pick up a new key, path or engine. */
    private readonly apply: (what: { restartLocalWorker: boolean }) => Promise<void>,
  ) {}

  /** What the welcome card says; undefined while Jake can run (or runs the offline demo). */
  get welcome(): Welcome | undefined {
    return this.config.jakeEngine === 'scripted' ? undefined : this.status;
  }

  /** Environment for Jake's engine and the local worker: the API key, when the user gave one. */
  get env(): Record<string, string> {
    return this.key ? { ANTHROPIC_API_KEY: this.key } : {};
  }

  /** The key for a remote worker the user opted in (tavern.apiKey.shareWithWorkers). */
  keyFor(worker: {
    isLocal: boolean;
    name: string;
    url: string;
  }): { anthropicApiKey: string } | undefined {
    if (!this.key || worker.isLocal) return undefined;
    const listed = this.config.shareKeyWith.some(
      (w) => w === worker.name || w.replace(/#.*$/, '') === worker.url,
    );
    return listed ? { anthropicApiKey: this.key } : undefined;
  }

  /** Reads the stored key, then checks readiness (off the activation path). */
  async start(): Promise<void> {
    try {
      this.key = (await this.secrets.get(API_KEY_SECRET)) || undefined;
    } catch (error) {
      this.log.warn(`could not read the API key from secret storage: ${errorMessage(error)}`);
    }
    await this.check();
  }

  /** Probes Jake's engine again (several callers at once share one probe). */
  check(): Promise<void> {
    this.checking ??= this.probe().finally(() => (this.checking = undefined));
    return this.checking;
  }

  /** Jake's turn failed for want of credentials: show the card with what Claude Code said. */
  authFailed(message: string): void {
    this.status = { reason: message, checking: false, offerInstall: false };
    this.changed.fire();
  }

  async act(action: WelcomeAction): Promise<void> {
    switch (action) {
      case 'apiKey':
        return this.askApiKey();
      case 'signIn':
        return this.signIn();
      case 'install': {
        const outcome = await installClaudeCodeCommand(this.log);
        if (outcome.status === 'installed' || outcome.status === 'present') {
          await this.apply({ restartLocalWorker: true });
          await this.check();
        }
        return;
      }
      case 'demo':
        // Takes effect at once: the configuration listener swaps Jake's engine.
        await vscode.workspace
          .getConfiguration('tavern')
          .update('jake.engine', 'scripted', vscode.ConfigurationTarget.Global);
        return;
      case 'model':
        await vscode.workspace
          .getConfiguration('tavern')
          .update('jake.engine', 'claude', vscode.ConfigurationTarget.Global);
        await this.check();
        return;
    }
  }

  dispose(): void {
    this.changed.dispose();
  }

  private async probe(): Promise<void> {
    if (this.config.jakeEngine === 'scripted') {
      this.status = undefined;
      this.changed.fire();
      return;
    }
    const status = await probeJakeEngine('claude', this.env).catch(
      (error: unknown) =>
        ({ name: 'claude', available: false, reason: errorMessage(error) }) as const,
    );
    const ready = status.available && status.ready !== false;
    this.status = ready
      ? undefined
      : {
          reason: status.reason ?? 'Claude Code is not ready.',
          checking: false,
          offerInstall: !status.available,
        };
    this.log.info(
      ready ? 'Jake is ready (Claude Code)' : `Jake is not ready: ${this.status?.reason}`,
    );
    this.changed.fire();
  }

  private async askApiKey(): Promise<void> {
    const key = await vscode.window.showInputBox({
      title: 'Tavern: Use an API key',
      prompt:
        'An Anthropic API key (console.anthropic.com). Kept in VS Code\u2019s secret storage, given to Jake and the local worker only.',
      placeHolder: 'sk-ant-…',
      password: true,
      ignoreFocusOut: true,
      validateInput: (text) =>
        text.trim() && /\s/.test(text.trim()) ? 'An API key has no spaces.' : undefined,
    });
    if (!key?.trim()) return;
    this.key = key.trim();
    await this.secrets.store(API_KEY_SECRET, this.key);
    this.log.info('API key stored in secret storage; restarting Jake and the local worker with it');
    await this.apply({ restartLocalWorker: true });
    await this.check();
  }

  /** Claude Code's own login in a terminal; checked again when that terminal closes. */
  private async signIn(): Promise<void> {
    const login = claudeLoginCommand();
    if (!login) {
      const choice = await vscode.window.showWarningMessage(
        'Tavern: Claude Code is not installed yet, so it cannot sign in. Install it first?',
        'Install Claude Code',
      );
      if (choice) await this.act('install');
      return;
    }
    const terminal = vscode.window.createTerminal({
      name: 'Claude sign-in',
      shellPath: login.command,
      shellArgs: login.args,
      message:
        'Tavern: signing in to Claude Code. Close this terminal when it says you are logged in.',
    });
    terminal.show();
    const done = vscode.window.onDidCloseTerminal(async (closed) => {
      if (closed !== terminal) return;
      done.dispose();
      await this.apply({ restartLocalWorker: true });
      await this.check();
      if (!this.status)
        void vscode.window
          .showInformationMessage('Tavern: signed in. Jake is ready.', 'Open Tavern')
          .then((choice) => choice && vscode.commands.executeCommand(COMMANDS.openPanel));
    });
  }
}
