// One agent's event journal: gap-free seq from 1, handed out at emit; a memory ring of the
// newest durable lines for fast replay; the rest in `<id>.jsonl` under the state dir.
// Write-ahead: `append` encodes the envelope once and queues it with the JournalStore,
// which writes it (one append per agent per tick) and only then publishes it. The ring,
// replays and `lastSeq` hold only durable events, so nobody sees a seq the disk lacks.
import type { AgentEvent, AgentEventEnvelope } from '../protocol/agentEvents';
import { encodeEnvelope, type EncodedEnvelope } from './eventEncoding';
import { readLinesAfter, type JournalLine } from './journalFile';
import type { JournalStore } from './journalStore';

export const DEFAULT_RING_SIZE = 20_000;
/** The ring also stops at this many characters, so big events do not pin big memory. */
const RING_CHARS = 8 * 1024 * 1024;
/** A replay page stops after about this many characters (a few huge events fill it). */
const REPLAY_PAGE_CHARS = 8 * 1024 * 1024;
/** A file offset is remembered every this many bytes, so old replays seek instead of scan. */
const INDEX_EVERY_BYTES = 256 * 1024;

export interface JournalInit {
  /** The last seq on disk (0 for a new agent). */
  lastSeq: number;
  /** The newest durable lines, oldest first (restored from the file's tail). */
  tail: readonly JournalLine[];
  /** File size (the offset of the next append). */
  size: number;
  /** The persisted high-water mark (0 when none yet). */
  reserved: number;
  ringSize: number;
}

export class Journal {
  private ringSeqs: number[] = [];
  private ringLines: string[] = [];
  private ringChars = 0;
  private assigned: number;
  private durable: number;
  /** Sparse [seq, byte offset] pairs: the line with that seq starts at that offset. */
  private readonly index: [number, number][] = [];
  private indexedAt = 0;
  private waiters: { seq: number; resolve: () => void }[] = [];
  private readonly ringSize: number;
  /** Lines written to the file that failed (disk full...): said once, in the journal. */
  writeFailing = false;
  /** @internal maintained by the store */
  reserved: number;
  /** @internal offset of the next append */
  size: number;

  constructor(
    readonly agentId: string,
    private readonly store: JournalStore,
    /** Undefined for a memory-only journal (no state dir). */
    readonly file: string | undefined,
    /** Undefined for a memory-only journal. */
    readonly markFile: string | undefined,
    init: JournalInit,
  ) {
    this.assigned = init.lastSeq;
    this.durable = init.lastSeq;
    this.reserved = init.reserved;
    this.size = init.size;
    this.ringSize = init.ringSize;
    for (const { seq, line, offset } of init.tail) {
      this.ringSeqs.push(seq);
      this.ringLines.push(line);
      this.ringChars += line.length;
      this.noteOffset(seq, offset);
    }
    this.trimRing();
  }

  /** The last durable seq: written to the journal and published. What replays serve. */
  get lastSeq(): number {
    return this.durable;
  }

  /** The last seq handed out (may still be on its way to the disk). */
  get assignedSeq(): number {
    return this.assigned;
  }

  /**
   * Takes the next seq for `event` and queues it for the next group commit. The event is
   * encoded now (so later changes to the object do not leak in); one that cannot be encoded
   * is replaced by an error event with the same seq.
   */
  append(event: AgentEvent, time = Date.now()): AgentEventEnvelope {
    const encoded = encodeEnvelope({ agentId: this.agentId, seq: ++this.assigned, time, event });
    this.store.enqueue(this, encoded);
    return encoded.envelope;
  }

  /** Resolves once everything appended so far (by any agent) is written and published. */
  flush(): Promise<void> {
    return this.store.flush();
  }

  /** Resolves when the journals can take more (see JournalStore.drain). */
  drain(): Promise<void> {
    return this.store.drain();
  }

