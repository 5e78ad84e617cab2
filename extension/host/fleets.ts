// The `tavern.fleets` setting in VS Code: starts the fleets (extension/core/fleet) with the
// shared worker pool, follows changes of the setting, and reports bad entries. The fleet
// code and @kubernetes/client-node are a bundle of their own (dist/fleet.js, next to this
// one) loaded only once a fleet is configured: a window without one never parses them.
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Fleets } from '../core/fleet/fleets';
import type { WorkerPool } from '../core/workers/workerPool';
import type { Config } from './config';

export class FleetHost implements vscode.Disposable {
  private fleets: Fleets | undefined;
  private disposed = false;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly pool: WorkerPool,
    private readonly config: Config,
    private readonly log: vscode.LogOutputChannel,
    private readonly notice: (level: 'info' | 'error', text: string) => void,
  ) {
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('tavern.fleets')) void this.apply();
    });
  }

  /** Starts the configured fleets; their state shows in the log and the Workers view. */
  start(): Promise<void> {
    return this.apply();
  }

  dispose(): void {
    this.disposed = true;
    this.subscription.dispose();
    this.fleets?.dispose();
    this.fleets = undefined;
  }

  private async apply(): Promise<void> {
    const raw = this.config.fleets;
    if (!this.fleets && Array.isArray(raw) && raw.length === 0) return;
    try {
      if (!this.fleets) {
        // A computed path: esbuild leaves it to run time instead of bundling it in here.
        const bundle = join(__dirname, 'fleet.js');
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { Fleets } = require(bundle) as typeof import('../core/fleet/fleets');
        if (this.disposed) return;
        this.fleets ??= new Fleets({
          pool: this.pool,
          log: (level, message) => this.log[level](`[fleet] ${message}`),
        });
      }
      for (const problem of this.fleets.apply(raw)) this.notice('error', problem);
    } catch (error) {
      const message = `Fleets could not start: ${error instanceof Error ? error.message : String(error)}`;
      this.log.error(message);
      this.notice('error', message);
    }
  }
}
