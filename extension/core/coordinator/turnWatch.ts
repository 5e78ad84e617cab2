// Notices a turn that ends without a report. An agent is asked to call `report` when it is
// done, blocked or needs input; one that simply stops talking would otherwise sit at "needs
// input" with nobody told. Jake hears what it last said instead.
import type { AgentEventEnvelope, ReportStatus } from '../../../protocol/agentEvents';

/** How much of the agent's last words Jake is told. */
const LAST_WORDS = 400;

interface Turn {
  reported: boolean;
  /** The last deltas, just enough of them to hold 2 x LAST_WORDS characters. */
  pieces: string[];
  length: number;
}

const fresh = (reported: boolean): Turn => ({ reported, pieces: [], length: 0 });

export class TurnWatch {
  private readonly turns = new Map<string, Turn>();

  /** Feeds one event; returns a report when it ended a turn that had none. */
  observe(
    envelope: AgentEventEnvelope,
  ): { status: ReportStatus | 'no_report'; summary: string } | undefined {
    const event = envelope.event;
    let turn = this.turns.get(envelope.agentId);
    switch (event.kind) {
      case 'state':
        if (event.state === 'working') {
          this.turns.set(envelope.agentId, fresh(false));
          return undefined;
        }
        if (event.state === 'dismissed') this.turns.delete(envelope.agentId);
        if (!turn || turn.reported) return undefined;
        if (event.state === 'waiting' && event.reason === 'input') {
          this.turns.delete(envelope.agentId);
          const words = turn.pieces.join('').trim();
          return {
            status: 'no_report',
            summary: words
              ? words.length > LAST_WORDS
                ? `…${words.slice(-LAST_WORDS)}`
                : words
              : '(it said nothing)',
          };
        }
        return undefined;
      case 'text':
        if (!turn) return undefined;
        // Whole deltas drop off the front; none is copied. (Keeping a string cut to the last
        // 800 characters copied them at every delta: most of what the coordinator allocated
        // while agents streamed.)
        turn.pieces.push(event.text);
        turn.length += event.text.length;
        while (turn.length - turn.pieces[0]!.length >= 2 * LAST_WORDS)
          turn.length -= turn.pieces.shift()!.length;
        return undefined;
      case 'report':
        turn ??= fresh(true);
        turn.reported = true;
        this.turns.set(envelope.agentId, turn);
        return { status: event.status, summary: event.summary };
      default:
        return undefined;
    }
  }
}
