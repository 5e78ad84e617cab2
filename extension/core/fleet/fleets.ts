// All fleets of the `tavern.fleets` setting: started, and changed in place when the
// setting changes (a fleet whose entry is unchanged keeps its workers and connections).
import type { WorkerPool } from '../workers/workerPool';
import { Fleet, type FleetLog, type FleetOptions } from './fleet';
import { parseFleets, type FleetSpec } from './fleetSpec';

export interface FleetsOptions {
  pool: WorkerPool;
  log: FleetLog;
  env?: NodeJS.ProcessEnv;
  home?: string;
  /** Passed on to each fleet (tests shorten them). */
  tuning?: Pick<FleetOptions, 'retryMinMs' | 'retryMaxMs' | 'drainWaitMs'>;
}

export class Fleets {
  private readonly running = new Map<string, { key: string; fleet: Fleet }>();

  constructor(private readonly options: FleetsOptions) {}

  /**
   * Applies the setting's value: starts new fleets, restarts changed ones, stops removed
   * ones. Returns the problems of entries left out (already logged).
   */
  apply(raw: unknown): string[] {
    const { fleets, problems } = parseFleets(raw);
    for (const problem of problems) this.options.log('error', problem);
    const wanted = new Map<string, FleetSpec>(fleets.map((f) => [f.name, f]));
    for (const [name, { key, fleet }] of this.running) {
      const spec = wanted.get(name);
      if (!spec || JSON.stringify(spec) !== key) {
        fleet.dispose();
        this.running.delete(name);
      }
    }
    for (const spec of fleets) {
      if (this.running.has(spec.name)) continue;
      const fleet = new Fleet({
        spec,
        pool: this.options.pool,
        log: this.options.log,
        ...(this.options.env ? { env: this.options.env } : {}),
        ...(this.options.home ? { home: this.options.home } : {}),
        ...this.options.tuning,
      });
      this.running.set(spec.name, { key: JSON.stringify(spec), fleet });
      void fleet.start();
    }
    return problems;
  }

  get(name: string): Fleet | undefined {
    return this.running.get(name)?.fleet;
  }

  dispose(): void {
    for (const { fleet } of this.running.values()) fleet.dispose();
    this.running.clear();
  }
}
