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
  statSync,
  writeFileSync,
} from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentEventEnvelope } from '../../../protocol/agentEvents';
import { readEnvelopes } from '../../../protocol/jsonl';
import { errorMessage } from '../../../protocol/errors';
import { JAKE_ID } from '../../../protocol/ids';
import { AppendHandles } from '../../../runtime/appendHandles';
import { parseAgentRecord, type AgentRecord } from './agentRecord';
import { ProjectLock, type LockResult } from './projectLock';

/** The seq of the last complete line of a transcript (0 when none). */
/** Transcript appends and record writes in flight at once (libuv has 4 threads). */
const WRITERS = 8;

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
  /** Open transcript descriptors (at most 256), so a busy agent is not opened per append. */
  private readonly handles = new AppendHandles<string>(256);
  private readonly pending = new Map<string, string[]>();
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
  }

  /** The same for envelopes already encoded as JSON lines (a journal's own encoding). */
  appendLines(agentId: string, name: string, lines: readonly string[]): void {
    if (this.readOnly || lines.length === 0) return;
    const queue = this.queue(agentId, name);
    for (const line of lines) queue.push(line);
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
      mkdirSync(dir, { recursive: true });
      this.dirs.set(agentId, dir);
    }
    return dir;
  }

  /** One writer for transcripts and records, in order; a failed write is reported, not thrown. */
  private async flushSoon(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.pending.size > 0 || this.pendingRecords.size > 0) {
        const batch = [...this.pending.entries()];
        this.pending.clear();
        // One append per agent, several agents at once (each file still gets one writer).
        await inParallel(batch, WRITERS, async ([agentId, lines]) => {
          const dir = this.dirs.get(agentId);
          if (!dir) return;
          const file = join(dir, 'transcript.jsonl');
          const data = Buffer.from(lines.join('\n') + '\n', 'utf8');
          await this.write(file, () => this.handles.append(agentId, file, data));
        });
        this.handles.closeEvicted();
        const records = [...this.pendingRecords.entries()];
        this.pendingRecords.clear();
        await inParallel(records, WRITERS, ([file, text]) =>
          this.write(file, async () => {
            await writeFile(file + '.tmp', text);
            await rename(file + '.tmp', file);
          }),
        );
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async write(file: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.onError(`could not write ${file}: ${errorMessage(error)}`);
    }
  }
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
