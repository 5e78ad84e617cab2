// The journals of one host (a worker, or the extension host for Jake) and their group
// commit. Agents append at any time; once per tick the store writes each agent's pending
// lines with one append and, only when those writes are done, publishes the envelopes (in
// emit order, seq order per agent). So a coordinator never holds a seq the disk lacks, and
// a kill -9 loses nothing anyone saw.
//
// fsync policy: write() per batch, fdatasync of the journals written since at most every
// `fsyncMs` (default 1 s) and at a clean stop; `fsyncMs: 0` syncs before every publish. A
// power cut can therefore lose up to `fsyncMs` of events that coordinators already saw; the
// seq high-water mark (synced before any seq above it is published) makes sure a restart
// never hands those seqs out again.
import { openSync, rmSync } from 'node:fs';
import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../protocol/errors';
import { AppendHandles } from './appendHandles';
import { currentBoot, readPreviousStop, writeBootFile, type PreviousStop } from './bootState';
import type { EncodedEnvelope } from './eventEncoding';
import { DEFAULT_RING_SIZE, Journal } from './journal';
import { readTail, writeMark } from './journalFile';
import { reopenJournal } from './seqRecovery';
import { SyncSchedule } from './syncSchedule';
import type { Logger } from './log';
import { ensurePrivateDir, FILE_MODE } from './privateFiles';

export interface JournalStoreOptions {
  /** Where journals live; undefined keeps them in memory only (nothing survives a restart). */
  dir: string | undefined;
  log: Logger;
  /**
   * Envelopes that just became durable, in emit order (seq order per agent). `bytes`, when
   * given, holds the same lines as written to disk: UTF-8, one Buffer per agent, each line
   * ending in a newline (a sender can frame them without encoding again).
   */
  publish(batch: readonly EncodedEnvelope[], bytes?: readonly Buffer[]): void;
  /** fdatasync written journals at most this often (ms); 0: before every publish. */
  fsyncMs?: number;
  ringSize?: number;
  /** Seqs covered by one high-water mark write. */
  reserveAhead?: number;
}

export interface RestoredJournal {
  journal: Journal;
  /** What was repaired or found damaged, for the log and the coordinators' notices. */
  problems: string[];
  /** Set when events were lost: the text of a notice to append to the agent's journal. */
  lost: string | undefined;
}

interface Pending {
  journal: Journal;
  encoded: EncodedEnvelope;
}

type WriteOutcome =
  { kind: 'written'; offset: number; data: Buffer } | { kind: 'held' | 'memory' | 'unwritten' };

export const DEFAULT_FSYNC_MS = 1000;
const DEFAULT_RESERVE_AHEAD = 10_000;
/** One commit round writes at most this much, so a backlog never blocks the loop for long. */
const MAX_COMMIT_BYTES = 1024 * 1024;
/** Lines whose write failed are retried; past this much per agent they are published anyway. */
const MAX_HELD_BYTES = 16 * 1024 * 1024;
const RETRY_MS = 1000;
/**
 * Producers are asked to wait (see `drain`) while this many characters wait to be written,
 * and let go below a quarter of it: events never pile up in memory faster than the disk.
 */
const QUEUE_HIGH_CHARS = 16 * 1024 * 1024;
/** Journals kept open for appends (the least recently written are closed past this). */
const MAX_OPEN_FILES = 128;

export class JournalStore {
  private queue: Pending[] = [];
  private scheduled = false;
  private committing = false;
  /** flush() callers: resolved once `processed` reaches their mark. */
  private flushes: { upTo: number; resolve: () => void }[] = [];
  private enqueued = 0;
  private processed = 0;
  private queuedChars = 0;
  private drains: (() => void)[] = [];
  private readonly held = new Map<Journal, Pending[]>();
  private readonly sync: SyncSchedule | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly journals = new Set<Journal>();
  private readonly handles = new AppendHandles<Journal>(MAX_OPEN_FILES);
  private readonly reportedBad = new Set<Journal>();
  private previousStop: PreviousStop = { kind: 'first-start' };
  private readonly boot = currentBoot();
  private readonly fsyncMs: number;
  private readonly reserveAhead: number;
  private readonly ringSize: number;

