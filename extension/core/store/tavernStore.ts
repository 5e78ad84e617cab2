// A project's `.tavern/` folder: a readable record per agent (agents/<name>-<id>/agent.json),
// an append-only transcript.jsonl of event envelopes beside it, and Jake's the same way under
// jake/. Appends are batched and never rewrite; records are written atomically.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { AgentEventEnvelope } from '../../../protocol/agentEvents';
import { readEnvelopes } from '../../../protocol/jsonl';
import { errorMessage } from '../../../protocol/errors';
import { JAKE_ID } from '../../../protocol/ids';
import { AppendHandles } from '../../../runtime/appendHandles';
import { parseAgentRecord, type AgentRecord } from './agentRecord';
import { ProjectLock, type LockResult } from './projectLock';

/** The longest a flush writes before letting the event loop take a turn. */
const SLICE_MS = 8;
/** Unwritten transcript lines past which the store is behind (a few MB of lines). */
const BEHIND_LINES = 20_000;

/** The seq of the last complete line of a transcript (0 when none). */
function lastSeqIn(file: string): number {
  if (!existsSync(file)) return 0;
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  try {
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n').filter(Boolean).reverse();
    for (const line of lines) {
      try {
        return (JSON.parse(line) as AgentEventEnvelope).seq;
      } catch {
        // a torn line: try the one before
      }
    }
    return 0;
  } finally {
    closeSync(fd);
  }
}

const safe = (name: string): string => name.replace(/[^\w.-]+/g, '_').slice(0, 60);

export class TavernStore {
  readonly dir: string;
  readonly lock: LockResult;
  private readonly lockFile: ProjectLock;
  private readonly dirs = new Map<string, string>();
  /** Agent folders known to exist. */
  private readonly made = new Set<string>();
  /** Open transcript descriptors (at most 256), so a busy agent is not opened per append. */
  private readonly handles = new AppendHandles<string>(256);
  private readonly pending = new Map<string, string[]>();
  private backlogLines = 0;
  /** Records to write, newest text per file: a burst of state changes is one write. */
  private readonly pendingRecords = new Map<string, string>();
  private flushing: Promise<void> | undefined;
  /** Record files that could not be read, with why (for the log and a notice). */
  readonly problems: string[] = [];

  constructor(
    folder: string,
    /** Where a failed write is reported (the store never throws from a write). */
    private readonly onError: (message: string) => void = () => undefined,
  ) {
    this.dir = join(folder, '.tavern');
    mkdirSync(join(this.dir, 'agents'), { recursive: true });
    const ignore = join(this.dir, '.gitignore');
    if (!existsSync(ignore))
      writeFileSync(
        ignore,
        '# Tavern state: transcripts and agent records, local to this machine.\n*\n',
      );
    this.lockFile = new ProjectLock(this.dir);
    this.lock = this.lockFile.acquire();
  }

  get readOnly(): boolean {
    return !this.lock.acquired;
  }

  /**
   * Queues the record's current content; written with the transcripts, off the hot path (a
   * thousand agents changing state must not mean a thousand synchronous writes). The transcript
   * stays the truth for lastSeq, so a record a crash left behind is corrected when loaded.
   */
  saveRecord(record: AgentRecord): void {
    if (this.readOnly) return;
    const dir = this.agentDir(record.id, record.name);
    this.pendingRecords.set(join(dir, 'agent.json'), JSON.stringify(record, null, 2) + '\n');
    this.flushing ??= this.flushSoon();
  }

  loadRecords(): AgentRecord[] {
    const root = join(this.dir, 'agents');
    const records: AgentRecord[] = [];
    for (const entry of readdirSync(root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const record = this.readRecord(join(root, entry.name));
      if (record) records.push(record);
    }
    return records;
  }

  /** Jake's record (.tavern/jake/agent.json), with lastSeq taken from his transcript. */
  loadJake(): AgentRecord | undefined {
    const dir = join(this.dir, 'jake');
    return existsSync(join(dir, 'agent.json')) ? this.readRecord(dir) : undefined;
  }

  /** A record and where it lives; undefined (and a problem noted) when it cannot be read. */
  private readRecord(dir: string): AgentRecord | undefined {
    const file = join(dir, 'agent.json');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      // A folder without a record is not an agent (e.g. one left half-made by a crash).
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.problems.push(`${file}: ${(error as Error).message}`);
      return undefined;
    }
    const parsed = parseAgentRecord(text);
    if ('problem' in parsed) {
      this.problems.push(`${file}: ${parsed.problem}; left as it is and not loaded`);
      return undefined;
    }
    const record = parsed.record;
    this.dirs.set(record.id, dir);
    this.made.add(dir);
    // The transcript is the truth: a record written before a crash may lag behind it.
    record.lastSeq = Math.max(record.lastSeq, lastSeqIn(join(dir, 'transcript.jsonl')));
    return record;
  }

