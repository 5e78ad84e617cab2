// The on-disk side of one agent's journal: `<id>.jsonl` (one envelope per line, appended)
// and `<id>.mark` (the seq high-water mark). Reading the tail at restore repairs a torn
// last line; reading from an offset serves replays older than the memory ring. Every line
// read back is checked with the envelope schema: the file may be torn, edited or old.
import { createReadStream } from 'node:fs';
import { open, readFile, stat, truncate } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { AgentEventEnvelopeSchema, type AgentEventEnvelope } from '../protocol/agentEvents';
import { writeFileAtomic } from './privateFiles';

/** One line of a journal as it was read back, with where it starts in the file. */
export interface JournalLine {
  readonly seq: number;
  readonly line: string;
  readonly offset: number;
}

export interface TailRead {
  /** Valid lines of the tail, oldest first, seqs increasing. */
  readonly lines: JournalLine[];
  /** File size after any repair. */
  readonly size: number;
  /** Bytes cut from the end (an incomplete last line). */
  readonly tornBytes: number;
  /** Complete lines in the tail that were not valid envelopes of this agent (skipped). */
  readonly badLines: number;
}

/** Parses one journal line; undefined when it is not a valid envelope of `agentId`. */
export function parseLine(line: string, agentId: string): AgentEventEnvelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const parsed = AgentEventEnvelopeSchema.safeParse(value);
  return parsed.success && parsed.data.agentId === agentId ? parsed.data : undefined;
}

/**
 * Reads the last `maxBytes` (more if one line is longer) of a journal and cuts an incomplete
 * last line off the file, so the next append starts on a line boundary. Undefined when the
 * file does not exist.
 */
export async function readTail(
  file: string,
  agentId: string,
  maxBytes: number,
): Promise<TailRead | undefined> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const handle = await open(file, 'r');
  let window: { start: number; end: number; lines: JournalLine[]; badLines: number };
  try {
    // Grow the window until it holds a valid line (or is the whole file).
    for (let want = maxBytes; ; want *= 2) {
      const start = Math.max(0, size - want);
      const chunk = Buffer.alloc(size - start);
      await handle.read(chunk, 0, chunk.length, start);
      window = { start, ...parseWindow(chunk, start, agentId) };
      if (window.lines.length > 0 || start === 0) break;
    }
  } finally {
    await handle.close();
  }
  const { start, end, lines, badLines } = window;
  const tornBytes = size - (start + end);
  if (tornBytes > 0) await truncate(file, start + end);
  return { lines, size: start + end, tornBytes, badLines };
}

/** The complete lines of a window of the file; `end` is just past the last newline. */
function parseWindow(
  chunk: Buffer,
  start: number,
  agentId: string,
): { end: number; lines: JournalLine[]; badLines: number } {
  const end = chunk.lastIndexOf(0x0a) + 1;
  // A window that starts mid-file begins with the rest of a line it cut: skip that part.
  let from = start > 0 ? chunk.indexOf(0x0a) + 1 : 0;
  const lines: JournalLine[] = [];
  let badLines = 0;
  let lastSeq = 0;
  while (from < end) {
    const newline = chunk.indexOf(0x0a, from);
    const text = chunk.toString('utf8', from, newline);
    const envelope = text ? parseLine(text, agentId) : undefined;
    if (envelope && envelope.seq > lastSeq) {
      lines.push({ seq: envelope.seq, line: text, offset: start + from });
      lastSeq = envelope.seq;
    } else if (text) badLines++;
    from = newline + 1;
  }
  return { end, lines, badLines };
}

/**
 * Lines with seq > afterSeq from `offset` on, at most `maxBytes` of them (at least one),
 * and whether the file holds more. Invalid lines are skipped and counted.
 */
export async function readLinesAfter(
  file: string,
  agentId: string,
  afterSeq: number,
  offset: number,
  maxBytes: number,
  maxLines: number,
): Promise<{ lines: JournalLine[]; more: boolean; badLines: number }> {
  const lines: JournalLine[] = [];
  let bytes = 0;
  let badLines = 0;
  let position = offset;
  let more = false;
  let stream;
  try {
    stream = createReadStream(file, { start: offset, encoding: 'utf8' });
    await new Promise<void>((resolve, reject) => {
      stream!.once('open', () => resolve());
      stream!.once('error', reject);
    });
  } catch (error) {
    stream?.destroy();
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lines, more, badLines };
    throw error;
  }
  const reader = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const text of reader) {
      const at = position;
      position += Buffer.byteLength(text, 'utf8') + 1;
      if (!text) continue;
      if (lines.length >= maxLines || (lines.length > 0 && bytes + text.length > maxBytes)) {
        more = true;
        break;
      }
      const envelope = parseLine(text, agentId);
      if (!envelope) {
        badLines++;
        continue;
      }
      if (envelope.seq <= afterSeq) continue;
      lines.push({ seq: envelope.seq, line: text, offset: at });
      bytes += text.length;
    }
  } finally {
    reader.close();
    stream.destroy();
  }
  return { lines, more, badLines };
}

/**
 * The seq high-water mark: no seq above `reserved` was ever handed out, so a restart never
 * reuses one even when the journal lost its tail or was deleted. `exact` is set by a clean
 * shutdown: then `reserved` is the journal's true last seq.
 */
const MarkSchema = z.object({
  reserved: z.number().int().nonnegative(),
  exact: z.boolean().optional(),
});
export type Mark = z.infer<typeof MarkSchema>;

export async function readMark(file: string): Promise<Mark | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    return 'unreadable';
  }
  try {
    const parsed = MarkSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

export function writeMark(file: string, mark: Mark, sync: boolean): Promise<void> {
  return writeFileAtomic(file, JSON.stringify(mark) + '\n', sync);
}