  constructor(private readonly options: JournalStoreOptions) {
    this.fsyncMs = options.fsyncMs ?? DEFAULT_FSYNC_MS;
    this.reserveAhead = options.reserveAhead ?? DEFAULT_RESERVE_AHEAD;
    this.ringSize = options.ringSize ?? DEFAULT_RING_SIZE;
    this.sync = options.dir ? new SyncSchedule(options.dir, this.fsyncMs, options.log) : undefined;
  }

  get dir(): string | undefined {
    return this.options.dir;
  }

  /** Reads how the last run stopped and records this one as running. Call before restore. */
  async start(): Promise<PreviousStop> {
    const dir = this.options.dir;
    if (!dir) return this.previousStop;
    ensurePrivateDir(dir);
    const file = join(dir, 'boot.json');
    this.previousStop = await readPreviousStop(file, this.boot);
    await writeBootFile(file, this.boot, false);
    return this.previousStop;
  }

  /**
   * A journal for a new agent. Throws when one with that id exists on disk. A memory-only
   * journal may continue from `lastSeq` (Jake: his transcript lives in .tavern/, not here).
   */
  create(agentId: string, lastSeq = 0): Journal {
    if (lastSeq > 0 && this.options.dir)
      throw new Error(
        'Only a memory-only journal continues from a seq; restore() a journal on disk.',
      );
    const { file, markFile } = this.paths(agentId);
    let fd: number | undefined;
    // Created now (exclusively: an existing journal is never appended to by a new agent), so
    // the first commit is one write.
    if (file) {
      try {
        fd = openSync(file, 'ax', FILE_MODE);
      } catch (error) {
        throw new Error(
          (error as NodeJS.ErrnoException).code === 'EEXIST'
            ? `A journal for agent "${agentId}" already exists in ${this.options.dir}. Use another agent id.`
            : `Could not create the journal ${file}: ${errorMessage(error)}`,
        );
      }
    }
    const journal = new Journal(agentId, this, file, markFile, {
      lastSeq,
      tail: [],
      size: 0,
      reserved: lastSeq + this.reserveAhead,
      ringSize: this.ringSize,
    });
    this.journals.add(journal);
    if (fd !== undefined) this.handles.adopt(journal, fd);
    return journal;
  }

  /**
   * Reopens an agent's journal after a restart: repairs a torn tail, reads the newest lines
   * into the ring, and picks the next seq so that none is ever handed out twice.
   */
  async restore(agentId: string): Promise<RestoredJournal> {
    const { file, markFile } = this.paths(agentId);
    if (!file || !markFile) throw new Error('restore needs a journal directory');
    const { reserveAhead, previousStop } = this;
    const reopened = await reopenJournal(agentId, file, markFile, reserveAhead, previousStop);
    const { tail, next, reserved, problems, lost } = reopened;
    const journal = new Journal(agentId, this, file, markFile, {
      lastSeq: next,
      tail: tail?.lines.slice(-this.ringSize) ?? [],
      size: tail?.size ?? 0,
      reserved,
      ringSize: this.ringSize,
    });
    this.journals.add(journal);
    return { journal, problems, lost };
  }

  /**
   * A dismissed agent's journal, opened to serve replays: its ring is left empty (replays
   * read the file), and nothing may be appended to it. Undefined when the file is gone.
   */
  async openRetired(agentId: string): Promise<Journal | undefined> {
    const { file, markFile } = this.paths(agentId);
    if (!file || !markFile) return undefined;
    const tail = await readTail(file, agentId, 64 * 1024);
    if (!tail) return undefined;
    const journal = new Journal(agentId, this, file, markFile, {
      lastSeq: tail.lines.at(-1)?.seq ?? 0,
      tail: tail.lines,
      size: tail.size,
      reserved: Number.MAX_SAFE_INTEGER,
      ringSize: this.ringSize,
    });
    journal.releaseRing();
    return journal;
  }

  /** Undoes `create` for an agent that never came to be (nothing was appended). */
  discard(journal: Journal): void {
    this.journals.delete(journal);
    this.handles.close(journal);
    if (journal.file && journal.assignedSeq === 0) rmSync(journal.file, { force: true });
  }

