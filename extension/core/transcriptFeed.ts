// What the panel is sent of the agent on screen: its newest page from .tavern/, cut exactly
// where its live events begin, then each batch of its events as one message as the coordinator
// (or Jake) accepts it. The cut is the handoff: the page holds every seq up to the last one
// accepted when the agent was opened, the live batches every seq after it, so the webview
// never sees an event twice and never de-duplicates. Only the agent on screen is followed:
// other agents' events never reach this file.
import type { AgentEventEnvelope } from '../../protocol/agentEvents';
import type { HostMessage, TranscriptMessage } from '../../protocol/webview';
import type { Disposable } from './disposables';

/** The newest events shown first (fast to paint); older pages load as the user scrolls up. */
const FIRST_PAGE = 2_000;
const OLDER_PAGE = 5_000;

/** Where an agent's events come from: a coordinator, or Jake. */
export interface TranscriptSource {
  /** The last seq accepted and queued for .tavern/ (undefined: not known here). */
  lastSeq(agentId: string): number | undefined;
  /** The agent's events as they are accepted, after they were queued for .tavern/. */
  follow(agentId: string, listener: (events: readonly AgentEventEnvelope[]) => void): Disposable;
  /** A page of the stored transcript: the newest `limit` events before `beforeSeq`. */
  transcript(
    agentId: string,
    options: { beforeSeq?: number; limit: number },
  ): Promise<AgentEventEnvelope[]>;
}

/** A batch of the agent's live events (the webview's `events` message), or a page. */
export type FeedMessage =
  | (Omit<Extract<HostMessage, { type: 'events' }>, 'events'> & {
      events: readonly AgentEventEnvelope[];
    })
  | TranscriptMessage;

export class TranscriptFeed implements Disposable {
  private following: Disposable | undefined;
  private opened = 0;

  constructor(private readonly post: (message: FeedMessage) => void) {}

  /**
   * Shows an agent: its newest page, then its live batches. Batches that arrive while the
   * page is read wait and follow it as one message.
   */
  async open(source: TranscriptSource, agentId: string): Promise<void> {
    this.following?.dispose();
    const ticket = ++this.opened;
    let held: AgentEventEnvelope[] | undefined = [];
    // Taken in the same turn as the subscription: nothing falls between the two.
    const cut = source.lastSeq(agentId);
    this.following = source.follow(agentId, (events) => {
      if (!held) this.post({ type: 'events', agentId, events });
      else for (const envelope of events) held.push(envelope);
    });
    try {
      const events = await source.transcript(agentId, {
        limit: FIRST_PAGE,
        ...(cut !== undefined ? { beforeSeq: cut + 1 } : {}),
      });
      if (ticket !== this.opened) return; // another agent was opened meanwhile
      const more = (events[0]?.seq ?? 1) > 1;
      this.post({ type: 'transcript', agentId, reset: true, more, events });
    } finally {
      if (ticket === this.opened) {
        const waiting = held;
        held = undefined;
        if (waiting.length > 0) this.post({ type: 'events', agentId, events: waiting });
      }
    }
  }

  /** The page before `beforeSeq` (the user scrolled up). */
  async older(source: TranscriptSource, agentId: string, beforeSeq: number): Promise<void> {
    const events = await source.transcript(agentId, { limit: OLDER_PAGE, beforeSeq });
    const more = (events[0]?.seq ?? 1) > 1;
    this.post({ type: 'transcript', agentId, reset: false, more, events });
  }

  /** Stops following (the view went away). */
  close(): void {
    this.opened++;
    this.following?.dispose();
    this.following = undefined;
  }

  dispose(): void {
    this.close();
  }
}
