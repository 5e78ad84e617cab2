// Where an agent's seqs continue after a restart, so that none is ever handed out twice. The
// journal's last line is the truth after a crash on the same boot (what was written is in
// the page cache; what was not was never published). Across a machine restart, or when the
// journal is missing, damaged or shorter than a clean stop said, events that coordinators may
// have seen are gone: the seqs then continue above the high-water mark (no seq above it was
// ever handed out), and the agent's transcript gets a notice saying what was lost.
import type { PreviousStop } from './bootState';
import type { TailRead } from './journalFile';

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