  /** A journal that no agent appends to any more (dismissed): forget it at close. */
  forget(journal: Journal): void {
    this.journals.delete(journal);
    void this.flush().then(() => this.handles.close(journal));
  }

  /** @internal Journal.append */
  enqueue(journal: Journal, encoded: EncodedEnvelope): void {
    this.queue.push({ journal, encoded });
    this.enqueued++;
    this.queuedChars += encoded.line.length;
    this.schedule();
  }

  /**
   * Resolves when the journals can take more events: at once, unless events arrive faster
   * than the disk takes them. Engines await it where they can pause (between streamed
   * chunks), which keeps the worker's memory bounded under any event rate.
   */
  drain(): Promise<void> {
    if (this.queuedChars < QUEUE_HIGH_CHARS) return Promise.resolve();
    return new Promise((resolve) => this.drains.push(resolve));
  }

  /**
   * Resolves once everything appended before the call is written (or held for a retry) and
   * published; events appended later do not keep it waiting.
   */
  flush(): Promise<void> {
    if (this.processed >= this.enqueued) return Promise.resolve();
    return new Promise((resolve) => this.flushes.push({ upTo: this.enqueued, resolve }));
  }

  /** Clean stop: everything written and synced, and every journal's last seq recorded. */
  async close(): Promise<void> {
    await this.flush();
    clearTimeout(this.retryTimer);
    this.sync?.stop();
    for (const [journal, entries] of this.held)
      this.options.log.error(
        `journal ${journal.agentId}: ${entries.length} event(s) never reached ${journal.file}; they are lost.`,
      );
    this.held.clear();
    const dir = this.options.dir;
    if (!dir) return;
    await this.sync?.now();
    this.handles.closeAll();
    const lastSeqs: Record<string, number> = {};
    for (const journal of this.journals) lastSeqs[journal.agentId] = journal.lastSeq;
    await writeBootFile(join(dir, 'boot.json'), this.boot, true, lastSeqs);
  }

  /** @internal A replay met damaged lines in an agent's file: said once per journal. */
  reportBadLines(journal: Journal, count: number): void {
    if (this.reportedBad.has(journal)) return;
    this.reportedBad.add(journal);
    this.options.log.warn(
      `journal ${journal.agentId}: skipped ${count} damaged line(s) in ${journal.file} while replaying`,
    );
  }

  private paths(agentId: string): { file?: string; markFile?: string } {
    const dir = this.options.dir;
    if (!dir) return {};
    const base = join(dir, encodeURIComponent(agentId));
    return { file: `${base}.jsonl`, markFile: `${base}.mark` };
  }

  private schedule(): void {
    if (this.scheduled || this.committing) return;
    this.scheduled = true;
    setImmediate(() => void this.commitRound());
  }

  private async commitRound(): Promise<void> {
    this.scheduled = false;
    this.committing = true;
    let fresh = 0;
    try {
      const { batch, taken } = this.take();
      fresh = taken;
      await this.commit(batch);
    } catch (error) {
      this.options.log.error(`journal commit failed: ${errorMessage(error)}`);
    } finally {
      this.committing = false;
      this.handles.closeEvicted();
      this.processed += fresh;
      if (this.queue.length > 0) this.schedule();
      if (this.flushes.length > 0) {
        const due = this.flushes.filter((f) => f.upTo <= this.processed);
        this.flushes = this.flushes.filter((f) => f.upTo > this.processed);
        for (const f of due) f.resolve();
      }
    }
  }

