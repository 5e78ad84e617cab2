// Claude Code for a real install, in the extension host: where Jake and the local worker find
// it (resolveClaudePath), whether Jake's engine can run (probeJakeEngine), the command that
// signs Claude Code in (claudeLoginCommand), and "Tavern: Install Claude Code", which
// downloads it into the global storage behind a cancellable progress notification.
// One extension host has one global storage: initClaudeCode(context) records it at activation.
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../../protocol/errors';
import type { EngineStatus } from '../../protocol/wire';
import { loginCommand } from '../../runtime/engines/claude/claudeAuth';
import { ClaudeEngine } from '../../runtime/engines/claude/claudeEngine';
import {
  CLAUDE_SOURCE_LABEL,
  findClaude,
  type ClaudeLocation,
  type ClaudeSearch,
} from '../../runtime/engines/claude/findClaude';
import { ScriptedEngine } from '../../runtime/engines/scripted';
import { createLogger } from '../../runtime/log';
import { BUNDLED_SDK_VERSION } from '../core/claude/bundledSdk';
import { COMMANDS } from './commandIds';
import { installClaudeCode, type InstallProgress } from '../core/claude/installClaude';
import { ClaudeInstallError, type InstallErrorCode } from '../core/claude/npmRegistry';
import { Config } from './config';

/** The official Claude Code extension: its bundled binary is one place Claude Code lives. */
const CLAUDE_CODE_EXTENSION_ID = 'anthropic.claude-code';
export const INSTALL_CLAUDE_COMMAND = COMMANDS.installClaudeCode;

let places: { installRoot: string; ownExtensionsDir: string } | undefined;

/** Call once at activation, before anything resolves Claude Code. */
export function initClaudeCode(context: vscode.ExtensionContext): void {
  places = {
    installRoot: join(context.globalStorageUri.fsPath, 'claude-code'),
    // The running editor's own extensions dir (e.g. code-server's --extensions-dir).
    ownExtensionsDir: dirname(context.extensionUri.fsPath),
  };
}

/** Where to look, for this editor: the setting, then findClaude's order, then our download. */
export function claudeSearch(config: Config = new Config()): ClaudeSearch {
  const claudeExtension = vscode.extensions.getExtension(CLAUDE_CODE_EXTENSION_ID);
  return {
    configured: config.claudePath,
    extraEditorExtensionDirs: [
      ...(claudeExtension ? [dirname(claudeExtension.extensionPath)] : []),
      ...(places ? [places.ownExtensionsDir] : []),
    ],
    ...(places ? { installRoot: places.installRoot } : {}),
    preferVersion: BUNDLED_SDK_VERSION,
  };
}

/** The Claude Code executable and where it was found, or why none was. */
export function locateClaude(config: Config = new Config()): ClaudeLocation | { error: string } {
  return findClaude(claudeSearch(config));
}

/**
 * The path to give Jake's ClaudeEngine (`claudePath`) and the local worker (`--claude-path`).
 * Undefined when nothing was found (the engine then reports what to install); a broken
 * tavern.claudePath is passed on as is, so the engine says exactly what is wrong with it.
 */
export function resolveClaudePath(log?: (line: string) => void): string | undefined {
  const config = new Config();
  const found = locateClaude(config);
  if ('error' in found) {
    log?.(`Claude Code: ${found.error}`);
    return config.claudePath;
  }
  log?.(`Claude Code: ${found.path} (${CLAUDE_SOURCE_LABEL[found.source]})`);
  return found.path;
}

/**
 * Whether Jake can run on `engine`: available (Claude Code found) and ready (signed in or an
 * API key). `env` adds variables Jake's engine will get (e.g. an API key from SecretStorage).
 * Starts `claude auth status` when no credentials are in the environment (well under a
 * second, no network).
 */
export function probeJakeEngine(
  engine: 'claude' | 'scripted',
  env?: Record<string, string>,
): Promise<EngineStatus> {
  if (engine === 'scripted') return new ScriptedEngine().probe();
  return new ClaudeEngine({
    claudePath: resolveClaudePath(),
    log: createLogger('error', () => undefined),
    prewarm: false,
    ...(env ? { env } : {}),
  }).probe();
}

/** `claude auth login` with the Claude Code Tavern uses, for a terminal; undefined if none. */
export function claudeLoginCommand(): { command: string; args: string[] } | undefined {
  const found = locateClaude();
  return 'error' in found ? undefined : loginCommand(found.path);
}

