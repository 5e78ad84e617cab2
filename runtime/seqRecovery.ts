// An agent's journal read back after a restart, and where its seqs continue, so that none is
// ever handed out twice. The journal's last line is the truth after a crash on the same boot
// (what was written is in the page cache; what was not was never published). Across a
// machine restart, or when the journal is missing, damaged or shorter than a clean stop said,
// events that coordinators may have seen are gone: the seqs then continue above the
// high-water mark (no seq above it was ever handed out), and the agent's transcript gets a
// notice saying what was lost.
import type { PreviousStop } from './bootState';
import { readMark, readTail, type TailRead } from './journalFile';

/** Bytes of a journal's end read back at a restart (its newest lines, for the ring). */
const TAIL_BYTES = 4 * 1024 * 1024;

export interface ReopenedJournal extends SeqRecovery {
  tail: TailRead | undefined;
  /** The high-water mark to keep: no seq at or below it is handed out again. */
  reserved: number;
  /** What was repaired or found damaged. */
  problems: string[];
}

/**
 * Reads an agent's journal back after a restart: cuts a torn last line, reads its newest
 * lines and its high-water mark, and picks where its seqs continue.
 */
export async function reopenJournal(
  agentId: string,
  file: string,
  markFile: string,
  reserveAhead: number,
  previousStop: PreviousStop,
): Promise<ReopenedJournal> {
  const problems: string[] = [];
  const tail = await readTail(file, agentId, TAIL_BYTES);
  const mark = await readMark(markFile);
  if (tail && tail.tornBytes > 0)
    problems.push(
      `cut an incomplete last line (${tail.tornBytes} bytes, never published) off ${file}`,
    );
  if (tail && tail.badLines > 0)
    problems.push(`skipped ${tail.badLines} damaged line(s) near the end of ${file}`);
  if (mark === 'unreadable') problems.push(`the seq high-water mark ${markFile} is unreadable`);
  // Without a mark file no seq above the first reservation was ever handed out.
  const reserved = typeof mark === 'object' ? mark.reserved : reserveAhead;
  const { next, lost } = recoverSeq(agentId, tail, reserved, previousStop);
  if (lost) problems.push(lost);
  return { tail, next, lost, reserved: Math.max(reserved, next), problems };
}

export interface SeqRecovery {
  /** The last seq taken: the next event gets next + 1. */
  next: number;
  /** Set when events were lost: the text of the notice for the agent's journal. */
  lost: string | undefined;
}

export function recoverSeq(
  agentId: string,
  tail: TailRead | undefined,
  reserved: number,
  previousStop: PreviousStop,
): SeqRecovery {
  const onDisk = tail?.lines.at(-1)?.seq ?? 0;
  if (onDisk === 0) {
    return {
      next: reserved,
      lost: `This agent's journal was ${tail ? 'empty' : 'missing'} when the worker started: its earlier events are lost. Its seqs continue above ${reserved}, the highest that could have been handed out.`,
    };
  }
  if (previousStop.kind === 'clean') {
    const exact = previousStop.lastSeqs[agentId];
    if (exact === undefined || exact <= onDisk) return { next: onDisk, lost: undefined };
    return {
      next: exact,
      lost: `This agent's journal ends at seq ${onDisk} but held seq ${exact} when the worker last stopped: events ${onDisk + 1}-${exact} are lost.`,
    };
  }
  const sameBoot = previousStop.kind === 'crash-same-boot' || previousStop.kind === 'first-start';
  if ((sameBoot && (tail?.badLines ?? 0) === 0) || reserved <= onDisk)
    return { next: onDisk, lost: undefined };
  return {
    next: reserved,
    lost: `The worker stopped without a clean shutdown across a machine restart (or its journal was damaged): events after seq ${onDisk} that had not reached the disk are lost. Seqs continue above ${reserved}.`,
  };
}