  /** The next round: earlier failed writes first, then up to MAX_COMMIT_BYTES of the queue. */
  private take(): { batch: Pending[]; taken: number } {
    let batch: Pending[] = [];
    for (const entries of this.held.values()) batch = batch.concat(entries);
    this.held.clear();
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || bytes < MAX_COMMIT_BYTES))
      bytes += this.queue[n++]!.encoded.line.length;
    this.queuedChars -= bytes;
    if (this.drains.length > 0 && this.queuedChars < QUEUE_HIGH_CHARS / 4)
      for (const resolve of this.drains.splice(0)) resolve();
    const fresh = n === this.queue.length ? this.queue : this.queue.slice(0, n);
    this.queue = n === this.queue.length ? [] : this.queue.slice(n);
    batch = batch.length === 0 ? fresh : batch.concat(fresh);
    return { batch, taken: n };
  }

  private async commit(batch: Pending[]): Promise<void> {
    const groups = new Map<Journal, Pending[]>();
    for (const pending of batch) {
      const group = groups.get(pending.journal);
      if (group) group.push(pending);
      else groups.set(pending.journal, [pending]);
    }
    const outcomes = new Map<Journal, WriteOutcome>();
    await Promise.all(
      [...groups].map(async ([journal, entries]) =>
        outcomes.set(journal, await this.write(journal, entries)),
      ),
    );
    // --fsync-ms 0: on disk before anyone sees it, even across a power cut.
    if (this.fsyncMs === 0) await this.sync?.now();
    let bytes: Buffer[] | undefined = [];
    for (const [journal, entries] of groups) {
      const outcome = outcomes.get(journal)!;
      if (outcome.kind === 'held') continue;
      const written = outcome.kind === 'written' ? outcome : undefined;
      journal.committed(
        entries.map((e) => e.encoded),
        written?.offset,
      );
      if (written) bytes?.push(written.data);
      else bytes = undefined;
    }
    const out: EncodedEnvelope[] = [];
    for (const pending of batch)
      if (outcomes.get(pending.journal)!.kind !== 'held') out.push(pending.encoded);
    if (out.length === 0) return;
    try {
      this.options.publish(out, bytes);
    } catch (error) {
      this.options.log.error(`publishing ${out.length} event(s) failed: ${errorMessage(error)}`);
    }
  }

  /** One append for one agent; its file offset, or what happened instead. */
  private async write(journal: Journal, entries: Pending[]): Promise<WriteOutcome> {
    const file = journal.file;
    if (!file || !journal.markFile) return { kind: 'memory' };
    const last = entries.at(-1)!.encoded.envelope.seq;
    const offset = journal.size;
    try {
      if (last > journal.reserved) {
        // Synced before any seq above the old mark is published (see the header).
        const reserved = last + this.reserveAhead;
        await writeMark(journal.markFile, { reserved }, true);
        journal.reserved = reserved;
      }
      const data = Buffer.from(entries.map((e) => e.encoded.line).join('\n') + '\n', 'utf8');
      await this.handles.append(journal, file, data);
      journal.size = offset + data.length;
      this.sync?.written(file, offset === 0);
      if (journal.writeFailing) {
        journal.writeFailing = false;
        this.options.log.info(`journal ${journal.agentId}: ${file} is being written again`);
      }
      return { kind: 'written', offset, data };
    } catch (error) {
      // Cut a partial append so the retry starts on a line boundary, on a fresh handle.
      this.handles.close(journal);
      await truncate(file, offset).catch(() => undefined);
      return { kind: this.hold(journal, entries, error) };
    }
  }

  private hold(journal: Journal, entries: Pending[], error: unknown): 'held' | 'unwritten' {
    const bytes = entries.reduce((sum, e) => sum + e.encoded.line.length, 0);
    if (!journal.writeFailing) {
      journal.writeFailing = true;
      this.options.log.error(
        `journal ${journal.agentId}: cannot write ${journal.file} (${errorMessage(error)}); its events wait (retried every ${RETRY_MS} ms).`,
      );
    }
    if (bytes > MAX_HELD_BYTES) {
      const first = entries[0]!.encoded.envelope.seq;
      const last = entries.at(-1)!.encoded.envelope.seq;
      const message = `The journal could not be written (${errorMessage(error)}): events ${first}-${last} were sent without reaching the disk, so a worker restart loses them. Free space on the worker.`;
      this.options.log.error(`journal ${journal.agentId}: ${message}`);
      journal.append({ kind: 'notice', level: 'warning', code: 'journal_unwritten', message });
      return 'unwritten';
    }
    this.held.set(journal, entries);
    this.retryTimer ??= setTimeout(() => {
      this.retryTimer = undefined;
      this.schedule();
    }, RETRY_MS);
    return 'held';
  }
}