  /**
   * Queues envelopes for the agent's transcript, each encoded here, once; written in batches,
   * in order (one append per agent per round).
   */
  append(agentId: string, name: string, envelopes: readonly AgentEventEnvelope[]): void {
    if (this.readOnly || envelopes.length === 0) return;
    const queue = this.queue(agentId, name);
    for (const envelope of envelopes) queue.push(JSON.stringify(envelope));
    this.backlogLines += envelopes.length;
  }

  /** The same for envelopes already encoded as JSON lines (a journal's own encoding). */
  appendLines(agentId: string, name: string, lines: readonly string[]): void {
    if (this.readOnly || lines.length === 0) return;
    const queue = this.queue(agentId, name);
    for (const line of lines) queue.push(line);
    this.backlogLines += lines.length;
  }

  /**
   * More transcript lines wait to be written than a few turns of writing take: whoever reads
   * events should read fewer until this catches up (workers/turnBudget.ts's brake).
   */
  get behind(): boolean {
    return this.backlogLines > BEHIND_LINES;
  }

  private queue(agentId: string, name: string): string[] {
    let queue = this.pending.get(agentId);
    if (!queue) {
      this.agentDir(agentId, name);
      this.pending.set(agentId, (queue = []));
    }
    this.flushing ??= this.flushSoon();
    return queue;
  }

  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** A page of the transcript: the newest `limit` events before `beforeSeq` (default: the end). */
  async loadTranscript(
    agentId: string,
    options: { beforeSeq?: number; limit: number },
  ): Promise<AgentEventEnvelope[]> {
    await this.flush(); // what was appended a moment ago belongs in the page
    const dir = this.dirs.get(agentId);
    const file = dir ? join(dir, 'transcript.jsonl') : undefined;
    if (!file || !existsSync(file)) return [];
    let page: AgentEventEnvelope[] = [];
    for await (const envelope of readEnvelopes(file)) {
      if (options.beforeSeq !== undefined && envelope.seq >= options.beforeSeq) break;
      page.push(envelope);
      // Trim in chunks: shifting one at a time is quadratic on a long transcript.
      if (page.length >= 2 * options.limit) page = page.slice(-options.limit);
    }
    return page.slice(-options.limit);
  }

  async dispose(): Promise<void> {
    await this.flush();
    this.handles.closeAll();
    this.lockFile.release();
  }

  private agentDir(agentId: string, name: string): string {
    let dir = this.dirs.get(agentId);
    if (!dir) {
      dir =
        agentId === JAKE_ID
          ? join(this.dir, 'jake')
          : join(this.dir, 'agents', `${safe(name)}-${safe(agentId)}`);
      this.dirs.set(agentId, dir);
    }
    return dir;
  }

  /** Made by the writer, on its first write there (a burst of summons makes none itself). */
  private ensureDir(dir: string): void {
    if (this.made.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    this.made.add(dir);
  }

  /**
   * One writer for transcripts and records, in order; a failed write is reported, not thrown.
   * Writes are synchronous, in slices of at most SLICE_MS with a turn of the event loop
   * between them: an asynchronous append is three trips through the thread pool, each
   * waiting for a turn of a loop that is busy reading workers (measured with 10,000 agents
   * summoned at once: 111 appends took 6.5 s while 460,000 events piled up behind them).
   * Each round writes every transcript that has lines waiting, then records for what is left
   * of its slice: thousands of records (a summoning burst) never hold transcripts back.
   */
  private async flushSoon(): Promise<void> {
    await nextTurn();
    try {
      let sliceStart = performance.now();
      const sliceSpent = async (): Promise<void> => {
        if (performance.now() - sliceStart < SLICE_MS) return;
        await nextTurn();
        sliceStart = performance.now();
      };
      while (this.pending.size > 0 || this.pendingRecords.size > 0) {
        const batch = [...this.pending.entries()];
        this.pending.clear();
        for (const [agentId, lines] of batch) {
          this.backlogLines -= lines.length;
          const dir = this.dirs.get(agentId);
          if (!dir) continue;
          const file = join(dir, 'transcript.jsonl');
          this.write(file, () => {
            this.ensureDir(dir);
            this.handles.appendSync(agentId, file, Buffer.from(lines.join('\n') + '\n', 'utf8'));
          });
          // No write is in flight here (all are synchronous): what was evicted closes now,
          // so a round over 10,000 agents never holds more than the cap's descriptors.
          this.handles.closeEvicted();
          await sliceSpent();
        }
        // Newest text per file: one saved during this loop replaces the one it would write.
        for (const [file, text] of this.pendingRecords) {
          if (performance.now() - sliceStart >= SLICE_MS) break;
          this.pendingRecords.delete(file);
          this.write(file, () => {
            this.ensureDir(dirname(file));
            writeFileSync(file + '.tmp', text);
            renameSync(file + '.tmp', file);
          });
        }
        await sliceSpent();
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private write(file: string, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.onError(`could not write ${file}: ${errorMessage(error)}`);
    }
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
