// Dismissed agents: out of the live set (agent/list and hello list only live ones), their
// journals kept on disk so a coordinator that was away can still replay how they ended,
// until `--retention-days` after the dismissal, when journal, mark and record are deleted.
import { rm } from 'node:fs/promises';
import { errorMessage } from '../protocol/errors';
import type { Journal } from '../runtime/journal';
import type { JournalStore } from '../runtime/journalStore';
import type { Logger } from '../runtime/log';
import type { RecordStore } from './agentRecords';

interface Retired {
  name: string;
  dismissedAt: number;
  /** Open journal (kept from the live agent, or opened on the first replay). */
  journal: Journal | undefined;
}

export class RetiredAgents {
  private readonly entries = new Map<string, Retired>();

  constructor(
    private readonly journals: JournalStore,
    private readonly records: RecordStore,
    private readonly retentionMs: number,
    private readonly log: Logger,
  ) {}

  has(agentId: string): boolean {
    return this.entries.has(agentId);
  }

  nameOf(agentId: string): string | undefined {
    return this.entries.get(agentId)?.name;
  }

  get size(): number {
    return this.entries.size;
  }

  add(agentId: string, name: string, dismissedAt: number, journal?: Journal): void {
    this.entries.set(agentId, { name, dismissedAt, journal });
    if (journal) {
      this.journals.forget(journal);
      // Its last events may still be on their way to the disk; replays read the file after.
      void journal.flush().then(() => journal.releaseRing());
    }
  }

  /** The agent's journal for a replay; undefined when it is unknown or its file is gone. */
  async journal(agentId: string): Promise<Journal | undefined> {
    const entry = this.entries.get(agentId);
    if (!entry) return undefined;
    entry.journal ??= await this.journals.openRetired(agentId);
    return entry.journal;
  }

  /** Deletes what is older than the retention; returns how many agents went. */
  async prune(now = Date.now()): Promise<number> {
    const dir = this.journals.dir;
    let pruned = 0;
    for (const [agentId, entry] of this.entries) {
      if (now - entry.dismissedAt < this.retentionMs) continue;
      this.entries.delete(agentId);
      try {
        await this.records.remove(agentId);
        if (dir) {
          const base = `${dir}/${encodeURIComponent(agentId)}`;
          await rm(`${base}.jsonl`, { force: true });
          await rm(`${base}.mark`, { force: true });
        }
        pruned++;
      } catch (error) {
        this.log.warn(`could not prune dismissed agent ${agentId}: ${errorMessage(error)}`);
      }
    }
    if (pruned > 0)
      this.log.info(
        `pruned ${pruned} dismissed agent(s) older than ${Math.round(this.retentionMs / 86_400_000)} day(s)`,
      );
    return pruned;
  }
}