export type InstallOutcome =
  | { status: 'installed'; path: string; version: string; downloadedBytes: number }
  /** Claude Code was already there (not forced): nothing was fetched. */
  | { status: 'present'; path: string; source: ClaudeLocation['source'] }
  | { status: 'cancelled' }
  | { status: 'failed'; code: InstallErrorCode | 'unexpected'; message: string };

const MB = 1024 * 1024;

function progressMessage(p: InstallProgress): string {
  switch (p.phase) {
    case 'metadata':
      return 'asking the npm registry…';
    case 'download':
      return p.totalBytes
        ? `downloading ${Math.round(p.receivedBytes / MB)} of ${Math.round(p.totalBytes / MB)} MB`
        : `downloading ${Math.round(p.receivedBytes / MB)} MB`;
    case 'extract':
      return 'unpacking…';
    case 'verify':
      return 'checking that it runs…';
  }
}

/**
 * "Tavern: Install Claude Code". Resolves with what happened, so a caller (the welcome card)
 * can go on: re-probe Jake, restart the local worker. `force` installs even when Claude Code
 * is already found elsewhere.
 */
export async function installClaudeCodeCommand(
  log: vscode.LogOutputChannel,
  options: { force?: boolean } = {},
): Promise<InstallOutcome> {
  const config = new Config();
  const present = locateClaude(config);
  if (!options.force && !('error' in present)) {
    void vscode.window.showInformationMessage(
      `Tavern: Claude Code is already here: ${present.path} (${CLAUDE_SOURCE_LABEL[present.source]}).`,
    );
    return { status: 'present', path: present.path, source: present.source };
  }
  if (!places) throw new Error('initClaudeCode(context) was not called at activation.');
  const installRoot = places.installRoot;
  const registry = config.claudeInstallRegistry;
  log.info(`installing Claude Code ${BUNDLED_SDK_VERSION} from ${registry} into ${installRoot}`);
  try {
    const installed = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: 'Tavern: Installing Claude Code',
        cancellable: true,
      },
      (progress, token) => {
        const cancel = new AbortController();
        const subscription = token.onCancellationRequested(() => cancel.abort());
        let shownPercent = 0;
        let lastPhase = '';
        return installClaudeCode({
          installRoot,
          registry,
          signal: cancel.signal,
          onProgress: (p) => {
            // Report each phase once and the download in whole percents: the notification
            // is an IPC message per report.
            const percent = p.totalBytes ? Math.floor((100 * p.receivedBytes) / p.totalBytes) : 0;
            if (p.phase === lastPhase && percent === shownPercent) return;
            const increment = p.phase === 'download' ? percent - shownPercent : undefined;
            shownPercent = p.phase === 'download' ? percent : shownPercent;
            lastPhase = p.phase;
            progress.report({ message: progressMessage(p), ...(increment ? { increment } : {}) });
          },
        }).finally(() => subscription.dispose());
      },
    );
    const size = installed.reused ? '' : `, ${Math.round(installed.downloadedBytes / MB)} MB`;
    log.info(
      `Claude Code ${installed.claudeVersion ?? installed.version} at ${installed.path}${size}`,
    );
    // The setting is tried first and alone: a broken one would hide the new copy.
    const shadowed = config.claudePath
      ? ` tavern.claudePath (${config.claudePath}) is still used first: clear it to use this copy.`
      : '';
    void vscode.window.showInformationMessage(
      `Tavern: Claude Code ${installed.claudeVersion ?? installed.version} is installed${size}.${shadowed}`,
    );
    return {
      status: 'installed',
      path: installed.path,
      version: installed.version,
      downloadedBytes: installed.downloadedBytes,
    };
  } catch (error) {
    const code = error instanceof ClaudeInstallError ? error.code : 'unexpected';
    const message = errorMessage(error);
    if (code === 'cancelled') {
      log.info('Claude Code install cancelled');
      return { status: 'cancelled' };
    }
    log.error(`Claude Code install failed (${code}): ${message}`);
    void vscode.window
      .showErrorMessage(`Tavern: ${message}`, 'Set tavern.claudePath', 'Show Log')
      .then((choice) => {
        if (choice === 'Show Log') log.show(true);
        else if (choice)
          void vscode.commands.executeCommand('workbench.action.openSettings', 'tavern.claudePath');
      });
    return { status: 'failed', code, message };
  }
}
