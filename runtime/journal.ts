// Per-agent event journal: gap-free seq from 1, an in-memory ring for fast replay and an
// append-only JSONL file under the state dir so a reconnecting coordinator (or a restarted
// worker) can replay everything. File writes are batched and asynchronous: the hot path
// (emit) never touches the disk synchronously.
import { mkdirSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentEvent, AgentEventEnvelope } from '../protocol/agentEvents';
import { readEnvelopes } from '../protocol/jsonl';
import type { Logger } from './log';

export const DEFAULT_RING_SIZE = 20_000;

export class Journal {
  private ring: AgentEventEnvelope[] = [];
  private ringStart = 0;
  private seq: number;
  private pending: string[] = [];
  private flushing: Promise<void> | undefined;
  private readonly file: string | undefined;

  constructor(
    readonly agentId: string,
    private readonly dir: string | undefined,
    private readonly log: Logger,
    private readonly ringSize = DEFAULT_RING_SIZE,
    /** Restored from disk: events already journalled before a worker restart. */
    initialSeq = 0,
  ) {
    this.seq = initialSeq;
    this.file = dir ? join(dir, `${encodeURIComponent(agentId)}.jsonl`) : undefined;
    if (dir) mkdirSync(dir, { recursive: true });
  }

  get lastSeq(): number {
    return this.seq;
  }

  append(event: AgentEvent, time = Date.now()): AgentEventEnvelope {
    const envelope: AgentEventEnvelope = { agentId: this.agentId, seq: ++this.seq, time, event };
    this.ring.push(envelope);
    if (this.ring.length > this.ringSize * 1.25) {
      // Trim in chunks so the ring is not spliced on every event.
      const drop = this.ring.length - this.ringSize;
      this.ring.splice(0, drop);
      this.ringStart += drop;
    }
    if (this.file) {
      this.pending.push(JSON.stringify(envelope));
      if (!this.flushing) this.flushing = this.flushSoon();
    }
    return envelope;
  }

  /** Events with seq > afterSeq, oldest first, at most `limit`. */
  async replay(
    afterSeq: number,
    limit: number,
  ): Promise<{ events: AgentEventEnvelope[]; more: boolean }> {
    const firstInRing = this.ring[0]?.seq ?? this.seq + 1;
    let events: AgentEventEnvelope[];
    if (afterSeq + 1 >= firstInRing || !this.file) {
      const start = Math.max(0, afterSeq + 1 - firstInRing);
      events = this.ring.slice(start, start + limit + 1);
    } else {
      await this.flush();
      events = await this.readFile(afterSeq, limit + 1);
    }
    const more = events.length > limit;
    if (more) events.length = limit;
    return { events, more };
  }

  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flushSoon(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.pending.length > 0 && this.file) {
        const batch = this.pending.join('\n') + '\n';
        this.pending = [];
        await appendFile(this.file, batch, 'utf8');
      }
    } catch (error) {
      this.log.error(
        `journal ${this.agentId}: could not append to ${this.file}: ${(error as Error).message}`,
      );
    } finally {
      this.flushing = undefined;
    }
  }

  private async readFile(afterSeq: number, max: number): Promise<AgentEventEnvelope[]> {
    const out: AgentEventEnvelope[] = [];
    if (!this.file) return out;
    for await (const envelope of readEnvelopes(this.file)) {
      if (envelope.seq <= afterSeq) continue;
      out.push(envelope);
      if (out.length >= max) break;
    }
    return out;
  }

  /** Reads an agent's journal file back after a worker restart: its last seq and tail. */
  static async restore(
    agentId: string,
    dir: string,
    log: Logger,
    ringSize = DEFAULT_RING_SIZE,
  ): Promise<Journal> {
    const probe = new Journal(agentId, dir, log, ringSize, 0);
    const all = await probe.readFile(0, Number.MAX_SAFE_INTEGER);
    const lastSeq = all.at(-1)?.seq ?? 0;
    const journal = new Journal(agentId, dir, log, ringSize, lastSeq);
    journal.ring = all.slice(-ringSize);
    return journal;
  }
}