  /** Resolves once this agent's events up to `seq` are durable and published. */
  untilDurable(seq = this.assigned): Promise<void> {
    if (seq <= this.durable) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  /**
   * Events with seq > afterSeq (durable ones), oldest first: at most `limit`, and about 8 MB
   * (at least one); `more` says when to ask again.
   */
  async replay(
    afterSeq: number,
    limit: number,
  ): Promise<{ events: AgentEventEnvelope[]; more: boolean }> {
    const page = await this.linesAfter(afterSeq, REPLAY_PAGE_CHARS, limit);
    return {
      events: page.lines.map((line) => JSON.parse(line) as AgentEventEnvelope),
      more: page.more,
    };
  }

  /**
   * Encoded durable lines with seq > afterSeq, oldest first: about `maxBytes` of them (at
   * least one) and at most `maxLines`. From the ring when it reaches back far enough, else
   * from the file.
   */
  async linesAfter(
    afterSeq: number,
    maxBytes: number,
    maxLines: number,
  ): Promise<{ lines: string[]; lastSeq: number; more: boolean }> {
    const first = this.ringSeqs[0];
    if (this.file && afterSeq < this.durable && (first === undefined || afterSeq + 1 < first)) {
      const fromFile = await this.fileLinesAfter(afterSeq, maxBytes, maxLines);
      // Nothing in the file after afterSeq (it lost lines): the ring is all there is.
      if (fromFile.lines.length > 0) return fromFile;
    }
    const start = lowerBound(this.ringSeqs, afterSeq + 1);
    const lines: string[] = [];
    let bytes = 0;
    let i = start;
    for (; i < this.ringLines.length && lines.length < maxLines; i++) {
      const line = this.ringLines[i]!;
      if (lines.length > 0 && bytes + line.length > maxBytes) break;
      lines.push(line);
      bytes += line.length;
    }
    const lastSeq = i > start ? this.ringSeqs[i - 1]! : afterSeq;
    return { lines, lastSeq, more: i < this.ringLines.length };
  }

  /**
   * @internal The store made these durable: written at file offset `offset` (undefined for
   * a memory-only journal or lines the disk refused).
   */
  committed(entries: readonly EncodedEnvelope[], offset: number | undefined): void {
    // Batches start on line boundaries: their offsets are all the index needs.
    const first = entries[0];
    if (first && offset !== undefined) this.noteOffset(first.envelope.seq, offset);
    for (const { envelope, line } of entries) {
      this.ringSeqs.push(envelope.seq);
      this.ringLines.push(line);
      this.ringChars += line.length;
    }
    const last = entries.at(-1);
    if (last) this.durable = last.envelope.seq;
    if (this.waiters.length > 0) {
      const due = this.waiters.filter((w) => w.seq <= this.durable);
      this.waiters = this.waiters.filter((w) => w.seq > this.durable);
      // After the publish that follows this call (same tick), not before it.
      if (due.length > 0) queueMicrotask(() => due.forEach((w) => w.resolve()));
    }
    this.trimRing();
  }

  /** Trims in chunks (a quarter over the bound) so the ring is not spliced on every event. */
  private trimRing(): void {
    if (this.ringLines.length <= this.ringSize * 1.25 && this.ringChars <= RING_CHARS * 1.25)
      return;
    let drop = Math.max(0, this.ringLines.length - this.ringSize);
    let chars = this.ringChars;
    for (let i = 0; i < drop; i++) chars -= this.ringLines[i]!.length;
    while (chars > RING_CHARS && drop < this.ringLines.length - 1)
      chars -= this.ringLines[drop++]!.length;
    this.ringSeqs.splice(0, drop);
    this.ringLines.splice(0, drop);
    this.ringChars = chars;
  }

  /** The encoded lines in the memory ring, oldest first (read-only view). */
  recentLines(): readonly string[] {
    return this.ringLines;
  }

  /** Drops the memory ring (a dismissed agent: replays then read the file). */
  releaseRing(): void {
    if (!this.file) return;
    this.ringSeqs = [];
    this.ringLines = [];
    this.ringChars = 0;
  }

  private noteOffset(seq: number, offset: number): void {
    if (this.index.length > 0 && offset - this.indexedAt < INDEX_EVERY_BYTES) return;
    this.index.push([seq, offset]);
    this.indexedAt = offset;
  }

  private async fileLinesAfter(
    afterSeq: number,
    maxBytes: number,
    maxLines: number,
  ): Promise<{ lines: string[]; lastSeq: number; more: boolean }> {
    // Start at the last remembered offset whose line is at or before the one wanted.
    let offset = 0;
    for (const [seq, at] of this.index) {
      if (seq > afterSeq + 1) break;
      offset = at;
    }
    const read = await readLinesAfter(
      this.file!,
      this.agentId,
      afterSeq,
      offset,
      maxBytes,
      maxLines,
    );
    if (read.badLines > 0) this.store.reportBadLines(this, read.badLines);
    for (const line of read.lines) this.noteIndexFromScan(line);
    const lastSeq = read.lines.at(-1)?.seq ?? afterSeq;
    // Lines past the file's end are in the ring (or on their way): more when behind durable.
    return {
      lines: read.lines.map((l) => l.line),
      lastSeq,
      more: read.more || lastSeq < this.durable,
    };
  }

  /** Offsets learnt while scanning lines older than any remembered one. */
  private noteIndexFromScan(line: JournalLine): void {
    const firstIndexed = this.index[0];
    if (firstIndexed && line.offset >= firstIndexed[1]) return;
    const previous = this.index.findLast(([, at]) => at <= line.offset);
    if (previous && line.offset - previous[1] < INDEX_EVERY_BYTES) return;
    this.index.push([line.seq, line.offset]);
    this.index.sort((a, b) => a[1] - b[1]);
  }
}

/** First index whose value is >= target (values ascending). */
function lowerBound(values: readonly number[], target: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
