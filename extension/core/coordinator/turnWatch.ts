// Notices a turn that ends without a report. An agent is asked to call `report` when it is
// done, blocked or needs input; one that simply stops talking would otherwise sit at "needs
// input" with nobody told. Jake hears what it last said instead.
import type { AgentEventEnvelope, ReportStatus } from '../../../protocol/agentEvents';

/** How much of the agent's last words Jake is told. */
const LAST_WORDS = 400;

interface Turn {
  reported: boolean;
  text: string;
}

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
          this.turns.set(envelope.agentId, { reported: false, text: '' });
          return undefined;
        }
        if (event.state === 'dismissed') this.turns.delete(envelope.agentId);
        if (!turn || turn.reported) return undefined;
        if (event.state === 'waiting' && event.reason === 'input') {
          this.turns.delete(envelope.agentId);
          const words = turn.text.trim();
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
        // Cut back only once it is well over: cutting at every delta copied ~800 characters
        // per event (most of what the coordinator allocated while agents streamed).
        turn.text += event.text;
        if (turn.text.length > 8 * LAST_WORDS) turn.text = turn.text.slice(-2 * LAST_WORDS);
        return undefined;
      case 'report':
        turn ??= { reported: true, text: '' };
        turn.reported = true;
        this.turns.set(envelope.agentId, turn);
        return { status: event.status, summary: event.summary };
      default:
        return undefined;
    }
  }
}
