// Delivers each agent's events exactly once and in seq order, whatever the network did:
// duplicates (live + replay overlap) are dropped, and a gap (events missed while
// disconnected, or an agent first seen mid-stream) is filled by replaying from the worker
// before anything newer is delivered. A replay is the worker's whole record: when it skips
// seqs (a journal that lost events, said by a notice in it), the stream moves past them.
// What arrives together leaves together: a frame's batch (or a replay page) is delivered as
// one batch of the envelopes that were due, so everything downstream works per batch. This is
// the one place where duplicates are dropped.
import type { AgentEventEnvelope } from '../../../protocol/agentEvents';

export type ReplayPage = (
  agentId: string,
  afterSeq: number,
) => Promise<{ events: AgentEventEnvelope[]; more: boolean }>;

interface AgentStream {
  last: number;
  /** Its `dismissed` state was delivered: nothing more will come. */
  ended: boolean;
  syncing: Promise<void> | undefined;
  buffer: AgentEventEnvelope[];
}

/**
 * Events held back while a gap is filled. Past this a worker is sending far ahead of what it
 * can replay (broken or hostile): what is held is dropped, since a replay brings it again.
 */
const MAX_HELD = 50_000;

export class EventSequencer {
  private readonly streams = new Map<string, AgentStream>();

  constructor(
    private readonly replayPage: ReplayPage,
    /** A batch of envelopes, each exactly once, in seq order per agent (never empty). */
    private readonly deliver: (envelopes: AgentEventEnvelope[]) => void,
    private readonly onSyncError: (agentId: string, error: unknown) => void,
  ) {}

  /** The last seq delivered for an agent (0 when none). */
  lastSeq(agentId: string): number {
    return this.streams.get(agentId)?.last ?? 0;
  }

  /** Seeds the last seq already seen elsewhere (e.g. persisted before a window reload). */
  track(agentId: string, lastSeq: number): void {
    const stream = this.stream(agentId);
    if (lastSeq > stream.last) stream.last = lastSeq;
  }

  forget(agentId: string): void {
    this.streams.delete(agentId);
  }

  private trackedAgents(): string[] {
    return [...this.streams.keys()];
  }

  /** Whether the agent's stream ended (it was dismissed). */
  private ended(agentId: string): boolean {
    return this.streams.get(agentId)?.ended ?? false;
  }

  /** Live events from the worker (one frame's batch); what is due is delivered as one batch. */
  accept(envelopes: readonly AgentEventEnvelope[]): void {
    const out: AgentEventEnvelope[] = [];
    for (const envelope of envelopes) {
      const stream = this.stream(envelope.agentId);
      if (stream.syncing) {
        this.hold(stream, envelope);
        continue;
      }
      if (envelope.seq <= stream.last) continue;
      if (envelope.seq === stream.last + 1) {
        this.take(stream, envelope, out);
        continue;
      }
      this.hold(stream, envelope);
      void this.sync(envelope.agentId);
    }
    if (out.length > 0) this.deliver(out);
  }

  private hold(stream: AgentStream, envelope: AgentEventEnvelope): void {
    if (stream.buffer.length >= MAX_HELD) stream.buffer = [];
    stream.buffer.push(envelope);
  }

  /**
   * After a (re)connect, from the agents the worker lists: replays those it has more of, and
   * those tracked here that it no longer lists (dismissed meanwhile: their journals replay).
   */
  catchUp(listed: readonly { agentId: string; lastSeq: number }[]): Promise<void[]> {
    const ids = new Set(listed.map((a) => a.agentId));
    const behind = listed.filter((a) => a.lastSeq > this.lastSeq(a.agentId)).map((a) => a.agentId);
    const gone = this.trackedAgents().filter((id) => !ids.has(id) && !this.ended(id));
    return Promise.all([...behind, ...gone].map((id) => this.sync(id)));
  }

  /** Replays everything after the last delivered seq (after a reconnect, or on a gap). */
  sync(agentId: string): Promise<void> {
    const stream = this.stream(agentId);
    stream.syncing ??= this.runSync(agentId, stream).then((ok) => {
      stream.syncing = undefined;
      // Events that arrived during the sync: deliver those that follow on. A remaining gap
      // is synced again only if this sync worked; after a failure the reconnect syncs.
      if (stream.buffer.length > 0) this.drain(agentId, stream, ok);
    });
    return stream.syncing;
  }

  private async runSync(agentId: string, stream: AgentStream): Promise<boolean> {
    try {
      for (;;) {
        const page = await this.replayPage(agentId, stream.last);
        // The worker has nothing between its replayed events: a skipped seq is lost for good.
        const out: AgentEventEnvelope[] = [];
        for (const envelope of page.events)
          if (envelope.seq > stream.last) this.take(stream, envelope, out);
        if (out.length > 0) this.deliver(out);
        if (!page.more || page.events.length === 0) return true;
      }
    } catch (error) {
      this.onSyncError(agentId, error);
      return false;
    }
  }

  private drain(agentId: string, stream: AgentStream, resyncOnGap: boolean): void {
    const buffered = stream.buffer.sort((a, b) => a.seq - b.seq);
    stream.buffer = [];
    const out: AgentEventEnvelope[] = [];
    for (const envelope of buffered) {
      if (envelope.seq <= stream.last) continue;
      if (envelope.seq === stream.last + 1) this.take(stream, envelope, out);
      else stream.buffer.push(envelope);
    }
    if (out.length > 0) this.deliver(out);
    if (stream.buffer.length > 0 && resyncOnGap) void this.sync(agentId);
  }

  /** The next envelope of a stream: counted as delivered and added to the outgoing batch. */
  private take(stream: AgentStream, envelope: AgentEventEnvelope, out: AgentEventEnvelope[]): void {
    stream.last = envelope.seq;
    if (envelope.event.kind === 'state' && envelope.event.state === 'dismissed')
      stream.ended = true;
    out.push(envelope);
  }

  private stream(agentId: string): AgentStream {
    let stream = this.streams.get(agentId);
    if (!stream) {
      stream = { last: 0, ended: false, syncing: undefined, buffer: [] };
      this.streams.set(agentId, stream);
    }
    return stream;
  }
}
