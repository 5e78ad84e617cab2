// Tavern's settings as typed getters (the names and descriptions live in package.json).
import * as vscode from 'vscode';
import { EngineNameSchema, type EngineName } from '../../protocol/agentEvents';

export class Config {
  private get section(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('tavern');
  }
  get localWorkerEnabled(): boolean {
    return this.section.get<boolean>('localWorker.enabled', true);
  }
  get localWorkerMaxAgents(): number {
    return this.section.get<number>('localWorker.maxAgents', 16);
  }
  get claudePath(): string | undefined {
    return this.section.get<string>('claudePath') || undefined;
  }
  /** Where "Tavern: Install Claude Code" downloads from. */
  get claudeInstallRegistry(): string {
    return this.section.get<string>('claudeInstall.registry') || 'https://registry.npmjs.org/';
  }
  get defaultEngine(): EngineName {
    const value = this.section.get<string>('defaultEngine', 'claude');
    return EngineNameSchema.safeParse(value).data ?? 'claude';
  }
  get noWorkerFits(): 'fail' | 'local' {
    return this.section.get<'fail' | 'local'>('placement.noWorkerFits', 'fail');
  }
  get nameTheme(): string {
    return this.section.get<string>('names.theme', 'lotr');
  }
  get jakeEngine(): 'claude' | 'scripted' {
    return this.section.get<'claude' | 'scripted'>('jake.engine', 'claude');
  }
  get jakeModel(): string | undefined {
    return this.section.get<string>('jake.model') || undefined;
  }
  get notifyOnApproval(): boolean {
    return this.section.get<boolean>('notifications.approvals', true);
  }
  get notifyOnReport(): boolean {
    return this.section.get<boolean>('notifications.reports', true);
  }
  /** Remote workers (names or URLs) the user's API key is shared with, per spawn. */
  get shareKeyWith(): string[] {
    return this.section.get<string[]>('apiKey.shareWithWorkers', []);
  }
  /** Attached workers' URLs, without tokens (those are in SecretStorage). */
  get workers(): string[] {
    return this.section.get<string[]>('workers', []);
  }
  async setWorkers(urls: string[]): Promise<void> {
    await this.section.update('workers', urls, vscode.ConfigurationTarget.Global);
  }
  /** `tavern.fleets` as written (checked by extension/core/fleet/fleetSpec.ts). */
  get fleets(): unknown {
    return this.section.get<unknown>('fleets', []);
  }
  /** Settings whose change needs the local worker restarted. */
  static readonly restartLocalWorkerOn = [
    'tavern.localWorker.enabled',
    'tavern.localWorker.maxAgents',
    'tavern.claudePath',
  ];
}
