// The worker's own record of its agents (`<stateDir>/agents.json`), so a restarted worker
// knows which journals exist and can still replay them to coordinators.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentState } from '../protocol/agentEvents';
import type { Logger } from '../runtime/log';
import type { AgentSpec } from '../runtime/agent';

export interface AgentRecord {
  spec: AgentSpec;
  state: AgentState;
  reason: string | undefined;
  sessionId: string | undefined;
}

export function loadRecords(stateDir: string, log: Logger): AgentRecord[] {
  const file = join(stateDir, 'agents.json');
  if (!existsSync(file)) return [];
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as AgentRecord[];
  } catch (error) {
    log.warn(
      `could not read ${file} (${(error as Error).message}); starting with no restored agents`,
    );
    return [];
  }
}

/** Debounced atomic writes (write to a temp file, then rename). */
export class RecordWriter {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stateDir: string | undefined,
    private readonly log: Logger,
  ) {}

  schedule(snapshot: () => AgentRecord[]): void {
    if (!this.stateDir || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writeNow(snapshot());
    }, 50);
    this.timer.unref();
  }

  writeNow(records: AgentRecord[]): void {
    if (!this.stateDir) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const file = join(this.stateDir, 'agents.json');
    try {
      mkdirSync(this.stateDir, { recursive: true });
      writeFileSync(file + '.tmp', JSON.stringify(records, null, 2));
      renameSync(file + '.tmp', file);
    } catch (error) {
      this.log.error(`could not write ${file}: ${(error as Error).message}`);
    }
  }
}
